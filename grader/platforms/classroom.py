"""GitHub Classroom: the workflow an assignment repository runs on every push, and the points
report its autograding reads.

`grade release OUT --classroom chapterN` writes `.github/workflows/classroom.yml`: check out,
set up Python, install the course, grade the chapter with `grade classroom chapterN`, then
GitHub's `autograding-grading-reporter` action, which reads each grading step's `result` output
(base64 JSON: a status, max_score, and a score per test) and posts the points to Classroom.
The grading step gives one test per check, so partial credit reaches Classroom (a
command-grader step would give all or nothing), and ends with the line `Points X/Y`.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from grader.course import Chapter
from grader.models import SubmissionResult

WORKFLOW_PATH = ".github/workflows/classroom.yml"
PYTHON_VERSION = "3.11"
STEP_TIMEOUT_MIN = 20


class ClassroomTest(BaseModel):
    name: str
    status: Literal["pass", "fail", "error"]
    score: float
    message: str
    test_code: str
    line_no: int = 0
    execution_time: str


class ClassroomResult(BaseModel):
    """What a classroom-resources grader step writes as its `result` output."""

    version: int = 1
    status: Literal["pass", "fail", "error"]
    max_score: float
    tests: list[ClassroomTest]


def runner_id(chapter: str) -> str:
    """The reporter reads env `<ID>_RESULTS` for runner ID: letters and digits only."""
    return "".join(ch for ch in chapter if ch.isalnum()).lower()


WORKFLOW = """\
# GitHub Classroom autograding, written by `grade release --classroom`: every push is graded.
# Classroom requires the workflow's name and its one job's name as they are.
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
          cache-dependency-path: pyproject.toml
      - name: Install the course
        run: |
          (sudo apt-get update -qq && sudo apt-get install -y -qq bubblewrap) || echo "no bubblewrap: Landlock and seccomp only"
          python -m pip install -q -e .
{grading}      - name: Autograding Reporter
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
{env}        with:
          runners: {runners}
"""
GRADING_STEP = """\
      - name: Grade {chapter}
        id: {runner}
        run: python -m grader.cli classroom {chapter}
        timeout-minutes: {timeout}
"""


def workflow(chapters: list[Chapter]) -> str:
    """The workflow: check out, set up Python, install, one grading step per chapter, then the
    reporter, which reads each grading step's `result`."""
    runners = [(c.name, runner_id(c.name)) for c in chapters]
    return WORKFLOW.format(
        python=PYTHON_VERSION,
        grading="".join(GRADING_STEP.format(chapter=c, runner=r, timeout=STEP_TIMEOUT_MIN) for c, r in runners),
        env="".join(f'          {r.upper()}_RESULTS: "${{{{ steps.{r}.outputs.result }}}}"\n' for _, r in runners),
        runners=",".join(r for _, r in runners),
    )  # fmt: skip


def classroom_result(result: SubmissionResult) -> ClassroomResult:
    tests = [
        ClassroomTest(
            name=c.name, status="pass" if c.status == "passed" else "fail", score=c.score,
            message="\n".join([f"{c.score:g}/{c.points:g} {c.description}", *c.feedback]),
            test_code=f"grade {result.chapter}: {c.name}", execution_time=f"{c.seconds:.2f}s",
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
        encoded = base64.b64encode(json.dumps(doc.model_dump()).encode()).decode()
        with open(Path(output), "a", encoding="utf-8") as f:
            f.write(f"result={encoded}\n")
    return f"Points {result.score:g}/{result.max_score:g}"
