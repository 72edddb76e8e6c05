"""Gradescope: the autograder zip built by `grade gradescope`, unpacked and run as Gradescope's
harness runs it (docs/specs.md of github.com/gradescope/autograder_samples): setup.sh, then
run_autograder per submission into results.json, checked against the documented schema; in a
container like Gradescope's (root without CAP_SYS_ADMIN, no bubblewrap, 768 MB of memory)."""

from __future__ import annotations

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

from conftest import ROOT, run_cli
from modes import MemoryCgroup, needed_paths, path_without_bwrap, reveal_script
from wheels import INSTALL_ENV, offline_pip, wheelhouse

pytestmark = pytest.mark.slow  # autograder zips run in stand-ins for Gradescope's container

SOLUTION = ROOT / "solutions/chapter1/fundamentals.py"
HOSTILE = ROOT / "tests/data/hostile"
NO_BIAS = ("return input_size * units + (units if use_bias else 0)", "return input_size * units")


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
        run = run_cli("gradescope", chapter, "-o", str(zips[chapter]))
        assert run.returncode == 0, run.stderr
    return zips


def test_the_autograder_zip_holds_the_chapter_its_solutions_and_executable_scripts(autograders) -> None:
    with zipfile.ZipFile(autograders["chapter1"]) as z:
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in z.infolist()}
        config = json.loads(z.read("tf-grader.json"))
        setup = z.read("setup.sh").decode()
        lock = z.read("requirements.lock")
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755, "at the zip's root, executable"
    for name in ("course/grader/platforms/gradescope.py", "course/exercises/chapter1/checks.py",
                 "course/solutions/chapter1/fundamentals.py", "course/solutions/chapter1/hidden_checks.py"):
        assert name in modes, name
    assert not [n for n in modes if "/mutants/" in n or n.startswith("course/tests/") or "chapter2" in n]
    assert config == {"chapter": "chapter1", "seed": 2026, "hidden_visibility": "after_published",
                      "stdout_visibility": "hidden", "show_output": True, "allow_weaker_sandbox": False}  # fmt: skip
    # the installs and the grading part are apart: apt and pip only in theirs
    grading_part = setup.split("grading() {", 1)[1].split("}", 1)[0]
    assert "apt-get install" in setup and "bubblewrap" in setup and '--require-hashes \\\n    -r "$SOURCE/requirements.lock"' in setup
    assert modes["requirements.lock"] == 0o644 and lock == (ROOT / "requirements.lock").read_bytes(), "the course's own lock"
    assert "apt-get" not in grading_part and "pip" not in grading_part


def gradescope_run(autograder: Path, root: Path, submit: dict[str, str | Path], docker: bool = False,
                   cgroup: MemoryCgroup | None = None, python: str = sys.executable,
                   ok: bool = True) -> tuple[DocumentedResults, str]:  # fmt: skip
    """Unpack the zip as Gradescope does (into ROOT/source), run setup.sh's grading part, put
    the submission in ROOT/submission (name -> text, or a file to copy, or a link target) and
    run run_autograder; results.json checked against the documented schema. `docker`: run it as
    Gradescope's container does, root without CAP_SYS_ADMIN and without bubblewrap (hidden from
    PATH), the interpreter reached through a mount namespace of the run's own where it lives
    under a folder other users may not enter (tests/modes.py). `cgroup`: run_autograder runs in
    it (its memory limit). `python`: the venv's Python. `ok`: run_autograder exits 0."""
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(autograder) as z:
        z.extractall(root / "source")
        for info in z.infolist():  # zipfile drops modes: restore the executable bits it holds
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777 or 0o644)
    fake_bin = root / "fake-bin"
    fake_bin.mkdir()
    (fake_bin / "apt-get").write_text(f"#!/bin/sh\ntouch {root}/apt-was-run\n")
    (fake_bin / "apt-get").chmod(0o755)
    env = {**os.environ, "TF_GRADER_AUTOGRADER_ROOT": str(root), "TF_GRADER_PYTHON": python,
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
    prefix: list[str] = cgroup.prefix() if cgroup else []
    if docker:
        # outside ROOT: the mount namespace covers the folders on the way to ROOT a while
        outside = Path(tempfile.mkdtemp(prefix="tfg-docker-"))
        outside.chmod(0o755)
        env["PATH"] = path_without_bwrap(outside / "bin", os.environ["PATH"])
        prefix += ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin", "--"]
        if script := reveal_script([*needed_paths(), root], outside / "hold"):
            prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-ec", script + '\nexec "$@"',
                      "reveal", *prefix]  # fmt: skip
    try:
        run = subprocess.run([*prefix, str(root / "source/run_autograder")], cwd=root, env=env, capture_output=True,
                             text=True, timeout=600)  # fmt: skip
    finally:
        if docker:
            shutil.rmtree(outside, ignore_errors=True)
    assert (run.returncode == 0) == ok, run.stdout + run.stderr
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


GRADESCOPE_MB = 768  # its default container: "Our default memory limit is 768MB" (docs/troubleshooting.md)
HOG = SOLUTION.read_text().replace("def dense_params(", '''def dense_params(*args, **kwargs):
    hoard = []
    while True:
        hoard.append(bytearray(64 << 20))


def _dense_params(''', 1)


def graded_here(grade, submission: Path) -> dict:
    """`grade chapter1 --submission` on this machine, with no container around it."""
    run = grade("chapter1", "--submission", str(submission), "--json")
    return json.loads(run.stdout)


@pytest.mark.skipif(bool(MemoryCgroup.why_not()) or not (shutil.which("setpriv") and shutil.which("unshare")),
                    reason=f"a container like Gradescope's needs root and a memory cgroup: {MemoryCgroup.why_not()}")
def test_gradescope_container_of_768_mb_grades_honest_hog_missing_and_broken(autograders, tmp_path, grade) -> None:
    """In a container like Gradescope's default (768 MB, root without CAP_SYS_ADMIN, no bubblewrap)
    each submission gets a results.json with the score `grade` gives it. The memory hog loses the
    checks that call its hoarding function, not the run: before jobs were fitted to the
    container, the kernel's OOM killer ended the run ("crashed, killed by signal 9", 0/20)."""
    (tmp_path / "hog.py").write_text(HOG)
    (tmp_path / "broken.py").write_text("def dense_params(input_size, units:\n    return 0\n")
    cases = {"honest": SOLUTION, "hog": tmp_path / "hog.py", "broken": tmp_path / "broken.py"}
    for name, submission in cases.items():
        with MemoryCgroup(GRADESCOPE_MB, name) as cgroup:
            doc, log = gradescope_run(autograders["chapter1"], tmp_path / name, {"fundamentals.py": submission},
                                      docker=True, cgroup=cgroup)  # fmt: skip
        here = graded_here(grade, submission)
        assert "killed by signal" not in doc.output + log, log[-3000:]
        assert doc.score == here["score"], (name, doc.score, here["score"], log[-3000:])
        assert doc.execution_time >= 1
        if name == "hog":  # the instructor reads why the limit was less than a job may use
            assert "all this machine's container had left of the 2048 MiB" in doc.output + log, log[-3000:]
    with MemoryCgroup(GRADESCOPE_MB, "missing") as cgroup:
        doc, _ = gradescope_run(autograders["chapter1"], tmp_path / "missing", {"notes.txt": "I forgot"},
                                docker=True, cgroup=cgroup)  # fmt: skip
    assert doc.score == 0 and "has no fundamentals.py" in doc.output and "notes.txt" in doc.output


def test_gradescope_autograder_writes_results_when_the_grader_fails(autograders, tmp_path) -> None:
    """Where the grader cannot grade (here its settings in the zip are broken, as a bad upload
    would leave them; or its Python does not start), results.json still says so, asks for a
    rerun, and run_autograder exits non-zero for the instructor's log."""
    broken = tmp_path / "broken-settings.zip"
    with zipfile.ZipFile(autograders["chapter1"]) as z, zipfile.ZipFile(broken, "w") as out:
        for info in z.infolist():
            out.writestr(info, b"{not json" if info.filename == "tf-grader.json" else z.read(info))
    root = tmp_path / "settings"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(broken) as z:
        z.extractall(root / "source")
    os.chmod(root / "source/run_autograder", 0o755)
    (root / "submission").mkdir()
    shutil.copy(SOLUTION, root / "submission/fundamentals.py")
    for python in (sys.executable, str(tmp_path / "no-such-python")):
        (root / "results").mkdir(exist_ok=True)
        (root / "results/results.json").unlink(missing_ok=True)
        env = {**os.environ, "TF_GRADER_AUTOGRADER_ROOT": str(root), "TF_GRADER_PYTHON": python}
        env.pop("PYTHONPATH", None)
        run = subprocess.run([str(root / "source/run_autograder")], cwd=root, env=env, capture_output=True,
                             text=True, timeout=120)  # fmt: skip
        assert run.returncode != 0
        doc = DocumentedResults.model_validate_json((root / "results/results.json").read_text())
        assert doc.score == 0 and "not your grade" in doc.output and "rerun" in doc.output, doc.output
        assert "Traceback" not in doc.output


UBUNTU_2204_PYTHON = Path("/root/.pyenv/versions/3.10.13/bin/python3.10")  # what its python3 is


@pytest.mark.skipif(os.environ.get(INSTALL_ENV) != "1",
                    reason=f"installs TensorFlow in a fresh venv (minutes): set {INSTALL_ENV}=1")
def test_gradescope_setup_builds_on_an_image_whose_python3_is_3_10_and_grades_in_768_mb(autograders, tmp_path) -> None:
    """The whole setup.sh as Gradescope runs it, on a stand-in for its default image (Ubuntu
    22.04: python3 is 3.10, python3.11 can be had from apt): it takes Python 3.11, installs the
    lock (offline, from the wheel cache, every hash checked), checks the course; then
    run_autograder grades with that venv in a 768 MB Docker-like container, as `grade` does."""
    if MemoryCgroup.why_not() or not Path("/usr/bin/python3.11").is_file():
        pytest.skip(f"needs /usr/bin/python3.11 and a memory cgroup: {MemoryCgroup.why_not()}")
    image_root = Path(tempfile.mkdtemp(prefix="tfg-gradescope-image-"))  # jobs' uid reads the venv:
    image_root.chmod(0o755)  # not under pytest's own folder, which only root may enter
    try:
        _build_and_grade(autograders["chapter1"], image_root, tmp_path)
    finally:
        shutil.rmtree(image_root, ignore_errors=True)


def _build_and_grade(autograder: Path, image_root: Path, tmp_path: Path) -> None:
    root = image_root / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(autograder) as z:
        z.extractall(root / "source")
    image = tmp_path / "image-bin"
    path_without_bwrap(image, os.environ["PATH"])
    for name in ("python3", "python3.11", "python", "apt-get"):
        (image / name).unlink(missing_ok=True)
    if UBUNTU_2204_PYTHON.is_file():
        (image / "python3").symlink_to(UBUNTU_2204_PYTHON)
    (image / "python3.11").symlink_to("/usr/bin/python3.11")
    (image / "apt-get").write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path}/apt-get.log\n")
    (image / "apt-get").chmod(0o755)
    env = {"PATH": str(image), "HOME": str(tmp_path), "LANG": "C.UTF-8", "TF_GRADER_AUTOGRADER_ROOT": str(root),
           **offline_pip(wheelhouse())}  # fmt: skip
    setup = subprocess.run(["bash", str(root / "source/setup.sh")], env=env, capture_output=True, text=True,
                           timeout=1800)  # fmt: skip
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-3000:]
    assert "bubblewrap" in (tmp_path / "apt-get.log").read_text() and "ready" in setup.stdout
    venv_python = root / "venv/bin/python"
    version = subprocess.run([str(venv_python), "-c", "import sys, tensorflow; print(sys.version_info[:2], tensorflow.__version__)"],
                             capture_output=True, text=True, timeout=300).stdout  # fmt: skip
    assert version.startswith("(3, 11)") and "2.21.0" in version, version
    with MemoryCgroup(GRADESCOPE_MB, "built") as cgroup:
        doc, log = gradescope_run_built(root, SOLUTION, env, cgroup)
    assert doc.score == graded_here(run_cli, SOLUTION)["score"] > 0, log[-3000:]


def gradescope_run_built(root: Path, submission: Path, env: dict[str, str], cgroup: MemoryCgroup) -> tuple[DocumentedResults, str]:
    """run_autograder with the venv setup.sh built, root without CAP_SYS_ADMIN, in `cgroup`."""
    (root / "submission").mkdir()
    shutil.copy(submission, root / "submission" / submission.name)
    prefix = [*cgroup.prefix(), "setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin", "--"]
    run = subprocess.run([*prefix, str(root / "source/run_autograder")], cwd=root, env=env, capture_output=True,
                         text=True, timeout=600)  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    return DocumentedResults.model_validate_json((root / "results/results.json").read_text()), run.stdout
