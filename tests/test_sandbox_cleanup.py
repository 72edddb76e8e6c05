"""What one job leaves never reaches the next: cleanup a job cannot defeat, a worker that cannot
clean up retires, and the exchange folders of a grader killed with SIGKILL are removed."""

from __future__ import annotations

import pytest

import os
import subprocess
import sys

from grader.render import submission_text
from grader.sandbox import plan
from grader.sandbox.client import EXCHANGE_PREFIX, _exchange_folder
from grader.sandbox.scratch import remove_tree
from grader.session import Session
from grader.submission import Submission

from conftest import TEST_LIMITS

pytestmark = pytest.mark.slow  # workers that retire and start again


def test_remove_tree_removes_a_chain_deeper_than_recursion_and_path_limits(tmp_path) -> None:
    """3,000 levels: past Python's recursion limit and, at 6,000 characters, past PATH_MAX."""
    top = tmp_path / "chain"
    top.mkdir()
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(3000):
        os.mkdir("d", dir_fd=fd)
        below = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = below
    os.close(os.open("bottom", os.O_WRONLY | os.O_CREAT, dir_fd=fd))
    os.chmod(".", 0, dir_fd=fd)  # a folder the job made unreadable
    os.close(fd)
    remove_tree(str(top))
    assert not top.exists()


def test_a_worker_that_cannot_clean_up_retires_and_the_next_job_runs_on_a_fresh_one(course, monkeypatch) -> None:
    """Without uid separation and without Landlock (an older kernel) a job can write in the
    sandbox's /tmp, and leave there a file no one may remove (immutable): the worker says it
    cannot serve again and exits, the client starts a fresh one, and the next job finds nothing
    of it."""
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # the grader as an ordinary user: no uid slot
    monkeypatch.setattr(plan, "landlock_abi", lambda: 0)
    chapter = course.chapter("chapter1")
    solution = (chapter.solution_dir / "fundamentals.py").read_text()
    stuck = solution + (
        "\nimport subprocess\nopen('/tmp/stuck', 'w').write('my answers')\n"
        "subprocess.run(['chattr', '+i', '/tmp/stuck'], check=True)\n"
    )
    look = solution + "\nimport os\nprint('seen:', os.path.exists('/tmp/stuck'))\n"
    with Session(course, limits=TEST_LIMITS) as session:
        session.reference(chapter)
        first = session.worker._proc.pid
        assert session.grade(chapter, Submission("stuck", stuck)).score == 20
        result = session.grade(chapter, Submission("looks", look))
        assert session.worker._proc.pid != first, "the worker was not replaced"
    assert "seen: False" in result.output_tail, submission_text(result, title="", hidden_exist=True)
    assert result.score == result.max_score


def test_exchange_folders_of_a_dead_grader_are_removed(tmp_path, monkeypatch) -> None:
    """They hold students' sources; a grader killed with SIGKILL cannot remove its own."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    stale = tmp_path / f"{EXCHANGE_PREFIX}{dead}-abc"
    stale.mkdir()
    (stale / "job.in").write_text("a student's source")
    alive = tmp_path / f"{EXCHANGE_PREFIX}{os.getppid()}-def"  # its grader still runs
    alive.mkdir()
    mine = _exchange_folder()
    assert not stale.exists()
    assert alive.exists()
    assert mine.parent == tmp_path and mine.name.startswith(f"{EXCHANGE_PREFIX}{os.getpid()}-")


def test_a_job_that_leaves_nothing_keeps_the_warm_worker(session, course) -> None:
    """Retiring is for jobs that defeat the cleanup: after clean jobs the same warm worker (and
    its one TensorFlow import) serves the next. The job's own scratch, made and dropped by the
    worker, is not something the job left behind."""
    chapter = course.chapter("chapter1")
    solution = (chapter.solution_dir / chapter.module_file).read_text()
    session.grade(chapter, Submission("first", solution))
    warm = session.worker._proc.pid
    for n in range(2):
        assert session.grade(chapter, Submission(f"next{n}", solution)).score == 20
    assert session.worker._proc.pid == warm, "the worker was restarted after a clean job"


def test_the_events_pipe_a_job_changed_is_not_the_next_jobs(session, course) -> None:
    """A job that sets its events pipe non-blocking, in packet mode and one page small leaves
    the next job the pipe it had: each job writes through a file description of its own (the
    shared one, which the grader holds too, keeps its flags), and the worker restores the
    pipe's size before each job. The next jobs report everything."""
    import fcntl

    from conftest import ROOT

    chapter = course.chapter("chapter1")
    solution = (ROOT / "solutions/chapter1/fundamentals.py").read_text()
    hostile = (ROOT / "tests/data/hostile/events_pipe_flags/fundamentals.py").read_text().replace("{{SOLUTION}}", solution)
    shared = session.worker._events_w  # the write end every worker and job was handed
    assert "changed the flags of descriptor" in session.grade(chapter, Submission("hostile", hostile)).output_tail
    assert not fcntl.fcntl(shared, fcntl.F_GETFL) & (os.O_NONBLOCK | os.O_DIRECT)
    after = session.grade(chapter, Submission("honest", solution))
    assert fcntl.fcntl(shared, fcntl.F_GETPIPE_SZ) == 1 << 16
    assert after.status == "completed" and after.score == after.max_score, submission_text(
        after, title="", hidden_exist=True)


def test_printed_output_is_read_only_from_the_file_the_child_made(tmp_path) -> None:
    """A job that runs as the grader's uid (a grader that is not root) can swap its output file
    for a link to a host file (the course's solutions) or a FIFO: the grader reads neither, and
    does not wait on the FIFO."""
    from grader.sandbox.client import _tail

    secret = tmp_path / "solution.py"
    secret.write_text("def dense_params(): return 42  # the reference\n")
    (tmp_path / "linked.out").symlink_to(secret)
    os.link(secret, tmp_path / "hard.out")
    os.mkfifo(tmp_path / "fifo.out")
    plain = tmp_path / "plain.out"
    plain.write_bytes(b"x" * 100 + b"the end\n")
    assert _tail(tmp_path / "linked.out", 1000) == "" and _tail(tmp_path / "hard.out", 1000) == ""
    assert _tail(tmp_path / "fifo.out", 1000) == ""
    assert _tail(plain, 8) == "the end\n" and _tail(tmp_path / "absent.out", 8) == ""
