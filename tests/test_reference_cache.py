"""The reference cache: a second `grade chapterN` or `grade validate` reads the reference's
observations from disk, and only while nothing they are made from has changed."""

from __future__ import annotations

import shutil
import stat

import pytest

from grader import reference_cache
from grader.course import Course
from grader.locate import only
from grader.models import Observation
from grader.reference_cache import CACHE_ENV, cache_key, cached_reference_observations
from grader.session import Session
from grader.submission import Submission

from conftest import ROOT, TEST_LIMITS


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


def _copy_of_chapter1(root):
    for part in ("exercises/chapter1", "solutions/chapter1"):
        shutil.copytree(ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__", "alternatives", "mutants"))
    return Course(root).chapter("chapter1")


def test_the_key_changes_with_everything_that_makes_the_observations(tmp_path, session) -> None:
    chapter = _copy_of_chapter1(tmp_path)
    info = session.worker.info
    key = cache_key(chapter, 2026, info)
    assert cache_key(Course(tmp_path).chapter("chapter1"), 2026, info) == key, "the same inputs, the same key"
    changed = {
        "seed": cache_key(chapter, 2027, info),
        "Keras": cache_key(chapter, 2026, info.model_copy(update={"keras": "3.0.0"})),
        "device": cache_key(chapter, 2026, info.model_copy(update={"device": "gpu"})),
        "checks observed": cache_key(only(chapter, ["relu"]), 2026, info),
    }
    oracle = tmp_path / "solutions/chapter1/oracle.py"
    oracle.write_text(oracle.read_text() + "\n# an edit\n")
    changed["reference module"] = cache_key(Course(tmp_path).chapter("chapter1"), 2026, info)
    checks = tmp_path / "exercises/chapter1/checks.py"
    checks.write_text(checks.read_text() + "\n# an edit\n")
    changed["checks"] = cache_key(Course(tmp_path).chapter("chapter1"), 2026, info)
    same = [what for what, other in changed.items() if other == key]
    assert not same, f"the key misses a change of {same}"
    assert len(set(changed.values())) == len(changed)


def test_the_key_changes_with_the_graders_own_source(tmp_path, monkeypatch, session) -> None:
    chapter = session.course.chapter("chapter1")
    key = cache_key(chapter, 2026, session.worker.info)
    package = tmp_path / "grader"
    shutil.copytree(ROOT / "grader", package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(reference_cache.grader, "__file__", str(package / "__init__.py"))
    assert cache_key(chapter, 2026, session.worker.info) == key
    (package / "judges.py").write_text((package / "judges.py").read_text() + "\n# an edit\n")
    assert cache_key(chapter, 2026, session.worker.info) != key


def test_a_second_run_reads_the_cache_and_grades_the_same(cache, course, warm_workers, monkeypatch) -> None:
    chapter = course.chapter("chapter1")
    solution = (chapter.solution_dir / chapter.module_file).read_text()
    with Session(course, workers=warm_workers, cached=True) as first:
        graded = first.grade(chapter, Submission("first", solution))
    files = list(cache.iterdir())
    assert len(files) == 1 and files[0].name.startswith("chapter1-")
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600 and stat.S_IMODE(cache.stat().st_mode) == 0o700

    def no_live_run(*args, **kwargs):
        raise AssertionError("observed live although the cache holds it")

    monkeypatch.setattr(reference_cache, "reference_observations", no_live_run)
    with Session(course, workers=warm_workers, cached=True) as second:
        again = second.grade(chapter, Submission("second", solution))
    assert again.score == graded.score == graded.max_score
    assert [c.model_dump(exclude={"seconds"}) for c in again.checks] == [
        c.model_dump(exclude={"seconds"}) for c in graded.checks
    ]


@pytest.mark.slow
def test_a_corrupt_or_foreign_cache_file_is_observed_again(cache, course, warm_workers) -> None:
    chapter = course.chapter("chapter1")
    worker = warm_workers[0]
    live = cached_reference_observations(chapter, worker, seed=2026, limits=TEST_LIMITS)
    (path,) = cache.iterdir()
    path.write_text('{"key": "not this one", "observations": {}}')
    assert cached_reference_observations(chapter, worker, seed=2026, limits=TEST_LIMITS).keys() == live.keys()
    path.write_text("{ not json")
    again = cached_reference_observations(chapter, worker, seed=2026, limits=TEST_LIMITS)
    assert {k: o.cases for k, o in again.items()} == {k: o.cases for k, o in live.items()}
    assert path.read_text().startswith('{"key":"'), "written again whole"


def test_observations_with_a_problem_are_not_kept(cache, course, warm_workers, monkeypatch) -> None:
    chapter = course.chapter("chapter1")
    broken = {c.name: Observation(check=c.name, error="timed out after 4 s") for c in chapter.checks}
    monkeypatch.setattr(reference_cache, "reference_observations", lambda *a, **k: broken)
    assert cached_reference_observations(chapter, warm_workers[0], seed=2026, limits=TEST_LIMITS) == broken
    assert not cache.exists() or not list(cache.iterdir())


@pytest.mark.slow
def test_off_or_unwritable_is_no_error(tmp_path, course, warm_workers, monkeypatch) -> None:
    chapter = course.chapter("chapter1")
    blocker = tmp_path / "a file"
    blocker.write_text("")
    for setting in ("off", str(blocker / "cache")):
        monkeypatch.setenv(CACHE_ENV, setting)
        observed = cached_reference_observations(chapter, warm_workers[0], seed=2026, limits=TEST_LIMITS)
        assert set(observed) == {c.name for c in chapter.checks}
