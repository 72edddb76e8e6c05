"""Every chapter proves its checks, as `grade validate` does: the reference solution scores full
marks, the untouched stub scores zero, each planted mistake in solutions/chapterN/mutants/ loses
exactly the points of the checks it names, with the feedback it names, and each alternative in
solutions/chapterN/alternatives/ (a correct solution in another style, a .py or a notebook)
scores full marks. Adding a chapter, a mutant or an alternative adds to its chapter's test; a
failure names each case that failed."""

from __future__ import annotations

import shutil

import pytest

from grader.course import Course
from grader.session import Session
from grader.submission import Submission
from grader.validate import alternatives, load_mutant, mutants, mutate, validate, validate_chapter

from conftest import ROOT

pytestmark = pytest.mark.slow  # `grade validate` on every chapter

COURSE = Course(ROOT)
CHAPTERS = list(COURSE.chapters.values())


def _grade(session, chapter, source: str, label: str):
    return session.grade(chapter, Submission(label, source))


@pytest.fixture(scope="module")
def two_workers(course, warm_workers):
    """`grade validate --jobs 2`: the trials of a chapter share two warm workers, as in CI."""
    with Session(course, jobs=2, workers=warm_workers) as session:
        yield session


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.name for c in CHAPTERS])
def test_chapter_validates(chapter, two_workers) -> None:
    """`grade validate chapterN`: the reference and every alternative score full marks, the stub
    zero with a reason under each check, every planted mistake loses exactly its points with its
    feedback, and the recording is what the reference does now."""
    verdicts = validate_chapter(two_workers, chapter)
    cases = {v.case for v in verdicts}
    assert {"reference solution", "stub", "recorded observations"} <= cases
    assert {f"mutant {p.stem}" for p in mutants(chapter)} <= cases
    assert {f"alternative:{p.stem}" for p in alternatives(chapter)} <= cases
    failed = [f"{v.case}: {v.problem}" for v in verdicts if not v.ok]
    assert not failed, "\n".join(failed)


def test_same_submission_same_score(session, course) -> None:
    """Seeded inputs: grading twice gives the very same result, and the seed is recorded."""
    chapter = course.chapter("chapter1")
    path = chapter.solution_dir / "mutants" / "same_padding_like_valid.json"
    source = mutate((chapter.solution_dir / chapter.module_file).read_text(), load_mutant(path), "m")
    first, second = (_grade(session, chapter, source, "twice") for _ in range(2))
    assert [c.model_dump(exclude={"seconds"}) for c in first.checks] == [
        c.model_dump(exclude={"seconds"}) for c in second.checks
    ]
    assert first.environment.seed == session.seed
    assert first.environment.tensorflow and first.environment.keras and first.environment.numpy


def test_printed_output_is_the_students_own(session, course) -> None:
    """What "your code printed" shows names the student's file, not the sandbox's scratch
    folder, and leaves out TensorFlow's retracing warning (the probes' many fits cause it); the
    student's own warnings, TensorFlow's included, stay."""
    chapter = course.chapter("chapter1")
    source = (chapter.solution_dir / chapter.module_file).read_text() + (
        "\nimport warnings\nimport tensorflow as _tf\n"
        "warnings.warn('mind the shapes')\n"
        "_double = _tf.function(lambda x: x * 2)\n"
        "for _n in range(1, 12):\n"
        "    _double(_tf.zeros([_n]))\n"
        "_tf.get_logger().warning('a TensorFlow warning of my own')\n"
    )
    printed = _grade(session, chapter, source, "printer").output_tail
    assert f"{chapter.module_file}:" in printed and "mind the shapes" in printed, printed
    assert "a TensorFlow warning of my own" in printed, printed
    assert "/tmp/job-" not in printed and "retracing" not in printed, printed


def test_chapter1_validates_under_another_seed(course, warm_workers) -> None:
    """A term may grade under its own --seed: the reference still scores full marks there (under
    seed 3, random sizes once drew one case label twice and the reference failed its own check)."""
    with Session(course, seed=3, workers=warm_workers) as session:
        verdicts = validate_chapter(session, course.chapter("chapter1"))
    assert all(v.ok for v in verdicts), [v.problem for v in verdicts if not v.ok]


def test_validate_holds_alternatives_to_full_marks_on_two_workers(tmp_path) -> None:
    """`grade validate` grades each alternative beside the mutants, on every warm worker, and
    a wrong one fails as `alternative:<stem>`; verdicts come in the order of the trials, one
    Verdict per alternative, under any seed."""
    for part in ("exercises/chapter1", "solutions/chapter1"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__", "alternatives"))
    solution = (ROOT / "solutions/chapter1/fundamentals.py").read_text()
    folder = tmp_path / "solutions/chapter1/alternatives"
    folder.mkdir()
    (folder / "commented.py").write_text("# the reference, with a comment\n" + solution)
    (folder / "off_by_one.py").write_text(solution + "\n\n_dense = dense_params\n\n\ndef dense_params(*a, **k):\n"
                                          "    return _dense(*a, **k) + 1\n")
    course = Course(tmp_path)
    seen = []
    with Session(course, seed=11, jobs=2) as session:
        verdicts = validate(session, [course.chapter("chapter1")], on_verdict=seen.append)
    assert seen == verdicts
    by_case = {v.case: v for v in verdicts}
    assert [v.case for v in verdicts][-3:] == ["alternative:commented", "alternative:off_by_one",
                                               "recorded observations"]
    assert by_case["alternative:commented"].ok, by_case["alternative:commented"].problem
    wrong = by_case["alternative:off_by_one"]
    assert not wrong.ok and "not full marks" in wrong.problem and "dense_params" in wrong.problem
    assert [v.case for v in verdicts if not v.ok] == ["alternative:off_by_one"]
