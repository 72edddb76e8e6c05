"""Grading one submission: observe it in the sandbox, observe the reference, judge outside.

`grade chapterN` and `grade batch` both call `grade_submission`, with the same limits and judges,
so a local check never disagrees with the batch grade.
"""

from __future__ import annotations

import json
import re
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import TypeAdapter, ValidationError

from grader.bans import forbidden_uses, seen_at_run_time
from grader.checks import Check
from grader.course import Chapter
from grader.errors import BadInput
from grader.judges import judge, reference_problem
from grader.models import (
    CheckResult,
    ChildEvent,
    Environment,
    Job,
    JobEnd,
    Limits,
    ModuleImported,
    Observation,
    ProbeCall,
    ProbeStarted,
    SubmissionResult,
    SubmissionStatus,
    Tampered,
)
from grader.pictures import as_map, write_comparison
from grader.sandbox.client import Worker
from grader.sandbox.plan import SCRATCH_MB
from grader.sandbox.worker import SETUP_FAILED
from grader.notebook import definitions, translate
from grader.submission import Submission, defined_names, syntax_error

DEFAULT_SEED = 2026
HIDDEN_FILES = ("hidden_checks.py",)
_EVENT = TypeAdapter(ChildEvent)
REFERENCE_RETRY_WIDER = 4  # a reference check that failed is observed again with 4x the time
PRESSURE = Path("/proc/pressure/cpu")  # Linux's CPU pressure (PSI): how long runnable tasks waited
STARVED = 0.5  # a timeout while runnable tasks waited this share of the job's time is the machine's
MAX_PICTURE_SIDE = 256  # a picture costs memory quadratic in its side: larger maps get a line instead
MAX_INT_DIGITS = 100_000  # a longer int on the channel is read as one of this many digits
LONE_SURROGATE = re.compile(r"(?<!\\)(?:\\\\)*\\u[dD][89a-fA-F]")  # "\ud800": no UTF-8 text can hold it


@dataclass
class Observed:
    """What came back from one sandboxed run, parsed and validated."""

    observations: dict[str, Observation] = field(default_factory=dict)
    import_errors: dict[str, str] = field(default_factory=dict)
    last_started: str | None = None
    malformed: int = 0
    forged: int = 0
    stalled: float = 0.0  # share of the run's wall time the machine had runnable tasks waiting
    tampered: list[Tampered] = field(default_factory=list)


def parse_events(text: str, token: str) -> Observed:
    """Parse the child's JSON lines. A line that does not start with the job's token was
    written by the submission (it shares the probe's process, and can reach the channel):
    counted as forged, never trusted. Anything malformed is counted, never trusted; the first
    observation of a check wins."""
    seen = Observed()
    prefix = f"{token} "
    for line in text.split("\n"):  # not splitlines: a value's U+2028 is no end of a line
        if not line.strip():
            continue
        if not line.startswith(prefix):
            seen.forged += 1
            continue
        payload = line[len(prefix):]
        try:
            if LONE_SURROGATE.search(payload):  # the child writes UTF-8, never such an escape
                raise ValueError("a lone surrogate")
            event = _EVENT.validate_python(json.loads(payload, parse_int=_json_int))
        except (ValueError, ValidationError, RecursionError):  # RecursionError: nested too deep
            seen.malformed += 1
            continue
        if isinstance(event, ProbeStarted):
            seen.last_started = event.check
        elif isinstance(event, ModuleImported):
            if event.error:
                seen.import_errors.setdefault(event.module, event.error)
        elif isinstance(event, Tampered):
            seen.tampered.append(event)
        else:
            seen.observations.setdefault(event.check, event)
    return seen


def _json_int(text: str) -> int:
    """A JSON integer. Past the digits Python converts from text (4300: the conversion is
    quadratic), an int of the same sign and number of digits (up to MAX_INT_DIGITS) from its
    leading digits: a `**` typo's 10**10000 is judged as the huge number it is, not dropped."""
    if len(text) <= 4000:
        return int(text)
    digits = text.lstrip("-")
    magnitude = int(digits[:16]) * 10 ** (min(len(digits), MAX_INT_DIGITS) - 16)
    return -magnitude if text.startswith("-") else magnitude


def observe(
    worker: Worker,
    files: dict[str, str],
    chapter: Chapter,
    calls: list[ProbeCall],
    seed: int,
    limits: Limits,
    *,
    notebook: bool = False,
) -> tuple[Observed, JobEnd]:
    job = Job(
        files=files, check_sources=chapter.check_sources, calls=calls, seed=seed, limits=limits,
        token=secrets.token_hex(16), notebook=notebook,
    )
    stalled = _stalled_us()
    start = time.monotonic()
    end = worker.run(job)
    seen = parse_events(end.events, job.token)
    after, elapsed = _stalled_us(), time.monotonic() - start
    if stalled is not None and after is not None and elapsed > 0:
        seen.stalled = (after - stalled) / 1e6 / elapsed
    return seen, end


def _stalled_us() -> int | None:
    """Microseconds, since boot, that some runnable task waited for a CPU (None where the
    kernel does not say): a job's timeout while this grew by half its time is the machine's."""
    try:
        some = PRESSURE.read_text().splitlines()[0]
        return int(some.rsplit("total=", 1)[1])
    except (OSError, ValueError, IndexError):
        return None


def reference_observations(
    chapter: Chapter, worker: Worker, *, seed: int, limits: Limits
) -> dict[str, Observation]:
    """The same probes, run on the reference modules of `solutions/chapterN/`. A check whose
    reference could not be observed (under load it can time out) is observed again with
    REFERENCE_RETRY_WIDER times the time limits; what still fails keeps its error, which
    grading reports as the grader's (status `error`), never as the student's.

    Computed once per run (a batch reuses them for every submission)."""
    files = reference_files(chapter)
    calls = [
        ProbeCall(check=c.name, module=chapter.spec.module if c.reference == "solution" else c.reference)
        for c in chapter.checks
    ]
    observed = _observe_reference(worker, files, chapter, calls, seed, limits)
    again = [c for c in calls if reference_problem(observed[c.check])]
    if again:
        wider = limits.model_copy(update={
            "wall_s": limits.wall_s * REFERENCE_RETRY_WIDER, "check_s": limits.check_s * REFERENCE_RETRY_WIDER,
            "cpu_s": limits.cpu_s * REFERENCE_RETRY_WIDER,
        })  # fmt: skip
        observed.update(_observe_reference(worker, files, chapter, again, seed, wider))
    return observed


def reference_files(chapter: Chapter) -> dict[str, str]:
    """The reference modules of `solutions/chapterN/` (its hidden checks run as checks)."""
    if chapter.solution_dir is None:
        raise BadInput(f"{chapter.name} has no solutions/ folder to take reference behaviour from")
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(chapter.solution_dir.glob("*.py"))
        if p.name not in HIDDEN_FILES
    }


def _observe_reference(worker: Worker, files: dict[str, str], chapter: Chapter, calls: list[ProbeCall],
                       seed: int, limits: Limits) -> dict[str, Observation]:  # fmt: skip
    seen, end = observe(worker, files, chapter, calls, seed, limits)
    for call in calls:
        if call.check not in seen.observations:
            why = _ended(end, seen, len(calls), limits) or "no observation"
            seen.observations[call.check] = Observation(check=call.check, error=why)
    return {c.check: seen.observations[c.check] for c in calls}


def grade_submission(
    chapter: Chapter,
    submission: Submission,
    worker: Worker,
    reference: dict[str, Observation],
    *,
    seed: int = DEFAULT_SEED,
    limits: Limits = Limits(),
    pictures: Path | None = None,
    pictures_of_hidden: bool = True,
) -> SubmissionResult:
    """Grade one submission; picture checks write their PNGs into `pictures` when given (a
    hidden check's only with `pictures_of_hidden`: the picture shows the reference's map).

    What the grader or the machine caused is never the student's: a reference that could not
    be observed, a probe's own failure, a lost worker (status `error`), a judge that failed (that
    check only), a timeout while the machine was starved; each makes the result `retryable`."""
    start = time.monotonic()
    env = environment(worker, seed, limits)

    def result(status: SubmissionStatus, checks: list[CheckResult], **extra) -> SubmissionResult:  # noqa: ANN003
        if submission.cells is not None:
            checks, extra = _in_cells(chapter, submission, checks, extra)
        return SubmissionResult(
            chapter=chapter.name, submission=submission.label, status=status, checks=checks,
            environment=env, seconds=round(time.monotonic() - start, 3), **extra,
        )  # fmt: skip

    bad_syntax = syntax_error(submission.source)
    if bad_syntax and submission.cells is not None:
        bad_syntax = translate(bad_syntax, chapter.module_file, submission.cells)
    if bad_syntax:
        return zero_result(
            chapter, submission.label, "syntax_error",
            f"{chapter.module_file}: {bad_syntax}; nothing could run", env,
        )  # fmt: skip
    banned = forbidden_uses(chapter, submission.source)
    calls = [ProbeCall(check=c.name, module=chapter.spec.module, watch=bool(c.forbid)) for c in chapter.checks]
    seen, end = observe(
        worker, {chapter.module_file: submission.source}, chapter, calls, seed, limits,
        notebook=submission.cells is not None,
    )
    ended = _ended(end, seen, len(calls), limits)
    messages = [f"could not import {m}.py: {e}" for m, e in seen.import_errors.items()]
    if seen.forged:
        messages.append(f"the submission wrote {seen.forged} line(s) of its own on the grader's result "
                        "channel: ignored, and the submission is flagged as tampered")
    messages += [f"{t.what}; the submission is flagged as tampered" for t in seen.tampered]
    withheld = next((t.what for t in seen.tampered if t.withheld), None)
    if seen.malformed:
        messages.append(f"{seen.malformed} malformed line(s) on the result channel were ignored")
    if ended and not withheld:
        messages.append(ended)
    lost = end.exit_code is None and end.signal is None  # the worker, not the submission's process
    own = defined_names(submission.source) | {chapter.spec.module}
    ours: list[str] = []  # checks the grader could not judge (its reference, its probe): `error`
    misjudged: list[str] = []  # checks whose judge failed: they alone cost, and are graded again
    checks = []
    for chk in chapter.checks:
        if withheld:
            checks.append(_zero(chk, f"points withheld: {withheld}"))
            continue
        if banned.get(chk.name):
            checks.append(_zero(chk, *banned[chk.name]))
            continue
        ref, mine = reference[chk.name], seen.observations.get(chk.name)
        if reference_problem(ref) is not None or (mine is not None and _probe_failed(mine, chapter, own)):
            ours.append(chk.name)
        if mine is None:
            checks.append(_zero(chk, _why_missing(seen, ended)))
            continue
        if mine.banned:
            checks.append(_zero(chk, *seen_at_run_time(chapter.module_file, mine.banned, chk.forbid)))
            continue
        try:
            judged = _judge(chk, mine, ref, env.device, chapter, own)
        except Exception as exc:  # a judge's bug costs this check, never the row
            misjudged.append(chk.name)
            why = f"the grader failed while judging this check ({_one_line(exc)}): the grader's error, not your code's"
            judged = _zero(chk, why).model_copy(update={"status": "error"})
        if chk.picture and pictures is not None and (pictures_of_hidden or not chk.hidden):
            judged = _with_picture(chk, judged, mine, ref, pictures)
        checks.append(judged)
    again = "not the submission's doing; the same command grades it again"
    if ours:
        messages.append(f"the grader could not judge {', '.join(ours)} (see each check): {again}")
    if misjudged:
        messages.append(f"the grader failed while judging {', '.join(misjudged)}: {again}")
    if lost:
        messages.append(f"the sandbox lost its worker while grading this submission: {again}")
    memory = _memory_errors(seen)
    if memory and not end.out_of_memory:
        messages.append(f"the memory limit ({_memory_limit(end, limits)}) was reached in {', '.join(memory)}")
    starved = _timed_out(end, seen) if seen.stalled >= STARVED else []
    if starved:
        messages.append(f"{', '.join(starved)} timed out while the machine was short of CPU (tasks waited "
                        f"{seen.stalled:.0%} of the time): maybe the machine's doing, not your code's; "
                        "the same command grades it again")
    status = _status(seen, end, len(chapter.checks), ours=bool(ours or lost), memory=bool(memory))
    return result(status, checks, messages=messages, output_tail=end.output_tail,
                  retryable=bool(ours or lost or misjudged or starved))


def _status(seen: Observed, end: JobEnd, checks: int, *, ours: bool, memory: bool) -> SubmissionStatus:
    """The one word for how the run went, the most telling first."""
    if seen.forged or seen.tampered:  # for the instructor to see first, whatever else happened
        return "tampered"
    if ours:
        return "error"
    if end.timed_out or end.cpu_exceeded or any("timed out" in e for e in seen.import_errors.values()):
        return "timed_out"
    if end.out_of_memory or memory:
        return "out_of_memory"
    if len(seen.observations) < checks and not seen.import_errors:
        return "crashed"
    return "completed"


def _probe_failed(mine: Observation, chapter: Chapter, own: set[str]) -> bool:
    """Whether the probe stopped on an error of its own (our tracing, our helper), not of the
    submission: the error names no line of the submission and nothing it defines (a missing
    function, a call with the wrong arguments), and is not a limit the submission reached.

    Read from the error's text, so a probe that trips over what the submission returned (None
    where a model was due) counts as the probe's: the row is graded again, never a zero on a
    failure of ours."""
    error = mine.error
    if error is None or f"({chapter.module_file}, line" in error or error.startswith(STUDENT_ERRORS):
        return False
    return "could not be imported" not in error and not own & set(re.findall(r"\w+", error))


STUDENT_ERRORS = ("timed out", "MemoryError", "SystemExit", "KeyboardInterrupt")


def _memory_errors(seen: Observed) -> list[str]:
    """Checks where the submission hit the memory limit (a MemoryError inside the process)."""
    return [
        name for name, o in seen.observations.items()
        if (o.error or "").startswith("MemoryError") or any((c.error or "").startswith("MemoryError") for c in o.cases)
    ]  # fmt: skip


def _timed_out(end: JobEnd, seen: Observed) -> list[str]:
    """Checks (or the import, or the run) that ran out of wall time. Not those out of CPU time:
    a job's CPU time is its own whatever the machine's load (its own threads waiting for the
    cores, which the kernel counts as pressure too, are its doing)."""
    found = [name for name, o in seen.observations.items()
             if (o.error or "").startswith("timed out") and "wall time" in (o.error or "")]  # fmt: skip
    found += [f"the import of {m}.py" for m, e in seen.import_errors.items() if "timed out" in e and "wall time" in e]
    return found or (["the run"] if end.timed_out else [])


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def environment(worker: Worker, seed: int, limits: Limits) -> Environment:
    """What a result records about where it was graded."""
    return Environment(
        seed=seed,
        **worker.info.model_dump(include={"python", "tensorflow", "keras", "numpy", "device"}),
        isolation=worker.plan.isolation,
        limits=limits,
    )


def zero_result(
    chapter: Chapter, label: str, status: SubmissionStatus, why: str, env: Environment
) -> SubmissionResult:
    """A submission that could not run at all: every check at zero, saying why."""
    return SubmissionResult(
        chapter=chapter.name, submission=label, status=status,
        checks=[_zero(c, why) for c in chapter.checks], messages=[why], environment=env,
    )  # fmt: skip


def _in_cells(
    chapter: Chapter, submission: Submission, checks: list[CheckResult], extra: dict
) -> tuple[list[CheckResult], dict]:
    """A notebook submission: feedback and printed output name the code cell and line, not the
    joined module's line; a function defined in several cells is pointed out (the last
    definition is graded)."""
    cells = submission.cells or ()

    def where(text: str) -> str:
        return translate(text, chapter.module_file, cells)

    checks = [c.model_copy(update={"feedback": [where(f) for f in c.feedback]}) for c in checks]
    messages = [where(m) for m in extra.get("messages", [])]
    for name, found in definitions(submission.source, cells).items():
        if len(found) > 1:
            listed = ", ".join(str(n) for n in found)
            messages.append(f"{name} is defined in code cells {listed}; the last one (cell {found[-1]}) is graded")
    return checks, {**extra, "messages": messages, "output_tail": where(extra.get("output_tail", ""))}


def _judge(chk: Check, mine: Observation, ref: Observation, device: str, chapter: Chapter,
           own: set[str]) -> CheckResult:  # fmt: skip
    judged = judge(mine, ref, chk.comparison(device), chk.partial)
    feedback, status = judged.feedback, judged.status
    if status != "error" and _probe_failed(mine, chapter, own):
        status, feedback = "error", [f"the check's own code failed ({mine.error}): the grader's error, not your code's"]
    return CheckResult(
        name=chk.name, description=chk.description, points=chk.points,
        score=round(chk.points * judged.share, 4), hidden=chk.hidden, status=status,
        feedback=feedback, seconds=round(mine.seconds, 4), cases=judged.cases, failed_cases=judged.failed,
    )  # fmt: skip


def _with_picture(chk: Check, judged: CheckResult, mine: Observation, ref: Observation,
                  folder: Path) -> CheckResult:  # fmt: skip
    """Add the PNG of the student's map beside the reference's, for the first case that differs
    (or the first case when all agree). When every case that differs raised, there is no map of
    the student's to draw: the error is in the feedback, and no agreeing case is shown instead."""
    by_label = {c.label: c for c in mine.cases}
    pairs = [(r, by_label[r.label]) for r in ref.cases if r.label in by_label and by_label[r.label].error is None]
    if judged.failed_cases:
        pairs = [(r, m) for r, m in pairs if r.label in judged.failed_cases]
    if not pairs:
        return judged
    ref_case, my_case = max(pairs, key=lambda pair: _largest_difference(pair[1].value, pair[0].value))
    mine_shape, ref_shape = _map_shape(my_case.value), _map_shape(ref_case.value)
    if mine_shape and ref_shape and (
        mine_shape[0] > ref_shape[0] or mine_shape[1] > ref_shape[1] or max(*mine_shape, *ref_shape) > MAX_PICTURE_SIDE
    ):  # the picture's memory grows with the square of the side: checked before drawing it
        line = (f"no picture of {ref_case.label}: your map is {mine_shape[0]}x{mine_shape[1]}, the reference's "
                f"{ref_shape[0]}x{ref_shape[1]}; pictures are drawn up to the reference's size and "
                f"{MAX_PICTURE_SIDE}x{MAX_PICTURE_SIDE}")  # fmt: skip
        return judged.model_copy(update={"feedback": [*judged.feedback, line]})
    try:
        path = write_comparison(my_case.value, ref_case.value, folder / f"{chk.name}.png", image=ref_case.image,
                                title=ref_case.label)  # the reference's image: the submission cannot change it
    except Exception as exc:  # a picture is a courtesy: failing to draw it costs nothing else
        line = f"no picture of {ref_case.label}: the grader failed to draw it ({_one_line(exc)})"
        return judged.model_copy(update={"feedback": [*judged.feedback, line]})
    if path is None:
        return judged
    line = f"picture of {ref_case.label}: {path} (yours left, the reference right)"
    return judged.model_copy(update={"pictures": [str(path)], "feedback": [*judged.feedback, line]})


def _largest_difference(mine: object, reference: object) -> float:
    """How far the maps are apart at their worst (the case a picture shows best), or 0 where
    they cannot be compared, or are too large to be drawn anyway."""
    shape = _map_shape(mine)
    if shape is None or shape != _map_shape(reference) or max(shape) > MAX_PICTURE_SIDE:
        return 0.0
    a, b = as_map(mine), as_map(reference)
    return float(np.abs(a - b).max()) if a is not None and b is not None and a.shape == b.shape else 0.0


def _map_shape(value: object) -> tuple[int, int] | None:
    """(rows, widest row) of a list of lists, read without building an array; else None."""
    if not isinstance(value, list) or not value or not all(isinstance(row, list) for row in value):
        return None
    return len(value), max(len(row) for row in value)


def _zero(chk: Check, *why: str) -> CheckResult:
    return CheckResult(
        name=chk.name, description=chk.description, points=chk.points, score=0.0,
        hidden=chk.hidden, status="failed", feedback=list(why),
    )  # fmt: skip


def _memory_limit(end: JobEnd, limits: Limits) -> str:
    """The limit the job ran under, and why, where the container left less than a job may use:
    an instructor then knows to give the container more memory."""
    if 0 < end.memory_mb < limits.memory_mb:
        return f"{end.memory_mb} MiB: all this machine's container had left of the {limits.memory_mb} MiB a submission may use"
    return f"{limits.memory_mb} MiB"


def _ended(end: JobEnd, seen: Observed, expected: int, limits: Limits) -> str | None:
    """Why the sandboxed process stopped early, in words, or None if it finished normally."""
    where = f" while running check {seen.last_started}" if seen.last_started else " while importing"
    if end.timed_out:
        return f"stopped: the wall-time limit was reached{where}"
    if end.out_of_memory:
        return f"stopped: out of memory{where} (the limit is {_memory_limit(end, limits)})"
    if end.cpu_exceeded:
        return f"stopped: the CPU-time limit was reached by its processes together{where}"
    if end.result_overflow:
        return f"stopped: the results grew past their size limit{where}"
    if end.disk_exceeded:
        return f"stopped: its files grew past {SCRATCH_MB} MiB{where}"
    if end.signal == signal.SIGXCPU:
        return f"stopped: the CPU-time limit was reached{where}"
    if end.signal is not None:
        return f"the process was killed by signal {end.signal}{where}"
    if end.exit_code is None:
        return f"the sandbox lost the process ({end.output_tail})"
    if end.exit_code == SETUP_FAILED and not seen.observations:
        return f"the sandbox failed to set up the run{where} (exit {SETUP_FAILED}); see the output below"
    if end.exit_code != 0 or len(seen.observations) < expected:
        return f"the process exited with code {end.exit_code}{where}"
    return None


def _why_missing(seen: Observed, ended: str | None) -> str:
    if seen.import_errors:
        module, error = next(iter(seen.import_errors.items()))
        return f"{module}.py could not be imported: {error}"
    if ended:
        return ended
    return "not run: the process ended before this check (it exited early)"
