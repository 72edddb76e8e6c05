"""Where instructors grade: a roster and LMS downloads (Canvas, Moodle) into the CSVs those LMSs
import (Gradescope: test_gradescope.py; GitHub Classroom: test_classroom.py)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.batch import Entry
from grader.errors import BadInput
from grader.platforms.lms import Student, match_roster

from conftest import ROOT

SOLUTION = ROOT / "solutions/chapter1/fundamentals.py"
STUB = ROOT / "exercises/chapter1/fundamentals.py"
HOSTILE = ROOT / "tests/data/hostile"
NO_BIAS = ("return input_size * units + (units if use_bias else 0)", "return input_size * units")
ROSTER = """id,name,email,section
4411,Jane Doe,jane@uni.edu,A
4412,"Smith, John",john@uni.edu,A
4413,Ana María López,ana@uni.edu,B
s004,Lee Wong,lee@uni.edu,B
4415,Sam Absent,sam@uni.edu,B
"""


def grade(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "grader.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def lms_class(folder: Path) -> None:
    """Four LMS-named entries of four roster students, a stray file, a fifth student absent."""
    folder.mkdir()
    shutil.copy(SOLUTION, folder / "doejane_4411_98765_fundamentals-1.py")  # Canvas, renamed upload
    (folder / "smithjohn_LATE_4412_98766_fundamentals.py").write_text(SOLUTION.read_text().replace(*NO_BIAS))
    moodle = folder / "Ana María López_12345_assignsubmission_file_"  # Moodle, in folders
    moodle.mkdir()
    shutil.copy(HOSTILE / "forged_stdout" / "fundamentals.py", moodle / "fundamentals.py")
    shutil.copy(STUB, folder / "s004.py")  # named by roster id
    (folder / "README.txt").write_text("instructions, not a submission")


# --- rosters and LMS downloads ------------------------------------------------------------------


def test_entries_are_matched_by_id_canvas_and_moodle_names_and_a_named_column(tmp_path) -> None:
    students = [Student(id="4411", name="Jane Doe"), Student(id="9", name="Doe, John", extra={"github": "jd-9"}),
                Student(id="7", name="Ana María López"), Student(id="8", name="Lee Wong")]  # fmt: skip
    names = ["doejane_4411_1_fundamentals.py", "doejohn_LATE_55_2_fundamentals.py",  # by id; by name
             "Ana Maria Lopez_3_assignsubmission_file_", "jd-9.py", "8", "8_notes.txt", "stray.py"]  # fmt: skip
    entries = [Entry(student=Path(n).stem, path=tmp_path / n) for n in names]
    for n in names:
        (tmp_path / n).mkdir() if "." not in n else (tmp_path / n).write_text("x")
    matched = match_roster(entries, students, "fundamentals", column="github")
    got = {e.student: e.path.name for e in matched.entries}
    assert got == {"4411": "doejane_4411_1_fundamentals.py", "9": "doejohn_LATE_55_2_fundamentals.py",
                   "7": "Ana Maria Lopez_3_assignsubmission_file_", "8": "8"}  # fmt: skip
    strays = {s.path.name: s.why for s in matched.strays}
    assert strays["stray.py"] == "matches no roster student"
    # jd-9.py is John's too (github column): one of his two entries is graded, the module's first
    assert strays["jd-9.py"].startswith("another file of 9")
    assert not matched.missing
    with pytest.raises(BadInput, match="--roster-column gitlab: the roster has no such column"):
        match_roster(entries, students, "fundamentals", column="gitlab")


def test_a_roster_class_gives_one_row_per_student_and_lists_the_stray(tmp_path) -> None:
    lms_class(tmp_path / "subs")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    out = tmp_path / "out"
    run = grade("batch", "chapter1", str(tmp_path / "subs"), "--roster", str(tmp_path / "roster.csv"),
                "--out", str(out), "--jobs", "1", "--export", "csv", "--export", "canvas",
                "--export", "moodle", "--assignment", "Fundamentals")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "1 entries not graded" in run.stderr and "README.txt" in run.stderr
    assert (out / "unmatched.txt").read_text() == "README.txt\tmatches no roster student\n"
    with open(out / "gradebook.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert list(rows) == ["4411", "4412", "4413", "s004", "4415"], "roster order, five rows"
    assert (rows["4411"]["status"], float(rows["4411"]["total"])) == ("completed", 20)
    assert rows["4412"]["status"] == "completed" and 0 < float(rows["4412"]["total"]) < 20
    assert rows["4413"]["status"] == "tampered"
    assert (rows["s004"]["status"], float(rows["s004"]["total"])) == ("completed", 0)
    assert (rows["4415"]["status"], float(rows["4415"]["total"])) == ("missing", 0)
    assert "5 submissions" in run.stdout and "1 missing" in run.stdout

    # Canvas: the columns its gradebook importer requires, in its order, and the Points Possible row
    with open(out / "canvas.csv", newline="", encoding="utf-8") as f:
        canvas = list(csv.reader(f))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Fundamentals"]
    assert canvas[1] == ["Points Possible", "", "", "", "", "20"]
    assert canvas[2] == ["Jane Doe", "4411", "", "", "A", "20"]
    assert [r[1] for r in canvas[2:]] == ["4411", "4412", "4413", "s004", "4415"]
    assert canvas[-1][-1] == "0", "the missing student scores 0"
    assert all(float(r[5]) == float(rows[r[1]]["total"]) for r in canvas[2:])

    # Moodle: an identifier column its import maps by name (Email address -> useremail) and the
    # grade column named as its own export names an assignment activity's grade
    with open(out / "moodle.csv", newline="", encoding="utf-8") as f:
        moodle = list(csv.reader(f))
    assert moodle[0] == ["Email address", "Full name", "Assignment: Fundamentals (Real)"]
    assert moodle[1] == ["jane@uni.edu", "Jane Doe", "20"]
    assert [r[0] for r in moodle[1:]] == ["jane@uni.edu", "john@uni.edu", "ana@uni.edu", "lee@uni.edu", "sam@uni.edu"]
    assert moodle[-1][-1] == "0"


def test_lms_exports_without_a_roster_and_bad_rosters_are_one_line_errors(tmp_path) -> None:
    (tmp_path / "subs").mkdir()
    run = grade("batch", "chapter1", str(tmp_path / "subs"), "--export", "canvas", "--out", str(tmp_path / "o"))
    assert run.returncode == 2 and run.stderr.strip() == (
        "Error: --export canvas needs --roster: its rows name students as the LMS knows them")
    for text, message in [("name,email\nJane,j@x\n", "has no id column"),
                          ("id,name\n1,A\n1,B\n", "line 3: id 1 appears twice")]:  # fmt: skip
        (tmp_path / "roster.csv").write_text(text)
        run = grade("batch", "chapter1", str(tmp_path / "subs"), "--roster", str(tmp_path / "roster.csv"))
        assert run.returncode == 2 and message in run.stderr, run.stderr
        assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
