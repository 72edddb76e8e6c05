"""The sandbox's promises without bubblewrap: Landlock's confinement as a real kernel applies it,
the promises each mode keeps, the refusal to batch-grade where some are not kept, and stale
exchange folders that anyone may make."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.course import Course
from grader.errors import SandboxError
from grader.sandbox import client, landlock, plan
from grader.sandbox.plan import PROMISES, _python_paths, promises, readable_for_jobs
from grader.session import Session

from conftest import ROOT

needs_landlock = pytest.mark.skipif(landlock.abi() < 1, reason="this kernel has no Landlock")


def _confined(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python confined as a job is: reading what a job reads, writing
    only `tmp_path/scratch`."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    setup = textwrap.dedent(f"""
        import ctypes, os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from grader.sandbox.landlock import confine
        ctypes.CDLL(None).prctl(38, 1, 0, 0, 0)  # no_new_privs
        print("abi", confine({readable_for_jobs(ROOT, _python_paths(ROOT))!r}, [{str(scratch)!r}]))
    """)
    return subprocess.run([sys.executable, "-c", setup + textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=60, cwd=scratch)


@needs_landlock
def test_a_confined_job_reads_python_and_writes_its_scratch_only(tmp_path) -> None:
    outside = tmp_path / "classmate.py"
    outside.write_text("secret")
    done = _confined(f"""
        import json, email.mime.text  # the standard library, imported for the first time
        open("mine.txt", "w").write("ok")
        for path in [{str(ROOT / "solutions/chapter1/hidden_checks.py")!r},
                     {str(ROOT / "exercises/chapter1/expected.json")!r}, {str(outside)!r}]:
            try:
                open(path).read()
                print("READ", path)
            except PermissionError:
                pass
        for path in ["/tmp/left-behind", "/dev/shm/left-behind", {str(tmp_path / "x")!r},
                     {str(ROOT / "grader/sitecustomize.py")!r}]:
            try:
                open(path, "w").write("x")
                print("WROTE", path)
            except (PermissionError, OSError):
                pass
        try:
            __import__("solutions.chapter1.fundamentals")
            print("IMPORTED solutions")
        except (ImportError, PermissionError):
            pass
        print("done")
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "done" in done.stdout and "READ" not in done.stdout and "WROTE" not in done.stdout, done.stdout
    assert "IMPORTED" not in done.stdout
    assert (tmp_path / "scratch/mine.txt").read_text() == "ok"
    assert not Path("/tmp/left-behind").exists() and not Path("/dev/shm/left-behind").exists()


@pytest.mark.skipif(landlock.abi() < 6, reason="signal scoping needs Landlock ABI 6 (Linux 6.12)")
def test_a_confined_job_cannot_signal_or_connect_to_the_host(tmp_path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        done = _confined(f"""
            import os, signal, socket
            try:
                os.kill(os.getppid(), 0)
                print("SIGNALLED the grader")
            except PermissionError:
                pass
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=2)
                print("CONNECTED")
            except OSError:
                pass
            print("done")
        """, tmp_path)
    finally:
        listener.close()
    assert "done" in done.stdout and "SIGNALLED" not in done.stdout and "CONNECTED" not in done.stdout, done


def test_a_course_under_a_readable_root_is_carved_out(tmp_path) -> None:
    """Landlock only allows: a course that lives under a folder jobs may read (/opt, /usr) is
    hidden by allowing that folder's other entries, level by level."""
    (tmp_path / "opt/course/solutions").mkdir(parents=True)
    (tmp_path / "opt/course/grader").mkdir()
    (tmp_path / "opt/python/lib").mkdir(parents=True)
    (tmp_path / "opt/notes.txt").write_text("")
    roots = landlock.readable_roots([tmp_path / "opt", tmp_path / "opt/course/grader"], [tmp_path / "opt/course"])
    assert sorted(roots) == sorted([tmp_path / "opt/notes.txt", tmp_path / "opt/python", tmp_path / "opt/course/grader"])


def test_what_each_mode_keeps() -> None:
    """Every promise is kept with bubblewrap, and without it where Landlock and seccomp exist;
    what a mode lacks is named, never silently dropped."""
    for bubblewrap in (True, False):
        for uid in (61000, None):
            kept = promises(bubblewrap=bubblewrap, uid=uid, landlock=6, seccomp=True)
            assert all(kept.values()) and set(kept) == set(PROMISES), kept
    old_kernel = promises(bubblewrap=False, uid=None, landlock=0, seccomp=True)
    assert {k for k, how in old_kernel.items() if not how} == {"read", "write", "grader"}
    as_root = promises(bubblewrap=False, uid=61000, landlock=0, seccomp=True)
    assert {k for k, how in as_root.items() if not how} == {"read", "write"}
    no_scope = promises(bubblewrap=False, uid=None, landlock=5, seccomp=True)
    assert {k for k, how in no_scope.items() if not how} == {"grader"}
    user_bwrap = promises(bubblewrap=True, uid=None, landlock=0, seccomp=True)
    assert {k for k, how in user_bwrap.items() if not how} == {"write", "grader"}  # /exchange; the worker


def test_batch_and_classroom_refuse_a_weaker_sandbox_unless_told(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(plan, "_here", lambda: (True, 0, False))  # no Landlock, no bubblewrap
    with pytest.raises(SandboxError, match="--allow-weaker-sandbox"):
        Session(Course(ROOT), allow_weaker_sandbox=False)
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs/alice.py").write_text("x = 1\n")
    runner = CliRunner()
    for argv in (["batch", "chapter1", str(tmp_path / "subs"), "--out", str(tmp_path / "out")],
                 ["classroom", "chapter1"]):
        ran = runner.invoke(main, [*argv, "--course", str(ROOT)])
        assert ran.exit_code == 3, ran.output
        lines = ran.output.strip().splitlines()
        assert "cannot read solutions/" in lines[-1] and "--allow-weaker-sandbox" in lines[-1], ran.output
        assert "Traceback" not in ran.output


@pytest.mark.slow
def test_stale_exchange_folders_never_stop_a_run(tmp_path, monkeypatch) -> None:
    """Anyone may make a file or folder with the exchange folders' name in the temp folder: a
    pid no process can have, a link, a file, a chain thousands deep in a dead grader's folder.
    The next run starts and removes only dead graders' folders of its own."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    prefix = client.EXCHANGE_PREFIX
    (tmp_path / f"{prefix}{'9' * 20}-x").mkdir()
    (tmp_path / f"{prefix}{'9' * 40}-y").write_text("")
    (tmp_path / f"{prefix}0-z").mkdir()
    (tmp_path / f"{prefix}123-link").symlink_to(ROOT / "solutions")
    dead = tmp_path / f"{prefix}{2 ** 22 + 5}-dead"
    dead.mkdir()
    fd = os.open(dead, os.O_RDONLY)
    for _ in range(1500):  # os.makedirs would recurse as deep as shutil.rmtree does
        os.mkdir("d", dir_fd=fd)
        fd, up = os.open("d", os.O_RDONLY, dir_fd=fd), fd
        os.close(up)
    os.close(fd)
    made = client._exchange_folder()
    assert made.is_dir() and made.name.startswith(f"{prefix}{os.getpid()}-")
    assert not dead.exists()
    assert (ROOT / "solutions/chapter1").is_dir()  # a link is never followed
