"""The student release: no solutions/ and no hidden check in it; public checks judged against
the recorded observations; stale recordings stop the release and fail `grade validate`.

The release tests work on a copy of the course holding chapter 1 only, so that a chapter being
written (and not yet recorded) elsewhere does not fail them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from grader.course import Course
from grader.errors import BadInput
from grader.recorded import load_recording, recorded_reference, staleness
from grader.release import release_files, secrets, write_release
from grader.session import Session
from grader.submission import Submission

from conftest import ROOT
from wheels import INSTALL_ENV, offline_pip, wheelhouse

pytestmark = pytest.mark.slow  # student releases graded as a student would


def _small_course(root):
    """chapter 1 of the course, with its solutions, engine and README."""
    for part in ("exercises/chapter1", "solutions/chapter1", "grader"):
        shutil.copytree(ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("README.md", "pyproject.toml", "requirements.lock"):
        shutil.copy2(ROOT / name, root / name)
    return Course(root)


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    course = _small_course(tmp_path_factory.mktemp("course"))
    out = tmp_path_factory.mktemp("release") / "student"
    write_release(course, out)
    return course, out


def _all_text(root) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text(errors="replace") for p in root.rglob("*") if p.is_file()}


def test_the_release_holds_no_solution_file_and_no_hidden_check(release) -> None:
    course, out = release
    files = _all_text(out)
    assert "exercises/chapter1/expected.json" in files and "exercises/chapter1/fundamentals.py" in files
    assert "grader/cli.py" in files and "README.md" in files
    assert not (out / "solutions").exists() and not (out / "tests").exists()
    assert not any(name.endswith(("hidden_checks.py", "oracle.py")) for name in files)
    hidden = (course.root / "solutions/chapter1/hidden_checks.py").read_text()
    forbidden = [p.read_text().strip() for p in (course.root / "solutions").rglob("*") if p.is_file()]
    forbidden += [hidden.split("def ")[i].split("\n")[0] for i in range(1, hidden.count("def ") + 1)]
    forbidden += ["model_params_random", "softmax_large_logits", "return input_size * units + (units"]
    for name, text in files.items():
        for secret in forbidden:
            assert secret not in text, f"{name} contains {secret[:60]!r}"


def test_no_file_the_full_course_would_ship_contains_solution_text() -> None:
    course = Course(ROOT)
    shipped = release_files(course)
    assert not any(p.parts[0] in ("solutions", "tests") for p in shipped)
    hidden = secrets(course)
    assert any("hidden_checks.py: shapes_random" in k for k in hidden)  # the scan sees them
    for rel in shipped:
        text = (ROOT / rel).read_text(errors="replace")
        leaked = [where for where, secret in hidden.items() if secret in text]
        assert not leaked, f"{rel} contains {leaked}"


def test_in_the_release_public_checks_judge_against_the_recording(release, tmp_path) -> None:
    course, out = release
    student = Course(out)
    chapter = student.chapter("chapter1")
    assert chapter.solution_dir is None and not any(c.hidden for c in chapter.checks)
    solution = (course.root / "solutions/chapter1/fundamentals.py").read_text()
    (out / "exercises/chapter1/fundamentals.py").write_text(solution)  # as a student would
    with Session(student) as session:
        result = session.grade(chapter, Submission("solution", solution))
        assert result.score == result.max_score == sum(c.points for c in chapter.checks) > 0
        assert not any(c.hidden for c in result.checks)
        stub = (course.root / "exercises/chapter1/fundamentals.py").read_text()
        assert session.grade(chapter, Submission("stub", stub)).score == 0
    with pytest.raises(BadInput, match="recorded with seed 2026: leave out --seed"):
        recorded_reference(chapter, 7)
    run = subprocess.run([sys.executable, "-m", "grader.cli", "chapter1"], cwd=out / "exercises" / "chapter1",
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "Score: 14/14 public; 6 more points in hidden checks at grading time" in run.stdout, run.stdout
    assert "All public checks passed." in run.stdout


def test_the_release_refuses_a_non_empty_folder_and_a_stale_recording(tmp_path) -> None:
    course = _small_course(tmp_path / "course")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(BadInput, match="not an empty folder"):
        write_release(course, tmp_path / "full")
    solution = course.root / "solutions/chapter1/fundamentals.py"
    solution.write_text(solution.read_text() + "\n# changed\n")
    with pytest.raises(BadInput, match="stale: run `grade record chapter1` first"):
        write_release(course, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_release_would_stop_on_a_solution_copied_into_exercises(tmp_path) -> None:
    course = _small_course(tmp_path / "course")
    shutil.copy2(course.root / "solutions/chapter1/oracle.py", course.root / "exercises/chapter1/helper.py")
    with pytest.raises(BadInput, match="exercises/chapter1/helper.py contains the text of solutions/chapter1/"):
        write_release(course, tmp_path / "out")


def test_a_stale_recording_names_the_command_to_run(tmp_path) -> None:
    course = _small_course(tmp_path / "course")
    chapter = course.chapter("chapter1")
    live = dict(load_recording(chapter).observations)
    n = len(chapter.checks) - sum(c.hidden for c in chapter.checks)
    assert staleness(chapter, live) == (n, n, None)
    changed = live["relu"].cases[0].model_copy(update={"value": 5.0})
    wrong = {**live, "relu": live["relu"].model_copy(update={"cases": [changed, *live["relu"].cases[1:]]})}
    matching, total, problem = staleness(chapter, wrong)
    assert (matching, total) == (n - 1, n)
    assert problem == ("recorded observations of chapter1 are stale (differ from the reference on relu): "
                       "run `grade record chapter1`")
    solution = course.root / "solutions/chapter1/fundamentals.py"
    solution.write_text(solution.read_text() + "\n# refactored\n")
    assert "the reference solution changed" in staleness(chapter, live)[2]
    (chapter.exercise_dir / "expected.json").unlink()
    assert "no recorded observations" in staleness(chapter, live)[2]


# --- the student's release, installed and run as a student would ------------------------------

STUDENT = "tfgrader-student"


def test_the_release_is_the_students_package(release) -> None:
    _, out = release
    readme = (out / "README.md").read_text()
    for step in ("## 1. Install", "## 2. Work in a notebook", "notebook_check(\"chapter1\")", "## 3. Read the feedback",
                 "**PASS**", "**PART**", "**FAIL**", "## 4. Hand in", "| chapter1 | `fundamentals.py` |"):
        assert step in readme, step
    assert "| 14 | 6 |" in readme  # public and hidden points of chapter 1
    for instructor in ("solutions/", "grade record", "grade validate", "grade batch", "grade release", "mutant"):
        assert instructor not in readme, instructor
    setup = (out / "setup").read_text()
    assert os.access(out / "setup", os.X_OK) and "pip install" in setup and "-e ." in setup
    assert "test" not in setup and "dask" not in setup and not (out / ".ci").exists()
    assert json.loads((out / "exercises/chapter1/hidden.json").read_text()) == {"checks": 3, "points": 6.0}


@pytest.mark.skipif(os.environ.get(INSTALL_ENV) != "1",
                    reason="installs TensorFlow in a fresh venv (minutes): set TF_GRADER_INSTALL_TEST=1")
def test_the_release_installs_and_grades_as_a_student_without_bubblewrap(release) -> None:
    """As a user who is not root, with no bwrap on PATH, from a wheel cache: ./setup, then
    `grade chapter1` scores what the instructor's sandboxed grade scores, and says in one line
    that Landlock and seccomp, not bubblewrap, were in force."""
    if os.geteuid() != 0 or not shutil.which("setpriv") or not Path("/usr/bin/python3").is_file():
        pytest.skip("needs root (to become a student user), setpriv and /usr/bin/python3")
    _, out = release
    base = Path(tempfile.mkdtemp(prefix="tfg-student-", dir="/tmp"))
    try:
        shutil.copytree(out, base / "course", symlinks=True)
        bin_dir = base / "bin"  # what is on this machine's PATH, bwrap left out
        bin_dir.mkdir()
        for tool in Path("/usr/bin").iterdir():
            if tool.name != "bwrap":
                (bin_dir / tool.name).symlink_to(tool)
        (base / "home").mkdir()
        if subprocess.run(["id", STUDENT], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", STUDENT], check=True)
        uid, gid = (int(subprocess.run(["id", flag, STUDENT], capture_output=True, text=True).stdout) for flag in ("-u", "-g"))
        subprocess.run(["chown", "-R", f"{uid}:{gid}", str(base)], check=True)
        base.chmod(0o755)
        env = {"PATH": str(bin_dir), "HOME": str(base / "home"), "PYTHON": "/usr/bin/python3", "LANG": "C.UTF-8",
               **offline_pip(wheelhouse())}

        def as_student(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
            return subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--", *argv],
                                  cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)

        course = base / "course"
        started = time.monotonic()
        setup = as_student(str(course / "setup"), cwd=course)
        assert setup.returncode == 0, setup.stderr[-3000:]
        assert "bubblewrap is not installed" in setup.stderr
        size = subprocess.run(["du", "-sh", str(course / ".venv")], capture_output=True, text=True).stdout.split()[0]
        print(f"\nsetup: {time.monotonic() - started:.0f} s, .venv {size}")  # for the README, with -s
        freeze = as_student(str(course / ".venv/bin/python"), "-m", "pip", "freeze", cwd=course).stdout.lower()
        assert "tensorflow" in freeze and "pytest" not in freeze and "distributed" not in freeze

        work = course / "exercises/chapter1/fundamentals.py"
        mistaken = (ROOT / "solutions/chapter1/fundamentals.py").read_text().replace(
            "return input_size * units + (units if use_bias else 0)", "return input_size * units")
        work.write_text(mistaken)
        os.chown(work, uid, gid)
        graded = as_student(str(course / ".venv/bin/grade"), "chapter1", "--json", cwd=work.parent)
        assert graded.returncode == 0, graded.stderr[-3000:]
        theirs = json.loads(graded.stdout)
        assert any(i.startswith("no bubblewrap here") for i in theirs["environment"]["isolation"])
        text = as_student(str(course / ".venv/bin/grade"), "chapter1", cwd=work.parent).stdout
        assert "sandbox: Landlock and seccomp, no bubblewrap" in text
        assert "6 more points in hidden checks at grading time" in text
        ours = subprocess.run([sys.executable, "-m", "grader.cli", "chapter1", "--submission", str(work), "--json"],
                              cwd=ROOT, capture_output=True, text=True, timeout=600)
        mine = json.loads(ours.stdout)
        assert any(i.startswith("bubblewrap:") for i in mine["environment"]["isolation"])
        public = {c["name"]: c["score"] for c in mine["checks"] if not c["hidden"]}
        assert {c["name"]: c["score"] for c in theirs["checks"]} == public
        assert 0 < theirs["score"] < theirs["max_score"]
    finally:
        shutil.rmtree(base, ignore_errors=True)
