"""The `grade` command as a user runs it: output, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT


def grade(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "grader.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_bad_input_is_one_line_and_exit_2() -> None:
    for args, message in [
        (["chapter99"], "Error: no chapter 'chapter99'"),
        (["chapter1", "--submission", "/nonexistent.py"], "Error: no such file or folder"),
        (["validate", "chapterx"], "Error: no chapter 'chapterx'"),
    ]:
        run = grade(*args)
        assert run.returncode == 2, run.stderr
        assert run.stderr.strip().startswith(message), run.stderr
        assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_list_shows_chapters_and_checks() -> None:
    run = grade("list")
    assert run.returncode == 0
    assert "chapter1" in run.stdout and "dense_params" in run.stdout and "hidden" in run.stdout


def test_grade_a_mistaken_file_as_json_and_as_text(tmp_path) -> None:
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


def test_grade_the_students_own_chapter_from_inside_it() -> None:
    run = grade("chapter1", cwd=ROOT / "exercises" / "chapter1")
    assert run.returncode == 0, run.stderr
    assert "Score: 0/" in run.stdout
    assert "NotImplementedError" in run.stdout


def test_a_link_is_refused_in_one_line(tmp_path) -> None:
    """`grade chapterN --submission LINK` refuses the link, as a batch does, and names its target."""
    (tmp_path / "mine.py").symlink_to(ROOT / "solutions/chapter1/fundamentals.py")
    run = grade("chapter1", "--submission", str(tmp_path / "mine.py"))
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "is a link (to " in run.stderr and "links are not followed" in run.stderr
