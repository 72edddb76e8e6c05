"""Gradescope: an autograder zip (`grade gradescope chapterN -o autograder.zip`) that grades
each submission with tf-grader inside Gradescope's own container.

Gradescope reads `results.json` only from an autograder's `run_autograder`, so the zip holds
everything: `setup.sh` (run once when Gradescope builds the image), `run_autograder` (once per
submission), the engine and the chapter (its solutions and hidden checks too: the zip is never
shown to students), the pinned environment (requirements.lock) and the instructor's settings. The root `/autograder`
moves with $TF_GRADER_AUTOGRADER_ROOT, so a test can stand a temporary folder in for it.

    python -m grader.platforms.gradescope check SOURCE   setup's grading part: the course loads
    python -m grader.platforms.gradescope run ROOT       grade ROOT/submission into ROOT/results
"""

from __future__ import annotations

import base64
import html
import math
import os
import stat
import sys
import time
import zipfile
from pathlib import Path
from typing import Literal

import click
from pydantic import BaseModel, ConfigDict

from grader.batch import SUFFIXES, Entry, as_text, load_entry
from grader.course import Chapter, Course
from grader.errors import BadInput, GraderError
from grader.grading import DEFAULT_SEED, zero_result
from grader.locate import only
from grader.models import Environment, SubmissionResult
from grader.release import JUNK, LOCK
from grader.render import shown_text, submission_text
from grader.session import Session
from grader.submission import Submission

CONFIG_FILE = "tf-grader.json"
COURSE_DIR = "course"
MAX_DEPTH = 8  # a repository or an unpacked zip: the module is not deeper than this
IGNORED_DIRS = ("__pycache__", ".ipynb_checkpoints", "__MACOSX", ".git")
OUTPUT_LINES = 20
HIDDEN_OUTPUT = "what your code printed while hidden checks ran"  # a test of its own, shown with them
SHOWN = {"hidden": "not shown to students", "after_due_date": "shown after the due date",
         "after_published": "shown when grades are published", "visible": "shown"}  # fmt: skip

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image: any Ubuntu base
# image it offers (22.04 is its default, whose python3 is 3.10: docs/base_images.md of
# github.com/gradescope/autograder_samples). The grader needs the Python its lock was made for,
# 3.11: the image's python3.11 where it has one, else uv brings a standalone CPython 3.11 into
# $ROOT/python (otter-grader's setup.sh brings its own Python through conda, for the same reason).
# Three parts, run in order by `setup.sh` or one by one:
#   setup.sh system    apt: bubblewrap (namespaces, where the container allows them; Landlock and
#                      seccomp hold the sandbox where it does not), pip and venv for the image's Python
#   setup.sh python    Python 3.11 (found or brought), then $ROOT/venv with requirements.lock:
#                      every package pinned with its hash, the environment the course was validated in
#   setup.sh grading   no download: the course in this zip loads with its reference and hidden
#                      checks, run_autograder is executable, the results folder exists. This is
#                      the part tests run, on a machine whose Python is set up already.
# $TF_GRADER_AUTOGRADER_ROOT moves /autograder; $TF_GRADER_PYTHON names the venv's Python.
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${TF_GRADER_AUTOGRADER_ROOT:-/autograder}"
PYTHON="${TF_GRADER_PYTHON:-$ROOT/venv/bin/python}"
WANTED=3.11

system() {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip bubblewrap ca-certificates
}

base_python() {  # the image's Python $WANTED, or one uv brings (readable by the jobs' uid: not in /root)
  if command -v "python$WANTED" >/dev/null && "python$WANTED" -m venv --help >/dev/null 2>&1; then
    command -v "python$WANTED"
    return
  fi
  echo "this image has no Python $WANTED: bringing one with uv into $ROOT/python" >&2
  python3 -m pip install -q --disable-pip-version-check --target "$ROOT/uv" uv >&2
  UV_PYTHON_INSTALL_DIR="$ROOT/python" "$ROOT/uv/bin/uv" python install "$WANTED" >&2
  UV_PYTHON_INSTALL_DIR="$ROOT/python" "$ROOT/uv/bin/uv" python find --managed-python "$WANTED"
}

python_env() {
  local base
  base="$(base_python)" || { echo "setup.sh: no Python $WANTED here and uv could not bring one" >&2; exit 1; }
  "$base" -m venv "$ROOT/venv"
  "$ROOT/venv/bin/python" -m pip install -q --disable-pip-version-check --require-hashes \
    -r "$SOURCE/requirements.lock"
}

grading() {
  chmod 755 "$SOURCE/run_autograder"
  mkdir -p "$ROOT/results"
  PYTHONPATH="$SOURCE/course" "$PYTHON" -m grader.platforms.gradescope check "$SOURCE"
}

case "${1:-all}" in
  all) system; python_env; grading ;;
  system) system ;;
  python) python_env ;;
  grading) grading ;;
  *) echo "usage: setup.sh [all|system|python|grading]" >&2; exit 2 ;;
esac
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this once per submission: it grades $ROOT/submission/ (a .py, a notebook, a
# folder or a repository holding the chapter's module) and writes $ROOT/results/results.json.
# The grader writes one whatever happens; should Python itself not start, this script does.
set -uo pipefail
ROOT="${TF_GRADER_AUTOGRADER_ROOT:-/autograder}"
PYTHON="${TF_GRADER_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT"
mkdir -p "$ROOT/results"
PYTHONPATH="$ROOT/source/course" "$PYTHON" -m grader.platforms.gradescope run "$ROOT"
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  printf '{"score": 0, "execution_time": %d, "stdout_visibility": "hidden", "tests": [], "output_format": "text", "output": "%s"}\n' \
    "$SECONDS" "The autograder could not start (exit $status): the fault is the grader's, not your code's, \
and this score is not your grade. Your instructor sees this message and can rerun the autograder." \
    > "$ROOT/results/results.json"
fi
exit $status
"""

Visibility = Literal["hidden", "after_due_date", "after_published", "visible"]
OutputFormat = Literal["text", "html", "simple_format", "md", "ansi"]


# --- Gradescope's results.json, as documented (gradescope-autograders.readthedocs.io/specs) ------


class GradescopeModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GradescopeTest(GradescopeModel):
    score: float
    max_score: float
    status: Literal["passed", "failed"]
    name: str
    output: str
    output_format: OutputFormat = "text"
    visibility: Visibility = "visible"


class GradescopeResults(GradescopeModel):
    score: float
    execution_time: int
    output: str
    output_format: OutputFormat = "text"
    stdout_visibility: Visibility
    tests: list[GradescopeTest]


# --- the instructor's settings, carried in the zip ------------------------------------------------


class AutograderConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    chapter: str
    seed: int = DEFAULT_SEED
    hidden_visibility: Visibility = "after_published"
    stdout_visibility: Visibility = "hidden"
    show_output: bool = True  # the submission's own printed output, in the student's results
    allow_weaker_sandbox: bool = False  # grade where the container lacks Landlock and bubblewrap


def _course_files(course: Course, chapter: Chapter) -> list[Path]:
    """What the zip's course holds, relative to the course root: the engine, the chapter's
    exercise and its solutions (reference, oracle, hidden checks, not the planted mistakes)."""
    roots = [Path("grader"), chapter.exercise_dir.relative_to(course.root)]
    if chapter.solution_dir is not None:
        roots.append(chapter.solution_dir.relative_to(course.root))
    files = [Path("pyproject.toml")]
    for root in roots:
        for file in sorted((course.root / root).rglob("*")):
            rel = file.relative_to(course.root)
            junk = any(rel.match(j) or any(p.match(j) for p in rel.parents) for j in JUNK)
            if file.is_file() and not file.is_symlink() and not junk and "mutants" not in rel.parts:
                files.append(rel)
    return files


def _lock(course: Course) -> bytes:
    try:
        return (course.root / LOCK).read_bytes()
    except OSError as exc:
        raise BadInput(f"{course.root / LOCK} cannot be read ({exc.strerror}): the zip installs the "
                       "course's pinned environment; make it with .ci/lock") from exc


def write_autograder(course: Course, chapter: Chapter, out: Path, config: AutograderConfig) -> list[str]:
    """Write the autograder zip; the names it holds."""
    if chapter.solution_dir is None:
        raise BadInput(f"an autograder needs solutions/{chapter.name}/: it grades against the "
                       "reference and runs the hidden checks")  # fmt: skip
    entries: list[tuple[str, bytes, int]] = [
        ("setup.sh", SETUP_SH.encode(), 0o755),
        ("run_autograder", RUN_AUTOGRADER.encode(), 0o755),
        (LOCK, _lock(course), 0o644),
        (CONFIG_FILE, config.model_dump_json(indent=2).encode(), 0o644),
    ]
    for rel in _course_files(course, chapter):
        entries.append((f"{COURSE_DIR}/{rel.as_posix()}", (course.root / rel).read_bytes(), 0o644))
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return [name for name, _, _ in entries]


# --- inside Gradescope's container --------------------------------------------------------------


def _files(folder: Path) -> list[Path]:
    """The submission's files, shallowest first; links are neither followed nor listed (an
    upload from a repository could link to the reference solution)."""
    found = []
    for here, dirs, files in os.walk(folder, followlinks=False):
        depth = len(Path(here).relative_to(folder).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in IGNORED_DIRS and depth < MAX_DEPTH)
        for name in sorted(files):
            path = Path(here) / name
            if not name.startswith(".") and not path.is_symlink() and path.is_file():
                found.append(path)
    return sorted(found, key=lambda p: (len(p.relative_to(folder).parts), str(p)))


def find_submission(folder: Path, chapter: Chapter) -> Submission:
    """Whatever the student uploaded: the chapter's module (or its notebook) anywhere in the
    upload, else its only .py, .ipynb or .zip file."""
    if not folder.is_dir():
        raise BadInput(f"no submission was found (no folder {folder})")
    files = _files(folder)
    chosen = next((f for f in files if f.name == chapter.module_file), None)
    chosen = chosen or next((f for f in files if f.name == chapter.notebook_file), None)
    if chosen is None:
        candidates = [f for f in files if f.suffix in SUFFIXES]
        if len(candidates) != 1:
            listed = ", ".join(as_text(str(f.relative_to(folder))) for f in files[:10]) or "nothing"
            raise BadInput(f"your submission has no {chapter.module_file} (nor {chapter.notebook_file}) and not exactly "
                           f"one .py, .ipynb or .zip file to grade instead; it holds: {listed}")  # fmt: skip
        chosen = candidates[0]
    return load_entry(Entry(student=as_text(str(chosen.relative_to(folder))), path=chosen), chapter)


def _picture_html(check_output: str, pictures: list[str]) -> str:
    """A check's feedback with its pictures inline (Gradescope hosts no files of ours)."""
    parts = [f"<pre>{html.escape(check_output)}</pre>"]
    for picture in pictures:
        try:
            data = base64.b64encode(Path(picture).read_bytes()).decode()
        except OSError:
            continue
        alt = html.escape(f"{Path(picture).name}: your map (left) beside the reference's (right)")
        parts.append(f'<img src="data:image/png;base64,{data}" alt="{alt}">')
    return "".join(parts)


def gradescope_results(result: SubmissionResult, config: AutograderConfig) -> GradescopeResults:
    """One test per check; hidden checks visible as the instructor set (after publishing by
    default), and so is what the submission printed while they ran (see _printed); the summary
    shows the public score only while hidden checks are not visible, as Gradescope itself hides
    the total then."""
    tests = []
    for c in result.checks:
        text = "\n".join([c.description, *([shown_text(f) for f in c.feedback] or [c.status])])
        tests.append(GradescopeTest(
            name=c.name + (" (hidden)" if c.hidden else ""), score=c.score, max_score=c.points,
            status="passed" if c.status == "passed" else "failed",
            output=_picture_html(text, c.pictures) if c.pictures else text,
            output_format="html" if c.pictures else "text",
            visibility=config.hidden_visibility if c.hidden else "visible",
        ))  # fmt: skip
    shown, held = _printed(result)
    if config.show_output and held.strip():
        tests.append(GradescopeTest(name=HIDDEN_OUTPUT, score=0, max_score=0, status="passed",
                                    output="\n".join(_last_lines(held)), visibility=config.hidden_visibility))
    public = [c for c in result.checks if not c.hidden]
    hidden = [c for c in result.checks if c.hidden]
    lines = [f"{result.chapter}: public checks {sum(c.score for c in public):g}/{sum(c.points for c in public):g}"]
    if hidden:
        lines[0] += f"; {len(hidden)} hidden checks " + (
            f"{sum(c.score for c in hidden):g}/{sum(c.points for c in hidden):g}" if config.hidden_visibility == "visible"
            else f"(their results are {SHOWN[config.hidden_visibility]})")  # fmt: skip
    if result.status != "completed":
        lines.append(f"status: {result.status.replace('_', ' ')}")
    lines += [f"note: {shown_text(m)}" for m in result.messages]
    if config.show_output and shown.strip():
        lines += ["", "your code printed (last lines):", *_last_lines(shown)]
    env = result.environment
    if env.isolation:
        lines += ["", "sandbox: " + "; ".join(env.isolation)]
    lines.append(f"seed {env.seed} · TensorFlow {env.tensorflow or '?'} · device {env.device or '?'}")
    return GradescopeResults(
        score=result.score, execution_time=math.ceil(result.seconds), output="\n".join(lines),
        stdout_visibility=config.stdout_visibility, tests=tests,
    )  # fmt: skip


def _printed(result: SubmissionResult) -> tuple[str, str]:
    """(what may show at once, what shows only with the hidden checks) of the printed output.
    Gradescope shows the top-level output to students at once (stdout_visibility is for the
    autograder's log, not this): output printed by a run that ran hidden checks, which may hold
    their inputs, goes in a test of its own with their visibility."""
    if result.hidden_output is not None:  # graded apart: output_tail is the public checks' run
        return result.output_tail, result.hidden_output
    if any(c.hidden for c in result.checks):
        return "", result.output_tail
    return result.output_tail, ""


def _last_lines(printed: str) -> list[str]:
    return [f"  | {shown_text(t)}" for t in printed.rstrip().split("\n")[-OUTPUT_LINES:]]


WORST_FIRST = ("tampered", "error", "timed_out", "out_of_memory", "crashed", "syntax_error", "unreadable",
               "completed")  # the status of a result graded in two runs: the more telling of theirs


def graded_apart(session: Session, chapter: Chapter, submission: Submission, pictures: Path) -> SubmissionResult:
    """Public checks in one run, hidden checks in another, judged as one result: what the
    submission printed in the first (at import, in public checks) can show at once, what it
    printed in the second (the hidden checks' inputs, say) only with the hidden checks. Within
    one run no split is safe: the submission writes its output file where it likes (pwrite).
    Each check seeds its inputs by its own name, so apart they are what they are together."""
    public = [c.name for c in chapter.checks if not c.hidden]
    hidden = [c.name for c in chapter.checks if c.hidden]
    if not public or not hidden:
        return session.grade(chapter, submission, pictures=pictures)
    reference = session.reference(chapter)  # for both: their chapter is the whole one
    seen, unseen = (session.grade(only(chapter, names), submission, reference=reference, pictures=pictures)
                    for names in (public, hidden))
    order = [c.name for c in chapter.checks]
    return SubmissionResult(
        chapter=seen.chapter, submission=seen.submission,
        status=min(seen.status, unseen.status, key=WORST_FIRST.index),
        checks=sorted([*seen.checks, *unseen.checks], key=lambda c: order.index(c.name)),
        messages=list(dict.fromkeys([*seen.messages, *unseen.messages])),
        output_tail=seen.output_tail, hidden_output=unseen.output_tail, environment=seen.environment,
        seconds=round(seen.seconds + unseen.seconds, 3), retryable=seen.retryable or unseen.retryable,
    )  # fmt: skip


def load(source: Path) -> tuple[AutograderConfig, Course, Chapter]:
    try:
        config = AutograderConfig.model_validate_json((source / CONFIG_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise BadInput(f"{source / CONFIG_FILE} is not this autograder's settings: {exc}") from exc
    course = Course((source / COURSE_DIR).resolve())
    chapter = course.chapter(config.chapter)
    if chapter.solution_dir is None:
        raise BadInput(f"{course.root} has no solutions/{chapter.name}/")
    return config, course, chapter


def check(source: Path) -> str:
    """setup.sh's grading part: the course in the zip loads, with its reference and checks."""
    config, _, chapter = load(source)
    hidden = sum(c.hidden for c in chapter.checks)
    return f"{chapter.name}: {len(chapter.checks)} checks ({hidden} hidden), seed {config.seed}: ready"


def run(root: Path) -> GradescopeResults:
    """Grade ROOT/submission (public and hidden checks apart: graded_apart) and write
    ROOT/results/results.json; the instructor's full report (hidden feedback and what was
    printed while hidden checks ran included) goes to stdout, which students do not see by
    default. A results.json is written whatever happens: where the grader itself fails, one
    that says so (Gradescope's best practices: "ensure that a results.json file is written out
    in some way even if the autograder fails", docs/best_practices.md)."""
    start = time.monotonic()
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    try:
        config, result, title = _graded(root, results)
    except Exception as exc:  # the grader's failure, never the student's: say so, ask for a rerun
        doc = _failed(exc, math.ceil(time.monotonic() - start))
        (results / "results.json").write_text(doc.model_dump_json(indent=2))
        raise
    doc = gradescope_results(result, config).model_copy(update={"execution_time": math.ceil(time.monotonic() - start)})
    (results / "results.json").write_text(doc.model_dump_json(indent=2))
    print(click.unstyle(submission_text(result, title=title, hidden_exist=True)))
    if (result.hidden_output or "").strip():
        print(f"\n{HIDDEN_OUTPUT} (last lines):", *_last_lines(result.hidden_output or ""), sep="\n")
    return doc


def _graded(root: Path, results: Path) -> tuple[AutograderConfig, SubmissionResult, str]:
    config, course, chapter = load(root / "source")
    try:
        submission = find_submission(root / "submission", chapter)
    except BadInput as exc:  # its message may hold a file name: as text
        return config, zero_result(chapter, "submission", "unreadable", as_text(str(exc)),
                                   Environment(seed=config.seed)), chapter.spec.title  # fmt: skip
    with Session(course, seed=config.seed, device="auto", allow_weaker_sandbox=config.allow_weaker_sandbox) as session:
        return config, graded_apart(session, chapter, submission, results / "pictures"), chapter.spec.title


RERUN = ("The autograder could not grade this submission: the fault is the grader's, not your code's, "
         "and this score is not your grade. Your instructor sees this message; they can rerun the "
         "autograder once it is fixed.")  # fmt: skip


def _failed(exc: Exception, seconds: int) -> GradescopeResults:
    """results.json for a run the grader could not finish: no points, and why, for the
    instructor (stdout has the traceback) and in words a student can act on."""
    why = str(exc) if isinstance(exc, GraderError) else f"{type(exc).__name__}: {exc}"
    return GradescopeResults(score=0, execution_time=seconds, output=f"{RERUN}\n\n{as_text(why)[:2000]}",
                             stdout_visibility="hidden", tests=[])  # fmt: skip


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("check", "run"):
        print("usage: python -m grader.platforms.gradescope check SOURCE | run ROOT", file=sys.stderr)
        return 2
    try:
        if argv[0] == "check":
            print(check(Path(argv[1])))
        else:
            doc = run(Path(argv[1]))
            print(f"wrote results.json: {doc.score:g} points")
    except GraderError as exc:  # ours or the zip's, not the student's: results.json says so
        print(f"tf-grader could not grade: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
