"""The `grade` command as a user runs it: output, JSON, exit codes, one-line errors."""

from __future__ import annotations

import pytest

import json
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import nbformat

from conftest import ROOT


def test_bad_input_is_one_line_and_exit_2(grade) -> None:
    for args, message in [
        (["chapter99"], "Error: no chapter 'chapter99'"),
        (["chapter1", "--submission", "/nonexistent.py"], "Error: no such file or folder"),
        (["validate", "chapterx"], "Error: no chapter 'chapterx'"),
    ]:
        run = grade(*args)
        assert run.returncode == 2, run.stderr
        assert run.stderr.strip().startswith(message), run.stderr
        assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_list_shows_chapters_and_checks(grade) -> None:
    run = grade("list")
    assert run.returncode == 0
    assert "chapter1" in run.stdout and "dense_params" in run.stdout and "hidden" in run.stdout


def test_grade_a_mistaken_file_as_json_and_as_text(tmp_path, grade) -> None:
    source = (ROOT / "solutions/chapter1/fundamentals.py").read_text()
    work = tmp_path / "fundamentals.py"
    work.write_text(source.replace("return input_size * units + (units if use_bias else 0)", "return input_size * units"))
    run = grade("chapter1", "--submission", str(work), "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    by_name = {c["name"]: c for c in result["checks"]}
    assert by_name["dense_params"]["status"] == "partial"
    assert "dense_params(3, 32, use_bias=True): expected 128, got 96" in by_name["dense_params"]["feedback"]
    assert by_name["relu"]["score"] == by_name["relu"]["points"]
    assert 0 < result["score"] < result["max_score"]
    assert result["environment"]["seed"] == 2026
    run = grade("chapter1", "--submission", str(tmp_path))
    assert run.returncode == 0
    assert "FAIL  mlp_params" in run.stdout and "expected 32, got 25" in run.stdout
    assert "Score: " in run.stdout and "seed 2026" in run.stdout


def test_grade_the_students_own_chapter_from_inside_it(grade) -> None:
    run = grade("chapter1", cwd=ROOT / "exercises" / "chapter1")
    assert run.returncode == 0, run.stderr
    assert "Score: 0/" in run.stdout
    assert "NotImplementedError" in run.stdout


def test_a_link_is_refused_in_one_line(tmp_path, grade) -> None:
    """`grade chapterN --submission LINK` refuses the link, as a batch does, and names its target."""
    (tmp_path / "mine.py").symlink_to(ROOT / "solutions/chapter1/fundamentals.py")
    run = grade("chapter1", "--submission", str(tmp_path / "mine.py"))
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "is a link (to " in run.stderr and "links are not followed" in run.stderr


# --- what a student reads: real submissions, rendered ----------------------------------------

SOLUTION = (ROOT / "solutions/chapter1/fundamentals.py").read_text()
DENSE = "return input_size * units + (units if use_bias else 0)"


def _student_course(root: Path) -> Path:
    """A course holding chapter 1 (exercises and solutions), to edit as a student would."""
    for part in ("exercises/chapter1", "solutions/chapter1"):
        shutil.copytree(ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _lines(text: str) -> list[str]:
    return click.unstyle(text).splitlines()


def test_scores_have_two_decimals_and_the_columns_line_up(tmp_path, grade) -> None:
    work = tmp_path / "fundamentals.py"
    work.write_text(SOLUTION.replace(DENSE, "return input_size * units if units < 40 else 0"))
    run = grade("chapter1", "--submission", str(work))
    assert run.returncode == 0, run.stderr
    rows = [line for line in _lines(run.stdout) if line[2:6] in ("PASS", "PART", "FAIL")]
    dense = next(r for r in rows if " dense_params " in r)
    assert " 0.17/1 " in dense and "0.1667" not in run.stdout, dense
    lines = _lines(run.stdout)
    below = lines[lines.index(dense) + 1:lines.index(next(r for r in rows if " mlp_params " in r))]
    assert "        1 of 6 cases passed" in below, below  # a PART says how many of its cases passed
    ends = {r.index("/") + 2 for r in rows if r.split()[2].endswith("/1")}
    assert len(ends) == 1, rows  # the scores' column is one column
    assert re.search(r"^Score: \d+\.\d{2}/20 ", click.unstyle(run.stdout), re.M), run.stdout


def test_an_import_failure_is_said_once_with_the_students_line(tmp_path, grade) -> None:
    work = tmp_path / "fundamentals.py"
    work.write_text("import numpy as np\nfrom nowhere import helper\n\n" + SOLUTION)
    text = " ".join(line.strip() for line in _lines(grade("chapter1", "--submission", str(work)).stdout))
    assert text.count("could not be imported") == 1, text
    assert "No module named 'nowhere' (fundamentals.py, line 2: from nowhere import helper)" in text
    assert "nowhere is not installed where grading runs: the grader has TensorFlow/Keras, NumPy" in text


def test_an_import_failure_shows_the_students_call_chain(tmp_path, grade) -> None:
    """The call at module level that started it, and each of the student's lines down to the
    one that raised, each on a line of its own."""
    work = tmp_path / "fundamentals.py"
    work.write_text(SOLUTION + "\n\ndef _scale(n):\n    return missing_name * n\n\n\ndef table(n):\n"
                    "    return [_scale(i) for i in range(n)]\n\n\nTABLE = table(3)\n")
    lines = [line.strip() for line in _lines(grade("chapter1", "--submission", str(work)).stdout)]
    text = " ".join(lines)  # lines wrapped to the terminal's width joined again
    end = len(SOLUTION.splitlines())
    assert (f"NameError: name 'missing_name' is not defined (fundamentals.py, line {end + 4}: return missing_name * n) "
            f"called from fundamentals.py, line {end + 8}: return [_scale(i) for i in range(n)] "
            f"called from fundamentals.py, line {end + 11}: TABLE = table(3)") in text, text
    assert sum(line.startswith("called from fundamentals.py") for line in lines) == 2  # each on a line of its own
    assert text.count("could not be imported") == 1


def test_a_syntax_error_shows_the_line_and_a_caret(tmp_path, grade) -> None:
    work = tmp_path / "fundamentals.py"
    work.write_text(SOLUTION.replace("def relu(z):", "def relu(z:"))
    lines = _lines(grade("chapter1", "--submission", str(work)).stdout)
    at = next(i for i, line in enumerate(lines) if line.strip() == "def relu(z:")
    caret = lines[at + 1]
    assert caret.strip() == "^" and caret.index("^") == lines[at].index("(z:"), lines[at : at + 2]  # "'('" was never closed


def test_tensorflows_internal_wording_is_cut_to_its_meaning(tmp_path, grade) -> None:
    work = tmp_path / "fundamentals.py"
    work.write_text(SOLUTION.replace(DENSE, "import tensorflow as tf\n    return int(tf.gather(tf.constant([1, 2, 3]), [5])[0])"))
    text = " ".join(line.strip() for line in _lines(grade("chapter1", "--submission", str(work)).stdout))
    assert "indices[0] = 5 is not in [0, 3) (in TensorFlow's tf.gather)" in text, text
    assert "(fundamentals.py, line 14: return int(tf.gather(" in text
    assert "function_node" not in text and "job:localhost" not in text and "[Op:" not in text


@pytest.mark.slow
def test_lines_fit_the_terminal_and_the_sandbox_is_one_line(tmp_path, grade) -> None:
    work = tmp_path / "fundamentals.py"
    work.write_text(SOLUTION.replace(DENSE, "return input_size * units"))
    run = subprocess.run([sys.executable, "-m", "grader.cli", "chapter1", "--submission", str(work)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "60"})
    lines = _lines(run.stdout)
    assert max(len(line) for line in lines) <= 60, max(lines, key=len)
    assert any(line.startswith("        ") and "expected" in line for line in lines)  # wrapped, indented
    assert [line for line in lines if "sandbox:" in line] == ["  sandbox: bubblewrap and Landlock (--verbose: all)"]
    verbose = " ".join(line.strip() for line in _lines(grade("chapter1", "--submission", str(work), "--verbose").stdout))
    assert "own PID namespace" in verbose and "--verbose: all" not in verbose


def test_another_chapters_work_is_named(tmp_path, grade) -> None:
    work = tmp_path / "metrics.py"
    shutil.copy2(ROOT / "solutions/chapter3/metrics.py", work)
    run = grade("chapter1", "--submission", str(work), "--only", "relu")
    assert "this looks like chapter 3's metrics.py, not chapter1's fundamentals.py; grade it with `grade chapter3`" in run.stdout


def test_chapter_help_only_and_the_json_stays_clean(tmp_path, grade) -> None:
    usage = grade("chapter1", "--help").stdout
    assert usage.startswith("Usage: grade chapter1 [OPTIONS]\n"), usage
    work = tmp_path / "fundamentals.py"
    work.write_text(SOLUTION)
    run = grade("chapter1", "--submission", str(work), "--only", "relu", "--only", "dense_params", "--json")
    result = json.loads(run.stdout)
    assert [c["name"] for c in result["checks"]] == ["dense_params", "relu"] and result["max_score"] == 2
    bad = grade("chapter1", "--only", "rellu")
    assert bad.returncode == 2 and "no check 'rellu' in chapter1. Did you mean relu?" in bad.stderr


@pytest.mark.slow
def test_a_spinner_on_a_terminal_and_none_with_json(tmp_path) -> None:
    """stderr on a pseudo-terminal: the spinner is drawn there, and never with --json."""
    work = tmp_path / "fundamentals.py"
    work.write_text(SOLUTION)
    shown = {}
    for flags in ((), ("--json",)):
        leader, follower = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "grader.cli", "chapter1", "--submission", str(work),
                                 "--only", "relu", *flags], cwd=ROOT, stdout=subprocess.PIPE, stderr=follower)
        os.close(follower)
        out, err = proc.communicate(timeout=600)[0], b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
        os.close(leader)
        shown[flags] = (out.decode(), err.decode(errors="replace"))
    assert "grading chapter1" in shown[()][1]
    assert "grading" not in shown[("--json",)][1]
    assert json.loads(shown[("--json",)][0])["score"] == 1


@pytest.mark.slow
def test_grade_chapter_finds_the_notebook_and_says_which_of_two_edited_files_it_graded(tmp_path, grade) -> None:
    course = _student_course(tmp_path / "course")
    here = course / "exercises" / "chapter1"
    assert grade("notebook", "chapter1", "--course", str(course), cwd=here).returncode == 0
    notebook = here / "fundamentals.ipynb"
    # the notebook alone holds edits: it is graded
    nb = nbformat.read(str(notebook), as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("def relu("))
    cell.source = "def relu(z):\n    return np.maximum(z, 0)"
    nbformat.write(nb, str(notebook))
    result = json.loads(grade("chapter1", "--json", "--only", "relu", cwd=here).stdout)
    assert result["submission"].endswith("fundamentals.ipynb") and result["score"] == 1
    # both hold edits: the one saved last is graded, and one line says how to grade the other
    time.sleep(0.01)
    (here / "fundamentals.py").write_text(SOLUTION)
    run = grade("chapter1", "--only", "relu", cwd=here)
    notes = [line for line in _lines(run.stdout) if line.startswith("note:")]
    assert notes == ["note: both fundamentals.py and fundamentals.ipynb hold edits: graded fundamentals.py "
                     "(saved last); to grade the other: grade chapter1 --submission fundamentals.ipynb"], run.stdout
    # an untouched notebook beside an edited .py: the .py, silently
    assert grade("notebook", "chapter1", "--force", cwd=here).returncode == 0
    run = grade("chapter1", "--only", "relu", cwd=here)
    text = " ".join(line.strip() for line in _lines(run.stdout))
    assert "submission: fundamentals.py " in text and "note:" not in text, text


@pytest.mark.slow
def test_watch_grades_again_when_the_file_is_saved(tmp_path) -> None:
    work = tmp_path / "fundamentals.py"
    work.write_text(SOLUTION.replace("return np.maximum(np.asarray(z), 0.0)", "return np.asarray(z)"))
    proc = subprocess.Popen([sys.executable, "-m", "grader.cli", "chapter1", "--submission", str(work), "--only",
                             "relu", "--watch"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = _read_until(proc, "Score: ")
        assert not seen[-1].startswith("Score: 1/1"), seen
        work.write_text(SOLUTION)
        assert _read_until(proc, "Score: ")[-1].startswith("Score: 1/1"), "graded again after the save"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)


def _read_until(proc: subprocess.Popen, start: str) -> list[str]:
    lines = []
    for line in proc.stdout:
        lines.append(click.unstyle(line))
        if lines[-1].startswith(start):
            return lines
    raise AssertionError(f"the process ended: {lines}")
