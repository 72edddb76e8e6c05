"""Shared fixtures: one warm sandbox worker for the whole test session (TensorFlow is imported
once). Hostile submissions are graded under TEST_LIMITS, tight enough that they end in seconds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from grader.course import Course
from grader.models import Limits
from grader.session import Session

from modes import MODE_ENV, REPORT_ENV, asked_mode, current_mode

ROOT = Path(__file__).resolve().parent.parent
TEST_LIMITS = Limits(wall_s=25, check_s=8, cpu_s=40, memory_mb=512)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes a minute or more (tests/test_modes.py: many); "
                            "-m 'not slow' leaves them out")  # fmt: skip


def _report(record: dict) -> None:
    """For tests/test_modes.py: each test's start and outcome, written the moment they happen
    (a job that kills this run loses nothing written before)."""
    path = os.environ.get(REPORT_ENV)
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(record) + "\n")


def pytest_runtest_logstart(nodeid: str, location: tuple) -> None:
    _report({"test": nodeid, "event": "start"})


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or not report.passed:
        crash = getattr(report.longrepr, "reprcrash", None)
        message = crash.message if crash is not None else (str(report.longrepr) if report.longrepr else "")
        if report.skipped and isinstance(report.longrepr, tuple):
            message = report.longrepr[2]
        _report({"test": report.nodeid, "event": report.when, "outcome": report.outcome, "message": message[:2000]})


@pytest.fixture(scope="session", autouse=True)
def _the_mode_is_the_one_asked_for() -> None:
    """A run started by tests/test_modes.py in a mode (TF_GRADER_TEST_MODE) is really in it: the
    uid it runs as, and whether bubblewrap works. A harness that failed to make the mode fails
    every test here, rather than passing in the suite's own mode."""
    wanted = asked_mode()
    if wanted is not None:
        who = "root" if wanted.startswith("root-") else "user"
        assert (os.geteuid() == 0) == (who == "root"), f"{MODE_ENV}={wanted} but euid is {os.geteuid()}"
        assert current_mode() == wanted, f"{MODE_ENV}={wanted} but this run is {current_mode()}"


@pytest.fixture(scope="session")
def course() -> Course:
    return Course(ROOT)


@pytest.fixture(scope="session")
def session(course: Course):
    with Session(course) as s:
        yield s
