"""The grader's handle on one warm worker: start it, send it jobs, restart it if it dies."""

from __future__ import annotations

import os
import re
import select
import subprocess
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, ValidationError

from grader.errors import BadInput, SandboxError
from grader.models import Job, JobEnd, WorkerInfo
from grader.sandbox.devices import nvidia_nodes, plan_devices
from grader.sandbox.plan import SandboxPlan, UidSlot, plan_worker

START_TIMEOUT_S = 180.0
TF_LOG = re.compile(r"^([IWE]\d{4} |WARNING: All log messages)")
GRACE_S = 30.0  # on top of a job's wall time, for the worker to kill, collect and answer


class Worker:
    """A sandboxed process that has imported TensorFlow once and forks a child per job.

    >>> with Worker(course_root) as worker:
    ...     end = worker.run(job)
    """

    def __init__(self, course_root: Path, *, device: str = "cpu", index: int = 0) -> None:
        devices = plan_devices(device, nvidia_nodes(), index)
        self._slot = UidSlot() if os.geteuid() == 0 else None
        self.plan: SandboxPlan = plan_worker(
            course_root, devices=devices, uid=self._slot.uid if self._slot else None
        )
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
        try:
            self._proc.stdin.write(job.model_dump_json().encode() + b"\n")
            self._proc.stdin.flush()
            line = self._read_line(time.monotonic() + job.limits.wall_s + GRACE_S)
        except BrokenPipeError:
            line = None
        if line is not None:
            try:
                return _parse(JobEnd, line)
            except SandboxError:
                pass
        why = self._stderr_tail()
        self.close()
        self._spawn()
        self._info = self._ready()
        return JobEnd(events="", exit_code=None, signal=None, output_tail=f"worker lost: {why}")

    def _read_line(self, deadline: float) -> bytes | None:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

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
        if self._slot is not None:
            self._slot.release()
            self._slot = None

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def _parse(model: type[BaseModel], line: bytes):  # noqa: ANN202
    try:
        return model.model_validate_json(line)
    except ValidationError as exc:
        raise SandboxError(f"the sandbox worker sent a malformed {model.__name__}") from exc
