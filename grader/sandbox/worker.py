"""The warm worker: imports TensorFlow once, then forks a fresh child per job.

Runs inside the sandbox (`python -m grader.sandbox.worker`). Reads one Job per line on stdin,
answers one JobEnd per line on the stdout it was started with. Submission code never runs in
this process, only in children, which it times, watches and kills with everything they spawned.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import gc
import os
import select
import signal
import sys
import time
import traceback

from grader.models import Job, JobEnd, WorkerInfo
from grader.sandbox import child
from grader.sandbox.guard import Snapshot
from grader.sandbox.plan import SCRATCH_MB
from grader.sandbox.scratch import drop_scratch, make_scratch, remove_tree

POLL_S = 0.2
SETUP_FAILED = 70  # the child's own code failed, not the submission's
KILL_S = 10.0  # a fork bomb's processes take a while to die, each tearing down TF's memory
WATCHER_NICE = -10  # the worker watches jobs that may keep hundreds of processes busy
TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")  # the unit of CPU times in /proc/PID/stat
SLACK = 1 << 20  # free space in /tmp or /dev/shm that a job may leave used (the kernel's own)
PR_SET_CHILD_SUBREAPER = 36


def main() -> None:
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever else prints goes to stderr, never onto the reply channel
    uid = int(os.environ["TF_GRADER_UID"]) if os.environ.get("TF_GRADER_UID") else None
    gc.disable()  # the import's many collection passes find little garbage (4,000 of 600,000 objects)
    import keras  # noqa: F401  the import every submission would otherwise pay
    import numpy
    import tensorflow as tf

    device = _effective_device(os.environ.get("TF_GRADER_DEVICE", "cpu"))
    if not _in_sandbox():  # a job's orphans come to us, not to the machine's init: none escapes
        ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    warm_up()
    try:  # a watcher starved by what it watches kills late, and answers after the grader gave up
        os.setpriority(os.PRIO_PROCESS, 0, WATCHER_NICE)
    except OSError:
        pass  # not root: the jobs share its priority

    info = WorkerInfo(
        python=sys.version.split()[0],
        tensorflow=tf.__version__,
        keras=keras.__version__,
        numpy=numpy.__version__,
        device=device,
        uid=uid,
    )
    replies.write(info.model_dump_json() + "\n")
    # what the probe machinery is, before any submission: every child compares against it (held
    # here, not in a module, so that a submission cannot reach it and make it agree)
    machinery = Snapshot.of_probe_machinery()
    collapsed = False
    for line in sys.stdin:
        try:
            end = run_job(Job.model_validate_json(line), uid, machinery)
        except Exception as exc:  # a bug here must cost one job, not the warm worker
            end = JobEnd(events="", output_tail=f"worker error: {type(exc).__name__}: {exc}")
        replies.write(end.model_dump_json() + "\n")
        if not collapsed:  # while the grader judges the first job, not before it (see huge_pages)
            huge_pages()
            collapsed = True
        if end.worker_retired:
            sys.exit(0)  # the client starts a fresh worker for the next job


def warm_up() -> None:
    """Pay once here what every child would otherwise pay, as long as it starts no thread and
    no TensorFlow context (those would not survive the fork):

    - the first `np.random.seed` costs ~10 ms; children seed before every probe;
    - objects alive now go to the collector's permanent generation, so a child's collections
      never walk them, which would copy their pages (copy-on-write) for nothing. Without a
      collection first: it found 4,000 unreachable objects of 600,000 and cost 0.3 s of every
      worker's start, which `grade chapterN` waits for.

    The collector, off while TensorFlow is imported, is on again when this returns. Huge pages
    (`huge_pages`) come after the first job: they pay off over many forks, not before the one
    job of a `grade chapterN`."""
    import numpy

    numpy.random.seed(0)
    gc.freeze()
    gc.enable()


MADV_HUGEPAGE, MADV_COLLAPSE = 14, 25
HUGE = 2 << 20


def huge_pages() -> None:
    """Back this process's anonymous memory (~190 MiB after the TensorFlow import) with 2 MiB
    pages where the kernel allows it (transparent huge pages in `madvise` or `always` mode,
    Linux 6.1+ for MADV_COLLAPSE). A fork copies one page-table entry per huge page instead
    of 512, and the child's exit tears down as few: the fork and exit every job pays take
    about half as long (`benchmarks/batch.py`, floor line). Copy-on-write still copies 4 KiB
    at a time. Anywhere the kernel says no, nothing changes.

    malloc already asks for huge pages (GLIBC_TUNABLES in the sandbox plan), which covers
    about a third of that memory at no cost; collapsing the rest costs 0.15-0.3 s once."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    try:
        with open("/proc/self/maps") as f:
            maps = f.read().splitlines()
    except OSError:
        return
    for line in maps:
        fields = line.split()
        path = fields[5] if len(fields) > 5 else ""
        if fields[1][:2] != "rw" or (path and path != "[heap]"):  # files and stacks keep theirs
            continue
        low, high = (int(x, 16) for x in fields[0].split("-"))
        low, high = (low + HUGE - 1) & -HUGE, high & -HUGE
        if high > low:
            libc.madvise(low, high - low, MADV_HUGEPAGE)
            libc.madvise(low, high - low, MADV_COLLAPSE)


def _effective_device(asked: str) -> str:
    """"cpu", "gpu:N", or "unavailable" when a GPU was demanded and TensorFlow sees none.

    The look happens in a forked child: CUDA initialised in this process would not survive the
    forks that run submissions."""
    if asked == "cpu":
        return "cpu"
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            import tensorflow as tf

            os.write(write_end, str(len(tf.config.list_physical_devices("GPU"))).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    seen = os.read(read_end, 16).decode() or "0"
    os.close(read_end)
    os.waitpid(pid, 0)
    if int(seen) > 0:
        os.environ["TF_GRADER_DEVICE"] = "gpu"
        return f"gpu:{os.environ.get('CUDA_VISIBLE_DEVICES', '0')}"
    os.environ["TF_GRADER_DEVICE"] = "cpu"  # children then get the CPU's memory limit
    return "cpu" if asked == "auto" else "unavailable"


def run_job(job: Job, uid: int | None, machinery: Snapshot) -> JobEnd:
    """Fork the job's child and watch it. The job's files, events and printed output pass
    between the grader and the child only (see plan_worker): nothing of a submission enters
    this process, whose memory every later child starts from.

    Afterwards everything the job spawned is killed and everything it wrote removed; if that
    fails (a process that would not die, a file that stays), the reply says the worker retires:
    the next job must start on a clean worker."""
    child.prepare(job)
    _reset_events_pipe(int(os.environ["TF_GRADER_EVENTS_FD"]))
    before = _shared_state()  # before the scratch is made: it is gone again when the job is
    # our own mount per job where we are root in our own sandbox: dropped whole afterwards
    scratch, mounted = make_scratch("/tmp" if _in_sandbox() else None, SCRATCH_MB,
                                    mount=_in_sandbox() and os.geteuid() == 0)
    memory_base = _vm_size(os.getpid())
    cpu_base = _reaped_cpu()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child never returns here
        try:
            child.run(job, int(os.environ["TF_GRADER_EVENTS_FD"]), scratch, uid, memory_base, machinery)
            os._exit(0)
        except BaseException:
            traceback.print_exc()  # onto the captured output, for the report
            os._exit(SETUP_FAILED)
    timed_out, oom, over_cpu, over_disk, status = _watch(pid, job, uid, start, cpu_base, scratch)
    if status is None:
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    left = _kill_job(pid, uid)
    drop_scratch(scratch, mounted)
    _remove_new_entries(before)
    return JobEnd(
        exit_code=os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        timed_out=timed_out,
        out_of_memory=oom,
        cpu_exceeded=over_cpu,
        disk_exceeded=over_disk,
        seconds=time.monotonic() - start,
        scratch=str(scratch),
        worker_retired=_not_clean(before, scratch, left),
    )


PIPE_BYTES = 1 << 16  # Linux's default pipe buffer


def _reset_events_pipe(fd: int) -> None:
    """The events pipe as the worker got it: blocking, and its buffer back to the default size
    (a job's own file description cannot change the worker's, but the buffer is the pipe's)."""
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~(os.O_NONBLOCK | getattr(os, "O_DIRECT", 0)))
    if hasattr(fcntl, "F_SETPIPE_SZ"):  # Linux
        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            pass  # more than an unprivileged worker may set: the buffer stays at least that large


SHARED_DIRS = ("/tmp", "/dev/shm")


def _shared_state() -> dict[str, tuple[set[str], int]]:
    """What the sandbox's /tmp and /dev/shm hold now, and their free bytes. They are this
    worker's own, and a job that runs without a uid of its own (a grader that is not root) can
    write in them."""
    if not _in_sandbox():
        return {}  # outside the sandbox they are the machine's, shared with everyone
    return {d: (set(os.listdir(d)), _free(d)) for d in SHARED_DIRS if os.path.isdir(d)}


def _free(folder: str) -> int:
    info = os.statvfs(folder)
    return info.f_bavail * info.f_frsize


def _remove_new_entries(before: dict[str, tuple[set[str], int]]) -> None:
    """Remove what the job left there, so that the next submission cannot read it."""
    for folder, (names, _) in before.items():
        for name in set(os.listdir(folder)) - names:
            remove_tree(os.path.join(folder, name))


def _not_clean(before: dict[str, tuple[set[str], int]], scratch, left: list[int]) -> str:  # noqa: ANN001
    """Why this worker cannot serve another job after cleaning up, or "" if it can."""
    if left:
        return f"{len(left)} process(es) of the job would not die"
    if os.path.lexists(scratch):
        return f"the job's scratch folder {scratch} could not be removed"
    for folder, (names, free) in before.items():
        if set(os.listdir(folder)) != names:
            return f"what the job left in {folder} could not be removed"
        if _free(folder) < free - SLACK:
            return f"{folder} did not get its free space back"
    return ""


def _watch(pid: int, job: Job, uid: int | None, start: float, cpu_base: int, scratch):  # noqa: ANN001, ANN202
    """Wait for the child to exit, or for the job to run out of CPU time, wall time, memory or
    disk (a scratch folder on the host's disk, without bubblewrap: files of 16 MiB each, but
    as many as it likes). Disk is summed over the scratch folder only when its file system has
    lost SCRATCH_MB since the job started (cheap, but other processes write there too).

    CPU time is the job's own, summed over all its processes, so another job's load cannot use
    it up; wall time is only a generous bound, for code that sleeps or blocks. Both, and memory,
    are looked at every POLL_S: a PSS sum walks the page tables of a TensorFlow-sized process
    (~15 ms), so it is only taken when the cheap RSS sum, which can only be larger, is over the
    limit."""
    memory = (job.limits.memory_mb << 20) + _status_kb(os.getpid(), "VmRSS")
    timed_out = oom = over_cpu = over_disk = False
    status = None
    disk_limit = SCRATCH_MB << 20
    disk = _free(scratch) - disk_limit
    exited = os.pidfd_open(pid)  # readable once the child has exited
    try:
        while True:
            left = job.limits.wall_s - (time.monotonic() - start)
            if left <= 0:
                timed_out = True
                break
            select.select([exited], [], [], min(POLL_S, left))
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            status = None
            pids = _job_pids(pid, uid)
            if _reaped_cpu() - cpu_base + sum(map(_cpu_ticks, pids)) > job.limits.cpu_s / TICK_S:
                over_cpu = True
                break
            if sum(map(_rss, pids)) > memory and _pss_over(pids, memory, start + job.limits.wall_s):
                oom = True  # each process has its own RLIMIT_AS; together they can be over
                break
            if _free(scratch) < disk and _tree_bytes(scratch, disk_limit, time.monotonic() + POLL_S) > disk_limit:
                over_disk = True
                break
    finally:
        os.close(exited)
    return timed_out, oom, over_cpu, over_disk, status


def _tree_bytes(top, limit: int, deadline: float) -> int:  # noqa: ANN001
    """The disk the files under `top` take, summed until past `limit` or `deadline` (a job with
    so many files that they cannot be counted in time, or nested too deep to name, counts as
    over)."""
    total, folders = 0, [str(top)]
    while folders:
        try:
            with os.scandir(folders.pop()) as entries:
                for entry in entries:
                    info = entry.stat(follow_symlinks=False)
                    total += info.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:  # nested past PATH_MAX: no honest job does that
                return limit + 1
            continue
        if total > limit or time.monotonic() > deadline:
            return limit + 1
    return total


def _pss_over(pids: list[int], memory: int, deadline: float) -> bool:
    """Whether the processes' PSS sum is over `memory`. Hundreds of forks of a TensorFlow-sized
    process (a fork bomb) take seconds to sum: the sum stops at the job's wall-time deadline,
    so that the watcher keeps its own."""
    total = 0
    for pid in pids:
        total += _pss(pid)
        if total > memory:
            return True
        if time.monotonic() > deadline:
            return False
    return False


def _stat(pid: int | str) -> list[str]:
    """The fields of /proc/PID/stat after the command name (which may hold spaces and ')'):
    [0] state, [1] parent, [11:15] utime, stime, cutime, cstime; [] once the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _cpu_ticks(pid: int) -> int:
    """CPU time of a process and of the children it has reaped, in clock ticks (zombies too)."""
    return sum(int(n) for n in _stat(pid)[11:15])  # utime, stime, cutime, cstime


def _reaped_cpu() -> int:
    """CPU time of dead processes that were reaped (a job's orphans): their time is gone from
    every live process's count but added to their reaper's, our PID namespace's init or, outside
    the sandbox, this worker (their subreaper)."""
    return sum(int(n) for n in _stat(1 if _in_sandbox() else "self")[13:15])  # cutime, cstime


def _in_sandbox() -> bool:
    return os.environ.get("TF_GRADER_PIDNS") == "1"


def _job_pids(pid: int, uid: int | None) -> list[int]:
    """Every process of the job: in our own PID namespace that is everything but init and us;
    elsewhere, every process below this worker (it is their subreaper, and runs one job at a
    time: a daemon that forks twice and leaves its session is still ours) and, when we dropped
    privileges, every process of the job's uid."""
    me = os.getpid()
    parents: dict[int, int] = {}
    owned: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (1, me):
            continue
        other = int(entry)
        if _in_sandbox():
            owned.append(other)
            continue
        if fields := _stat(other):
            parents[other] = int(fields[1])
        try:
            if uid is not None and os.stat(f"/proc/{entry}").st_uid == uid:
                owned.append(other)
        except OSError:
            pass
    below, frontier = set(), {me}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - below
        below |= frontier
    return sorted(below | set(owned) | {pid})


def _kill_job(pid: int, uid: int | None) -> list[int]:
    """SIGKILL what is left of the job (its child already reaped): daemons, fork bombs.
    Returns the processes still alive after KILL_S (none, normally)."""
    deadline = time.monotonic() + KILL_S
    pids = []
    while time.monotonic() < deadline:
        pids = [p for p in _job_pids(pid, uid) if not _is_zombie(p)]
        if not pids:
            return []
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)  # orphans go to the namespace's init, which reaps them, or to us
        _reap_orphans()
    return pids


def _reap_orphans() -> None:
    """Collect the job's orphans that came to this worker (its subreaper) and died."""
    while True:
        try:
            done, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not done:
            return


def _is_zombie(pid: int) -> bool:
    fields = _stat(pid)
    return not fields or fields[0] in ("Z", "X")


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) << 10
    except OSError:
        pass
    return 0


def _rss(pid: int) -> int:
    """Resident set size: cheap, and never below the PSS."""
    return _status_kb(pid, "VmRSS")


def _pss(pid: int) -> int:
    """Proportional set size: pages shared with the warm worker count in part, not in full.
    A worker that is not root may not read it for a job's processes (they are not dumpable):
    their RSS, which can only be larger, counts instead."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) << 10
    except OSError:
        return _rss(pid)
    return 0


def _vm_size(pid: int) -> int:
    return _status_kb(pid, "VmSize")


if __name__ == "__main__":
    main()
