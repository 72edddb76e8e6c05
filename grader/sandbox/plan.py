"""How a warm worker is started: the bubblewrap command, its environment, and what it protects.

Only the Python installation and the engine (`grader/`) are visible inside: the course folder,
`solutions/` and other submissions are not mounted at all. Submissions and check sources reach
the worker as data over its stdin.
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
from dataclasses import dataclass, field
from pathlib import Path

import grader
from grader.sandbox.devices import DevicePlan
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
        if inside_course and not any(path == p or p in path.parents for p in [*prefixes, engine]):
            continue  # e.g. tests/ or the course root put on sys.path by a test runner
        keep.append(path)
    # a bound folder inside another bound folder is already there
    return [p for p in keep if not any(q in p.parents for q in keep)]


# malloc in the worker: two arenas, in huge pages where the kernel allows (see worker._huge_pages)
MALLOC_ENV = {"MALLOC_ARENA_MAX": "2", "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}


def _base_env(devices: DevicePlan, uid: int | None, pid_namespace: bool) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(Path(grader.__file__).resolve().parent.parent),
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
    return env


EXCHANGE = "/exchange"  # where the sandbox sees the worker's exchange folder


def plan_worker(
    course_root: Path, *, devices: DevicePlan, uid: int | None, exchange: Path, events_fd: int
) -> SandboxPlan:
    """The command that starts a warm worker, with isolation if this machine has it.

    A job's files and printed output go through `exchange` (a folder only the grader and the
    job's child touch) and its events through `events_fd` (a pipe the grader reads): the warm
    worker never holds a submission's data, so no later child, forked from it, can find any in
    its memory."""
    channels = {"TF_GRADER_EVENTS_FD": str(events_fd)}
    worker = [sys.executable, "-m", "grader.sandbox.worker"]
    who = (
        f"submissions run as unprivileged uid {uid}, without capabilities"
        if uid is not None
        else "submissions run as the grader's own user (not root: no uid separation)"
    )
    guarded = [
        "an audit hook refuses the submission frames, the collector's object lists, ctypes and "
        "/proc/self/mem (the probes' state); the probe machinery is checked for changes after "
        "every check",
        *(["namespaces, mounts and chroot refused (seccomp)"] if platform.machine() in ARCHES else
          ["WARNING: namespaces, mounts and chroot are not refused (no seccomp filter for "
           f"{platform.machine()})"]),
    ]  # fmt: skip
    if not bubblewrap_works():
        return SandboxPlan(
            argv=worker,
            env={**os.environ, **_base_env(devices, uid, pid_namespace=False), **channels,
                 "TF_GRADER_EXCHANGE": str(exchange)},
            isolation=[
                "WARNING: bubblewrap is not available, so there is no network or filesystem "
                "isolation: only process limits are in force (apt-get install bubblewrap)",
                "a fresh process per submission, with CPU-time, wall-time, memory, process and "
                "file-size limits",
                who,
                *guarded,
            ],
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
    for path in _python_paths(course_root):
        for parent in reversed(path.parents):  # bwrap makes missing parents 0700: open them up
            if parent not in made and not any(str(parent).startswith(d) for d in SYSTEM_DIRS):
                argv += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        argv += ["--ro-bind", str(path), str(path)]
    for node in devices.nodes:  # after --dev, which would hide them
        argv += ["--dev-bind", node, node]
    if devices.sys_readonly:
        argv += ["--ro-bind", "/sys", "/sys"]
    env = {**_base_env(devices, uid, pid_namespace=True), **channels, "TF_GRADER_EXCHANGE": EXCHANGE}
    for key, value in env.items():
        argv += ["--setenv", key, value]
    return SandboxPlan(
        argv=argv + ["--", *worker],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        isolation=[
            f"bubblewrap: no network, read-only system, {scratch}, own PID namespace",
            "only Python and the engine are mounted: the course, solutions/ and hidden checks "
            "are not visible",
            "a fresh process per submission, with CPU-time, wall-time, memory, process and "
            "file-size limits",
            who,
            *guarded,
            *([f"devices passed through: {', '.join(devices.nodes)}"] if devices.nodes else []),
        ],
    )
