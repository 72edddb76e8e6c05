"""Where instructors grade: a roster and LMS downloads (Canvas, Moodle) into the CSVs those LMSs
import, and a Gradescope autograder run as Gradescope runs it (GitHub Classroom:
tests/test_classroom.py)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict

from grader.batch import Entry
from grader.errors import BadInput
from grader.platforms.lms import Student, match_roster

from conftest import ROOT
from modes import needed_paths, path_without_bwrap, reveal_script

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

