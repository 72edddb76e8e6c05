"""The audit hook refuses the submission's code what reaches the probe's state, and lets the
standard library, libraries and the grader do the same for their own use; the snapshot finds
the probe machinery changed. Each case runs in a fresh interpreter: an audit hook cannot be
removed once installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SETUP = """
import sys
from pathlib import Path
sys.path.insert(0, {scratch!r})
from grader.sandbox.guard import AuditGuard, Refused
reported = []
AuditGuard(Path({scratch!r}), reported.append).install()
try:
    import student
    print("RESULT", student.run())
except Refused as exc:
    print("REFUSED", exc)
print("REPORTED", reported)
"""


def run_as_submission(tmp_path: Path, body: str) -> str:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "student.py").write_text(textwrap.dedent(body))
    run = subprocess.run([sys.executable, "-c", SETUP.format(scratch=str(scratch))], cwd=tmp_path,
                         capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)}, timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return run.stdout


REFUSED = {
    "sys._getframe": "import sys\ndef run():\n    return sys._getframe().f_back.f_locals\n",
    "inspect.stack": "import inspect\ndef run():\n    return inspect.stack()[1].frame.f_locals\n",
    "traceback.tb_frame": "def run():\n    try:\n        1 / 0\n    except ZeroDivisionError as e:\n"
                          "        return e.__traceback__.tb_frame.f_back\n",
    "gc.get_objects": "import gc\ndef run():\n    return len(gc.get_objects())\n",
    "gc.get_referrers": "import gc\ndef run():\n    return gc.get_referrers(run)\n",
    "ctypes": "import ctypes\ndef run():\n    return ctypes.string_at(id(run), 8)\n",
    "sys.settrace": "import sys\ndef run():\n    sys.settrace(lambda *a: None)\n",
    "sys.addaudithook": "import sys\ndef run():\n    sys.addaudithook(lambda *a: None)\n",
    "a fake standard-library file name": "import sys\ndef run():\n    code = compile('import sys; f = sys._getframe()', "
                                         "sys.modules['os'].__file__, 'exec')\n    exec(code, {})\n",
    "/proc/self/mem": "import os\ndef run():\n    os.symlink('/proc/self/mem', 'm')\n    return open('m', 'rb')\n",
}


@pytest.mark.parametrize("name", REFUSED, ids=list(REFUSED))
def test_the_submission_is_refused(tmp_path, name) -> None:
    out = run_as_submission(tmp_path, REFUSED[name])
    if name != "sys.addaudithook":  # whose refusal Python turns into the hook not being added
        assert "REFUSED" in out and "is not allowed in a submission" in out, out
    assert "REPORTED []" not in out, out


def test_importing_an_installed_module_is_not_refused(tmp_path) -> None:
    """Its cached bytecode is unmarshalled on behalf of the submission."""
    out = run_as_submission(tmp_path, "import statistics\ndef run():\n    return statistics.mean([1, 3])\n")
    assert "RESULT 2" in out and "REPORTED []" in out, out


def test_what_the_standard_library_and_libraries_use_for_themselves_works(tmp_path) -> None:
    out = run_as_submission(tmp_path, """
        import collections, dataclasses, enum, io, logging, traceback, typing, warnings
        import numpy as np

        Point = collections.namedtuple("Point", "x y")
        Colour = enum.Enum("Colour", "RED GREEN")
        T = typing.TypeVar("T")

        @dataclasses.dataclass
        class Spec:
            units: int = 3

        def run():
            logging.getLogger("student").warning("logged")
            warnings.warn("warned")
            try:
                1 / 0
            except ZeroDivisionError:
                printed = io.StringIO()
                traceback.print_exc(file=printed)
            return (Point(1, 2).x, Colour.RED.value, Spec().units, "ZeroDivisionError" in printed.getvalue(),
                    int(np.r_[1, 2].sum()))
    """)
    assert "RESULT (1, 1, 3, True, 3)" in out and "REPORTED []" in out, out


def test_the_grader_may_look_at_frames_while_the_submission_cannot(tmp_path) -> None:
    """Trusted code (here the grader's own describe, which walks a traceback) keeps working when
    the submission calls it."""
    out = run_as_submission(tmp_path, """
        from grader.checks import describe

        def run():
            try:
                raise ValueError("bad units")
            except ValueError as exc:
                return describe(exc)
    """)
    assert "RESULT ValueError: bad units" in out and "REPORTED []" in out, out


def test_the_snapshot_finds_the_probe_machinery_changed() -> None:
    code = """
import numpy, grader.checks
from grader.sandbox.guard import Snapshot
machinery = Snapshot.of_probe_machinery()
print(machinery.changed())
grader.checks.ProbeContext.case = lambda *a: None
print(machinery.changed())
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)},
                         timeout=60, check=True)  # fmt: skip
    assert run.stdout.splitlines() == ["None", "grader.checks.ProbeContext.case was changed"], run.stdout
