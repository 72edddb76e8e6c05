"""Where instructors grade: a roster and LMS downloads (Canvas, Moodle) into the CSVs those LMSs
import, a Gradescope autograder run as Gradescope runs it, and a GitHub Classroom workflow run
from a release written here."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Literal

import pytest
import yaml
from pydantic import BaseModel, ConfigDict

from grader.batch import Entry
from grader.course import Course
from grader.errors import BadInput
from grader.models import CheckResult, Environment, SubmissionResult
from grader.platforms.lms import Student, match_roster, read_roster, with_roster, write_canvas, write_moodle

from conftest import ROOT
from modes import needed_paths, path_without_bwrap, reveal_script

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
def test_a_roster_without_the_ids_an_lms_matches_on_is_a_one_line_error(tmp_path, export, roster, message) -> None:
    (tmp_path / "subs").mkdir()
    (tmp_path / "roster.csv").write_text(roster)
    run = grade("batch", "chapter1", str(tmp_path / "subs"), "--roster", str(tmp_path / "roster.csv"),
                "--export", export, "--out", str(tmp_path / "o"))  # fmt: skip
    assert run.returncode == 2 and run.stderr.strip() == f"Error: --export {export}: {message}", run.stderr
    assert not (tmp_path / "o" / "gradebook.sqlite").exists(), "refused before grading"


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


# --- Gradescope ---------------------------------------------------------------------------------


class DocumentedTest(BaseModel):
    """A test case of Gradescope's results.json, as its autograder specification documents it."""

    model_config = ConfigDict(extra="forbid")
    score: float
    max_score: float
    status: Literal["passed", "failed"]
    name: str
    name_format: Literal["text", "html", "simple_format", "md", "ansi"] = "text"
    number: str | None = None
    output: str
    output_format: Literal["text", "html", "simple_format", "md", "ansi"] = "text"
    tags: list[str] = []
    visibility: Literal["hidden", "after_due_date", "after_published", "visible"]
    extra_data: dict = {}


class DocumentedResults(BaseModel):
    """Gradescope's results.json (gradescope-autograders.readthedocs.io/en/latest/specs/): what
    we must write (score, execution_time, output, output_format, stdout_visibility, tests) and
    nothing it does not know."""

    model_config = ConfigDict(extra="forbid")
    score: float
    execution_time: int
    output: str
    output_format: Literal["text", "html", "simple_format", "md", "ansi"]
    test_output_format: str | None = None
    test_name_format: str | None = None
    visibility: str | None = None
    stdout_visibility: Literal["hidden", "after_due_date", "after_published", "visible"]
    extra_data: dict = {}
    tests: list[DocumentedTest]
    leaderboard: list[dict] = []


@pytest.fixture(scope="module")
def autograders(tmp_path_factory) -> dict[str, Path]:
    """`grade gradescope chapterN -o autograder.zip`, for chapters 1, 3 and 7."""
    base = tmp_path_factory.mktemp("zips")
    zips = {}
    for chapter in ("chapter1", "chapter3", "chapter7"):
        zips[chapter] = base / f"{chapter}.zip"
        run = grade("gradescope", chapter, "-o", str(zips[chapter]))
        assert run.returncode == 0, run.stderr
    return zips


def test_the_autograder_zip_holds_the_chapter_its_solutions_and_executable_scripts(autograders) -> None:
    with zipfile.ZipFile(autograders["chapter1"]) as z:
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in z.infolist()}
        config = json.loads(z.read("tf-grader.json"))
        setup = z.read("setup.sh").decode()
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755, "at the zip's root, executable"
    for name in ("course/grader/platforms/gradescope.py", "course/exercises/chapter1/checks.py",
                 "course/solutions/chapter1/fundamentals.py", "course/solutions/chapter1/hidden_checks.py"):
        assert name in modes, name
    assert not [n for n in modes if "/mutants/" in n or n.startswith("course/tests/") or "chapter2" in n]
    assert config == {"chapter": "chapter1", "seed": 2026, "hidden_visibility": "after_published",
                      "stdout_visibility": "hidden", "show_output": True, "allow_weaker_sandbox": False}  # fmt: skip
    # the installs and the grading part are apart: apt and pip only in theirs
    grading_part = setup.split("grading() {", 1)[1].split("}", 1)[0]
    assert "apt-get install" in setup and "bubblewrap" in setup and 'venv/bin/pip" install -q --disable-pip-version-check -r' in setup
    assert "apt-get" not in grading_part and "pip" not in grading_part


def gradescope_run(autograder: Path, root: Path, submit: dict[str, str | Path],
                   docker: bool = False) -> tuple[DocumentedResults, str]:  # fmt: skip
    """Unpack the zip as Gradescope does (into ROOT/source), run setup.sh's grading part, put
    the submission in ROOT/submission (name -> text, or a file to copy, or a link target) and
    run run_autograder; results.json checked against the documented schema. `docker`: run it as
    Gradescope's container does, root without CAP_SYS_ADMIN and without bubblewrap (hidden from
    PATH), the interpreter reached through a mount namespace of the run's own where it lives
    under a folder other users may not enter (tests/modes.py)."""
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(autograder) as z:
        z.extractall(root / "source")
        for info in z.infolist():  # zipfile drops modes: restore the executable bits it holds
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777 or 0o644)
    fake_bin = root / "fake-bin"
    fake_bin.mkdir()
    (fake_bin / "apt-get").write_text(f"#!/bin/sh\ntouch {root}/apt-was-run\n")
    (fake_bin / "apt-get").chmod(0o755)
    env = {**os.environ, "TF_GRADER_AUTOGRADER_ROOT": str(root), "TF_GRADER_PYTHON": sys.executable,
           "PATH": f"{fake_bin}:{os.environ['PATH']}"}  # fmt: skip
    env.pop("PYTHONPATH", None)  # the engine inside the zip grades, not this checkout
    setup = subprocess.run(["bash", str(root / "source/setup.sh"), "grading"], env=env,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert setup.returncode == 0, setup.stderr
    assert "ready" in setup.stdout
    assert not (root / "apt-was-run").exists() and not (root / "venv").exists(), "grading part: no installs"
    for name, what in submit.items():
        target = root / "submission" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(what, Path) and name.endswith("@link"):
            target.with_name(name.removesuffix("@link")).symlink_to(what)
        elif isinstance(what, Path):
            shutil.copy(what, target)
        else:
            target.write_text(what)
    prefix: list[str] = []
    if docker:
        # outside ROOT: the mount namespace covers the folders on the way to ROOT a while
        outside = Path(tempfile.mkdtemp(prefix="tfg-docker-"))
        outside.chmod(0o755)
        env["PATH"] = path_without_bwrap(outside / "bin", os.environ["PATH"])
        prefix = ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin", "--"]
        if script := reveal_script([*needed_paths(), root], outside / "hold"):
            prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-ec", script + '\nexec "$@"',
                      "reveal", *prefix]  # fmt: skip
    try:
        run = subprocess.run([*prefix, str(root / "source/run_autograder")], cwd=root, env=env, capture_output=True,
                             text=True, timeout=600)  # fmt: skip
    finally:
        if docker:
            shutil.rmtree(outside, ignore_errors=True)
    assert run.returncode == 0, run.stdout + run.stderr
    doc = DocumentedResults.model_validate_json((root / "results/results.json").read_text())
    return doc, run.stdout


def by_name(doc: DocumentedResults) -> dict[str, DocumentedTest]:
    return {t.name.removesuffix(" (hidden)"): t for t in doc.tests}


def test_gradescope_autograder_grades_a_mistaken_file_of_any_name(autograders, tmp_path) -> None:
    wrong = SOLUTION.read_text().replace(*NO_BIAS) + "\nprint('hello from the student')\n"
    doc, stdout = gradescope_run(autograders["chapter1"], tmp_path, {"my work (2).py": wrong})
    tests = by_name(doc)
    assert tests["dense_params"].status == "failed" and tests["dense_params"].visibility == "visible"
    assert "dense_params(3, 32, use_bias=True): expected 128, got 96" in tests["dense_params"].output
    assert tests["relu"].status == "passed" and tests["relu"].score == tests["relu"].max_score
    hidden = [t for t in doc.tests if t.name.endswith("(hidden)")]
    assert hidden and all(t.visibility == "after_published" for t in hidden)
    assert 0 < doc.score < sum(t.max_score for t in doc.tests)
    assert doc.score == sum(t.score for t in doc.tests)
    assert "hello from the student" in doc.output, "the submission's own output, shown to the student"
    assert doc.stdout_visibility == "hidden" and "Score: " in stdout  # the full report, for instructors
    assert "hidden checks" in doc.output and f"{doc.score:g}/" not in doc.output.splitlines()[0]


PRINTS_ITS_ARGUMENTS = """
print("hello at import")
_softmax = softmax


def softmax(z):
    print("softmax of", np.asarray(z, dtype=float).ravel()[:3].tolist())
    return _softmax(z)
"""


def test_gradescope_autograder_shows_hidden_inputs_printed_only_when_hidden_checks_show(autograders, tmp_path) -> None:
    """A submission that prints its arguments: what it printed while hidden checks ran (their
    inputs) is in no part of results.json students see before grades are published; what it
    printed at import and in public checks shows at once, as before."""
    printer = SOLUTION.read_text() + PRINTS_ITS_ARGUMENTS
    doc, stdout = gradescope_run(autograders["chapter1"], tmp_path, {"fundamentals.py": printer})
    assert doc.score == sum(t.max_score for t in doc.tests) == 20, "graded apart, scored as together"
    hidden_input = "[1000.0, 1001.0, 1002.0]"  # softmax_large_logits' own; no public check's
    early = [doc.output] + [f"{t.name}\n{t.output}" for t in doc.tests if t.visibility in ("visible", "after_due_date")]
    assert hidden_input not in "\n".join(early)
    assert "hello at import" in doc.output and "softmax of [-2.0, -0.5, 0.0]" in doc.output, doc.output
    later = by_name(doc)["what your code printed while hidden checks ran"]
    assert later.visibility == "after_published" and later.max_score == 0 and hidden_input in later.output
    assert doc.stdout_visibility == "hidden" and hidden_input in stdout, "the instructor's log has it"


def test_gradescope_autograder_refuses_links_and_a_hostile_submission_earns_nothing(autograders, tmp_path) -> None:
    """A repository upload: the module deep inside, a link beside it to the reference solution in
    the autograder's own course, and code that hunts for solutions on disk."""
    course = tmp_path / "source" / "course"
    hostile = (HOSTILE / "read_solutions" / "fundamentals.py").read_text().replace("{{COURSE}}", str(course))
    doc, _ = gradescope_run(autograders["chapter1"], tmp_path, {
        "fundamentals.py@link": course / "solutions/chapter1/fundamentals.py",
        "repo/exercises/chapter1/fundamentals.py": hostile,
    })  # fmt: skip
    tests = by_name(doc)
    # it finds nothing (KeyError), or its search of the disk runs out of time on a loaded machine
    assert tests["dense_params"].score == 0
    assert "KeyError" in tests["dense_params"].output or "limit was reached" in doc.output
    assert doc.score == 0, "the link is not graded and the solutions are out of the sandbox's sight"


@pytest.mark.skipif(os.geteuid() != 0 or not (shutil.which("setpriv") and shutil.which("unshare")),
                    reason="Gradescope's container is root: only root can stand in for it")
def test_gradescope_autograder_in_its_container_keeps_the_answer_key_and_its_points(autograders, tmp_path) -> None:
    """In a Docker-like root (no CAP_SYS_ADMIN, so no bubblewrap), a submission that prints the
    answer key and imports the reference finds neither, and an honest one keeps every point."""
    course = tmp_path / "hostile" / "source" / "course"
    printer = (HOSTILE / "print_the_answer_key" / "fundamentals.py").read_text().replace("{{COURSE}}", str(course))
    thief = "from solutions.chapter1.fundamentals import *\n" + printer
    doc, log = gradescope_run(autograders["chapter1"], tmp_path / "hostile", {"fundamentals.py": thief}, docker=True)
    assert "sandbox: Landlock and seccomp, no bubblewrap" in log, log[-2000:]
    shown = doc.model_dump_json()
    for secret in ("Hidden checks of chapter 1", "def model_params_random", "reference_sha256"):
        assert secret not in shown and secret not in log, secret
    assert doc.score <= 1, "only dense_params, which it writes itself"
    honest, _ = gradescope_run(autograders["chapter1"], tmp_path / "honest", {"fundamentals.py": SOLUTION}, docker=True)
    assert honest.score == sum(t.max_score for t in honest.tests) > 0


def test_gradescope_autograder_answers_an_upload_whose_names_are_not_utf8(autograders, tmp_path) -> None:
    """Two candidates, one named in bytes that are not UTF-8 (a surrogate here): results.json
    still says why nothing was graded, with the name escaped, rather than the run failing."""
    doc, _ = gradescope_run(autograders["chapter1"], tmp_path, {"\udcffwork.py": "x = 1\n", "b.py": "y = 2\n"})
    assert doc.score == 0 and "not exactly one .py" in doc.output and "\\xffwork.py" in doc.output, doc.output


def test_gradescope_autograder_grades_a_notebook(autograders, tmp_path) -> None:
    from grader.notebook import exercise_notebook, write_notebook

    notebook = tmp_path / "metrics.ipynb"
    write_notebook(exercise_notebook((ROOT / "solutions/chapter3/metrics.py").read_text()), notebook)
    doc, _ = gradescope_run(autograders["chapter3"], tmp_path / "root", {"metrics.ipynb": notebook})
    assert doc.score == sum(t.max_score for t in doc.tests) > 0
    assert all(t.status == "passed" for t in doc.tests)


def test_gradescope_autograder_shows_the_pictures_of_chapter7(autograders, tmp_path) -> None:
    solution = ROOT / "solutions/chapter7/gradcam.py"
    doc, _ = gradescope_run(autograders["chapter7"], tmp_path, {"gradcam.py": solution})
    pictured = [t for t in doc.tests if t.output_format == "html"]
    assert pictured, "the picture checks' outputs carry their pictures"
    for t in pictured:
        assert '<img src="data:image/png;base64,' in t.output and "picture of" in t.output
        data = t.output.split("base64,", 1)[1].split('"', 1)[0]
        import base64

        assert base64.b64decode(data).startswith(b"\x89PNG"), "a real PNG, inline"
    assert list((tmp_path / "results/pictures").glob("*.png"))


def test_gradescope_autograder_without_the_module_says_what_it_found(autograders, tmp_path) -> None:
    doc, _ = gradescope_run(autograders["chapter1"], tmp_path, {"notes.txt": "hi", "a.py": "", "b.py": ""})
    assert doc.score == 0 and all(t.score == 0 for t in doc.tests)
    assert "has no fundamentals.py" in doc.output and "a.py" in doc.output and "notes.txt" in doc.output


# --- GitHub Classroom ---------------------------------------------------------------------------


def test_a_classroom_release_holds_a_workflow_whose_grading_step_reports_points(tmp_path) -> None:
    release = tmp_path / "release"
    run = grade("release", str(release), "--classroom", "chapter1")
    assert run.returncode == 0, run.stderr
    text = (release / ".github/workflows/classroom.yml").read_text()
    doc = yaml.safe_load(text)
    assert doc["name"] == "Autograding Tests"
    assert doc[True] == ["push", "repository_dispatch", "workflow_dispatch"]  # YAML 1.1 reads `on` as True
    (job_name, job), = doc["jobs"].items()
    assert job_name == "run-autograding-tests" and job["runs-on"] == "ubuntu-latest"
    steps = job["steps"]
    assert [s.get("uses", "").split("@")[0] for s in steps[:2]] == ["actions/checkout", "actions/setup-python"]
    assert "pip install -q -e ." in steps[2]["run"]
    reporter = steps[-1]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert reporter["with"]["runners"] == "chapter1"
    assert reporter["env"] == {"CHAPTER1_RESULTS": "${{ steps.chapter1.outputs.result }}"}
    (step,) = [s for s in steps if s.get("id") == "chapter1"]

    # run the grading step as the runner would, in the release, on the stub and on a solution
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')  # the runner's python
    (bin_dir / "python").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the release's own engine

    def step_run(tag: str) -> tuple[dict, str]:
        output = tmp_path / f"github-output-{tag}"
        done = subprocess.run(["bash", "-c", step["run"]], cwd=release, capture_output=True, text=True,
                              env={**env, "PATH": f"{bin_dir}:{env['PATH']}", "GITHUB_OUTPUT": str(output)},
                              timeout=600)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        (line,) = output.read_text().splitlines()
        assert line.startswith("result=")
        import base64

        return json.loads(base64.b64decode(line.removeprefix("result="))), done.stdout

    result, stdout = step_run("stub")
    assert result["version"] == 1 and result["status"] == "fail" and result["max_score"] > 0
    assert all(t["score"] == 0 and t["status"] == "fail" for t in result["tests"])
    assert stdout.strip().splitlines()[-1] == f"Points 0/{result['max_score']:g}"
    points = result["max_score"]
    shutil.copy(SOLUTION, release / "exercises/chapter1/fundamentals.py")
    result, stdout = step_run("solution")
    assert result["status"] == "pass" and sum(t["score"] for t in result["tests"]) == points
    assert stdout.strip().splitlines()[-1] == f"Points {points:g}/{points:g}"
    names = {t["name"] for t in result["tests"]}
    assert "dense_params" in names and "model_params_random" not in names, "a student's copy: public checks"
