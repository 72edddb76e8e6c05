"""The wheels of the pinned grading environment (requirements.lock), downloaded once into a
cache, for the tests that install the course as a student or Gradescope would: pip then
installs offline (PIP_NO_INDEX, PIP_FIND_LINKS), checking every hash the lock lists."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

WHEELHOUSE = Path(os.environ.get("TF_GRADER_WHEELHOUSE", "/var/cache/tf-grader-wheels"))
INSTALL_ENV = "TF_GRADER_INSTALL_TEST"  # =1: run the tests that install TensorFlow (minutes each)


def wheelhouse() -> Path:
    """The cache, filled with the lock's wheels for this machine (and setuptools, which builds
    the course); skips the calling test where they cannot be downloaded."""
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    download = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
                               "-d", str(WHEELHOUSE), "--require-hashes", "-r", str(ROOT / "requirements.lock")],
                              capture_output=True, text=True)  # fmt: skip
    build = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
                            "-d", str(WHEELHOUSE), "setuptools>=68", "wheel"], capture_output=True, text=True)  # fmt: skip
    for run in (download, build):
        if run.returncode != 0:
            pytest.skip(f"cannot fill the wheel cache {WHEELHOUSE}: {run.stderr.strip().splitlines()[-1:]}")
    return WHEELHOUSE


def offline_pip(wheels: Path) -> dict[str, str]:
    """The environment that makes pip install from `wheels` only."""
    return {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1"}  # fmt: skip
