"""The first cell of a released notebook: it makes the grader ready in whichever kernel opens
the notebook, so that Colab and a JupyterHub need nothing installed by hand.

The cell is plain Python that runs before the grader can be imported: it finds the course (the
notebook's folder or one above it, else ~/tf-course), downloads it where it is missing from the
URL the instructor gave at release (`--install-from`), and installs the grader with pip. pip
runs without --upgrade, so a TensorFlow that the kernel has and that satisfies the course's
`tensorflow>=2.16` (Colab's) is kept, never downloaded again. It is never graded (see
notebook.joined): it downloads and installs, which the sandbox must not run.
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from grader.errors import BadInput

SETUP_MARK = "# Run this cell first:"  # the setup cell: never graded, whether tagged or not (Colab's history)
SETUP_CELL = '''\
# Run this cell first: it makes the grader ready in this notebook's kernel, once.
# - Jupyter on your own machine: run ./setup in the course folder, then pick its .venv as this
#   notebook's kernel; this cell then only checks.
# - Colab, a JupyterHub: this cell finds the course (this notebook's folder or one above it, else
#   COURSE_DIR), downloads it from COURSE_URL where it is not there yet, and installs the grader
#   with pip (a minute), keeping the TensorFlow already installed. Run it again after a restart.
COURSE_URL = {url}  # where your course is published: a .zip or a git repository
COURSE_DIR = "~/tf-course"  # where the download goes


def _grader_found():
    try:
        from grader.course import find_course
        from grader.in_notebook import notebook_check

        return find_course() is not None
    except Exception:
        return False


def _fetch_course(url, folder):
    import pathlib, shutil, subprocess, tempfile, urllib.request, zipfile

    scratch = pathlib.Path(tempfile.mkdtemp(prefix="tf-course-"))
    try:
        course = scratch / "course"
        if url.split("?")[0].split("#")[0].endswith(".zip"):
            urllib.request.urlretrieve(url, scratch / "course.zip")
            with zipfile.ZipFile(scratch / "course.zip") as archive:
                archive.extractall(course)
            inside = list(course.iterdir())
            course = inside[0] if len(inside) == 1 and inside[0].is_dir() else course  # GitHub's zips: one folder
        else:
            git = subprocess.run(["git", "clone", "-q", "--depth", "1", url.removeprefix("git+"), str(course)],
                                 capture_output=True, text=True)
            if git.returncode != 0:
                raise RuntimeError((git.stderr.strip().splitlines() or ["git clone failed"])[0])
        if not (course / "exercises").is_dir():
            raise ValueError("it holds no course (no exercises/ folder)")
        shutil.move(str(course), str(folder))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _install_grader(course):
    import importlib, os, site, subprocess, sys

    # no --upgrade: a TensorFlow already here (Colab's) satisfies tensorflow>=2.16 and is kept
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", str(course)], capture_output=True, text=True)
    if pip.returncode != 0:
        raise RuntimeError((pip.stderr.strip().splitlines() or [f"pip exited with {{pip.returncode}}"])[-1])
    user = site.getusersitepackages()  # where pip installs when the kernel's packages are read-only
    if user not in sys.path and os.path.isdir(user):
        site.addsitedir(user)
    importlib.invalidate_caches()


def _grader_ready(url, folder):
    """None once the grader is importable in this kernel and finds the course; else why not."""
    import os, pathlib

    if _grader_found():
        return None
    here, folder = pathlib.Path.cwd().resolve(), pathlib.Path(folder).expanduser()
    places = [here, *here.parents, folder]
    found = [p for p in places if (p / "exercises").is_dir() and (p / "pyproject.toml").is_file()]
    if not found and folder.exists():
        return f"{{folder}} is not the course: remove it, or set COURSE_DIR to another folder"
    if not found and not url:
        return "no course here: upload the course folder next to this notebook, then run this cell again"
    try:
        if not found:
            _fetch_course(url, folder)
    except Exception as exc:
        return f"could not download the course from {{url}}: {{str(exc).strip() or type(exc).__name__}}"
    course = found[0] if found else folder
    os.environ["TF_GRADER_COURSE"] = str(course)
    try:
        if not _grader_found():
            _install_grader(course)
    except Exception as exc:
        return f"pip could not install the grader from {{course}}: {{str(exc).strip() or type(exc).__name__}}"
    return None if _grader_found() else f"the grader was installed from {{course}} but cannot be imported here"


print(_grader_ready(COURSE_URL, COURSE_DIR) or "grader ready: run the check cell under each task to check it")'''


def setup_cell(install_from: str = "") -> str:
    """The notebook's first cell, downloading the course from `install_from` where it is missing."""
    return SETUP_CELL.format(url=json.dumps(course_source(install_from) if install_from else ""))


class CourseSource(BaseModel):
    """Where students download the course from (`--install-from`): a .zip's URL (https, http,
    file) or a git repository's (https, ssh, git@host:path, file; pip's git+ prefix allowed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    url: str = Field(description="the URL, written into the cell: no spaces, quotes or backslashes")

    @field_validator("url")
    @classmethod
    def _a_url(cls, url: str) -> str:
        if not _SOURCE.match(url):
            raise ValueError("not a URL of a .zip or a git repository (https://..., git@host:path, file:///...)")
        return url


_SOURCE = re.compile(r"""^(?:(?:git\+)?(?:https?|file|ssh|git)://|[\w.-]+@[\w.-]+:)[^\s"'\\]+$""")


def course_source(url: str) -> str:
    """`url`, checked as CourseSource; a BadInput in one line otherwise."""
    try:
        return CourseSource(url=url).url
    except ValidationError as exc:
        raise BadInput(f"--install-from {url!r}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from exc
