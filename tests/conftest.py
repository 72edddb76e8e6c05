"""Shared fixtures: one warm sandbox worker for the whole test session (TensorFlow is imported
once). Hostile submissions are graded under TEST_LIMITS, tight enough that they end in seconds."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import subprocess

import pytest
from click.testing import CliRunner

import grader.cli
import grader.platforms.classroom
from grader.course import Course
from grader.models import Limits
from grader.reference_cache import CACHE_ENV
from grader.sandbox.client import Worker
from grader.session import Session

from hostile import HostileClass, grade_hostile_class
from modes import MODE_ENV, REPORT_ENV, asked_mode, current_mode

ROOT = Path(__file__).resolve().parent.parent
TEST_LIMITS = Limits(wall_s=10, check_s=4, cpu_s=15, memory_mb=512)


def pytest_configure(config: pytest.Config) -> None:
    # one reference cache per run, shared by the `grade` processes the tests start: each
    # chapter's reference is observed once per run, never taken from an earlier run's
    if CACHE_ENV not in os.environ:
        os.environ[CACHE_ENV] = config._tf_grader_cache = tempfile.mkdtemp(prefix="tf-grader-test-cache-")
    config.addinivalue_line("markers", "slow: takes a minute or more (tests/test_modes.py: many); "
                            "-m 'not slow' leaves them out")  # fmt: skip


def pytest_unconfigure(config: pytest.Config) -> None:
    if folder := getattr(config, "_tf_grader_cache", None):
        shutil.rmtree(folder, ignore_errors=True)
        del os.environ[CACHE_ENV]


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
def warm_workers(course: Course):
    """Two warm workers of this course for the whole run: the in-process session, the commands
    run in-process and the validations share them (TensorFlow imported twice a run, not per test)."""
    workers = [Worker(course.root, index=i, share=2) for i in range(2)]
    try:
        yield workers
    finally:
        for worker in workers:
            worker.shutdown()


@pytest.fixture(scope="session")
def hostile_class(course: Course, tmp_path_factory: pytest.TempPathFactory) -> HostileClass:
    """The hostile corpus and forty honest classmates, graded once a run in one batch."""
    return grade_hostile_class(course, tmp_path_factory.mktemp("hostile") / "class", TEST_LIMITS)


@pytest.fixture(scope="session")
def session(course: Course, warm_workers: list[Worker]):
    with Session(course, workers=warm_workers) as s:
        yield s


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`grade ARGS...` as a user types it, run in this process (click's CliRunner) from `cwd`:
    its exit code, stdout and stderr as a finished process would give them. An exception the
    CLI lets out fails the test (a user would see a traceback). For what needs a process of its
    own (a terminal, a signal, the console script), start one."""
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(grader.cli.main, [str(a) for a in args], prog_name="grade")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(["grade", *args], result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def grade(warm_workers: list[Worker], monkeypatch: pytest.MonkeyPatch):
    """`run_cli`, where sessions of this course grade on the run's warm workers."""

    def sharing(course: Course, **options) -> Session:
        if course.root == ROOT:
            options["workers"] = warm_workers
        return Session(course, **options)

    for module in (grader.cli, grader.platforms.classroom):
        monkeypatch.setattr(module, "Session", sharing)
    return run_cli
