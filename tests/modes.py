"""The modes the grader runs in, and how the tests make each one on this machine.

A grader runs as root (submissions as an unprivileged uid 61000+) or as an ordinary user
(submissions as that user), with bubblewrap or without it (not installed, or not allowed):

    root-bwrap    root, bubblewrap works            (the course's CI, a grading server)
    root-nobwrap  root, no bubblewrap, no CAP_SYS_ADMIN (a Docker container: Gradescope)
    user-bwrap    an ordinary user, bubblewrap works (a student's or TA's laptop)
    user-nobwrap  an ordinary user, no bubblewrap   (the student release, Colab, macOS-like)

tests/test_modes.py runs the hostile corpus in every mode but the suite's own: it hides bwrap
from PATH with a folder of links to every other program, and becomes a user made for the test
(`useradd`, then `setpriv`). The run it starts is told its mode (TF_GRADER_TEST_MODE) and
conftest's `_the_mode_is_the_one_asked_for` checks it really is in it.

Also here: `Processes`, what the hostile tests use to find what a job left running, in every mode.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODES = ("root-bwrap", "root-nobwrap", "user-bwrap", "user-nobwrap")
MODE_ENV = "TF_GRADER_TEST_MODE"
REPORT_ENV = "TF_GRADER_MODE_REPORT"  # where conftest writes each test's start and outcome
TEST_USER = "tfgrader-modes"  # made for these runs: nothing else ever runs as it
TEMP_PREFIX = "tfg-modes-"


def current_mode() -> str:
    from grader.sandbox.plan import bubblewrap_works

    return f"{'root' if os.geteuid() == 0 else 'user'}-{'bwrap' if bubblewrap_works() else 'nobwrap'}"


def asked_mode() -> str | None:
    return os.environ.get(MODE_ENV) or None


# --- processes a job left behind ------------------------------------------------------------------


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) of a process, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1]), int(fields[19])


def _uid(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def _environ(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return f.read()
    except OSError:
        return b""


def live_pids() -> list[int]:
    return [int(e) for e in os.listdir("/proc") if e.isdigit()]


def _alive(pid: int) -> bool:
    st = _stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def worker_chain() -> set[int]:
    """The warm workers this process started and the bwrap processes that hold them: its own
    children that are bwrap or a sandbox worker, and down from a bwrap, the same. A process a
    worker forked (a job, or what a job left) is never in it."""
    me = os.getpid()
    parents: dict[int, list[int]] = {}
    for pid in live_pids():
        st = _stat(pid)
        if st is not None:
            parents.setdefault(st[1], []).append(pid)
    chain: set[int] = set()
    todo = [me]
    while todo:
        parent = todo.pop()
        for child in parents.get(parent, []):
            argv = cmdline(child)
            if not argv:
                continue
            if os.path.basename(argv[0]) == "bwrap":
                chain.add(child)
                todo.append(child)
            elif "grader.sandbox.worker" in argv:
                chain.add(child)  # its own children are jobs: not followed
    return chain


def _user_name() -> str:
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return ""


def _descends_from_me(pid: int) -> bool:
    me = os.getpid()
    for _ in range(64):
        st = _stat(pid)
        if st is None or st[1] <= 1:
            return False
        if st[1] == me:
            return True
        pid = st[1]
    return False


class Processes:
    """What a job left running: processes of the job's uid (the sandbox's uid where the grader
    is root, else the grader's own) that were not there when this was made, other than the warm
    workers themselves.

    Where the job's uid is the sandbox's own (held by one worker at a time), or the user is the
    one made for a mode run (nothing else runs as it), every such process counts. Where the job
    runs as the developer's own user (a suite run as an ordinary user), only those that carry the
    sandbox's environment (TF_GRADER_...) or descend from this process: the developer's editor
    starting a process meanwhile is not the job's."""

    def __init__(self, uid: int | None) -> None:
        self.uid = os.geteuid() if uid is None else uid
        self.strict = uid is not None or (asked_mode() in ("user-bwrap", "user-nobwrap") and _user_name() == TEST_USER)
        self.before = {pid: st[2] for pid in live_pids() if _uid(pid) == self.uid and (st := _stat(pid))}

    def left(self) -> list[int]:
        chain = worker_chain() | {os.getpid()}
        found = []
        for pid in live_pids():
            st = _stat(pid)
            if st is None or st[0] in ("Z", "X") or pid in chain or _uid(pid) != self.uid:
                continue
            if self.before.get(pid) == st[2]:
                continue
            if self.strict or b"TF_GRADER_" in _environ(pid) or _descends_from_me(pid):
                found.append(pid)
        return sorted(found)

    def kill_left(self, wait_s: float = 5.0) -> list[str]:
        """SIGKILL what the job left (so that one failing case does not spoil the next) and
        return it as found before the kill, each as "PID: command line"."""
        found = self.left()
        described = [f"{pid}: {' '.join(cmdline(pid))[:80]}" for pid in found]
        deadline = time.monotonic() + wait_s
        pids = found
        while pids and time.monotonic() < deadline:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)
            pids = [p for p in pids if _alive(p)]
        return described


def processes_with_comm(name: str) -> list[int]:
    """Live processes whose name (/proc/PID/comm) is `name`: how a test's own daemon marks
    itself, so that it is found whatever uid it runs as and wherever it was reparented."""
    found = []
    for pid in live_pids():
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == name and _alive(pid):
                    found.append(pid)
        except OSError:
            pass
    return found


def kill_pids(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


# --- making a mode --------------------------------------------------------------------------------


def why_not(mode: str) -> str | None:
    """Why `mode` cannot be made on this machine from this process, or None if it can."""
    from grader.sandbox.plan import bubblewrap_works

    if mode not in MODES:
        return f"no mode {mode!r}"
    who, bwrap = mode.split("-")
    if who == "root" and os.geteuid() != 0:
        return "the suite does not run as root, and only root runs a grader as root"
    if who == "user" and os.geteuid() != 0:  # it could run as this user: then a job that kills
        # every process it may (kill_the_grader) would end the developer's whole session
        return "the suite does not run as root, so it cannot become a user made for the test"
    if who == "user" and not (shutil.which("setpriv") and shutil.which("useradd")):
        return "setpriv and useradd (util-linux, passwd) are needed to become a test user"
    if bwrap == "bwrap" and not bubblewrap_works():
        return "bubblewrap is not installed or not allowed on this machine"
    return None


def path_without_bwrap(folder: Path, path: str) -> str:
    """A PATH of one folder holding a link to every program on `path` but bwrap (the first of
    each name, as a PATH lookup finds it)."""
    folder.mkdir(parents=True, exist_ok=True)
    for entry in path.split(os.pathsep):
        if not entry or not os.path.isdir(entry):
            continue
        for name in os.listdir(entry):
            target = os.path.join(entry, name)
            if name == "bwrap" or os.path.lexists(folder / name) or not os.access(target, os.X_OK):
                continue
            (folder / name).symlink_to(target)
    folder.chmod(0o755)
    return str(folder)


class MemoryCgroup:
    """A memory cgroup of `mb` MiB below this process's own (v1's memory hierarchy, or v2's where
    its memory controller is delegated), as Docker's `--memory` makes for a container: the
    kernel's OOM killer acts in it. `prefix` puts a command in it; `peak_mb` is what it held
    at most (v1 only). Root only; `why_not` says why it cannot be made here."""

    def __init__(self, mb: int, name: str) -> None:
        self.folder = self._parent() / f"tfg-{name}-{os.getpid()}"
        self.mb = mb

    @staticmethod
    def _parent() -> Path:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            mount = Path("/sys/fs/cgroup/memory") if "memory" in controllers.split(",") else None
            if mount is None and controllers == "" and Path("/sys/fs/cgroup/cgroup.controllers").exists():
                mount = Path("/sys/fs/cgroup")
            if mount is not None:
                folder = mount / path.lstrip("/")
                return folder if folder.is_dir() else mount
        return Path("/sys/fs/cgroup/memory")

    @classmethod
    def why_not(cls) -> str | None:
        if os.geteuid() != 0:
            return "only root makes a memory cgroup here"
        parent = cls._parent()
        if not ((parent / "memory.limit_in_bytes").exists() or "memory" in _read(parent / "cgroup.subtree_control")):
            return f"no memory controller to use under {parent}"
        return None

    def __enter__(self) -> "MemoryCgroup":
        self.folder.mkdir()
        limit = self.mb << 20
        v1 = self.folder / "memory.limit_in_bytes"
        (v1 if v1.exists() else self.folder / "memory.max").write_text(str(limit))
        return self

    def prefix(self) -> list[str]:
        return ["sh", "-c", f'echo $$ > {shlex.quote(str(self.folder / "cgroup.procs"))} && exec "$@"', "in-cgroup"]

    def peak_mb(self) -> int | None:
        peak = self.folder / "memory.max_usage_in_bytes"
        return int(peak.read_text()) >> 20 if peak.exists() else None

    def __exit__(self, *_: object) -> None:
        for _ in range(50):  # its last processes may still be exiting
            try:
                self.folder.rmdir()
                return
            except OSError:
                time.sleep(0.1)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def make_test_user() -> tuple[int, int]:
    """The uid and gid of the test user, made if missing (root only)."""
    if subprocess.run(["id", "-u", TEST_USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        "--user-group", TEST_USER], check=True, capture_output=True)  # fmt: skip
    uid, gid = (int(subprocess.run(["id", flag, TEST_USER], capture_output=True, text=True, check=True).stdout)
                for flag in ("-u", "-g"))  # fmt: skip
    return uid, gid


def needed_paths() -> list[Path]:
    """What a run of the suite reads: the repository, the venv, the interpreter it links to."""
    paths = {ROOT, Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve(),
             Path(os.path.realpath(sys.base_prefix))}  # fmt: skip
    return sorted(p for p in paths if p.exists())


def closed_dirs(paths: list[Path]) -> list[Path]:
    """Folders on the way to `paths` that others may not enter (no o+x), e.g. /root (0700) above
    a pyenv interpreter: outermost first."""
    closed = set()
    for path in paths:
        for parent in reversed(path.parents):
            if parent != Path("/") and not os.stat(parent).st_mode & 0o001:
                closed.add(parent)
    return sorted(closed, key=lambda p: len(p.parts))


def reveal_script(paths: list[Path], hold: Path) -> str:
    """Shell commands that, run as root in a mount namespace of their own, let another user reach
    `paths` without changing this machine: each closed folder on the way is covered by an empty
    tmpfs (mode 0755) that holds only the way on, bound back from the real one. Nothing outside
    that namespace changes; the test user sees nothing else of the closed folder."""
    lines = []
    n = 0
    for closed in closed_dirs(paths):
        ways = sorted({Path(*p.parts[:len(closed.parts) + 1]) for p in paths if closed in p.parents})
        held = []
        for way in ways:
            n += 1
            spot = hold / str(n)
            lines.append(f"mkdir -p {shlex.quote(str(spot))}" if way.is_dir() else f"touch {shlex.quote(str(spot))}")
            lines.append(f"mount --bind {shlex.quote(str(way))} {shlex.quote(str(spot))}")
            held.append((way, spot))
        lines.append(f"mount -t tmpfs -o mode=0755 tfg-modes {shlex.quote(str(closed))}")
        for way, spot in held:
            lines.append(f"mkdir -p {shlex.quote(str(way))}" if way.is_dir() else f"touch {shlex.quote(str(way))}")
            lines.append(f"mount --move {shlex.quote(str(spot))} {shlex.quote(str(way))}")
    return "\n".join(lines)


class ModeRun:
    """One run of pytest in `mode`, set up in a fresh folder: a HOME, pytest's base temp, and
    for a user mode, that folder owned by the test user.

    >>> with ModeRun("user-nobwrap") as run:
    ...     done = run.pytest(["tests/test_hostile.py"], timeout=1800)"""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.who, self.bwrap = mode.split("-")
        self.base = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{mode}-"))
        self.base.chmod(0o755)
        (self.base / "home").mkdir()
        self.uid = self.gid = None
        path = os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")
        if self.bwrap == "nobwrap":
            path = path_without_bwrap(self.base / "bin", path)
        self.env = {
            "PATH": path, "HOME": str(self.base / "home"), "LANG": "C.UTF-8",
            "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
            "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "250", MODE_ENV: mode,
        }  # fmt: skip
        self.prefix: list[str] = []
        if self.who == "user":
            self.uid, self.gid = make_test_user()
            subprocess.run(["chown", "-R", f"{self.uid}:{self.gid}", str(self.base / "home")], check=True)
            become = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", "--"]
        elif self.bwrap == "nobwrap":  # root as in a Docker container (Gradescope): no CAP_SYS_ADMIN
            become = ["setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin", "--"]
        else:
            become = []
        # the job's uid (the test user's, or a sandbox uid of root's without bubblewrap) must reach
        # the interpreter: one under /root gets a mount namespace of the run's own
        script = reveal_script(needed_paths(), self.base / "hold") if become else ""
        if script:
            self.prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-ec",
                           script + '\nexec "$@"', "reveal", *become]  # fmt: skip
        else:
            self.prefix = become
        self.revealed = bool(script)

    def command(self, argv: list[str]) -> list[str]:
        return [*self.prefix, *argv]

    def run(self, argv: list[str], timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(argv), cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=timeout)  # fmt: skip

    def pytest(self, args: list[str], timeout: float) -> tuple[int | None, str, list[dict]]:
        """pytest in this mode: (exit code, or None when it ran out of time; its output; the
        records conftest wrote as each test started and ended)."""
        log = self.base / "pytest.log"
        report = self.base / "home" / "report.jsonl"
        report.write_text("")
        if self.uid is not None:
            os.chown(report, self.uid, self.gid)
        basetemp = self.base / "home" / "pytest"
        argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "-ra",
                f"--basetemp={basetemp}", *args]  # fmt: skip
        with open(log, "w") as out:
            proc = subprocess.Popen(self.command(argv), cwd=ROOT, env={**self.env, REPORT_ENV: str(report)},
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
            try:
                code: int | None = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                code = None
        self.kill_leftovers()
        records = []
        for line in report.read_text(errors="replace").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                pass  # a line cut short by a kill
        return code, log.read_text(errors="replace"), records

    def kill_leftovers(self) -> list[int]:
        """Every process of the test user (nothing but these runs is ever one), by pid."""
        if self.uid is None:
            return []
        pids = [p for p in live_pids() if _uid(p) == self.uid]
        for _ in range(50):
            alive = [p for p in pids if _alive(p)]
            if not alive:
                break
            kill_pids(alive)
            time.sleep(0.1)
        return pids

    def close(self) -> None:
        self.kill_leftovers()
        if self.uid is not None:  # what the user's runs left in the shared temporary folders (a
            # killed grader's exchange and scratch folders, Dask's and matplotlib's): all theirs
            for shared in {Path(tempfile.gettempdir()), Path("/tmp"), Path("/dev/shm")}:
                for entry in shared.iterdir() if shared.is_dir() else []:
                    try:
                        if entry.lstat().st_uid == self.uid:
                            subprocess.run(["rm", "-rf", "--", str(entry)], capture_output=True)
                    except OSError:
                        pass
        subprocess.run(["rm", "-rf", "--", str(self.base)], capture_output=True)

    def __enter__(self) -> "ModeRun":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
