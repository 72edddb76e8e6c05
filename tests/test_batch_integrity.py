"""A batch's promise: every honest student gets exactly the score they get alone, whatever their
classmates submitted. Forty honest submissions (right, partly right, stubs) are interleaved with
every hostile case of tests/data/hostile/ and graded in one batch (tests/hostile.py, once per
run: tests/test_hostile.py asserts the hostile rows), each job on the worker the one before it
ran on; each honest row must equal that submission graded alone on a fresh worker."""

from __future__ import annotations

import pytest

from grader.session import Session
from grader.submission import Submission

from conftest import TEST_LIMITS
from hostile import CASES, HostileClass

pytestmark = pytest.mark.slow  # the hostile class and forty honest submissions graded alone


def test_hostile_classmates_change_no_honest_score(course, hostile_class: HostileClass) -> None:
    chapter = course.chapter("chapter1")
    assert len(hostile_class.rows) == hostile_class.entries == len(CASES) + len(hostile_class.honest), \
        "one row per entry"
    with Session(course, limits=TEST_LIMITS) as alone:
        wrong = {}
        for name, source in hostile_class.honest.items():
            mine = alone.grade(chapter, Submission(name, source))
            row = hostile_class.rows[name]
            if (row.score, row.status) != (mine.score, mine.status):
                wrong[name] = ((row.score, row.status, row.messages), (mine.score, mine.status))
    assert not wrong, wrong
    assert len({hostile_class.rows[n].score for n in hostile_class.honest}) > 3, "the honest scores differ"
