"""`grade batch`: one correct row per entry whatever the entry does, resumable after kill -9,
and exports that parse."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader.batch import find_entries, run_batch
from grader.course import Course
from grader.errors import SandboxError
from grader.export import export, write_report
from grader.gradebook import Gradebook
from grader.session import Session

from conftest import ROOT, TEST_LIMITS

pytestmark = pytest.mark.slow  # batches of chapter 1 through the library and the CLI

SOLUTION = ROOT / "solutions/chapter1/fundamentals.py"
STUB = ROOT / "exercises/chapter1/fundamentals.py"
HOSTILE = ROOT / "tests/data/hostile"
NO_BIAS = ("return input_size * units + (units if use_bias else 0)", "return input_size * units")


def make_class(folder: Path) -> dict[str, tuple[float | None, str | tuple[str, ...]]]:
    """A folder of submissions, and the (score, status) each must get (None: any score; a tuple:
    any of these statuses, where the machine's load decides)."""
    folder.mkdir()
    shutil.copy(SOLUTION, folder / "good.py")
    (folder / "wrong").mkdir()
    (folder / "wrong" / "fundamentals.py").write_text(SOLUTION.read_text().replace(*NO_BIAS))
    with zipfile.ZipFile(folder / "zipped.zip", "w") as z:
        z.write(SOLUTION, "work/fundamentals.py")
    shutil.copy(STUB, folder / "stub.py")
    for case in ("infinite_loop_in_function", "memory_bomb", "exit_at_import", "forged_stdout"):
        shutil.copy(HOSTILE / case / "fundamentals.py", folder / f"{case}.py")
    (folder / "empty.py").write_text("")
    (folder / "broken.zip").write_bytes(b"not a zip")
    (folder / "notes.txt").write_text("hello")
    (folder / "nofile").mkdir()
    return {
        "good": (20, "completed"), "wrong": (None, "completed"), "zipped": (20, "completed"),
        "stub": (0, "completed"), "infinite_loop_in_function": (1, "completed"),
        # on a machine short of CPU the bomb can time out before it reaches the memory limit
        "memory_bomb": (1, ("out_of_memory", "completed")), "exit_at_import": (0, "crashed"),
        "forged_stdout": (1, "tampered"), "empty": (0, "unreadable"), "broken": (0, "unreadable"),
        "notes.txt": (0, "unreadable"), "nofile": (0, "unreadable"),
    }  # fmt: skip


@pytest.fixture(scope="module")
def graded(tmp_path_factory, warm_workers):
    """A class graded through the library with two workers, and its exports."""
    base = tmp_path_factory.mktemp("batch")
    expected = make_class(base / "class")
    course = Course(ROOT)
    chapter = course.chapter("chapter1")
    book = Gradebook(base / "gradebook.sqlite")
    seen = []
    with Session(course, limits=TEST_LIMITS, jobs=2, workers=warm_workers) as session:
        run_batch(session, chapter, find_entries(base / "class"), book, on_result=lambda s, r: seen.append(s))
    results = book.results("chapter1")
    book.close()
    export(results, chapter, base / "out", ("csv", "json", "gradescope"))
    return expected, results, seen, base / "out"


def test_every_entry_gets_exactly_one_correct_row(graded) -> None:
    expected, results, seen, _ = graded
    assert sorted(seen) == sorted(expected), "each entry reported exactly once"
    assert set(results) == set(expected)
    for student, (score, status) in expected.items():
        got = results[student]
        assert got.status in ((status,) if isinstance(status, str) else status), (student, got.status, got.messages)
        if score is not None:
            assert got.score == score, (student, got.score)
    assert 0 < results["wrong"].score < 20
    assert "no fundamentals.py" in results["nofile"].messages[0]
    bomb = results["memory_bomb"]
    assert any("memory limit (512 MiB)" in m for m in bomb.messages) or bomb.retryable, bomb.messages


def test_exports_parse(graded) -> None:
    expected, results, _, out = graded
    rows = list(csv.DictReader(open(out / "gradebook.csv")))
    assert {r["student"] for r in rows} == set(expected)
    good = next(r for r in rows if r["student"] == "good")
    assert float(good["total"]) == 20 and float(good["dense_params"]) == 1
    lines = [json.loads(line) for line in open(out / "results.jsonl")]
    assert {line["student"] for line in lines} == set(expected)
    assert all(line["max_score"] == 20 for line in lines)
    for student in expected:
        doc = json.loads((out / "gradescope" / student / "results.json").read_text())
        assert doc["score"] == results[student].score
        assert {"name", "score", "max_score", "output", "visibility"} <= set(doc["tests"][0])
        assert sum(t["max_score"] for t in doc["tests"]) == 20
    assert "expected 128, got 96" in (out / "feedback" / "wrong.txt").read_text()
    report = (out / "report.html").read_text()
    assert "<svg" in report and "dense_params" in report and "exit_at_import" in report


BOUND = 64 << 10  # what one entry may add to each file a batch writes, whatever it submits


def test_a_hostile_entry_stays_small_in_every_export(tmp_path) -> None:
    """Entries that raise on a line of 900 KB, and return, raise and print huge values: each
    keeps a small row, feedback file and share of every export (one such entry once made 84 MB:
    its 0.9 MB line was quoted in every case's error), under every --hidden-feedback."""
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(SOLUTION, folder / "good.py")
    for case in ("huge_source_line", "huge_values"):
        source = (HOSTILE / case / "fundamentals.py").read_text().replace("{{HUGE}}", "A" * 900_000)
        (folder / f"{case}.py").write_text(source)
    (tmp_path / "roster.csv").write_text("id,name,email,sis_login_id\ngood,G,g@x,g\nhuge_source_line,H,h@x,h\n"
                                         "huge_values,V,v@x,v\n")  # fmt: skip
    book = tmp_path / "book.sqlite"
    hostile = ("huge_source_line", "huge_values")
    for hidden in ("full", "inputs", "summary"):  # graded once; exported again under each
        out = tmp_path / hidden
        exports = [arg for f in ("csv", "json", "gradescope", "canvas", "moodle") for arg in ("--export", f)]
        run = _grade_cli("batch", "chapter1", str(folder), "--jobs", "1", "--gradebook", str(book), "--out", str(out),
                         "--roster", str(tmp_path / "roster.csv"), "--hidden-feedback", hidden, *exports)
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
        with sqlite3.connect(book) as db:
            rows = dict(db.execute("SELECT student, length(result) FROM results"))
        lines = {json.loads(line)["student"]: len(line) for line in open(out / "results.jsonl", "rb")}
        for student in hostile:
            sizes = {"gradebook row": rows[student], "results.jsonl": lines[student],
                     "feedback": (out / "feedback" / f"{student}.txt").stat().st_size,
                     "gradescope": (out / "gradescope" / student / "results.json").stat().st_size}  # fmt: skip
            assert max(sizes.values()) <= BOUND, (hidden, student, sizes)
        assert max(len(line) for line in open(out / "gradebook.csv", "rb")) < 1024
        gradebook = Gradebook(book)
        good = gradebook.results("chapter1")["good"]
        gradebook.close()
        write_report({"good": good}, Course(ROOT).chapter("chapter1"), tmp_path / "alone.html", hidden=hidden)
        grown = (out / "report.html").stat().st_size - (tmp_path / "alone.html").stat().st_size
        assert grown <= 2 * 200 << 10, (hidden, grown)
    assert "huge_source_line" in (tmp_path / "full" / "report.html").read_text()


def _grade_cli(*args: str) -> subprocess.Popen:
    grade = Path(sys.executable).parent / "grade"
    return subprocess.Popen([str(grade), *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _rows(path: Path) -> list[tuple[str, float, str]]:
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        try:
            return sorted(db.execute("SELECT student, score, status FROM results"))
        except sqlite3.OperationalError:
            return []


def test_killed_batch_resumes_without_loss_or_duplicates(tmp_path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    mutants = [("bias", NO_BIAS), ("relu", ("return np.maximum(np.asarray(z), 0.0)", "return np.asarray(z)"))]
    for i in range(12):
        name, (old, new) = mutants[i % 2]
        source = SOLUTION.read_text() if i % 3 == 0 else SOLUTION.read_text().replace(old, new)
        (folder / f"s{i:02d}_{name}.py").write_text(source)
    whole, broken = tmp_path / "whole.sqlite", tmp_path / "broken.sqlite"
    run = _grade_cli("batch", "chapter1", str(folder), "--jobs", "2", "--gradebook", str(whole), "--out", str(tmp_path / "o1"))
    assert run.wait(timeout=600) == 0, run.stderr.read()

    run = _grade_cli("batch", "chapter1", str(folder), "--jobs", "2", "--gradebook", str(broken), "--out", str(tmp_path / "o2"))
    deadline = time.monotonic() + 300
    while len(_rows(broken)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    partial = _rows(broken)
    assert 3 <= len(partial) < 12, "killed part-way"

    run = _grade_cli("batch", "chapter1", str(folder), "--jobs", "2", "--gradebook", str(broken), "--out", str(tmp_path / "o2"))
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, err
    assert f"{12 - len(partial)} to grade" in err
    assert _rows(broken) == _rows(whole)
    assert len(_rows(broken)) == 12

    run = _grade_cli("batch", "chapter1", str(folder), "--gradebook", str(broken), "--out", str(tmp_path / "o2"), "--regrade")
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0 and "12 to grade" in err
    assert _rows(broken) == _rows(whole)


def test_bad_batch_input_is_one_line() -> None:
    run = _grade_cli("batch", "chapter1", "/nonexistent-folder")
    out, err = run.communicate(timeout=120)
    assert run.returncode == 2 and err.strip() == "Error: /nonexistent-folder is not a folder of submissions"


def test_interrupted_batch_says_what_it_kept(tmp_path) -> None:
    """Ctrl-C: exit 130 and one line saying how many rows are saved (as many as the gradebook
    holds) and that the same command grades the rest; no traceback."""
    folder = tmp_path / "class"
    folder.mkdir()
    slow = SOLUTION.read_text() + "\nimport time\ntime.sleep(0.5)\n"
    for i in range(8):
        (folder / f"s{i}.py").write_text(slow)
    book = tmp_path / "book.sqlite"
    run = _grade_cli("batch", "chapter1", str(folder), "--jobs", "1", "--gradebook", str(book), "--out", str(tmp_path / "o"))
    deadline = time.monotonic() + 300
    while len(_rows(book)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=120)
    kept = len(_rows(book))
    assert run.returncode == 130, err
    assert 2 <= kept < 8, "interrupted part-way"
    assert err.strip().splitlines()[-1] == (
        f"interrupted: {kept} of 8 graded and saved in {book}; the same command grades the rest"
    ), err
    assert "Traceback" not in err


def test_a_sandbox_that_cannot_restart_stops_the_batch_without_false_rows(tmp_path) -> None:
    """The sandbox failing mid-batch is no student's doing: the batch stops with the sandbox's
    error and writes no row for what it could not grade, so a rerun grades those."""
    course = Course(ROOT)
    chapter = course.chapter("chapter1")
    folder = tmp_path / "class"
    folder.mkdir()
    for i in range(3):
        shutil.copy(SOLUTION, folder / f"s{i}.py")
    book = Gradebook(tmp_path / "book.sqlite")
    with Session(course, limits=TEST_LIMITS, jobs=1) as session:
        run_batch(session, chapter, find_entries(folder)[:1], book)
        worker = session.workers[0]
        worker.plan.argv = ["/bin/false"]  # its restart fails, as when bwrap breaks mid-run
        os.killpg(worker._proc.pid, signal.SIGKILL)  # and the warm worker dies
        with pytest.raises(SandboxError, match="did not start"):
            run_batch(session, chapter, find_entries(folder), book)
    assert book.graded("chapter1") == {"s0"}
