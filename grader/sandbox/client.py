"""The grader's handle on one warm worker: start it, send it jobs, restart it if it dies."""

from __future__ import annotations

import json
import os
import re
import select
import stat
import subprocess
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, ValidationError

from grader.errors import BadInput, SandboxError
from grader.models import Job, JobEnd, WorkerInfo
from grader.sandbox.cgroup import fitted_mb
from grader.sandbox.devices import nvidia_nodes, plan_devices
from grader.sandbox.plan import SandboxPlan, UidSlot, plan_worker
from grader.sandbox.scratch import remove_tree

START_TIMEOUT_S = 180.0
TF_LOG = re.compile(r"^([IWE]\d{4} |WARNING: All log messages)")
GRACE_S = 30.0  # on top of a job's wall time, for the worker to kill, collect and answer


class Worker:
    """A sandboxed process that has imported TensorFlow once and forks a child per job.

    >>> with Worker(course_root) as worker:
    ...     end = worker.run(job)
    """

    def __init__(self, course_root: Path, *, device: str = "cpu", index: int = 0, share: int = 1) -> None:
        self._share = share  # workers side by side: each job gets its share of a container's memory
        self.course_root = course_root
        devices = plan_devices(device, nvidia_nodes(), index)
        self._slot = UidSlot() if os.geteuid() == 0 else None
        self._exchange = _exchange_folder()
        self._events, self._events_w = os.pipe()  # the write end goes to every worker we start
        os.set_blocking(self._events, False)
        self.plan: SandboxPlan = plan_worker(
            course_root, devices=devices, uid=self._slot.uid if self._slot else None,
            exchange=self._exchange, events_fd=self._events_w,
        )  # fmt: skip
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._spawn()
        self._info: WorkerInfo | None = None

    @property
    def info(self) -> WorkerInfo:
        """What the worker reported once warm; waits for it the first time."""
        if self._info is None:
            self._info = self._ready()
        return self._info

    def _spawn(self) -> None:
        """Start the process without waiting for TensorFlow: several workers warm up together.

        bwrap's --die-with-parent ties the worker to the *thread* that spawned it, so spawn from
        a thread that outlives the worker's use (the main thread, or the one using it)."""
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            self.plan.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=self.plan.env,
            start_new_session=True,
            pass_fds=(self._events_w,),
        )
        self._buffer = b""

    def _ready(self) -> WorkerInfo:
        line = self._read_line(time.monotonic() + START_TIMEOUT_S)
        if line is None:
            why = self._stderr_tail()
            self.close()
            raise SandboxError(f"the sandbox worker did not start: {why}")
        info = _parse(WorkerInfo, line)
        if info.device == "unavailable":
            self.shutdown()
            raise BadInput("--device gpu: TensorFlow sees no GPU on this machine")
        return info

    def run(self, job: Job) -> JobEnd:
        """Run one job. A worker that dies or stops answering is replaced; the job is reported
        as crashed (the worker never runs submission code, so this is rare and not the
        student's doing: the message says so)."""
        assert self._proc is not None and self._proc.stdin is not None
        memory_mb = fitted_mb(job.limits.memory_mb, self._share)  # the warm workers are in the usage now
        job = job.model_copy(update={"limits": job.limits.model_copy(update={"memory_mb": memory_mb})})
        files, output = self._exchange / f"{job.exchange_name}.in", self._exchange / f"{job.exchange_name}.out"
        files.write_text(json.dumps(job.files))  # the child reads it; the worker never does
        self._take_events(None)  # anything a lost worker's job wrote late is not this job's
        events = _Capped(job.limits.result_mb << 20)
        try:
            self._proc.stdin.write(job.model_copy(update={"files": {}}).model_dump_json().encode() + b"\n")
            self._proc.stdin.flush()
            line = self._read_line(time.monotonic() + job.limits.wall_s + GRACE_S, events)
        except BrokenPipeError:
            line = None
        self._take_events(events)  # the job's processes are dead: what they wrote is all there
        printed = _tail(output, job.limits.output_kb << 10)
        files.unlink(missing_ok=True)
        output.unlink(missing_ok=True)
        if line is not None:
            try:
                end = _parse(JobEnd, line)
            except SandboxError:
                pass
            else:
                printed = printed.replace(f"{end.scratch}{os.sep}", "") if end.scratch else printed
                if end.worker_retired:  # it could not clean up after this job: it has exited
                    self._restart()
                return end.model_copy(update={"events": events.text(), "result_overflow": events.over,
                                              "output_tail": printed, "memory_mb": memory_mb})  # warnings name the student's file
        why = self._stderr_tail()
        self._restart()
        return JobEnd(events="", exit_code=None, signal=None, output_tail=f"worker lost: {why}", memory_mb=memory_mb)

    def _restart(self) -> None:
        self.close()
        self._spawn()
        self._info = self._ready()

    def _read_line(self, deadline: float, events: "_Capped | None" = None) -> bytes | None:
        """The worker's next line; meanwhile the job's events, read as they come (a child
        blocked on a full pipe would never finish)."""
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd, self._events], [], [], left)
            if self._events in ready:
                self._take_events(events)
            if fd not in ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def _take_events(self, events: "_Capped | None") -> None:
        while True:
            try:
                chunk = os.read(self._events, 1 << 16)
            except BlockingIOError:
                return
            if events is not None:
                events.add(chunk)

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        lines = [line for line in lines if not TF_LOG.match(line)]  # TensorFlow's start-up noise
        return lines[-1] if lines else "no message"

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                try:
                    os.killpg(self._proc.pid, 9)
                except OSError:
                    pass
            self._proc.wait()
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream is not None:
                    stream.close()
            self._proc = None
            self._stderr.close()

    def shutdown(self) -> None:
        """Close for good, giving back the uid slot."""
        self.close()
        if self._events_w is not None:
            os.close(self._events)
            os.close(self._events_w)
            self._events_w = None
            remove_tree(str(self._exchange))
        if self._slot is not None:
            self._slot.release()
            self._slot = None

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


EXCHANGE_PREFIX = "tf-grader-exchange-"


def _exchange_folder() -> Path:
    """A folder for this worker's exchange with its jobs, named after this process (which owns
    it): a grader killed with SIGKILL cannot remove its own, so the next one removes every
    folder of ours whose owner is dead (they hold students' sources). Whatever else carries the
    name (anyone may make one in the temp folder: a file, a link, another user's folder, a pid
    that is no number a process can have, a chain thousands deep) is left alone or removed
    without recursion: it never stops a run."""
    parent = Path(tempfile.gettempdir())
    for stale in parent.glob(f"{EXCHANGE_PREFIX}*"):
        owner = stale.name[len(EXCHANGE_PREFIX):].split("-")[0]
        try:
            info = os.lstat(stale)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            continue
        if owner.isdigit() and not _alive(int(owner)):
            remove_tree(str(stale))
    return Path(tempfile.mkdtemp(prefix=f"{EXCHANGE_PREFIX}{os.getpid()}-", dir=parent))


def _alive(pid: int) -> bool:
    if not 0 < pid <= PID_MAX:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # not ours to signal: alive
    return True


PID_MAX = 1 << 22  # Linux's largest pid_max


class _Capped:
    """A job's event bytes, up to a limit; the rest is counted as overflow, not kept."""

    def __init__(self, limit: int) -> None:
        self.limit, self.data, self.over = limit, bytearray(), False

    def add(self, chunk: bytes) -> None:
        room = self.limit - len(self.data)
        self.data += chunk[:max(room, 0)]
        self.over = self.over or len(chunk) > room

    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


def _tail(path: Path, size: int) -> str:
    """The last `size` bytes the job printed. Opened without following a link or waiting, and
    read only if it is the regular file the child made: a job that runs as the grader's own uid
    (a grader that is not root) can replace it by a link to a file of the host (the course's
    solutions), a FIFO that would block, or a device without end."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
            return ""
        os.lseek(fd, max(0, info.st_size - size), os.SEEK_SET)
        return os.read(fd, size).decode("utf-8", "replace")
    except OSError:
        return ""
    finally:
        os.close(fd)


def _parse(model: type[BaseModel], line: bytes):  # noqa: ANN202
    try:
        return model.model_validate_json(line)
    except ValidationError as exc:
        raise SandboxError(f"the sandbox worker sent a malformed {model.__name__}") from exc
