"""The student release: no solutions/ and no hidden check in it; public checks judged against
the recorded observations; stale recordings stop the release and fail `grade validate`.

The release tests work on a copy of the course holding chapter 1 only, so that a chapter being
written (and not yet recorded) elsewhere does not fail them."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from grader.course import Course
from grader.errors import BadInput
from grader.recorded import load_recording, recorded_reference, staleness
from grader.release import release_files, secrets, write_release
from grader.session import Session
from grader.submission import Submission

from conftest import ROOT


def _small_course(root):
    """chapter 1 of the course, with its solutions, engine and README."""
    for part in ("exercises/chapter1", "solutions/chapter1", "grader"):
        shutil.copytree(ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("README.md", "pyproject.toml"):
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
    assert "All public checks passed; hidden checks run at grading time." in run.stdout


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
    with pytest.raises(BadInput, match="exercises/chapter1/helper.py contains the text of solutions/chapter1/oracle.py"):
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
