"""GitHub Classroom: the workflow an assignment repository runs on every push, and the points
report its autograding reads.

`grade release OUT --classroom chapterN` writes `.github/workflows/classroom.yml`: check out,
set up Python, install the course, grade the chapter with `grade classroom chapterN`, then
GitHub's `autograding-grading-reporter` action, which reads each grading step's `result` output
(base64 JSON: a status, max_score, and a score per test) and posts the points to Classroom.
The grading step gives one test per check, so partial credit reaches Classroom (a
command-grader step would give all or nothing), and ends with the line `Points X/Y`.

The formats are the platform's own, read from its source (github.com/classroom-resources):
- autograding-grading-reporter, tag v1 = d13b5912daf5042ac1b71bc38bdb4a6bcd61d8ca (its src/ is
  that of main 43c2d9f): src/main.js reads input `runners` (letters and digits, comma-separated)
  and, per runner, env `<RUNNER upper-cased>_RESULTS`, base64 JSON; src/notify-classroom.js sums
  `max_score` and every test's `score` into the notice `Points X/Y` (title "Autograding
  complete"), its report to Classroom (how Classroom reads it is not seen here); src/console-results.js prints each test's name, `test_code`,
  and `message` only for status "error"; its table (src/helpers/test-helpers.js) scores a runner
  by the share of tests with status "pass", not by `score`, so partial credit shows in the notice
  but not in that table. The action fails its step whenever a runner's status is not "pass".
- autograding-command-grader 7712c71 src/main.js `generateResult` and autograding-python-grader
  6599fc9 bin/run.sh: the grader step writes `result=<base64 JSON>` to $GITHUB_OUTPUT and does
  not fail the step when tests fail, so the reporter's default `if: success()` runs it; the
  reporter's README example workflow has no `if: always()`. `grade classroom` does the same: a
  graded submission, a zero for a missing or unreadable one included, exits 0 with `result`
  written; only the grader's own failure (exit 3 or 4: the sandbox, the machine) fails the step.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from grader.course import Chapter, Course
from grader.errors import BadInput
from grader.grading import DEFAULT_SEED, zero_result
from grader.locate import Work, nothing_found, shown_text, work_to_grade
from grader.models import Environment, SubmissionResult
from grader.release import LOCK
from grader.session import Session
from grader.submission import Submission, read_submission

WORKFLOW_PATH = ".github/workflows/classroom.yml"
PYTHON_VERSION = "3.11"
STEP_TIMEOUT_MIN = 20
# The one place the workflow's install is written: the lock, then the course without dependencies.
INSTALL = f"""\
python -m pip install -q --require-hashes -r {LOCK}
python -m pip install -q --no-deps -e ."""


class ClassroomTest(BaseModel):
    """One test of a grader step's result: the fields autograding-command-grader writes
    (src/main.js generateResult); the reporter reads name, status, score, message, test_code
    and line_no."""

    name: str
    status: Literal["pass", "fail", "error"]
    score: float
    message: str
    test_code: str
    filename: str = ""
    line_no: int = 0
    duration: int = 0  # milliseconds, as the command grader gives it


class ClassroomResult(BaseModel):
    """What a classroom-resources grader step writes as its `result` output."""

    version: int = 1
    status: Literal["pass", "fail", "error"]
    max_score: float
    tests: list[ClassroomTest]


@dataclass(frozen=True)
class Graded:
    work: Work
    submission: Submission | None  # None: it could not be read, and is graded zero
    result: SubmissionResult


def runner_id(chapter: str) -> str:
    """The reporter reads env `<ID>_RESULTS` for runner ID: letters and digits only."""
    return "".join(ch for ch in chapter if ch.isalnum()).lower()


WORKFLOW = """\
# GitHub Classroom autograding, written by `grade release --classroom`: every push is graded.
# Classroom requires the workflow's name and its one job's name as they are.
# Each grading step writes its `result` and exits 0 for any score (a missing submission scores 0),
# as classroom-resources' grader actions do, so the reporter runs and Classroom gets the points.
name: Autograding Tests
on: [push, repository_dispatch, workflow_dispatch]
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "{python}"
          cache: pip
          cache-dependency-path: |
            pyproject.toml
            {lock}
      - name: Install the course
        run: |
          (sudo apt-get update -qq && sudo apt-get install -y -qq bubblewrap) || echo "no bubblewrap: Landlock and seccomp only"
{install}
{grading}      - name: Autograding Reporter
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
{env}        with:
          runners: {runners}
"""
# --allow-weaker-sandbox: GitHub's runners may lack bubblewrap (AppArmor on Ubuntu 24.04) and
# Landlock's newest rules (kernels before 6.12); the student owns the repository and its workflow
# there, so the promise that matters is that the code cannot write its own points, which
# Landlock's file rules keep on every kernel with Landlock. The result lists what was not kept.
GRADING_STEP = """\
      - name: Grade {chapter}
        id: {runner}
        run: python -m grader.cli classroom {chapter} --allow-weaker-sandbox
        timeout-minutes: {timeout}
"""


def workflow(chapters: list[Chapter]) -> str:
    """The workflow: check out, set up Python, install, one grading step per chapter, then the
    reporter, which reads each grading step's `result`."""
    runners = [(c.name, runner_id(c.name)) for c in chapters]
    return WORKFLOW.format(
        python=PYTHON_VERSION, lock=LOCK,
        install="\n".join(f"          {line}" for line in INSTALL.splitlines()),
        grading="".join(GRADING_STEP.format(chapter=c, runner=r, timeout=STEP_TIMEOUT_MIN) for c, r in runners),
        env="".join(f'          {r.upper()}_RESULTS: "${{{{ steps.{r}.outputs.result }}}}"\n' for _, r in runners),
        runners=",".join(r for _, r in runners),
    )  # fmt: skip


def grade_work(course: Course, chapter: Chapter, here: Path, *, allow_weaker_sandbox: bool) -> Graded:
    """Grade what `grade CHAPTER` would grade from `here` (the repository root: the notebook the
    student README asks for, or the module). Work that is missing or cannot be read scores zero
    with the reason, so Classroom still gets a grade; no sandbox starts for it."""
    work = work_to_grade(chapter, here)
    try:
        submission = read_submission(work.path, chapter.module_file)
    except BadInput as exc:
        found = os.path.lexists(work.path)
        why = str(exc) if found else nothing_found(chapter, here)
        result = zero_result(chapter, shown_text(work.path), "unreadable" if found else "missing", why,
                             Environment(seed=DEFAULT_SEED))  # fmt: skip
        return Graded(work, None, result)
    with Session(course, device="auto", allow_weaker_sandbox=allow_weaker_sandbox) as session:
        return Graded(work, submission, session.grade(chapter, submission))


def classroom_result(result: SubmissionResult) -> ClassroomResult:
    tests = [
        ClassroomTest(
            name=c.name, status="pass" if c.status == "passed" else "fail", score=c.score,
            message="\n".join([f"{c.score:g}/{c.points:g} {c.description}", *c.feedback]),
            test_code=f"grade {result.chapter}: {c.name}", duration=round(c.seconds * 1000),
        )
        for c in result.checks
    ]  # fmt: skip
    full = result.checks and all(c.status == "passed" for c in result.checks)
    return ClassroomResult(status="pass" if full else "fail", max_score=result.max_score, tests=tests)


def report(result: SubmissionResult) -> str:
    """Write the step's `result` output where GitHub Actions reads it ($GITHUB_OUTPUT), and
    return the points line Classroom also shows."""
    doc = classroom_result(result)
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        encoded = base64.b64encode(doc.model_dump_json().encode()).decode()
        with open(Path(output), "a", encoding="utf-8") as f:
            f.write(f"result={encoded}\n")
    return f"Points {result.score:g}/{result.max_score:g}"
