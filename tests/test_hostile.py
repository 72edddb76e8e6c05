"""Hostile submissions score only what their correct answers earn, and the grader survives them.

Each case is a folder under data/hostile/ with the submission and the score, status and feedback
it must get (a list of statuses, or of feedback texts, where timing decides between them: limits
count CPU time, and a loaded machine can make the wall-time bound come first), and optionally text that
must appear nowhere in its result ("absent"), the most bytes its result may take in results.jsonl
("largest"), a list of scores where the sandbox's modes end it differently, and paths of the
grader's machine that must not exist after it ("leaves": what it tried to leave there; removed by
the test afterwards). tests/hostile.py fills in the placeholders of a source and grades the whole
corpus once, in one batch among honest classmates (the `hostile_class` fixture); each case's
result is asserted here. No case may reach any of the host's listeners, or leave a process
running.

The cases run in the suite's own mode here; tests/test_modes.py runs them as root and as an
ordinary user, with and without bubblewrap (tests/modes.py).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

import pytest

from grader.render import submission_text
from grader.sandbox import plan
from grader.session import Session
from grader.sandbox.plan import bubblewrap_works
from grader.submission import Submission

from conftest import ROOT, TEST_LIMITS
from hostile import CASES, HostileClass, expected_of, remove
from modes import Processes, asked_mode

pytestmark = pytest.mark.slow  # the hostile corpus and attacks that need workers of their own



@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_submission(case: Path, hostile_class: HostileClass) -> None:
    expected = expected_of(case)
    assert case.name in hostile_class.rows, f"no row for {case.name}: the batch lost it"
    result = hostile_class.rows[case.name]
    reached, stayed = hostile_class.reached.get(case.name, []), hostile_class.stayed[case.name]
    text = submission_text(result, title="", hidden_exist=True)
    problems = []  # every one, in one line first: the evidence of a run in another mode
    scores = expected["score"] if isinstance(expected["score"], list) else [expected["score"]]
    if result.score not in scores:  # a list where modes differ (a scratch in memory, or on disk)
        problems.append(f"score {result.score:g}, expected {' or '.join(f'{s:g}' for s in scores)}")
    statuses = expected["status"] if isinstance(expected["status"], list) else [expected["status"]]
    if result.status not in statuses:  # a fork bomb races the alarm: either ending is right
        problems.append(f"status {result.status}, expected {' or '.join(statuses)}")
    feedback = expected["feedback"] if isinstance(expected["feedback"], list) else [expected["feedback"]]
    if not any(f in text for f in feedback):
        problems.append(f"feedback without {' or '.join(map(repr, feedback))}")
    problems += [f"{secret!r} reached the result" for secret in expected.get("absent", [])
                 if secret in text + result.output_tail]  # fmt: skip
    if "largest" in expected:  # as results.jsonl writes it, non-ASCII escaped
        size = len(json.dumps(result.model_dump(mode="json")))
        if size > expected["largest"]:
            problems.append(f"the result takes {size} bytes")
    if re.search(r"\r|\x9b|\x1b(?!\[[0-9;]*m)", text):
        problems.append("a control sequence other than our colours")
    if reached:
        problems.append(f"the submission reached the host's {', '.join(reached)}")
    if stayed:
        problems.append(f"the submission left {stayed} on the grader's machine")
    assert not problems, "; ".join(problems) + "\n" + text


def test_no_hostile_submission_leaves_a_process(hostile_class: HostileClass) -> None:
    """Nothing the corpus started outlives the batch that graded it (each job's processes are
    killed with it)."""
    assert not hostile_class.left, f"{len(hostile_class.left)} process(es) outlived their jobs: {'; '.join(hostile_class.left[:3])}"


def test_worker_survives_a_hostile_submission(session, course) -> None:
    """After a submission that kills everything it can, the same worker grades the next one."""
    chapter = course.chapter("chapter1")
    hostile = (ROOT / "tests/data/hostile/kill_the_grader/fundamentals.py").read_text()
    session.grade(chapter, Submission("hostile", hostile), limits=TEST_LIMITS)
    solution = (ROOT / "solutions/chapter1/fundamentals.py").read_text()
    result = session.grade(chapter, Submission("solution", solution))
    assert result.score == result.max_score > 0


def test_isolation_is_reported(session, course) -> None:
    chapter = course.chapter("chapter1")
    result = session.grade(chapter, Submission("stub", (chapter.exercise_dir / "fundamentals.py").read_text()))
    isolation = " ".join(result.environment.isolation)
    if bubblewrap_works():
        assert "bubblewrap: no network" in isolation, isolation
        assert "solutions/ and hidden checks are not visible" in isolation
    else:  # no claim of what bubblewrap would give
        assert "bubblewrap: no network" not in isolation, isolation
        assert "bubblewrap" in isolation, "the result says bubblewrap is missing"
    assert "an audit hook refuses the submission frames" in isolation
    assert "namespaces, mounts, chroot, sockets, ptrace and keyrings refused (seccomp)" in isolation
    assert any(i.startswith("Landlock: the job reads only") for i in result.environment.isolation), isolation


def test_children_start_from_memory_in_huge_pages(session, course) -> None:
    """After its first job, the warm worker backs its memory with 2 MiB pages (a cheaper fork
    and exit per submission), inside the sandbox too; where the kernel has transparent huge
    pages off, nothing changes and nothing breaks."""
    thp = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    enabled = thp.is_file() and "[never]" not in thp.read_text()
    chapter = course.chapter("chapter1")
    probe = (chapter.solution_dir / "fundamentals.py").read_text() + (
        "\nfor _line in open('/proc/self/smaps_rollup'):\n"
        "    if _line.startswith('AnonHugePages:'):\n"
        "        print('huge kB', _line.split()[1])\n"
    )
    session.grade(chapter, Submission("first", probe))  # whichever test ran first on the worker
    result = session.grade(chapter, Submission("probe", probe))
    assert result.score == result.max_score
    huge_kb = int(result.output_tail.split("huge kB ")[1].split()[0])
    if enabled:
        # how much the kernel collapses depends on its free huge pages (30 MiB after a long day
        # of contention, ~120 MiB on a fresh machine): any is proof, none would be a regression
        assert huge_kb >= 16 << 10, f"only {huge_kb} kB of the worker's memory in huge pages"
    else:
        assert huge_kb == 0


@pytest.mark.skipif(asked_mode() is not None, reason="it makes a mode of its own; a mode run is in a real one")
@pytest.mark.parametrize("landlock", [True, False], ids=["landlock", "without-landlock"])
def test_without_uid_separation_a_job_leaves_nothing_for_the_next(course, monkeypatch, landlock) -> None:
    """A grader that is not root runs submissions as its own user. Landlock refuses it /tmp and
    /dev/shm outright; where the kernel has no Landlock, it can write in the sandbox's /tmp and
    /dev/shm, and what one submission leaves there is gone before the next. With neither Landlock
    nor bubblewrap, they are the machine's own: the result says that promise is not kept."""
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # the grader as an ordinary user: no uid slot
    if not landlock:
        monkeypatch.setattr(plan, "landlock_abi", lambda: 0)
    chapter = course.chapter("chapter1")
    solution = (chapter.solution_dir / "fundamentals.py").read_text()
    leave = solution + (
        "\nfor _d in ('/tmp', '/dev/shm'):\n    try:\n        open(_d + '/note', 'w').write('my answers')\n"
        "        print('wrote', _d)\n    except OSError:\n        print('refused', _d)\n")
    look = solution + "\nimport os\nprint('seen:', os.path.exists('/tmp/note'), os.path.exists('/dev/shm/note'))\n"
    notes = ["/tmp/note", "/dev/shm/note"]  # without bubblewrap, the machine's own: removed after
    try:
        with Session(course, limits=TEST_LIMITS) as session:
            assert session.worker.info.uid is None
            left = session.grade(chapter, Submission("leaves", leave))
            assert left.score == 20
            printed = session.grade(chapter, Submission("looks", look)).output_tail
    finally:
        for note in notes:
            remove(note)
    assert ("refused /tmp" in left.output_tail and "refused /dev/shm" in left.output_tail) == landlock, left.output_tail
    if not landlock and not bubblewrap_works():
        assert any("cannot write anything a later job" in w for w in left.environment.isolation), left.environment
        assert "seen: True True" in printed, printed  # the weaker mode, as the result says
        return
    assert "seen: False False" in printed, printed


MEMORY_SCAN = '''
import numpy as np

def _raw(low, size):
    """Raw memory through NumPy's array interface: no audit event, so the guard cannot refuse it
    (ctypes and /proc/self/mem it does refuse)."""
    class Raw:
        __array_interface__ = {"shape": (size,), "typestr": "|u1", "data": (low, True), "version": 3}
    return np.asarray(Raw()).tobytes()

def _found(head, tail):
    """Whether this process's writable memory holds head + tail, never built here (a search
    for a string held in memory finds the search's own copy)."""
    for line in open("/proc/self/maps"):
        fields = line.split()
        if fields[1][:2] != "rw" or (len(fields) > 5 and fields[5] != "[heap]"):
            continue
        low, high = (int(x, 16) for x in fields[0].split("-"))
        data = _raw(low, high - low)
        at = data.find(head)
        while at >= 0:
            if data[at + len(head):at + len(head) + len(tail)] == tail:
                return True
            at = data.find(head, at + 1)
    return False

print("found:", _found(b"CLASSMATE-A", b"-ONLY"), _found(b"my own", b" work!"))
'''


def test_no_submission_finds_an_earlier_one_in_memory(course) -> None:
    """Children fork from the warm worker, so whatever the worker once held, each child can read
    in its own memory: the worker never holds a submission's files, events or output (nor the
    reference's), so a submission cannot print a classmate's code or the solution."""
    chapter = course.chapter("chapter1")
    solution = (chapter.solution_dir / "fundamentals.py").read_text()
    earlier = solution + "\n# CLASSMATE-A-ONLY\nprint('my own work!')\n"
    with Session(course, limits=TEST_LIMITS) as session:
        session.reference(chapter)  # the reference job runs on this worker first, as in a batch
        session.grade(chapter, Submission("classmate", earlier))
        printed = [session.grade(chapter, Submission("snoop", solution + MEMORY_SCAN)).output_tail for _ in range(3)]
    assert all("found: False False" in p for p in printed), printed


def test_a_job_that_defeats_cleanup_leaves_a_clean_worker_for_the_next(session, course) -> None:
    """A submission that leaves a folder chain 3,000 levels deep and a full scratch (a recursive
    cleanup gives up on it) costs the next submission on that worker nothing."""
    chapter = course.chapter("chapter1")
    hostile = (ROOT / "tests/data/hostile/deep_directory_chain/fundamentals.py").read_text()
    session.reference(chapter)
    session.grade(chapter, Submission("deep", hostile), limits=TEST_LIMITS)
    solution = (chapter.solution_dir / "fundamentals.py").read_text()
    result = session.grade(chapter, Submission("next", solution), limits=TEST_LIMITS)
    text = submission_text(result, title="", hidden_exist=True)
    assert (result.status, result.score) == ("completed", result.max_score), text


HOG = """
import signal, subprocess, time

signal.signal(signal.SIGALRM, signal.SIG_IGN)  # the per-check alarm
for _ in range(200):  # busy processes in sessions of their own, left behind
    subprocess.Popen(["sh", "-c", "while :; do :; done"], start_new_session=True)
while True:  # the job itself waits, so that nothing ends it but the grader
    time.sleep(1)
"""
SLOW = """

def dense_params(input_size, units, use_bias=True):  # right, and slow: ~0.1 s of CPU a call
    sum(range(5_000_000))
    return input_size * units + (units if use_bias else 0)
"""


def test_a_cpu_hog_costs_a_classmate_on_the_other_worker_nothing(course) -> None:
    """An honest submission (right, its dense_params slow) graded while a classmate's 200 busy
    processes run on the other worker keeps full marks under tight per-check limits: its time
    limits count its own CPU time, and the hog's job is stopped when its processes together use
    up their CPU time."""
    chapter = course.chapter("chapter1")
    limits = TEST_LIMITS.model_copy(update={"wall_s": 120})  # wall time: a generous bound only
    honest = (chapter.solution_dir / "fundamentals.py").read_text() + SLOW
    with Session(course, limits=limits, jobs=2) as session:
        session.reference(chapter)
        honest_worker, hog_worker = session.workers
        processes = Processes(hog_worker.info.uid)  # where the grader is not root: its own uid
        hog = threading.Thread(target=session.grade, args=(chapter, Submission("hog", HOG)),
                               kwargs={"worker": hog_worker})
        hog.start()
        try:
            deadline = time.monotonic() + 60
            while len(processes.left()) < 100 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert len(processes.left()) >= 100, "the hog did not start"
            result = session.grade(chapter, Submission("honest", honest), worker=honest_worker)
            hog.join()
        finally:
            left = processes.kill_left()  # 200 busy loops must not outlive a failing test
            hog.join()
        assert not left, f"{len(left)} of the hog's processes outlived its job"
    assert result.score == result.max_score, submission_text(result, title="", hidden_exist=True)
