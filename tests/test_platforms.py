"""Where instructors grade: a roster and LMS downloads (Canvas, Moodle) into the CSVs those LMSs
import (Gradescope: test_gradescope.py; GitHub Classroom: test_classroom.py)."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from grader.batch import Entry
from grader.course import Course
from grader.errors import BadInput
from grader.models import CheckResult, Environment, SubmissionResult
from grader.platforms.lms import Student, match_roster, read_roster, with_roster, write_canvas, write_moodle

from conftest import ROOT

SOLUTION = ROOT / "solutions/chapter1/fundamentals.py"
STUB = ROOT / "exercises/chapter1/fundamentals.py"
HOSTILE = ROOT / "tests/data/hostile"
NO_BIAS = ("return input_size * units + (units if use_bias else 0)", "return input_size * units")
# The course's own ids, beside the ids Canvas knows (a Canvas user id where the instructor has
# it, else the SIS login). Sam's university id 4412 is also John's Canvas user id: in Canvas'
# ID column it would give Sam's row to John.
ROSTER = """id,name,email,section,canvas_id,sis_login_id
u101,Jane Doe,Jane.Doe@Uni.edu,A,4411,jdoe
u102,"Smith, John",john@uni.edu,A,4412,jsmith
u103,Ana María López,ana@uni.edu,B,,alopez
s004,Lee Wong,lee@uni.edu,B,,lwong
4412,Sam Absent,sam@uni.edu,B,,sabsent
"""
# The Canvas course of that class: user id -> name, and each user's SIS login (a pseudonym)
CANVAS_USERS = {4411: "Jane Doe", 4412: "John Smith", 4413: "Ana María López", 4414: "Lee Wong", 4415: "Sam Absent"}
CANVAS_LOGINS = {"jdoe": 4411, "jsmith": 4412, "alopez": 4413, "lwong": 4414, "sabsent": 4415}
CANVAS_SIS_IDS = {"20231003": 4413}


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


def test_a_roster_class_gives_one_row_per_student_and_lists_the_stray(tmp_path, grade) -> None:
    lms_class(tmp_path / "subs")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    out = tmp_path / "out"
    command = ["batch", "chapter1", str(tmp_path / "subs"), "--roster", str(tmp_path / "roster.csv"),
               "--out", str(out), "--jobs", "1", "--export", "csv", "--export", "canvas",
               "--export", "moodle", "--assignment", "Fundamentals"]  # fmt: skip
    run = grade(*command)
    assert run.returncode == 0, run.stderr
    assert "1 entries not graded" in run.stderr and "README.txt" in run.stderr
    assert (out / "unmatched.txt").read_text() == "README.txt\tmatches no roster student\n"
    with open(out / "gradebook.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert list(rows) == ["u101", "u102", "u103", "s004", "4412"], "roster order, five rows"
    assert (rows["u101"]["status"], float(rows["u101"]["total"])) == ("completed", 20)
    assert rows["u102"]["status"] == "completed" and 0 < float(rows["u102"]["total"]) < 20
    assert rows["u103"]["status"] == "tampered"
    assert (rows["s004"]["status"], float(rows["s004"]["total"])) == ("completed", 0)
    assert (rows["4412"]["status"], float(rows["4412"]["total"])) == ("missing", 0)
    assert "5 submissions" in run.stdout and "1 missing" in run.stdout

    # Canvas: the header its importer requires, the Points Possible row, and only Canvas user ids
    # in ID; every row resolves, by Canvas' own lookup, to the student it grades
    canvas = read_csv(out / "canvas.csv")
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Fundamentals"]
    assert canvas_header_accepted(canvas[0])
    assert canvas[1] == ["Points Possible", "", "", "", "", "20"]
    assert canvas[2] == ["Jane Doe", "4411", "", "jdoe", "A", "20"]
    assert [r[1] for r in canvas[2:]] == ["4411", "4412", "", "", ""], "no roster id in Canvas' ID column"
    assert [canvas_resolves(r) for r in canvas[2:]] == [4411, 4412, 4413, 4414, 4415]
    assert canvas[-1][-1] == "0", "the missing student scores 0"
    totals = [float(rows[s]["total"]) for s in rows]
    assert [float(r[5]) for r in canvas[2:]] == totals

    # Moodle: the roster's email as written (case kept), the grade, the name
    moodle = read_csv(out / "moodle.csv")
    assert moodle[0] == ["email", "Fundamentals", "name"]
    assert moodle[1] == ["Jane.Doe@Uni.edu", "20", "Jane Doe"]
    assert [float(r[1]) for r in moodle[1:]] == totals and moodle[-1][1] == "0"

    # --missing omit, run again on the same gradebook (nothing left to grade): no row for Sam
    run = grade(*command, "--missing", "omit")
    assert run.returncode == 0, run.stderr
    assert [r[3] for r in read_csv(out / "canvas.csv")[2:]] == ["jdoe", "jsmith", "alopez", "lwong"]
    assert [r[0] for r in read_csv(out / "moodle.csv")[1:]] == ["Jane.Doe@Uni.edu", "john@uni.edu",
                                                                "ana@uni.edu", "lee@uni.edu"]  # fmt: skip


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def canvas_header_accepted(header: list[str]) -> bool:
    """Canvas' GradebookImporter#header? for a Student/ID/SIS User ID/SIS Login ID header
    (instructure/canvas-lms app/models/gradebook_importer.rb, row_has_student_headers?,
    update_column_count, last_student_info_column): "Student" and "ID" first, SIS User ID then
    SIS Login ID at 2 and 3, and "Section" the last student column."""
    if not (len(header) > 3 and "Student" in header[0] and "ID" in header[1]):
        return False
    if not (re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3])):
        return False
    return "Section" in header[4]


def ruby_to_i(text: str) -> int:
    """Ruby's String#to_i: the leading digits, else 0."""
    digits = re.match(r"\s*[0-9]+", text)
    return int(digits.group()) if digits else 0


def canvas_resolves(row: list[str]) -> int | None:
    """The Canvas user a row grades, as GradebookImporter#process_student finds it
    (gradebook_importer.rb): `@all_students[row[1].to_i]` when ID is present, else the SIS User
    ID then the SIS Login ID among the root account's pseudonyms (exact hash keys), else a user
    whose name is exactly the Student cell; None: an unknown student."""
    if row[1] and ruby_to_i(row[1]) in CANVAS_USERS:
        return ruby_to_i(row[1])
    if row[2] in CANVAS_SIS_IDS:
        return CANVAS_SIS_IDS[row[2]]
    if row[3] in CANVAS_LOGINS:
        return CANVAS_LOGINS[row[3]]
    return next((uid for uid, name in CANVAS_USERS.items() if name == row[0]), None)


def moodle_import(rows: list[list[str]], users: dict[str, int]) -> dict[int, str]:
    """Moodle's CSV import of `rows` mapped from column 0 to the user field whose values are
    `users`' keys, grade column 1 (moodle/moodle grade/import/csv/classes/load_data.php,
    prepare_import_grade_data and map_user_data_with_value): studentid is reset once per file,
    a blank identifier is skipped (the row's grade goes to the previous row's user), an
    identifier is found by SQL equality (exact here, as on PostgreSQL), and an unknown one
    aborts the whole import."""
    grades, student = {}, None
    for row in rows[1:]:
        if row[0]:
            if row[0] not in users:
                raise LookupError(f"user mapping error: {row[0]}")
            student = users[row[0]]
        if student is None:
            raise LookupError("user mapping error, could not find user")
        grades[student] = row[1]
    return grades


def graded(chapter, student: str, score: float) -> SubmissionResult:
    """A completed row of `chapter`: its first checks passed up to `score` points."""
    checks, left = [], score
    for c in chapter.checks:
        got = min(c.points, left)
        left -= got
        checks.append(CheckResult(name=c.name, description=c.description, points=c.points, score=got,
                                  hidden=c.hidden, status="passed" if got == c.points else "failed"))  # fmt: skip
    return SubmissionResult(chapter=chapter.name, submission=student, status="completed", checks=checks,
                            environment=Environment(seed=1))  # fmt: skip


def lms_roster(tmp_path: Path, text: str) -> list[Student]:
    (tmp_path / "roster.csv").write_text(text, encoding="utf-8")
    return read_roster(tmp_path / "roster.csv")


def test_canvas_rows_resolve_by_canvas_id_sis_user_id_or_login_never_the_roster_id(tmp_path) -> None:
    chapter = Course(ROOT).chapter("chapter1")
    students = lms_roster(tmp_path, """id,name,section,canvas_id,sis_user_id,sis_login_id
4413,Jane Doe,A,4411,,
u2,Smith John,A,,,jsmith
u3,Ana López,B,,20231003,
""")  # Jane's university id 4413 is Ana's Canvas user id; John is "John Smith" in Canvas
    results = with_roster({"4413": graded(chapter, "4413", 20), "u2": graded(chapter, "u2", 7),
                           "u3": graded(chapter, "u3", 12.5)}, students, chapter, seed=1)  # fmt: skip
    write_canvas(results, students, chapter, tmp_path / "canvas.csv", "Fundamentals (123)")
    canvas = read_csv(tmp_path / "canvas.csv")
    assert canvas_header_accepted(canvas[0]) and canvas[0][-1] == "Fundamentals (123)"
    assert canvas[2:] == [["Jane Doe", "4411", "", "", "A", "20"], ["Smith John", "", "", "jsmith", "A", "7"],
                          ["Ana López", "", "20231003", "", "B", "12.5"]]  # fmt: skip
    assert [canvas_resolves(r) for r in canvas[2:]] == [4411, 4412, 4413]


def test_missing_students_get_a_zero_or_no_row_never_a_blank_cell(tmp_path) -> None:
    chapter = Course(ROOT).chapter("chapter1")
    students = lms_roster(tmp_path, """id,name,email,canvas_id
u1,Jane Doe,Jane.Doe@Uni.edu,4411
u2,Sam Absent,sam@uni.edu,4415
""")
    results = with_roster({"u1": graded(chapter, "u1", 20)}, students, chapter, seed=1)
    assert results["u2"].status == "missing"
    moodle_users = {"Jane.Doe@Uni.edu": 1, "sam@uni.edu": 2}
    for missing, sam_canvas, sam_moodle in [("zero", [["Sam Absent", "4415", "", "", "", "0"]], "0"),
                                            ("omit", [], "kept")]:  # fmt: skip
        write_canvas(results, students, chapter, tmp_path / "canvas.csv", missing=missing)
        write_moodle(results, students, chapter, tmp_path / "moodle.csv", missing=missing)
        canvas, moodle = read_csv(tmp_path / "canvas.csv"), read_csv(tmp_path / "moodle.csv")
        assert canvas[2:] == [["Jane Doe", "4411", "", "", "", "20"], *sam_canvas]
        # Moodle's import of the file: Sam's grade becomes 0, or stays as it was (no row for him)
        assert moodle_import(moodle, moodle_users).get(2, "kept") == sam_moodle
        assert all(row[-1] != "" for row in canvas[1:]) and all(row[1] != "" for row in moodle[1:])


def test_moodle_rows_keep_the_rosters_case_and_use_a_column_every_student_has(tmp_path) -> None:
    chapter = Course(ROOT).chapter("chapter1")
    students = lms_roster(tmp_path, """id,name,email,username,idnumber
u1,Jane Doe,Jane.Doe@Uni.edu,jdoe,
u2,John Smith,JOHN@uni.edu,,S-2
""")  # username and idnumber are not filled in for everyone: email is used
    results = with_roster({"u1": graded(chapter, "u1", 20), "u2": graded(chapter, "u2", 3)}, students, chapter, 1)
    write_moodle(results, students, chapter, tmp_path / "moodle.csv", "Fundamentals")
    moodle = read_csv(tmp_path / "moodle.csv")
    assert moodle == [["email", "Fundamentals", "name"], ["Jane.Doe@Uni.edu", "20", "Jane Doe"],
                      ["JOHN@uni.edu", "3", "John Smith"]]  # fmt: skip
    # Moodle (on PostgreSQL) finds each user by the exact address it stores
    assert moodle_import(moodle, {"Jane.Doe@Uni.edu": 1, "JOHN@uni.edu": 2}) == {1: "20", 2: "3"}

    everyone = lms_roster(tmp_path, "id,name,email,username\nu1,Jane,j@x.org,jdoe\nu2,John,,jsmith\n")
    write_moodle(results, everyone, chapter, tmp_path / "moodle.csv", "Fundamentals")
    assert [r[0] for r in read_csv(tmp_path / "moodle.csv")] == ["username", "jdoe", "jsmith"]


@pytest.mark.parametrize(("export", "roster", "message"), [
    ("canvas", "id,name\n1,Jane Doe\n", "the roster needs canvas_id, sis_user_id or sis_login_id for every "
     "student (1 without: 1)"),
    ("canvas", "id,name,canvas_id\n1,Jane,4411\n2,John,u2\n", "canvas_id must be a Canvas user id (digits "
     "only); it is not for 2"),
    ("canvas", "id,name,sis_login_id\n1,Jane,jdoe\n2,John,JDoe\n", "roster students 1 and 2 share the "
     "sis_login_id JDoe"),
    ("moodle", "id,name,email\n1,Jane,j@x.org\n2,John,\n", "the roster needs a column Moodle finds users by, "
     "filled in for every student: username, idnumber or email"),
    ("moodle", "id,name,email\n1,Jane,j@x.org\n2,John,J@X.org\n", "roster students 1 and 2 share the email J@X.org"),
])  # fmt: skip
def test_a_roster_without_the_ids_an_lms_matches_on_is_a_one_line_error(tmp_path, export, roster, message, grade) -> None:
    (tmp_path / "subs").mkdir()
    (tmp_path / "roster.csv").write_text(roster)
    run = grade("batch", "chapter1", str(tmp_path / "subs"), "--roster", str(tmp_path / "roster.csv"),
                "--export", export, "--out", str(tmp_path / "o"))  # fmt: skip
    assert run.returncode == 2 and run.stderr.strip() == f"Error: --export {export}: {message}", run.stderr
    assert not (tmp_path / "o" / "gradebook.sqlite").exists(), "refused before grading"


def test_lms_exports_without_a_roster_and_bad_rosters_are_one_line_errors(tmp_path, grade) -> None:
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
