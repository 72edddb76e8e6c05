"""The stack a course is judged on: each recording names the versions that made it, `grade
chapterN` says in one line when it runs on others, `grade validate` names both."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import _stacks
from grader.course import Course
from grader.errors import BadInput
from grader.models import Stack
from grader.recorded import load_recording, other_stack_note, recorded_path, recorded_stack

from conftest import ROOT

pytestmark = pytest.mark.slow  # recording and grading on another stack's versions

COLAB = Stack(python="3.13.0", tensorflow="2.20.0", keras="3.13.2", numpy="2.5.5")


def _course(root: Path) -> Course:
    """Chapters 1 and 2 of the course, exercises and solutions."""
    for part in ("exercises/chapter1", "exercises/chapter2", "solutions/chapter1", "solutions/chapter2"):
        shutil.copytree(ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    return Course(root)


def _restack(course: Course, name: str, stack: Stack) -> None:
    path = recorded_path(course.chapter(name))
    data = json.loads(path.read_text())
    data["stack"] = stack.model_dump()
    path.write_text(json.dumps(data))


def _running() -> Stack:
    """The stack this test runs on, read here as the worker reads it."""
    import keras
    import numpy
    import tensorflow as tf

    return Stack(python=sys.version.split()[0], tensorflow=tf.__version__, keras=keras.__version__,
                 numpy=numpy.__version__)  # fmt: skip


def test_every_recording_names_the_stack_that_made_it() -> None:
    course = Course(ROOT)
    stacks = {load_recording(c).stack for c in course.chapters.values()}
    assert len(stacks) == 1
    assert all(stacks.pop().model_dump().values())


def test_the_note_names_only_the_versions_that_differ(tmp_path) -> None:
    course = _course(tmp_path)
    chapter = course.chapter("chapter1")
    recorded = recorded_stack(chapter)
    assert other_stack_note(chapter, recorded) is None
    same_python = COLAB.model_copy(update={"python": recorded.python, "numpy": recorded.numpy})
    assert other_stack_note(chapter, same_python) == (
        f"graded on TensorFlow 2.20.0, Keras 3.13.2; chapter1's reference was recorded on "
        f"TensorFlow {recorded.tensorflow}, Keras {recorded.keras}")
    recorded_path(chapter).unlink()
    assert recorded_stack(chapter) is None and other_stack_note(chapter, COLAB) is None


def test_a_recording_without_its_stack_is_refused_in_one_line(tmp_path) -> None:
    course = _course(tmp_path)
    path = recorded_path(course.chapter("chapter1"))
    data = json.loads(path.read_text())
    del data["stack"]
    path.write_text(json.dumps(data))
    with pytest.raises(BadInput, match=r"^cannot read .*expected.json: 1 validation error") as caught:
        load_recording(course.chapter("chapter1"))
    assert "\n" not in str(caught.value)


def test_validate_names_the_running_stack_and_each_recordings(tmp_path) -> None:
    course = _course(tmp_path)
    chapters = [course.chapter("chapter1"), course.chapter("chapter2")]
    recorded = recorded_stack(chapters[0])
    assert _stacks(recorded, chapters) == [f"running on {recorded}", f"recordings made on {recorded} (the same)"]
    _restack(course, "chapter2", COLAB)
    assert _stacks(COLAB, chapters) == [
        f"running on {COLAB}",
        f"recordings of chapter1 made on {recorded} (other Python, TensorFlow, Keras, NumPy)",
        f"recordings of chapter2 made on {COLAB} (the same)",
    ]


def test_record_writes_the_running_stack_and_grade_notes_another(tmp_path) -> None:
    """`grade record` stores the worker's versions; `grade chapter1` on a recording made
    elsewhere says so on stderr, one line, and its JSON on stdout is untouched."""
    course = _course(tmp_path)

    def grade(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "grader.cli", *args, "--course", str(tmp_path)],
                              capture_output=True, text=True, timeout=600)  # fmt: skip

    run = grade("record", "chapter1")
    assert run.returncode == 0, run.stderr
    running = recorded_stack(course.chapter("chapter1"))
    assert running == _running()
    solution = tmp_path / "solutions/chapter1/fundamentals.py"
    run = grade("chapter1", "--submission", str(solution), "--json")
    assert run.returncode == 0 and "note:" not in run.stderr, run.stderr
    _restack(course, "chapter1", running.model_copy(update={"keras": "3.0.0"}))
    run = grade("chapter1", "--submission", str(solution), "--json")
    assert run.returncode == 0, run.stderr
    notes = [line for line in run.stderr.splitlines() if line.startswith("note:")]
    assert notes == [f"note: graded on Keras {running.keras}; chapter1's reference was recorded on Keras 3.0.0"]
    assert json.loads(run.stdout)["environment"]["keras"] == running.keras


# --- benchmarks/other_stack.sh: the course validated on Colab's stack --------------------------

SCRIPT = ROOT / "benchmarks/other_stack.sh"


def test_the_colab_stack_is_pinned_exactly_with_hashes() -> None:
    """Colab's versions, every package of tf-grader's (no extras) pinned, each with its hashes."""
    from test_lock import pins

    locked = pins(ROOT / "benchmarks/colab-stack.txt")
    assert locked["tensorflow"][0] == "2.20.0" and locked["keras"][0] == "3.13.2"
    assert {"numpy", "pydantic", "click", "nbformat", "matplotlib"} <= set(locked)
    assert "pytest" not in locked and all(hashes for _, _, hashes in locked.values())


@pytest.mark.parametrize("env,message", [
    ({"OTHER_STACK_LIST": "/nonexistent.txt"}, "error: no pinned list /nonexistent.txt"),
    ({"OTHER_STACK_PYTHON": "no-such-python3.13"}, "error: no-such-python3.13 does not run (set OTHER_STACK_PYTHON)"),
])  # fmt: skip
def test_the_script_says_in_one_line_what_it_lacks(tmp_path, env, message) -> None:
    venv = tmp_path / "venv"
    run = subprocess.run([str(SCRIPT)], env={**os.environ, "OTHER_STACK_VENV": str(venv), **env},
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 2 and run.stderr.strip() == message, run.stderr
    assert not venv.exists()


def test_notebook_check_notes_another_stack(tmp_path) -> None:
    """On Colab the student grades from the notebook: the same one line is among its notes."""
    import nbformat
    from nbformat import v4

    from grader.in_notebook import notebook_check

    course = _course(tmp_path / "course")
    running = _running()
    _restack(course, "chapter1", running.model_copy(update={"tensorflow": "2.0.0"}))
    path = tmp_path / "work.ipynb"
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell((ROOT / "solutions/chapter1/fundamentals.py").read_text())]),
                   str(path))  # fmt: skip
    report = notebook_check("chapter1", "relu", notebook=path, course=course.root)
    assert report.error is None and report.score == report.result.max_score > 0, report
    assert f"graded on TensorFlow {running.tensorflow}; chapter1's reference was recorded on TensorFlow 2.0.0" \
        in report.notes
