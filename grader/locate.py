"""What `grade chapterN` and `notebook_check` grade when a student names no file: the chapter's
`.py`, or the notebook `grade notebook` made of it, whichever holds their work; a word when the
work looks like another chapter's; and which checks test which task of the exercise.

Read without running anything: names and fingerprints only.
"""

from __future__ import annotations

import ast
import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from grader.course import Chapter, Course
from grader.notebook import METADATA_KEY, notebook_code, sha256


@dataclass(frozen=True)
class Work:
    path: Path
    note: str | None = None  # one line: which of two edited files was graded, and how to pick the other


def work_to_grade(chapter: Chapter, here: Path) -> Work:
    """The chapter's module in exercises/chapterN/, or its notebook (`<module>.ipynb`, there or
    in `here`; of two, the one with edits) when that holds the edits. When both hold edits, the
    one saved last is graded, and the note says so and how to grade the other."""
    py = chapter.exercise_dir / chapter.module_file
    notebooks = [n for n in _notebooks(chapter, here) if n.is_file()]
    if not notebooks:
        return Work(py)
    if not py.is_file():
        return Work(notebooks[0])
    # a release ships the notebook in exercises/chapterN/ and the student README has students make
    # one where they work: the one that holds edits (saved last, if both do) is theirs
    edits = {n: _edited(py, n) for n in notebooks}
    notebook = max((n for n in notebooks if edits[n][1]), key=lambda n: n.stat().st_mtime, default=notebooks[0])
    py_edited, notebook_edited = edits[notebook]
    if notebook_edited and not py_edited:
        return Work(notebook)
    if not notebook_edited:
        return Work(py)
    newer, other = sorted([py, notebook], key=lambda p: p.stat().st_mtime, reverse=True)
    return Work(newer, note=f"both {py.name} and {notebook.name} hold edits: graded {shown_text(newer)} (saved "
                f"last); to grade the other: grade {chapter.name} --submission {shown_text(other)}")  # fmt: skip


def _notebooks(chapter: Chapter, here: Path) -> list[Path]:
    """Where the chapter's notebook may be: exercises/chapterN/, then `here`."""
    return [d / chapter.notebook_file for d in dict.fromkeys([chapter.exercise_dir, here.resolve()])]


def nothing_found(chapter: Chapter, here: Path) -> str:
    """One line naming every place work_to_grade looked, for work that is nowhere."""
    places = [chapter.exercise_dir / chapter.module_file, *_notebooks(chapter, here)]
    return "nothing to grade: none of " + ", ".join(shown_text(p) for p in places) + " exists"


def shown_text(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _edited(py: Path, notebook: Path) -> tuple[bool, bool]:
    """Whether the .py and the notebook differ from the stub the notebook was made of (its
    metadata keeps both fingerprints). A notebook made elsewhere counts as edited where its
    code is not the .py's."""
    try:
        meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {}).get(METADATA_KEY, {})
        code = notebook_code(notebook).source
    except Exception:  # a broken notebook is graded, and its error said, by the usual path
        return False, True
    py_text = py.read_text(encoding="utf-8", errors="replace")
    if isinstance(meta, dict) and meta.get("stub_sha256") and meta.get("code_sha256"):
        return sha256(py_text) != meta["stub_sha256"], sha256(code) != meta["code_sha256"]
    return True, code.strip() != py_text.strip()


def top_level_names(source: str) -> set[str]:
    """Public functions and classes a module defines (none if it does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {n.name for n in tree.body if isinstance(n, kinds) and not n.name.startswith("_")}


def other_chapter(course: Course, chapter: Chapter, source: str) -> str | None:
    """'this looks like chapter 3's metrics.py; grade it with `grade chapter3`' when the code
    defines none of this chapter's tasks and most of another chapter's."""
    mine = top_level_names(source)
    if not mine or mine & _stub_names(chapter):
        return None
    best, overlap = None, 0
    for other in course.chapters.values():
        common = len(mine & _stub_names(other))
        if other.name != chapter.name and common > overlap:
            best, overlap = other, common
    if best is None:
        return None
    number = best.name.removeprefix("chapter")
    return (f"this looks like chapter {number}'s {best.module_file}, not {chapter.name}'s "
            f"{chapter.module_file}; grade it with `grade {best.name}`")  # fmt: skip


def _stub_names(chapter: Chapter) -> set[str]:
    try:
        return top_level_names((chapter.exercise_dir / chapter.module_file).read_text(encoding="utf-8"))
    except Exception:  # a chapter whose checks or stub cannot be read is no candidate
        return set()


def task_checks(chapter: Chapter) -> dict[str, list[str]]:
    """Task (a function or class of the stub) -> the public checks whose probes use it, read
    from the probes' source (attributes, and names given as strings) and the attributes of the
    module-level helpers they call."""
    tasks = _stub_names(chapter)
    tree = ast.parse(chapter.check_sources["checks"])
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    found: dict[str, list[str]] = {}
    for chk in chapter.checks:
        if chk.hidden or chk.name not in functions:
            continue
        used, todo, seen = set(), [functions[chk.name]], set()
        while todo:
            fn = todo.pop()
            seen.add(fn.name)
            for node in ast.walk(fn):
                if isinstance(node, ast.Attribute):
                    used.add(node.attr)
                elif isinstance(node, ast.Constant) and fn.name == chk.name:  # getattr(sub, "relu")
                    used.add(str(node.value))
                elif isinstance(node, ast.Name) and node.id in functions and node.id not in seen:
                    todo.append(functions[node.id])
        for task in sorted(used & tasks):
            found.setdefault(task, []).append(chk.name)
    return found


def only(chapter: Chapter, names: list[str]) -> Chapter:
    """The chapter with only the named checks (a BadInput naming the known ones otherwise):
    `--only` and `notebook_check(chapter, check)` grade these and score out of their points."""
    if not names:
        return chapter
    wanted = {c.name for c in chapter.find(list(names))}
    picked = [c for c in chapter.checks if c.name in wanted]  # in the chapter's order
    subset = dataclasses.replace(chapter)
    subset.__dict__.update({k: v for k, v in chapter.__dict__.items() if k != "checks"})
    subset.__dict__["checks"] = picked  # a cached_property: the instance's dict is its cache
    return subset
