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

from grader.checks import (
    Check, CheckTimeout, checks_in, compiled, describe, load_check_modules, run_probe,
)  # fmt: skip
from grader.models import Job, ModuleImported, Observation, ProbeStarted

PR_SET_NO_NEW_PRIVS = 38


def run(job: Job, result_fd: int, scratch: Path, uid: int | None, memory_base: int) -> None:
    """`result_fd`: the grader's events pipe. The job's files and printed output are in the
    worker's exchange folder, opened here before privileges drop (the job's uid cannot list it)."""
    os.setsid()
    exchange = Path(os.environ["TF_GRADER_EXCHANGE"])
    files = json.loads((exchange / f"{job.token}.in").read_text())
    for name, source in files.items():
        (scratch / name).write_text(source)
    out = os.open(exchange / f"{job.token}.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.closerange(3, result_fd)
    os.closerange(result_fd + 1, 65536)
    _limit(job, memory_base)
    if uid is not None:
        for path in [scratch, *scratch.iterdir()]:
            os.chown(path, uid, uid)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # drops every capability
    ctypes.CDLL(None).prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    os.chdir(scratch)
    os.environ["TMPDIR"] = str(scratch)  # temporary files (Keras saves through them) stay private
    tempfile.tempdir = None
    sys.path.insert(0, str(scratch))
    channel = os.fdopen(result_fd, "w", buffering=1)
    # the probes call fit() on many small models in one process, which TensorFlow warns about as
    # "triggered tf.function retracing": the grader's doing, not the student's
    logging.getLogger("tensorflow").addFilter(lambda record: "tf.function retracing" not in record.getMessage())

    token = job.token

    def send(event: Observation | ProbeStarted | ModuleImported) -> None:
        channel.write(f"{token} {event.model_dump_json()}\n")

    checks: dict[str, Check] = {}
    for module in load_check_modules(_sources(job)).values():
        checks.update({c.name: c for c in checks_in(module, hidden=False)})
    modules: dict[str, types.ModuleType | None] = {}
    signal.signal(signal.SIGALRM, _on_alarm)
    for call in job.calls:
        if call.module not in modules:
            modules[call.module] = _import(call.module, scratch, job, send)
        send(ProbeStarted(check=call.check))
        module = modules[call.module]
        if module is None:
            send(Observation(check=call.check, error=f"{call.module}.py could not be imported"))
            continue
        signal.setitimer(signal.ITIMER_REAL, job.limits.check_s)
        try:
            observation = run_probe(checks[call.check], module, job.seed, watch=call.watch)
        except CheckTimeout:
            observation = Observation(
                check=call.check, error=f"timed out after {job.limits.check_s:g} s"
            )
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        send(observation)
    channel.flush()


def prepare(job: Job) -> None:
    """Run in the warm worker before it forks: compile the check modules there once, so
    children of later jobs with the same checks only execute them."""
    for source, filename in _sources(job).values():
        compiled(source, filename)


def _sources(job: Job) -> dict[str, tuple[str, str]]:
    return {name: (source, f"{name}.py") for name, source in job.check_sources.items()}


def _on_alarm(signum: int, frame: object) -> None:
    raise CheckTimeout()


def _import(name: str, scratch: Path, job: Job, send) -> types.ModuleType | None:  # noqa: ANN001
    path = scratch / f"{name}.py"
    if not path.is_file():
        send(ModuleImported(module=name, error=f"there is no {name}.py"))
        return None
    signal.setitimer(signal.ITIMER_REAL, job.limits.check_s)
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except CheckTimeout:
        send(ModuleImported(module=name, error=f"import timed out after {job.limits.check_s:g} s"))
        return None
    except BaseException as exc:  # SystemExit and KeyboardInterrupt at import are failures too
        send(ModuleImported(module=name, error=describe(exc)))
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    send(ModuleImported(module=name))
    return module


def _limit(job: Job, memory_base: int) -> None:
    limits = job.limits
    cpu = int(limits.cpu_s)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb << 20, limits.file_mb << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    if os.environ.get("TF_GRADER_DEVICE") == "cpu":  # CUDA needs unlimited address space:
        # on a GPU the worker's memory watchdog is the limit
        space = memory_base + (limits.memory_mb << 20)
        resource.setrlimit(resource.RLIMIT_AS, (space, space))
