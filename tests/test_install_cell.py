"""The first cell of a released notebook, run in a real Jupyter kernel where nothing of the course
is installed (as on Colab or a JupyterHub): it downloads the release from the URL the instructor
set (`grade release --install-from`: a .zip, or a git repository), installs the grader with pip
and keeps the TensorFlow already there; the notebook's check cell then grades.

The kernel's Python is a fresh venv that sees this environment's packages (TensorFlow
"preinstalled", as on Colab) but not the grader. No network: the URLs are file://, pip may not
reach an index (so a TensorFlow it wanted to install would fail the test) and builds the course
with the setuptools here instead of downloading one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from grader.install_cell import SETUP_MARK
from grader.release import write_release

from test_release import _small_course

pytestmark = pytest.mark.slow  # real Jupyter kernels installing the course

nbclient = pytest.importorskip("nbclient")
KERNEL = "tfg-fresh"


@pytest.fixture
def kernel(tmp_path_factory) -> Path:
    """A kernelspec whose Python is a fresh venv without the grader; the folder holding both."""
    root = tmp_path_factory.mktemp("kernel")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    python = root / "venv/bin/python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "preinstalled.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # TF, pip, ipykernel
    spec = root / "jupyter/kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({"argv": [str(python), "-m", "ipykernel_launcher", "-f",
                                                           "{connection_file}"],
                                                  "display_name": KERNEL, "language": "python"}))
    return root


def _published(tmp_path: Path, how: str) -> str:
    """Chapter 1's release, published as a zip holding one folder (as GitHub's are) or as a git
    repository; the URL its notebooks install from."""
    course = _small_course(tmp_path / "instructor")
    if how == "zip":
        url = (tmp_path / "course-main.zip").as_uri()
        out = tmp_path / "course-main"
        write_release(course, out, install_from=url)
        with zipfile.ZipFile(tmp_path / "course-main.zip", "w") as archive:
            for file in sorted(out.rglob("*")):
                archive.write(file, file.relative_to(tmp_path))
    else:
        out = tmp_path / "course.git"
        url = out.as_uri()
        write_release(course, out, install_from=url)
        git = ["git", "-C", str(out), "-c", "user.name=instructor", "-c", "user.email=i@example.edu"]
        for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "release"]):
            subprocess.run(git + step, check=True, capture_output=True)
    shutil.copy2(out / "exercises/chapter1/fundamentals.ipynb", tmp_path / "fundamentals.ipynb")
    if how == "zip":
        shutil.rmtree(out)  # only the published zip is left
    return url


def _run(notebook: nbformat.NotebookNode, work: Path) -> nbformat.NotebookNode:
    nbclient.NotebookClient(notebook, timeout=300, kernel_name=KERNEL, allow_errors=True,
                            resources={"metadata": {"path": str(work)}}).execute()
    return notebook


def _shown(cell) -> str:
    return "".join(o.get("text", "") + "".join(o.get("data", {}).values()) for o in cell.outputs)


@pytest.mark.parametrize("how", ["zip", "git"])
def test_the_first_cell_installs_the_course_where_nothing_is(how, kernel, tmp_path, monkeypatch) -> None:
    if how == "git" and not shutil.which("git"):
        pytest.skip("no git here")
    url = _published(tmp_path, how)
    home = tmp_path / "home"
    home.mkdir()
    for name in ("PYTHONPATH", "TF_GRADER_COURSE", "PIP_FIND_LINKS", "PIP_INDEX_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("JUPYTER_PATH", str(kernel / "jupyter"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_NO_BUILD_ISOLATION", "0")  # (sic) pip's spelling of "no isolation"
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")

    released = nbformat.read(str(tmp_path / "fundamentals.ipynb"), as_version=4)
    setup = released.cells[0]
    assert setup.source.startswith(SETUP_MARK) and f'COURSE_URL = "{url}"' in setup.source
    check = next(c for c in released.cells if 'notebook_check("chapter1", "dense_params")' in c.source)
    probe = v4.new_code_cell("import grader, sys\nfrom grader.course import find_course\n"
                             "print('grader:', grader.__file__)\nprint('course:', find_course().root)")
    work = tmp_path / "work"  # the notebook alone, as uploaded to Colab
    work.mkdir()
    shutil.copy2(tmp_path / "fundamentals.ipynb", work)
    notebook = v4.new_notebook(cells=[setup, probe, check], metadata=released.metadata)
    first, found, checked = _run(notebook, work).cells

    assert "grader ready" in _shown(first) and "not ready" not in _shown(first), first.outputs
    shown = _shown(found)
    venv_site = next((kernel / "venv/lib").glob("python3*/site-packages"))
    assert f"grader: {venv_site}/grader/__init__.py" in shown, shown
    assert f"course: {home / 'tf-course'}" in shown, shown
    assert not (venv_site / "tensorflow").exists()  # the TensorFlow that was there is used
    assert "Score: 0/" in _shown(checked), _shown(checked)[-2000:]  # the stub, graded by the installed grader

    again = _run(v4.new_notebook(cells=[v4.new_code_cell(setup.source)], metadata=released.metadata), work)
    assert "grader ready" in _shown(again.cells[0])  # a restarted kernel: found, nothing downloaded


def test_a_release_refuses_an_install_url_it_cannot_use(tmp_path) -> None:
    course = _small_course(tmp_path / "instructor")
    run = subprocess.run([sys.executable, "-m", "grader.cli", "release", str(tmp_path / "out"), "--course",
                          str(course.root), "--install-from", "ftp://example.edu/course.zip"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and run.stderr.startswith("Error: --install-from 'ftp://example.edu/course.zip'")
    assert len(run.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


@pytest.mark.parametrize("published,said", [
    ("nowhere/course.zip", "could not download the course from file://{tmp}/nowhere/course.zip: <urlopen error"),
    ("nowhere/course.git", "could not download the course from file://{tmp}/nowhere/course.git: fatal:"),
    ("empty.zip", "could not download the course from file://{tmp}/empty.zip: it holds no course (no exercises/"),
])  # fmt: skip
def test_the_first_cell_says_in_one_line_why_the_grader_is_not_ready(published, said, tmp_path) -> None:
    from grader.install_cell import setup_cell

    with zipfile.ZipFile(tmp_path / "empty.zip", "w") as archive:
        archive.writestr("notes/readme.txt", "no course here")
    (tmp_path / "home").mkdir()
    cell = setup_cell((tmp_path / published).as_uri())
    run = subprocess.run([sys.executable, "-c", "import sys; sys.modules['grader'] = None  # not installed\n" + cell],
                         cwd=tmp_path, env={**os.environ, "HOME": str(tmp_path / "home")},
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.startswith(said.format(tmp=tmp_path)), run.stdout + run.stderr
    assert len(run.stdout.strip().splitlines()) == 1 and not run.stderr
    assert not (tmp_path / "home/tf-course").exists()
