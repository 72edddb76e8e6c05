"""The forked process a submission runs in: lock it down, import it, run the probes.

Everything here runs after `fork()` in a warm worker, so TensorFlow is already imported. Events
go out as JSON lines on a pipe the worker opened; stdout and stderr go to a capped file.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import logging
import os
import resource
import signal
import sys
import tempfile
import types
from pathlib import Path

from pydantic import BaseModel

from grader.bans import watching
from grader.checks import (
    Check, CheckTimeout, checks_in, compiled, describe, load_check_modules, run_probe,
)  # fmt: skip
from grader.models import Job, ModuleImported, Observation, ProbeStarted, Tampered
from grader.sandbox.guard import AuditGuard, Snapshot
from grader.sandbox.landlock import confine
from grader.sandbox.syscalls import install_seccomp_filter

PR_SET_NO_NEW_PRIVS = 38
PR_SET_DUMPABLE = 4
CLONE_NEWIPC = 0x08000000
CHECK_WALL_FACTOR = 10  # a check's wall-time bound, in multiples of its CPU-time limit


def run(job: Job, result_fd: int, scratch: Path, uid: int | None, memory_base: int, machinery: Snapshot) -> None:
    """`result_fd`: the grader's events pipe. The job's files and printed output are in the
    worker's exchange folder, opened here before privileges drop (the job's uid cannot list it).
    `machinery`: the probe machinery as the warm worker found it, compared after the import
    and after every probe."""
    os.setsid()
    os.setpriority(os.PRIO_PROCESS, 0, 0)  # the worker's raised priority is for watching, not for jobs
    exchange = Path(os.environ["TF_GRADER_EXCHANGE"])
    files = json.loads((exchange / f"{job.exchange_name}.in").read_text())
    for name, source in files.items():
        (scratch / name).write_text(source)
    out = os.open(exchange / f"{job.exchange_name}.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.closerange(3, result_fd)
    os.closerange(result_fd + 1, 65536)
    result_fd = _private(result_fd)
    os.environ.pop("TF_GRADER_EVENTS_FD", None)
    _limit(job, memory_base)
    if uid is not None:
        # System V shared memory, semaphores and queues of the job's own, gone with its last
        # process: in the worker's namespace they would outlive the job, and hold memory that no
        # limit counts while the next submissions are graded. Where root may not (a container
        # without CAP_SYS_ADMIN), the seccomp filter below still refuses to make them
        if sys.platform == "linux":
            ctypes.CDLL(None).unshare(CLONE_NEWIPC)
        for path in [scratch, *scratch.iterdir()]:
            os.chown(path, uid, uid)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # drops every capability
    libc = ctypes.CDLL(None)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # no other process of the uid reads our memory
    if readable := os.environ.pop("TF_GRADER_READABLE", ""):  # the plan found Landlock here
        confine(readable.split(os.pathsep), [str(scratch)])
    install_seccomp_filter()
    os.set_inheritable(result_fd, False)  # nor does a program the submission runs write on it
    os.chdir(scratch)
    os.environ["TMPDIR"] = str(scratch)  # temporary files (Keras saves through them) stay private
    os.environ["HOME"] = str(scratch)  # so do ~/.keras and the like
    tempfile.tempdir = None
    sys.path.insert(0, str(scratch))
    channel = os.fdopen(result_fd, "w", buffering=1)
    # the probes call fit() on many small models in one process, which TensorFlow warns about as
    # "triggered tf.function retracing": the grader's doing, not the student's
    logging.getLogger("tensorflow").addFilter(lambda record: "tf.function retracing" not in record.getMessage())

    token = job.token
    dump = BaseModel.model_dump_json  # taken before the submission runs: it may replace pydantic's

    def send(event: Observation | ProbeStarted | ModuleImported) -> None:
        try:
            line = dump(event)
        except ValueError as exc:  # what the submission returned cannot be written: that check's loss
            if not isinstance(event, Observation):
                raise
            line = dump(Observation(check=event.check, error=f"what your code returned could not be sent ({exc})"[:300]))
        channel.write(f"{token} {line}\n")

    checks: dict[str, Check] = {}
    for module in load_check_modules(_sources(job)).values():
        checks.update({c.name: c for c in checks_in(module, hidden=False)})
    refused: set[str] = set()

    def report(what: str) -> None:
        if what not in refused:
            refused.add(what)
            send(Tampered(what=f"the submission used {what}, which reaches into the grader: refused"))

    AuditGuard(scratch, report).install()
    modules: dict[str, types.ModuleType | None] = {}
    signal.signal(signal.SIGALRM, _on_timer)
    signal.signal(signal.SIGPROF, _on_timer)
    # the APIs any watched check bans are wrapped while the submission is imported too: what it
    # keeps then (a banned function under a name of its own) reports to the checks that ban it
    bans = tuple(dict.fromkeys(b for call in job.calls if call.watch for b in checks[call.check].forbid))
    for call in job.calls:
        if call.module not in modules:
            with watching(bans, None):
                modules[call.module] = _import(call.module, scratch, job, send)
            if changed := machinery.changed():  # nothing observed from here on can be trusted
                send(Tampered(what=f"{changed} when {call.module}.py was imported", withheld=True))
                break
        send(ProbeStarted(check=call.check))
        module = modules[call.module]
        if module is None:
            send(Observation(check=call.check, error=f"{call.module}.py could not be imported"))
            continue
        _timers(job.limits.check_s)
        try:
            observation = run_probe(checks[call.check], module, job.seed, watch=call.watch)
        except CheckTimeout as stop:
            observation = Observation(check=call.check, error=_timed_out(stop, job.limits.check_s))
        finally:
            _timers(0)
        if changed := machinery.changed():
            send(Tampered(what=f"{changed} while check {call.check} ran", withheld=True))
            break
        send(observation)
    channel.flush()


def _private(fd: int) -> int:
    """The events pipe, reopened: a file description of this job's own, so that what the
    submission sets on it (O_NONBLOCK, packet mode) is not the worker's and the next job's.
    Where there is no /proc (macOS) the shared one stays; there is no other student there."""
    try:
        mine = os.open(f"/proc/self/fd/{fd}", os.O_WRONLY)
    except OSError:
        return fd
    os.dup2(mine, fd)
    os.close(mine)
    return fd


def prepare(job: Job) -> None:
    """Run in the warm worker before it forks: compile the check modules there once, so
    children of later jobs with the same checks only execute them."""
    for source, filename in _sources(job).values():
        compiled(source, filename)


def _sources(job: Job) -> dict[str, tuple[str, str]]:
    return {name: (source, f"{name}.py") for name, source in job.check_sources.items()}


def _on_timer(signum: int, frame: object) -> None:
    raise CheckTimeout(signum)


def _timers(check_s: float) -> None:
    """Stop a check after `check_s` of this process's CPU time (its own work, whatever else runs
    on the machine) or CHECK_WALL_FACTOR times as much wall time (it sleeps or blocks); 0: off."""
    signal.setitimer(signal.ITIMER_PROF, check_s)
    signal.setitimer(signal.ITIMER_REAL, check_s * CHECK_WALL_FACTOR)


def _timed_out(stop: CheckTimeout, check_s: float) -> str:
    if stop.args and stop.args[0] == signal.SIGALRM:
        return f"timed out after {check_s * CHECK_WALL_FACTOR:g} s of wall time (waiting, not computing)"
    return f"timed out after {check_s:g} s of CPU time"


def _import(name: str, scratch: Path, job: Job, send) -> types.ModuleType | None:  # noqa: ANN001
    path = scratch / f"{name}.py"
    if not path.is_file():
        send(ModuleImported(module=name, error=f"there is no {name}.py"))
        return None
    _timers(job.limits.check_s)
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        if job.notebook:  # what a Jupyter kernel has without an import (the code may redefine them)
            module.__dict__.update(display=_display, get_ipython=lambda: None)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except CheckTimeout as stop:
        send(ModuleImported(module=name, error=f"import {_timed_out(stop, job.limits.check_s)}"))
        return None
    except BaseException as exc:  # SystemExit and KeyboardInterrupt at import are failures too
        send(ModuleImported(module=name, error=describe(exc, chain=True)))
        return None
    finally:
        _timers(0)
    send(ModuleImported(module=name))
    return module


def _display(*values: object, **_: object) -> None:
    """IPython's display() where there is no notebook to show in: the text it would show."""
    print(*(v if isinstance(v, str) else repr(v) for v in values))


def _limit(job: Job, memory_base: int) -> None:
    limits = job.limits
    cpu = int(limits.cpu_s)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb << 20, limits.file_mb << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    try:  # when a container runs out all the same, its OOM killer takes the job, not the worker
        Path("/proc/self/oom_score_adj").write_text("1000")
    except OSError:
        pass
    if os.environ.get("TF_GRADER_DEVICE") == "cpu":  # CUDA needs unlimited address space:
        # on a GPU the worker's memory watchdog is the limit
        space = memory_base + (limits.memory_mb << 20)
        resource.setrlimit(resource.RLIMIT_AS, (space, space))
