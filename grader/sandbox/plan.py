"""How a warm worker is started: the bubblewrap command, its environment, and what it protects.

With bubblewrap, only the Python installation and the engine (`grader/`) are visible inside: the
course folder, `solutions/` and other submissions are not mounted at all. Without it (Docker,
GitHub's runners, Colab), the job's child confines itself with Landlock to the same, and a
seccomp filter refuses its sockets. Submissions and check sources reach the worker as data over
its stdin. The plan says which of the sandbox's promises this mode keeps and how (`promises`).
"""

from __future__ import annotations

import fcntl
import functools
import os
import platform
import shutil
import site
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import grader
from grader.errors import SandboxError
from grader.sandbox.devices import DevicePlan
from grader.sandbox.landlock import abi as landlock_abi, readable_roots, what_it_keeps
from grader.sandbox.syscalls import ARCHES

UID_BASE = 61000
UID_SLOTS = 1000
LOCK_DIR = Path("/tmp/tf-grader-uids")
SCRATCH_MB = 512  # the sandbox's /tmp, in memory: a submission's files (16 MiB each at most)
SHM_MB = 64
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")


@dataclass
class SandboxPlan:
    argv: list[str]
    env: dict[str, str]
    isolation: list[str] = field(default_factory=list)
    weaker: list[str] = field(default_factory=list)  # the promises this mode does not keep


@functools.cache
def bubblewrap_works() -> bool:
    """bwrap can be installed yet fail (no user or PID namespaces in a container): try it once."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False
    try:
        subprocess.run(
            [bwrap, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "true"],
            check=True, capture_output=True, timeout=20,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return False
    return True


@functools.cache
def bubblewrap_sizes_tmpfs() -> bool:
    """Whether bwrap can cap a tmpfs (`--size`, bubblewrap 0.8+)."""
    try:
        subprocess.run(
            ["bwrap", "--ro-bind", "/", "/", "--size", str(1 << 20), "--tmpfs", "/tmp", "true"],
            check=True, capture_output=True, timeout=20,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return False
    return True


class UidSlot:
    """An unprivileged uid held for one worker (flock), so concurrent workers, even of other
    grader runs on the machine, never share a uid: RLIMIT_NPROC and file modes count per uid."""

    def __init__(self) -> None:
        LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
        for uid in range(UID_BASE, UID_BASE + UID_SLOTS):
            fd = os.open(LOCK_DIR / str(uid), os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            return
        raise RuntimeError("no free sandbox uid")

    def release(self) -> None:
        os.close(self._fd)


def _python_paths(course_root: Path) -> list[Path]:
    """What the interpreter needs to run the engine, but nothing of the course besides `grader/`."""
    engine = Path(grader.__file__).resolve().parent
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    wanted = {*prefixes, engine, Path(sys.executable).resolve().parent}
    wanted |= {Path(p).resolve() for p in [*sys.path, *site.getsitepackages()] if p}
    keep = []
    for path in sorted(wanted):
        if not path.is_dir() or path == course_root or path in course_root.parents:
            continue
        inside_course = course_root in path.parents
        packages = path.name in ("site-packages", "dist-packages")  # a venv of the course's, named by a .pth
        if inside_course and not packages and not any(path == p or p in path.parents for p in [*prefixes, engine]):
            continue  # e.g. tests/ or the course root put on sys.path by a test runner
        keep.append(path)
    # a bound folder inside another bound folder is already there
    return [p for p in keep if not any(q in p.parents for q in keep)]


# malloc in the worker: two arenas, in huge pages where the kernel allows (see worker.huge_pages)
MALLOC_ENV = {"MALLOC_ARENA_MAX": "2", "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}
PASSED_ON = ("LD_LIBRARY_PATH",)  # of the grader's environment, the worker needs only these (CUDA's
# libraries on Colab); the rest (tokens, $GITHUB_OUTPUT, PYTHON* variables) never reaches a job


def _user_site() -> list[str]:
    """The grader's own user site, where it imports from one (`pip install --user`): the worker
    runs with `python -s`, so it is named on PYTHONPATH instead, and no usercustomize or .pth
    file there runs (a job could write neither, but an older grader's jobs could)."""
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else ""
    return [user_site] if user_site and user_site in sys.path else []


def _base_env(devices: DevicePlan, uid: int | None, pid_namespace: bool, home: str) -> dict[str, str]:
    return {
        **{k: os.environ[k] for k in PASSED_ON if k in os.environ and not pid_namespace},
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join([str(Path(grader.__file__).resolve().parent.parent), *_user_site()]),
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONUNBUFFERED": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        **MALLOC_ENV,
        "TF_GRADER_DEVICE": devices.device,
        "TF_GRADER_UID": "" if uid is None else str(uid),
        "TF_GRADER_PIDNS": "1" if pid_namespace else "",
        **devices.env,
    }


EXCHANGE = "/exchange"  # where the sandbox sees the worker's exchange folder
READABLE = (*SYSTEM_DIRS, "/proc", "/sys")


def readable_for_jobs(course_root: Path, python_paths: list[Path]) -> list[str]:
    """What a job may read under Landlock: the system, Python and the engine; never the course
    root (solutions/, hidden checks, expected.json, a batch's entries kept there) nor the temp
    folder (every worker's exchange folder)."""
    roots = [Path(p) for p in READABLE] + python_paths + [Path(p) for p in _user_site()]
    hidden = [course_root.resolve(), Path(tempfile.gettempdir()).resolve()]
    return [str(p) for p in readable_roots(roots, hidden)]


PROMISES = {
    "read": "cannot read solutions/, hidden checks, recorded answers, other entries, outputs or the "
            "grader's exchange files",
    "write": "cannot write anything a later job, the grader or a classmate reads or runs",
    "processes": "leaves no process behind",
    "network": "reaches no network and no socket of the host",
    "grader": "cannot signal or trace the grader's processes",
}  # fmt: skip


def promises(*, bubblewrap: bool, uid: int | None, landlock: int, seccomp: bool) -> dict[str, str]:
    """How each promise is kept in this mode, or "" where it is not (see the README's table)."""
    kept = {
        "read": "bubblewrap mounts none of it" if bubblewrap else
                "Landlock" if landlock else "",
        "write": "Landlock" if landlock else
                 "bubblewrap's read-only system, and the exchange folder is the grader's" if bubblewrap and uid is not None
                 else "",
        "processes": "own PID namespace" if bubblewrap else
                     "the worker is their subreaper and kills every one",
        "network": "no network namespace" if bubblewrap else
                   "seccomp refuses sockets" if seccomp else "",
        # a job of the worker's own uid may signal the worker even in bubblewrap's PID namespace
        "grader": f"another uid ({uid})" + (" in its own PID namespace" if bubblewrap else "") if uid is not None else
                  "Landlock's signal scope" if landlock >= 6 else "",
    }  # fmt: skip
    if not seccomp:
        kept["grader"] = ""  # ptrace and process_vm_readv are refused by the filter alone
    return kept


def _here() -> tuple[bool, int, bool]:
    """What this machine offers: a seccomp filter for its architecture, Landlock's ABI, bubblewrap."""
    return platform.machine() in ARCHES, landlock_abi(), bubblewrap_works()


def _not_kept(kept: dict[str, str]) -> list[str]:
    return [f"WARNING: not kept here: a submission {PROMISES[k]}" for k, how in kept.items() if not how]


def promises_not_kept() -> list[str]:
    """The promises a worker started now, by this user, would not keep (before starting one:
    `grade batch` and the platforms refuse to grade without --allow-weaker-sandbox)."""
    seccomp, landlock, bubblewrap = _here()
    uid = UID_BASE if os.geteuid() == 0 else None
    return _not_kept(promises(bubblewrap=bubblewrap, uid=uid, landlock=landlock, seccomp=seccomp))


def plan_worker(
    course_root: Path, *, devices: DevicePlan, uid: int | None, exchange: Path, events_fd: int
) -> SandboxPlan:
    """The command that starts a warm worker, with bubblewrap if this machine has it, and what
    it keeps of the sandbox's promises either way.

    A job's files and printed output go through `exchange` (a folder only the grader and the
    job's child touch) and its events through `events_fd` (a pipe the grader reads): the warm
    worker never holds a submission's data, so no later child, forked from it, can find any in
    its memory."""
    seccomp, landlock, bubblewrap = _here()
    python_paths = _python_paths(course_root)
    readable = readable_for_jobs(course_root, python_paths) if landlock else []
    channels = {"TF_GRADER_EVENTS_FD": str(events_fd), "TF_GRADER_READABLE": os.pathsep.join(readable)}
    worker = [sys.executable, "-s", "-m", "grader.sandbox.worker"]
    kept = promises(bubblewrap=bubblewrap, uid=uid, landlock=landlock, seccomp=seccomp)
    weaker = _not_kept(kept)
    who = (
        f"submissions run as unprivileged uid {uid}, without capabilities"
        if uid is not None
        else "submissions run as the grader's own user (not root: no uid separation)"
    )
    guarded = [
        *what_it_keeps(landlock),
        "an audit hook refuses the submission frames, the collector's object lists, ctypes and "
        "/proc/self/mem (the probes' state); the probe machinery is checked for changes after "
        "every check",
        *(["namespaces, mounts, chroot, sockets, ptrace and keyrings refused (seccomp)"] if seccomp else
          ["WARNING: namespaces, mounts, chroot and sockets are not refused (no seccomp filter for "
           f"{platform.machine()})"]),
        "a fresh process per submission, with CPU-time, wall-time, memory, process and "
        "file-size limits",
        who,
    ]  # fmt: skip
    if not bubblewrap:
        _check_python_is_readable(uid, python_paths)
        return SandboxPlan(
            argv=worker,
            env={**_base_env(devices, uid, pid_namespace=False, home=str(exchange)), **channels,
                 "TF_GRADER_EXCHANGE": str(exchange)},
            isolation=[
                "no bubblewrap here (apt-get install bubblewrap adds namespaces): "
                + "; ".join(f"{k}: {how}" for k, how in kept.items() if how),
                *guarded,
                *weaker,
            ],
            weaker=weaker,
        )
    argv = ["bwrap", "--die-with-parent", "--new-session", "--unshare-net", "--unshare-pid"]
    argv += ["--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--clearenv"]
    for name in SYSTEM_DIRS:
        if os.path.islink(name):
            argv += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            argv += ["--ro-bind", name, name]
    # the scratch /tmp first: a Python or course under /tmp is bound on top of it, not hidden.
    # It and /dev/shm live in memory that no process's memory limit counts: cap them
    sized = bubblewrap_sizes_tmpfs()
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += [*(["--size", str(SCRATCH_MB << 20)] if sized else []), "--tmpfs", "/tmp"]
    argv += [*(["--size", str(SHM_MB << 20)] if sized else []), "--tmpfs", "/dev/shm"]
    argv += ["--bind", str(exchange), EXCHANGE, "--chdir", "/tmp"]
    scratch = f"private /tmp scratch ({SCRATCH_MB} MiB)" if sized else (
        "private /tmp scratch (no size cap: bubblewrap older than 0.8)")
    made: set[Path] = {Path("/"), Path("/tmp")}
    for path in python_paths:
        for parent in reversed(path.parents):  # bwrap makes missing parents 0700: open them up
            if parent not in made and not any(str(parent).startswith(d) for d in SYSTEM_DIRS):
                argv += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        argv += ["--ro-bind", str(path), str(path)]
    for node in devices.nodes:  # after --dev, which would hide them
        argv += ["--dev-bind", node, node]
    if devices.sys_readonly:
        argv += ["--ro-bind", "/sys", "/sys"]
    env = {**_base_env(devices, uid, pid_namespace=True, home="/tmp"), **channels, "TF_GRADER_EXCHANGE": EXCHANGE}
    for key, value in env.items():
        argv += ["--setenv", key, value]
    return SandboxPlan(
        argv=argv + ["--", *worker],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        isolation=[
            f"bubblewrap: no network, read-only system, {scratch}, own PID namespace",
            "only Python and the engine are mounted: the course, solutions/ and hidden checks "
            "are not visible",
            *guarded,
            *([f"devices passed through: {', '.join(devices.nodes)}"] if devices.nodes else []),
            *weaker,
        ],
        weaker=weaker,
    )


def _check_python_is_readable(uid: int | None, python_paths: list[Path]) -> None:
    """Without bubblewrap, a job's uid sees the host's folders as they are: Python under a home
    folder only root may enter (pyenv in /root) would fail the first import a submission makes."""
    if uid is None:
        return
    for path in python_paths:
        for folder in [*reversed(path.parents), path]:
            if not os.stat(folder).st_mode & 0o001:
                raise SandboxError(
                    f"submissions run as uid {uid}, which cannot enter {folder} (where Python is): "
                    "install Python where every user can read it, or install bubblewrap")
