"""Every entry gets one correct row, and no row is final because of the grader: hostile entries
(links, nested or non-text notebooks, broken or oversized zips, huge numbers, huge maps) get
their own row, and what the grader or the machine decided (a reference it could not observe, a
lost worker, a starved machine, a judge that failed) is graded again by the same command."""

from __future__ import annotations

import csv
import functools
import json
import os
import shutil
import signal
import threading
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import grader.cli as cli
import grader.grading as grading
from grader.batch import find_entries, load_or_zero, run_batch
from grader.checks import check
from grader.course import Course
from grader.errors import BadInput, ExitCode
from grader.export import export, for_students, write_csv
from grader.platforms.gradescope import HIDDEN_OUTPUT
from grader.gradebook import Gradebook
from grader.grading import grade_submission, reference_observations
from grader.judges import close, exact, judge_cases
from grader.models import Case, CheckResult, Environment, Limits, Observation, SubmissionResult
from grader.render import batch_table
from grader.reference_cache import CACHE_ENV
from grader.session import Session
from grader.submission import Submission, read_submission

from conftest import ROOT, TEST_LIMITS

SOLUTION = ROOT / "solutions/chapter1/fundamentals.py"
STARVED = Limits(wall_s=5, check_s=0.001, cpu_s=5, memory_mb=512)  # no reference check fits in 1 ms
# how long a test waits for a batch that must end; a batch that hangs fails instead of blocking
BATCH_DEADLINE_S = 900


def _result(student: str, checks: list[CheckResult], status: str = "completed", **extra) -> SubmissionResult:
    return SubmissionResult(chapter="chapter1", submission=student, status=status, checks=checks,
                            environment=Environment(seed=1), **extra)  # fmt: skip


def _check(name: str, score: float, *, hidden: bool = False, feedback=(), failed=(), cases=0) -> CheckResult:
    return CheckResult(name=name, description="", points=1, score=score, hidden=hidden,
                       status="passed" if score == 1 else "failed", feedback=list(feedback),
                       failed_cases=list(failed), cases=cases)  # fmt: skip


# --- judging: huge numbers and values are judged, never raised --------------------------------


def test_a_huge_int_is_judged_wrong_not_raised() -> None:
    """A `**` typo returns 10**10000: float() of it overflows and str() of it raises; the judge
    says what it got instead of crashing the row."""
    huge = 10**10000
    assert exact()(128, huge) == "expected 128, got an integer of about 10001 digits"
    assert close()(5.0, -huge).startswith("expected 5, got an integer of about")
    assert close()([1.0, 2.0], [1.0, huge]) == "expected 2 in item [1], got an integer of about 10001 digits"
    assert exact()(huge, huge) is None
    ref = Observation(check="c", cases=[Case(label="f(2)", value=4), Case(label="f(3)", value=9)])
    mine = Observation(check="c", cases=[Case(label="f(2)", value=4), Case(label="f(3)", value=huge)])
    share, status, feedback = judge_cases(mine, ref, exact(), True)
    assert (share, status) == (0.5, "partial")
    assert feedback == ["1 of 2 cases passed", "f(3): expected 9, got an integer of about 10001 digits"]


def test_values_far_larger_or_deeper_than_the_reference_are_not_walked() -> None:
    ref = Observation(check="c", cases=[Case(label="f()", value=[1, 2, 3])])
    big = Observation(check="c", cases=[Case(label="f()", value=[[0] * 100] * 1000)])
    assert "not judged" in judge_cases(big, ref, exact(), True)[2][0]
    deep: list = []
    for _ in range(200):
        deep = [deep]
    nested = Observation(check="c", cases=[Case(label="f()", value=deep)])
    assert "nested more than" in judge_cases(nested, ref, exact(), True)[2][0]


# --- exports and tables: a student's text is shown, never run or split ----------------------


def test_csv_cells_cannot_be_formulas_and_numbers_stay_numbers(tmp_path) -> None:
    chapter = Course(ROOT).chapter("chapter1")
    names = ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "\ry", "plain"]
    results = {n: _result(n, [_check(c.name, 1) for c in chapter.checks]) for n in names}
    write_csv(results, chapter, tmp_path / "book.csv")
    rows = list(csv.DictReader(open(tmp_path / "book.csv", newline="")))
    assert [r["student"] for r in rows] == ["'" + n for n in names[:-1]] + ["plain"]
    assert all(float(r["total"]) == len(chapter.checks) for r in rows)


def test_a_name_with_a_newline_stays_on_its_row() -> None:
    table = batch_table({"eve\nmallory 20/20 completed": _result("x", [_check("a", 0)]), "bob": _result("y", [_check("a", 1)])})
    lines = table.splitlines()
    assert len(lines) == 4, table  # header, two rows, totals
    assert lines[1].startswith("eve\\nmallory 20/20 completed ") and lines[2].startswith("bob ")


# --- hidden checks: what students see is the instructor's choice ------------------------------


def test_hidden_feedback_is_summary_unless_the_instructor_chooses(tmp_path) -> None:
    chapter = Course(ROOT).chapter("chapter1")
    secret = "f(123457): expected 42, got 41"
    hidden = _check("secret_check", 0, hidden=True, feedback=["1 of 2 cases passed", secret],
                    failed=["f(123457)"], cases=2)
    public = _check("dense_params", 0, feedback=["dense_params(3, 32): expected 128, got 96"])
    results = {"ann": _result("ann", [public, hidden], output_tail="called with 123457\n")}
    summary = for_students(results["ann"], "summary")
    assert summary.checks[1].feedback == [] and summary.output_tail == ""
    assert summary.checks[0] == public, "public feedback is untouched"
    inputs = for_students(results["ann"], "inputs").checks[1].feedback
    assert inputs == ["1 of 2 cases passed", "f(123457): did not match"]
    assert for_students(results["ann"], "full") == results["ann"]

    export(results, chapter, tmp_path / "out", ("csv", "json", "gradescope"))  # default: summary
    shown = [(tmp_path / "out/feedback/ann.txt").read_text(),
             (tmp_path / "out/gradescope/ann/results.json").read_text(), (tmp_path / "out/report.html").read_text()]
    for text in shown:
        assert "123457" not in text and "expected 42" not in text
    assert "expected 128, got 96" in shown[0]
    tests = json.loads(shown[1])["tests"]
    assert tests[1]["output"].splitlines()[1:] == ["failed"] and tests[1]["visibility"] == "after_published"
    assert secret in (tmp_path / "out/results.jsonl").read_text(), "the instructor's export keeps everything"
    export(results, chapter, tmp_path / "full", (), "full")
    assert secret in (tmp_path / "full/feedback/ann.txt").read_text()


def test_gradescope_shows_output_printed_with_hidden_checks_only_with_them(tmp_path) -> None:
    """Gradescope shows results.json's top-level output at once (stdout_visibility governs the
    autograder's log only): output printed in a run that ran hidden checks goes in a test of its
    own with their visibility, under every --hidden-feedback; only a run of public checks alone
    (graded apart) prints to the top level."""
    chapter = Course(ROOT).chapter("chapter1")
    checks = [_check("dense_params", 1), _check("secret_check", 0, hidden=True, failed=["f(123457)"], cases=1)]
    together = _result("ann", checks, output_tail="hello\ncalled with 123457\n")
    apart = _result("bob", checks, output_tail="hello\n", hidden_output="called with 123457\n")
    results = {"ann": together, "bob": apart}
    for hidden in ("summary", "inputs", "full"):
        export(results, chapter, tmp_path / hidden, ("gradescope",), hidden)  # type: ignore[arg-type]
        for student in results:
            doc = json.loads((tmp_path / hidden / "gradescope" / student / "results.json").read_text())
            at_once = [doc["output"], *[t["output"] for t in doc["tests"] if t["visibility"] == "visible"]]
            assert "123457" not in "".join(at_once), (hidden, student)
            later = [t for t in doc["tests"] if t["name"] == HIDDEN_OUTPUT]
            if hidden == "summary":
                assert not later, "summary shows nothing printed with hidden checks"
            else:
                assert later[0]["visibility"] == "after_published" and "called with 123457" in later[0]["output"]
            assert ("hello" in doc["output"]) == (student == "bob"), "the public checks' own run shows at once"


# --- the gradebook: rows to grade again, and a --regrade that loses nothing --------------------


def test_retryable_rows_are_graded_again_and_a_regrade_keeps_old_rows(tmp_path) -> None:
    book = Gradebook(tmp_path / "book.sqlite")
    book.put("ann", _result("ann", [_check("a", 1)]))
    book.put("bob", _result("bob", [_check("a", 0)], status="error"))
    book.put("cid", _result("cid", [_check("a", 0)], retryable=True))
    assert book.graded("chapter1") == {"ann"} and book.retrying("chapter1") == {"bob", "cid"}
    assert book.start_regrade("chapter1", {"ann", "bob", "cid"})
    assert book.graded("chapter1") == set() and set(book.results("chapter1")) == {"ann", "bob", "cid"}
    book.put("ann", _result("ann", [_check("a", 1)]))  # the pass replaces ann's row, then stops
    assert not book.start_regrade("chapter1", {"ann", "bob", "cid"}), "an unfinished pass goes on"
    assert book.graded("chapter1") == {"ann"}
    book.put("bob", _result("bob", [_check("a", 1)]))
    book.put("cid", _result("cid", [_check("a", 1)]))
    assert book.graded("chapter1") == {"ann", "bob", "cid"}
    assert book.start_regrade("chapter1", {"ann", "bob", "cid"}), "a finished pass: a new one starts"
    book.close()


@pytest.mark.slow
def test_a_stopped_regrade_is_finished_by_the_same_command(tmp_path, monkeypatch) -> None:
    """A --regrade stopped part-way has kept every old row; running it again finishes that pass
    (grades only the rows it had not reached) instead of starting from nothing."""
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("ann", "bob", "cid"):
        shutil.copy(SOLUTION, folder / f"{name}.py")
    book = Gradebook(tmp_path / "book.sqlite")
    for name in ("ann", "bob", "cid"):
        book.put(name, _result(name, [_check("a", 0)]))
    book.start_regrade("chapter1", {"ann", "bob", "cid"})  # as a --regrade does, then it stops
    book.put("ann", _result("ann", [_check("a", 1)]))  # after replacing one row
    book.close()
    monkeypatch.setattr(cli, "Session", functools.partial(Session, limits=TEST_LIMITS))
    args = ["batch", "chapter1", str(folder), "--gradebook", str(tmp_path / "book.sqlite"),
            "--out", str(tmp_path / "out"), "--jobs", "1", "--device", "cpu", "--regrade"]
    run = CliRunner().invoke(cli.main, args)
    assert run.exit_code == 0, run.output
    assert "finishing the --regrade pass" in run.output and "3 submissions, 2 to grade" in run.output
    book = Gradebook(tmp_path / "book.sqlite")
    results = book.results("chapter1")
    assert results["ann"].max_score == 1, "the row the pass had replaced stays"
    assert results["bob"].score == results["cid"].score == 20
    assert book.graded("chapter1") == {"ann", "bob", "cid"}
    book.close()


def test_a_gradebook_written_before_retry_rows_opens(tmp_path) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "old.sqlite") as db:
        db.execute("CREATE TABLE results (chapter TEXT NOT NULL, student TEXT NOT NULL, status TEXT NOT NULL, "
                   "score REAL NOT NULL, max_score REAL NOT NULL, seconds REAL NOT NULL, result TEXT NOT NULL, "
                   "PRIMARY KEY (chapter, student))")
        old = _result("ann", [_check("a", 1)])
        db.execute("INSERT INTO results VALUES ('chapter1', 'ann', 'completed', 1, 1, 0, ?)", (old.model_dump_json(),))
    book = Gradebook(tmp_path / "old.sqlite")
    assert book.graded("chapter1") == {"ann"}
    book.put("bob", _result("bob", [], status="error"))
    assert book.retrying("chapter1") == {"bob"}
    book.close()


# --- entries: links, broken zips, notebooks that break parsers ----------------------------------


def _nested_notebook(path: Path) -> Path:
    path.write_text('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": '
                    + "[" * 100_000 + "]" * 100_000 + "}")
    return path


def _surrogate_notebook(path: Path) -> Path:
    cell = {"cell_type": "code", "id": "a", "metadata": {}, "execution_count": None, "outputs": [],
            "source": "def dense_params(a, b, use_bias=True):\n    return '\\ud800'\n"}
    text = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]})
    path.write_text(text.replace("\\\\ud800", "\\ud800"))  # a lone surrogate, escaped in the JSON
    return path


def _corrupt_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("fundamentals.py", SOLUTION.read_text())
    data = bytearray(path.read_bytes())
    start = 30 + len("fundamentals.py")  # the local header, then the deflated data
    data[start:start + 40] = b"\xff" * 40
    path.write_bytes(bytes(data))
    return path


def _linked_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        info = zipfile.ZipInfo("fundamentals.py")
        info.external_attr = 0o120777 << 16  # a symbolic link member
        z.writestr(info, str(SOLUTION))
    return path


def _crowded_zip(path: Path, entries: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("fundamentals.py", SOLUTION.read_text())
        for i in range(entries):
            z.writestr(f"n/{i}", b"")
    return path


def hostile_entries(folder: Path) -> dict[str, str]:
    """A folder of hostile entries, and a phrase each one's `unreadable` row must say."""
    folder.mkdir()
    solutions = ROOT / "solutions/chapter1"
    (folder / "linked.py").symlink_to(solutions / "fundamentals.py")
    (folder / "linked_folder").symlink_to(solutions)
    (folder / "link_inside").mkdir()
    (folder / "link_inside/fundamentals.py").symlink_to(solutions / "fundamentals.py")
    _nested_notebook(folder / "nested.ipynb")
    _surrogate_notebook(folder / "surrogate.ipynb")
    _corrupt_zip(folder / "corrupt.zip")
    _linked_zip(folder / "linked_member.zip")
    _crowded_zip(folder / "crowded.zip", 30_000)
    return {
        "linked": "is a link", "linked_folder": "is a link", "link_inside": "is a link",
        "nested": "nested too deeply", "surrogate": "not text", "corrupt": "not a readable zip",
        "linked_member": "is a link", "crowded": "30001 entries",
    }  # fmt: skip


def test_hostile_entries_are_read_into_rows_not_exceptions(tmp_path) -> None:
    """Each used to raise past the batch (RecursionError, UnicodeEncodeError, zlib.error) or be
    followed to the solution (links); the zip's entries are counted before it is listed."""
    expected = hostile_entries(tmp_path / "class")
    chapter = Course(ROOT).chapter("chapter1")
    env = Environment(seed=1)
    for entry in find_entries(tmp_path / "class"):
        row = load_or_zero(entry, chapter, env)
        assert isinstance(row, SubmissionResult), entry.student
        assert row.status == "unreadable" and row.score == 0, (entry.student, row.messages)
        assert expected[entry.student] in row.messages[0], (entry.student, row.messages)


def test_a_link_on_the_command_line_is_refused_too(tmp_path) -> None:
    (tmp_path / "mine.py").symlink_to(SOLUTION)
    with pytest.raises(BadInput, match=r"is a link \(to .*solutions/chapter1/fundamentals.py\); links are not followed"):
        read_submission(tmp_path / "mine.py", "fundamentals.py")


def test_hostile_entries_each_get_one_row_in_a_batch(tmp_path, course, warm_workers) -> None:
    """The batch ends (it used to wait forever on a thread that died) with one row per entry."""
    expected = hostile_entries(tmp_path / "class")
    shutil.copy(SOLUTION, tmp_path / "class/good.py")
    results: dict[str, SubmissionResult] = {}

    def grade_class(session: Session) -> None:  # SQLite wants its connection in one thread
        book = Gradebook(tmp_path / "book.sqlite")
        run_batch(session, course.chapter("chapter1"), find_entries(tmp_path / "class"), book)
        results.update(book.results("chapter1"))
        book.close()

    with Session(course, limits=TEST_LIMITS, jobs=2, workers=warm_workers) as session:
        runner = threading.Thread(target=grade_class, args=(session,), daemon=True)
        runner.start()
        runner.join(BATCH_DEADLINE_S)
        assert not runner.is_alive(), "the batch hung"
    assert set(results) == {*expected, "good"}
    assert results["good"].score == 20
    assert all(results[s].status == "unreadable" for s in expected)


@pytest.mark.slow
@pytest.mark.parametrize("make", [_nested_notebook, _surrogate_notebook])
def test_grade_a_hostile_notebook_is_one_line(tmp_path, make) -> None:
    path = make(tmp_path / "work.ipynb")
    run = CliRunner().invoke(cli.main, ["chapter1", "--submission", str(path)])
    assert run.exit_code == ExitCode.BAD_INPUT, run.output
    assert len(run.output.strip().splitlines()) == 1 and run.output.startswith("Error: cannot read"), run.output


# --- the grader's failures: error, retryable, graded again --------------------------------------


def test_a_reference_that_cannot_be_observed_is_the_graders_error(session, course) -> None:
    """Starved of time, the reference fails (even retried with wider limits): the result is
    `error`, retryable, and says so per check; never the student's zero on a completed run."""
    chapter = course.chapter("chapter1")
    reference = reference_observations(chapter, session.worker, seed=session.seed, limits=STARVED)
    result = grade_submission(chapter, Submission("good", SOLUTION.read_text()), session.worker, reference,
                              seed=session.seed, limits=TEST_LIMITS)  # fmt: skip
    assert result.status == "error" and result.retryable
    broken = [c for c in result.checks if c.status == "error"]
    assert broken and all("the reference could not be observed" in c.feedback[0] for c in broken)
    assert any("the same command grades it again" in m for m in result.messages)


@pytest.mark.slow
def test_grade_exits_non_zero_with_one_line_when_the_reference_fails(monkeypatch) -> None:
    monkeypatch.setenv(CACHE_ENV, "off")  # observed live, as after any change to what makes it
    monkeypatch.setattr(cli, "Session", functools.partial(Session, limits=STARVED))
    run = CliRunner().invoke(cli.main, ["chapter1", "--submission", str(SOLUTION), "--device", "cpu"])
    assert run.exit_code == ExitCode.NOT_GRADED, run.output
    lines = run.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: the grader could not grade this submission"), run.output
    assert "run the same command again" in lines[0]


def test_a_batch_regrades_rows_the_reference_failed(tmp_path, course, warm_workers) -> None:
    chapter = course.chapter("chapter1")
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("ann", "bob"):
        shutil.copy(SOLUTION, folder / f"{name}.py")
    book = Gradebook(tmp_path / "book.sqlite")
    with Session(course, limits=STARVED, workers=warm_workers) as session:
        run_batch(session, chapter, find_entries(folder), book)
        first = book.results("chapter1")
        assert {r.status for r in first.values()} == {"error"} and book.graded("chapter1") == set()
        session.limits = TEST_LIMITS  # the next run, under normal limits
        seen: list[str] = []
        run_batch(session, chapter, find_entries(folder), book, on_result=lambda s, r: seen.append(s))
    assert sorted(seen) == ["ann", "bob"], "the same command grades them again"
    assert {(r.status, r.score) for r in book.results("chapter1").values()} == {("completed", 20)}
    assert book.graded("chapter1") == {"ann", "bob"}
    book.close()


@pytest.mark.slow
def test_grade_batch_exits_4_until_the_same_command_grades_the_rows_again(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(SOLUTION, folder / "ann.py")
    args = ["batch", "chapter1", str(folder), "--out", str(tmp_path / "out"), "--jobs", "1", "--device", "cpu"]
    monkeypatch.setattr(cli, "Session", functools.partial(Session, limits=STARVED))
    run = CliRunner().invoke(cli.main, args)
    assert run.exit_code == ExitCode.NOT_GRADED, run.output
    assert run.output.strip().splitlines()[-1].startswith("Error: 1 of 1 rows were decided in part by the grader")
    monkeypatch.setattr(cli, "Session", functools.partial(Session, limits=TEST_LIMITS))
    run = CliRunner().invoke(cli.main, args)
    assert run.exit_code == 0 and "1 submissions, 1 to grade" in run.output, run.output
    assert "20/20  completed" in run.output


@pytest.mark.slow
def test_a_lost_worker_leaves_a_row_the_next_run_regrades(tmp_path, course) -> None:
    """Killing the worker mid-job is no student's doing: the row in flight is `error` and
    retryable (it used to be a final `crashed`), and the next run grades it."""
    chapter = course.chapter("chapter1")
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "slow.py").write_text(SOLUTION.read_text() + "\nimport time\ntime.sleep(6)\n")
    book = Gradebook(tmp_path / "book.sqlite")
    with Session(course, limits=TEST_LIMITS, jobs=1) as session:
        session.reference(chapter)
        worker = session.workers[0]
        killer = threading.Timer(2.0, lambda: os.killpg(worker._proc.pid, signal.SIGKILL))
        killer.start()
        run_batch(session, chapter, find_entries(folder), book)
        killer.join()
    row = book.results("chapter1")["slow"]
    assert row.status == "error" and row.retryable, (row.status, row.messages)
    assert any("lost its worker" in m for m in row.messages)
    assert book.graded("chapter1") == set()
    with Session(course, limits=TEST_LIMITS, jobs=1) as session:
        run_batch(session, chapter, find_entries(folder), book)
    row = book.results("chapter1")["slow"]
    assert (row.status, row.score, row.retryable) == ("completed", 20, False)
    book.close()


@pytest.mark.slow
def test_a_timeout_on_a_starved_machine_is_graded_again(session, course, monkeypatch) -> None:
    """A check that ran out of wall time while runnable tasks waited for a CPU most of the time
    (Linux's CPU pressure) may be the machine's doing: the row says so and is retryable. One
    that ran out of CPU time is the submission's own, whatever the pressure (its own threads
    waiting for the cores count as pressure too)."""
    ticks = iter([0, 10**12] * 8)  # microseconds some task waited: all of the run's time
    monkeypatch.setattr(grading, "_stalled_us", lambda: next(ticks))
    loop = (ROOT / "tests/data/hostile/infinite_loop_in_function/fundamentals.py").read_text()
    waits = loop.replace("    while True:\n        pass", "    import time\n\n    time.sleep(600)")
    assert waits != loop
    chapter = course.chapter("chapter1")
    session.reference(chapter)
    limits = Limits(wall_s=30, check_s=1, cpu_s=20, memory_mb=512)
    result = session.grade(chapter, Submission("waits", waits), limits=limits)
    assert result.retryable and result.status == "completed"
    assert any("timed out while the machine was short of CPU" in m for m in result.messages), result.messages
    result = session.grade(chapter, Submission("loop", loop), limits=limits)
    assert not result.retryable and not any("short of CPU" in m for m in result.messages), result.messages


def test_a_judge_that_fails_costs_its_check_only(session, course, monkeypatch) -> None:
    judge = grading.judge

    def failing(student, reference, compare, partial):  # noqa: ANN001, ANN202
        if student.check == "mlp_params":
            raise ZeroDivisionError("a bug in a judge")
        return judge(student, reference, compare, partial)

    monkeypatch.setattr(grading, "judge", failing)
    chapter = course.chapter("chapter1")
    result = session.grade(chapter, Submission("good", SOLUTION.read_text()))
    by_name = {c.name: c for c in result.checks}
    assert by_name["mlp_params"].status == "error" and "the grader's error" in by_name["mlp_params"].feedback[0]
    assert result.score == result.max_score - by_name["mlp_params"].points
    assert result.status == "completed" and result.retryable


# --- pictures: bounded before they are drawn ------------------------------------------------------


def test_a_map_larger_than_the_reference_gets_a_line_not_a_picture(tmp_path) -> None:
    @check(points=1, compare=close(), picture=True)
    def heatmap(sub, ctx):  # noqa: ANN001, ANN202
        "A map."

    ref = Observation(check="heatmap", cases=[Case(label="map(x)", value=[[0.5] * 7] * 7)])
    mine = Observation(check="heatmap", cases=[Case(label="map(x)", value=[[0.5] * 300] * 300)])
    judged = CheckResult(name="heatmap", description="", points=1, score=0, hidden=False, status="failed",
                         failed_cases=["map(x)"], cases=1)  # fmt: skip
    out = grading._with_picture(heatmap, judged, mine, ref, tmp_path)
    assert out.pictures == [] and not list(tmp_path.iterdir())
    assert "your map is 300x300, the reference's 7x7" in out.feedback[-1]
    small = Observation(check="heatmap", cases=[Case(label="map(x)", value=[[0.25] * 7] * 7)])
    assert grading._with_picture(heatmap, judged, small, ref, tmp_path).pictures == [str(tmp_path / "heatmap.png")]


def test_a_probe_that_fails_on_its_own_is_the_graders_error(course) -> None:
    """A probe that stops outside any case, on an error naming nothing of the submission (a bug
    in our tracing or helper), is the grader's error; a missing function, a wrong signature, a
    line of the submission or a limit it reached stay the student's."""
    chapter = course.chapter("chapter1")
    own = {"dense_params", "fundamentals"}
    ours = Observation(check="relu", error="KeyError: 'layer_outputs'")
    assert grading._probe_failed(ours, chapter, own)
    for theirs in ["AttributeError: module 'fundamentals' has no attribute 'relu'",
                   "TypeError: dense_params() got an unexpected keyword argument 'use_bias'",
                   "ValueError: bad (fundamentals.py, line 3: raise ValueError('bad'))",
                   "timed out after 8 s", "MemoryError: out of memory (the sandbox's memory limit was reached)"]:
        assert not grading._probe_failed(Observation(check="relu", error=theirs), chapter, own), theirs
    ref = Observation(check="relu", cases=[Case(label="relu(x)", value=[0.0])])
    judged = grading._judge(chapter.checks[0], ours, ref, "cpu", chapter, own)
    assert judged.status == "error" and "the check's own code failed (KeyError" in judged.feedback[0]


def test_the_channel_keeps_huge_ints_and_drops_lone_surrogates() -> None:
    """Python reads at most 4300 digits of an int from text: a longer one used to make its whole
    observation a malformed line (the check "not run"). A lone surrogate escape, which no UTF-8
    writer produces, would fail every later write of the result: the line is malformed."""
    digits = "1" + "0" * 10000
    line = f'tok {{"kind": "observation", "check": "c", "cases": [{{"label": "f(3)", "value": {digits}}}]}}'
    seen = grading.parse_events(line, "tok")
    assert seen.malformed == 0
    assert exact()(128, seen.observations["c"].cases[0].value) == "expected 128, got an integer of about 10001 digits"
    forged = 'tok {"kind": "observation", "check": "c", "cases": [{"label": "x", "error": "\\ud800"}]}'
    literal = 'tok {"kind": "observation", "check": "c", "cases": [{"label": "x", "error": "C:\\\\ud800"}]}'
    assert grading.parse_events(forged, "tok").malformed == 1
    assert grading.parse_events(literal, "tok").observations["c"].cases[0].error == "C:\\ud800"


# --- names a classmate chooses ------------------------------------------------------------------


def test_entry_names_stay_unique_and_text(tmp_path) -> None:
    """Stems that clash take their full names, and a full name that clashes too a suffix: no two
    entries share a row. A name that is not UTF-8 is named with its bytes escaped."""
    for name in ("alice.py", "alice.ipynb", "alice.py.zip", "bob.py"):
        (tmp_path / name).write_text("x = 1\n")
    os.close(os.open(os.fsencode(tmp_path) + b"/z\xff.py", os.O_WRONLY | os.O_CREAT))
    students = [e.student for e in find_entries(tmp_path)]
    assert len(set(students)) == len(students) == 5, students
    assert {"alice.ipynb", "alice.py", "alice.py~2", "bob", "z\\xff"} == set(students)
    assert all(s.encode("utf-8") for s in students)  # no lone surrogate left


@pytest.mark.slow
def test_names_a_classmate_chooses_break_no_export_and_push_no_one_out(tmp_path) -> None:
    """A file named after a classmate (alice.ipynb beside alice's alice.py) gives alice one row
    and lists the other file; a name that is not UTF-8, one too long for a file name and one with
    a newline each get a row, every export is written, and no name forges a line on stderr."""
    subs = tmp_path / "subs"
    subs.mkdir()
    solution = SOLUTION.read_text()
    (subs / "alice.py").write_text(solution)
    (subs / "alice.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [], "execution_count": None}]}))
    (subs / "bob.py").write_text(solution)
    (subs / ("x" * 250 + ".py")).write_text(solution)
    (subs / "zz\nchapter1: every submission graded.py").write_text(solution)
    os.close(os.open(os.fsencode(subs) + b"/z\xff.py", os.O_WRONLY | os.O_CREAT))
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nalice,Alice A\nbob,Bob B\n")
    out = tmp_path / "out"
    run = CliRunner().invoke(cli.main, ["batch", "chapter1", str(subs), "--out", str(out), "--jobs", "1",
                                        "--roster", str(roster), "--export", "csv", "--export", "json"])
    assert run.exit_code == 0, run.output
    rows = {r["student"]: r for r in csv.DictReader(open(out / "gradebook.csv"))}
    assert set(rows) == {"alice", "bob"} and float(rows["bob"]["total"]) == 20
    strays = (out / "unmatched.txt").read_text()
    assert "another file of alice" in strays and len(strays.splitlines()) == 4, strays  # the 3 odd names too
    assert "z\\xff.py\t" in strays
    assert not any(line.startswith("chapter1: every submission graded") for line in run.output.splitlines())
    assert (out / "report.html").is_file() and (out / "feedback/alice.txt").is_file()

    run = CliRunner().invoke(cli.main, ["batch", "chapter1", str(subs), "--out", str(tmp_path / "all"), "--jobs", "1"])
    assert run.exit_code == 0, run.output
    feedback = sorted(p.name for p in (tmp_path / "all/feedback").iterdir())
    assert len(feedback) == 6 and all(len(name.encode()) <= 100 for name in feedback), feedback
    assert (tmp_path / "all/report.html").is_file()
