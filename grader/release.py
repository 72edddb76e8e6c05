"""`grade release OUT/`: the course as students receive it.

The release holds `exercises/` (stubs, public checks and their recorded observations), the
engine, and what installs and runs it (a student's README and setup, see student_copy); never `solutions/`, hidden checks, tests (their data holds
reference solutions) or anything else from which a solution can be read back. Before a file is
written, every file to ship is searched for the source of each function and class defined in
`solutions/` (references, oracles, hidden checks): a hit stops the release.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

from grader.course import Chapter, Course
from grader.errors import BadInput
from grader.recorded import load_recording, recorded_path, reference_fingerprint, checks_fingerprint
from grader.student_copy import HIDDEN_FILE, student_files

LOCK = "requirements.lock"  # the pinned grading environment (.ci/lock): setup and Classroom install it
SHIPPED = ("exercises", "grader", "pyproject.toml", LOCK, ".gitignore")  # README and setup: student_copy
JUNK = ("__pycache__", "*.pyc", ".ipynb_checkpoints", ".pytest_cache", "*.egg-info")
MIN_LEAK_CHARS = 40  # shorter definitions (one-line helpers) are not worth a false alarm


def release_files(course: Course) -> list[Path]:
    """Files of the course that a release ships, relative to the course root."""
    files: list[Path] = []
    for name in SHIPPED:
        path = course.root / name
        if path.is_file():
            files.append(Path(name))
        elif path.is_dir():
            for file in sorted(path.rglob("*")):
                rel = file.relative_to(course.root)
                if file.is_file() and not any(rel.match(j) or any(p.match(j) for p in rel.parents) for j in JUNK):
                    files.append(rel)
    return files


def _definitions(text: str) -> dict[str, str]:
    """Top-level functions and classes of a Python source: name -> source."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {}
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {n.name: ast.get_source_segment(text, n) or "" for n in tree.body if isinstance(n, kinds)}


def secrets(course: Course) -> dict[str, str]:
    """Text that must not appear in a release: every solutions/ file whole, and the source of
    every top-level function and class of solutions/ Python files (references, oracles, hidden
    checks). Keyed by where it comes from. A private helper (`_name`) that the chapter's
    exercises/ define identically (a helper the stub provides, or one both check files share)
    is public already; a solution copied into a stub is also caught by `grade validate`, where
    the stub must score zero."""
    found: dict[str, str] = {}
    solutions = course.root / "solutions"
    if not solutions.is_dir():
        return found
    public: dict[str, set[str]] = {}
    for chapter in course.chapters.values():
        public[chapter.name] = {
            segment for file in chapter.exercise_dir.glob("*.py")
            for segment in _definitions(file.read_text(encoding="utf-8")).values()
        }  # fmt: skip
    for file in sorted(solutions.rglob("*")):
        if not file.is_file() or "__pycache__" in file.parts:
            continue
        rel = file.relative_to(course.root)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if len(text.strip()) >= MIN_LEAK_CHARS:
            found[str(rel)] = text.strip()
        if file.suffix == ".py":
            shared = public.get(rel.parts[1] if len(rel.parts) > 2 else "", set())
            for name, segment in _definitions(text).items():
                if name.startswith("_") and segment in shared:
                    continue
                if len(segment) >= MIN_LEAK_CHARS:
                    found[f"{rel}: {name}"] = segment
    return found


def check_recordings(course: Course) -> None:
    """Every chapter has current recorded observations (as far as can be told without TF)."""
    for chapter in course.chapters.values():
        run = f"run `grade record {chapter.name}` first"
        if not recorded_path(chapter).is_file():
            raise BadInput(f"{chapter.name} has no recorded observations: {run}")
        recording = load_recording(chapter)
        if recording.checks_sha256 != checks_fingerprint(chapter) or (
            chapter.solution_dir is not None
            and recording.reference_sha256 != reference_fingerprint(chapter)
        ):
            raise BadInput(f"recorded observations of {chapter.name} are stale: {run}")


def write_release(course: Course, out: Path, extra: dict[str, str] | None = None,
                  install_from: str = "") -> list[Path]:  # fmt: skip
    """Copy the student's part of the course into `out` (absent or empty); the files written.
    `extra`: more files to write (path in the release -> text, e.g. a CI workflow), searched
    for solution text like the rest; `install_from`: where students download the course from
    (the notebooks' first cell, see student_copy)."""
    out = out.resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BadInput(f"{out} exists and is not an empty folder")
    if out == course.root or course.root in out.parents:
        if (out.relative_to(course.root).parts or ("",))[0] in SHIPPED:
            raise BadInput(f"{out} is inside a folder the release copies")
    if not (course.root / LOCK).is_file():
        raise BadInput(f"{course.root / LOCK} is missing: the release's setup installs it (make it with .ci/lock)")
    check_recordings(course)
    files = release_files(course)
    made = student_files(course, install_from)
    hidden = secrets(course)
    texts = {**{str(rel): None for rel in files}, **made, **(extra or {})}
    for rel, text in texts.items():
        try:
            text = text if text is not None else (course.root / rel).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for where, secret in hidden.items():
            if secret in text:
                raise BadInput(f"release stopped: {rel} contains the text of {where}")
    written = []
    for rel in files:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(course.root / rel, target)
        written.append(target)
    for rel, text in {**made, **(extra or {})}.items():  # the student's README, setup, what
        target = out / rel  # hidden checks are worth, and a platform's files (a workflow)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        if rel == "setup":
            target.chmod(0o755)
        written.append(target)
    return written


def hidden_worth(chapter: Chapter) -> float | None:
    """In a student's copy, the points of the hidden checks (written by the release), else None."""
    if chapter.solution_dir is not None:
        return None
    try:
        data = json.loads((chapter.exercise_dir / HIDDEN_FILE).read_text(encoding="utf-8"))
        return float(data["points"]) or None
    except (OSError, ValueError, KeyError, TypeError):
        return None
