"""Shared fixtures: one warm sandbox worker for the whole test session (TensorFlow is imported
once). Hostile submissions are graded under TEST_LIMITS, tight enough that they end in seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.course import Course
from grader.models import Limits
from grader.session import Session

ROOT = Path(__file__).resolve().parent.parent
TEST_LIMITS = Limits(wall_s=25, check_s=8, cpu_s=40, memory_mb=512)


@pytest.fixture(scope="session")
def course() -> Course:
    return Course(ROOT)


@pytest.fixture(scope="session")
def session(course: Course):
    with Session(course) as s:
        yield s
