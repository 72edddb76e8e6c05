"""GitHub Classroom end to end, offline: a release's workflow, its grading step run as the
runner runs it, and GitHub's own reporter action (vendored: tests/data/autograding-grading-
reporter/SOURCE.md) run with node on that step's output, for a notebook at the repository root
(where the student README asks for the work), a module in exercises/, and no work at all."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from pydantic import BaseModel

from grader.platforms.classroom import ClassroomResult

from conftest import ROOT

pytestmark = pytest.mark.slow  # releases, workflows and the reporter under node

REPORTER = ROOT / "tests/data/autograding-grading-reporter/main.js"
SOLUTION = ROOT / "solutions/chapter1/fundamentals.py"
NO_BIAS = ("return input_size * units + (units if use_bias else 0)", "return input_size * units")
STEP_OUTPUT = re.compile(r"^\$\{\{ steps\.(\w+)\.outputs\.result \}\}$")
NOTICE = re.compile(r"^::notice title=Autograding complete::Points ([\d.]+)/([\d.]+)$", re.M)
NODE = shutil.which("node")


class Step(BaseModel):
    """A grading step as the runner ran it."""

    returncode: int
    stdout: str
    stderr: str
    result: ClassroomResult | None  # the `result` output it wrote


class Reported(BaseModel):
    """What the reporter action did with the steps' results."""

    returncode: int
    stdout: str
    points: tuple[float, float] | None  # the `Points X/Y` notice Classroom reads


@pytest.fixture
def release(tmp_path) -> Path:
    out = tmp_path / "release"
    run = _grade(ROOT, "release", str(out), "--classroom", "chapter1", env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr
    return out


def _grade(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip


def _steps(release: Path) -> list[dict]:
    (job,) = yaml.safe_load((release / ".github/workflows/classroom.yml").read_text())["jobs"].values()
    return job["steps"]


def _runner_env(tmp_path: Path) -> dict[str, str]:
    """The runner's shell: `python` on PATH, and the release's own engine (no PYTHONPATH)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (bin_dir / "python").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return {**env, "PATH": f"{bin_dir}:{env['PATH']}"}


def run_grading_step(release: Path, tmp_path: Path) -> Step:
    (step,) = [s for s in _steps(release) if s.get("id") == "chapter1"]
    output = tmp_path / "github-output"
    output.unlink(missing_ok=True)
    env = {**_runner_env(tmp_path), "GITHUB_OUTPUT": str(output)}
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=release, env=env, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    lines = output.read_text().splitlines() if output.exists() else []
    assert len(lines) <= 1 and all(line.startswith("result=") for line in lines), lines
    result = ClassroomResult.model_validate_json(base64.b64decode(lines[0].removeprefix("result="))) if lines else None
    return Step(returncode=done.returncode, stdout=done.stdout, stderr=done.stderr, result=result)


def run_reporter(release: Path, outputs: dict[str, str]) -> Reported:
    """The reporter step as the runner starts a node action: its `with:` inputs as INPUT_<NAME>
    (what @actions/core's getInput reads), its `env:` with each `${{ steps.ID.outputs.result }}`
    replaced by that step's output (empty where the step wrote none, as on GitHub)."""
    reporter = _steps(release)[-1]
    env = {"PATH": os.environ["PATH"], **{f"INPUT_{k.upper()}": str(v) for k, v in reporter["with"].items()}}
    for name, value in reporter["env"].items():
        env[name] = outputs.get(STEP_OUTPUT.match(value)[1], "")
    done = subprocess.run([NODE, str(REPORTER)], env=env, capture_output=True, text=True, timeout=60)
    found = NOTICE.findall(done.stdout)
    assert len(found) <= 1, done.stdout
    points = (float(found[0][0]), float(found[0][1])) if found else None
    return Reported(returncode=done.returncode, stdout=done.stdout + done.stderr, points=points)


def graded_and_reported(release: Path, tmp_path: Path) -> tuple[Step, Reported]:
    step = run_grading_step(release, tmp_path)
    outputs = {"chapter1": base64.b64encode(step.result.model_dump_json().encode()).decode()} if step.result else {}
    return step, run_reporter(release, outputs)


def _points_line(stdout: str) -> tuple[float, float]:
    last = stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"Points [\d.]+/[\d.]+", last), stdout[-2000:]
    got, of = last.removeprefix("Points ").split("/")
    return float(got), float(of)


needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed: the reporter action is a node action")


def test_the_workflow_runs_the_vendored_reporter_after_a_grading_step_that_never_fails_on_a_score(release) -> None:
    doc = yaml.safe_load((release / ".github/workflows/classroom.yml").read_text())
    assert doc["name"] == "Autograding Tests"  # Classroom looks for this workflow and job by name
    assert doc[True] == ["push", "repository_dispatch", "workflow_dispatch"]  # YAML 1.1 reads `on` as True
    (job_name, job), = doc["jobs"].items()
    assert job_name == "run-autograding-tests" and job["runs-on"] == "ubuntu-latest"
    steps = job["steps"]
    assert [s.get("uses", "").split("@")[0] for s in steps[:2]] == ["actions/checkout", "actions/setup-python"]
    assert [s.get("id") for s in steps[3:-1]] == ["chapter1"]
    reporter = steps[-1]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"  # SOURCE.md: tag v1
    assert "if" not in reporter, "as in the reporter's README: it runs because grading steps exit 0"
    assert reporter["with"] == {"runners": "chapter1"}
    assert reporter["env"] == {"CHAPTER1_RESULTS": "${{ steps.chapter1.outputs.result }}"}
    recorded = re.search(r"sha256 of main.js: (\w+)", (REPORTER.parent / "SOURCE.md").read_text())[1]
    assert hashlib.sha256(REPORTER.read_bytes()).hexdigest() == recorded, "the vendored reporter was changed"


@needs_node
def test_a_notebook_at_the_repository_root_is_graded_and_reported_in_full(release, tmp_path) -> None:
    """The student README's way: `grade notebook chapter1` at the root, the tasks filled in there;
    exercises/chapter1/fundamentals.py stays the stub."""
    made = _grade(release, "notebook", "chapter1", env=_runner_env(tmp_path))
    assert made.returncode == 0, made.stderr
    notebook = release / "fundamentals.ipynb"
    nb = nbformat.read(str(notebook), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(SOLUTION.read_text()))  # the student's work, last
    nbformat.write(nb, str(notebook))
    step, reported = graded_and_reported(release, tmp_path)
    assert step.returncode == 0, step.stderr
    assert "submission: fundamentals.ipynb" in step.stdout
    full = step.result.max_score
    assert full > 0 and _points_line(step.stdout) == (full, full)
    assert step.result.status == "pass" and all(t.status == "pass" for t in step.result.tests)
    assert reported.points == (full, full), reported.stdout
    assert reported.returncode == 0, reported.stdout
    assert f"Total points for chapter1: {full:.2f}/{full:g}" in reported.stdout


@needs_node
def test_a_module_with_partial_credit_reaches_classroom_by_score(release, tmp_path) -> None:
    """A module in exercises/chapter1/ that loses some points: Classroom's notice sums the
    tests' scores (src/notify-classroom.js); the reporter's own table counts passed tests only
    (src/helpers/test-helpers.js getTestScore), so it shows less than the notice."""
    module = release / "exercises/chapter1/fundamentals.py"
    module.write_text(SOLUTION.read_text().replace(*NO_BIAS))
    step, reported = graded_and_reported(release, tmp_path)
    assert step.returncode == 0, step.stderr
    assert "submission: exercises/chapter1/fundamentals.py" in step.stdout
    got, full = _points_line(step.stdout)
    assert 0 < got < full
    assert sum(t.score for t in step.result.tests) == pytest.approx(got) and step.result.max_score == full
    assert step.result.status == "fail"
    names = {t.name for t in step.result.tests}
    assert "dense_params" in names and "model_params_random" not in names, "a student's copy: public checks"
    assert reported.points == pytest.approx((got, full)), reported.stdout
    assert reported.returncode == 1 and "::error::Some tests failed." in reported.stdout
    passed = sum(t.status == "pass" for t in step.result.tests)
    table = passed / len(step.result.tests) * full
    assert f"Total points for chapter1: {table:.2f}/{full:g}" in reported.stdout


@needs_node
def test_no_work_at_all_is_reported_as_zero_with_the_reason(release, tmp_path) -> None:
    for shipped in ("fundamentals.py", "fundamentals.ipynb"):  # the release ships both: the student deleted them
        (release / "exercises/chapter1" / shipped).unlink()
    step, reported = graded_and_reported(release, tmp_path)
    assert step.returncode == 0, step.stderr
    got, full = _points_line(step.stdout)
    assert got == 0 and full > 0
    reason = ("nothing to grade: none of exercises/chapter1/fundamentals.py, exercises/chapter1/fundamentals.ipynb, "
              "fundamentals.ipynb exists")  # fmt: skip
    assert reason in " ".join(step.stdout.split()), step.stdout
    assert all(t.score == 0 and reason in t.message for t in step.result.tests)
    assert reported.points == (0, full), reported.stdout
    assert reported.returncode == 1


@needs_node
def test_a_broken_notebook_is_zero_with_its_reason_and_a_step_without_output_reports_nothing(release, tmp_path) -> None:
    (release / "fundamentals.ipynb").write_text('{"cells": [')
    step, reported = graded_and_reported(release, tmp_path)
    assert step.returncode == 0 and _points_line(step.stdout)[0] == 0, step.stdout + step.stderr
    assert "cannot read" in step.stdout and "fundamentals.ipynb: not a notebook" in step.stdout
    assert reported.points == (0, step.result.max_score)
    # why the step must write its output: without it the reporter fails and Classroom gets nothing
    silent = run_reporter(release, {})
    assert silent.points is None and silent.returncode == 1, silent.stdout


def test_the_install_step_installs_the_pinned_lock_the_release_ships(release, tmp_path) -> None:
    (step,) = [s for s in _steps(release) if s.get("name") == "Install the course"]
    fake = tmp_path / "fake"
    fake.mkdir()
    log = tmp_path / "calls"
    for name in ("python", "sudo"):  # record what would run; sudo fails: no bubblewrap here
        (fake / name).write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n[ {name} = python ]\n')
        (fake / name).chmod(0o755)

    def calls() -> list[str]:
        log.unlink(missing_ok=True)
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=release, capture_output=True, text=True,
                              env={"PATH": f"{fake}:/usr/bin:/bin"}, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return [line for line in log.read_text().splitlines() if line.startswith("python")]

    assert (release / "requirements.lock").read_bytes() == (ROOT / "requirements.lock").read_bytes()
    assert calls() == ["python -m pip install -q --require-hashes -r requirements.lock",
                       "python -m pip install -q --no-deps -e ."]  # fmt: skip
