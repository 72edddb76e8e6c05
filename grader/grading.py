"""Grading one submission: observe it in the sandbox, observe the reference, judge outside.

`grade chapterN` and `grade batch` both call `grade_submission`, with the same limits and judges,
so a local check never disagrees with the batch grade.
"""

from __future__ import annotations

import json
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from grader.checks import Check
from grader.course import Chapter
from grader.errors import BadInput
from grader.judges import judge_cases
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
from grader.pictures import write_comparison
from grader.sandbox.client import Worker
from grader.sandbox.worker import SETUP_FAILED
from grader.notebook import definitions, translate
from grader.submission import Submission, names_used, syntax_error

DEFAULT_SEED = 2026
HIDDEN_FILES = ("hidden_checks.py",)
_EVENT = TypeAdapter(ChildEvent)


@dataclass
class Observed:
    """What came back from one sandboxed run, parsed and validated."""

    observations: dict[str, Observation] = field(default_factory=dict)
    import_errors: dict[str, str] = field(default_factory=dict)
    last_started: str | None = None
    malformed: int = 0
    forged: int = 0
    tampered: list[Tampered] = field(default_factory=list)


def parse_events(text: str, token: str) -> Observed:
    """Parse the child's JSON lines. A line that does not start with the job's token was
    written by the submission (it shares the probe's process, and can reach the channel):
    counted as forged, never trusted. Anything malformed is counted, never trusted; the first
    observation of a check wins."""
    seen = Observed()
    prefix = f"{token} "
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(prefix):
            seen.forged += 1
            continue
        try:
            event = _EVENT.validate_python(json.loads(line[len(prefix):]))
        except (ValueError, ValidationError):
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


def observe(
    worker: Worker,
    files: dict[str, str],
    chapter: Chapter,
    calls: list[ProbeCall],
    seed: int,
    limits: Limits,
) -> tuple[Observed, JobEnd]:
    job = Job(
        files=files, check_sources=chapter.check_sources, calls=calls, seed=seed, limits=limits,
        token=secrets.token_hex(16),
    )
    end = worker.run(job)
    return parse_events(end.events, job.token), end


def reference_observations(
    chapter: Chapter, worker: Worker, *, seed: int, limits: Limits
) -> dict[str, Observation]:
    """The same probes, run on the reference modules of `solutions/chapterN/`.

    Computed once per run (a batch reuses them for every submission)."""
    if chapter.solution_dir is None:
        raise BadInput(f"{chapter.name} has no solutions/ folder to take reference behaviour from")
    files = {
        p.name: p.read_text()
        for p in sorted(chapter.solution_dir.glob("*.py"))
        if p.name not in HIDDEN_FILES
    }
    calls = [
        ProbeCall(check=c.name, module=chapter.spec.module if c.reference == "solution" else c.reference)
        for c in chapter.checks
    ]
    seen, end = observe(worker, files, chapter, calls, seed, limits)
    missing = [c.name for c in chapter.checks if c.name not in seen.observations]
    for name in missing:  # judged as "the reference could not be observed": an instructor's bug
        why = _ended(end, seen, len(calls)) or "no observation"
        seen.observations[name] = Observation(check=name, error=why)
    return seen.observations


def grade_submission(
    chapter: Chapter,
    submission: Submission,
    worker: Worker,
    reference: dict[str, Observation],
    *,
    seed: int = DEFAULT_SEED,
    limits: Limits = Limits(),
    pictures: Path | None = None,
) -> SubmissionResult:
    """Grade one submission; picture checks write their PNGs into `pictures` when given."""
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
    calls = [ProbeCall(check=c.name, module=chapter.spec.module) for c in chapter.checks]
    seen, end = observe(
        worker, {chapter.module_file: submission.source}, chapter, calls, seed, limits
    )
    ended = _ended(end, seen, len(calls))
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
    checks = []
    for chk in chapter.checks:
        if withheld:
            checks.append(_zero(chk, f"points withheld: {withheld}"))
            continue
        if banned.get(chk.name):
            checks.append(_zero(chk, f"uses {', '.join(banned[chk.name])}, which this exercise forbids"))
            continue
        mine = seen.observations.get(chk.name)
        if mine is None:
            checks.append(_zero(chk, _why_missing(seen, ended)))
            continue
        judged = _judge(chk, mine, reference[chk.name], env.device)
        if chk.picture and pictures is not None:
            judged = _with_picture(chk, judged, mine, reference[chk.name], env.device, pictures)
        checks.append(judged)
    status: SubmissionStatus = "completed"
    if seen.forged or seen.tampered:  # for the instructor to see first, whatever else happened
        status = "tampered"
    elif end.timed_out or end.cpu_exceeded or any("timed out" in e for e in seen.import_errors.values()):
        status = "timed_out"
    elif end.out_of_memory:
        status = "out_of_memory"
    elif len(seen.observations) < len(chapter.checks) and not seen.import_errors:
        status = "crashed"
    return result(status, checks, messages=messages, output_tail=end.output_tail)


def forbidden_uses(chapter: Chapter, source: str) -> dict[str, list[str]]:
    """For each check with a `forbid` rule, the forbidden names the source uses (sorted; empty
    when none). The source's names are read once per rule, not once per check."""
    rules = {c.allow_in for c in chapter.checks if c.forbid}
    used = {key: names_used(source, key) for key in rules}
    return {c.name: sorted(set(c.forbid) & used[c.allow_in]) for c in chapter.checks if c.forbid}


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


def _judge(chk: Check, mine: Observation, ref: Observation, device: str) -> CheckResult:
    share, status, feedback = judge_cases(mine, ref, chk.comparison(device), chk.partial)
    return CheckResult(
        name=chk.name, description=chk.description, points=chk.points,
        score=round(chk.points * share, 4), hidden=chk.hidden, status=status,
        feedback=feedback, seconds=round(mine.seconds, 4),
    )  # fmt: skip


def _with_picture(chk: Check, judged: CheckResult, mine: Observation, ref: Observation,
                  device: str, folder: Path) -> CheckResult:  # fmt: skip
    """Add the PNG of the student's map beside the reference's, for the first case that differs
    (or the first case when all agree)."""
    by_label = {c.label: c for c in mine.cases}
    pairs = [(r, by_label[r.label]) for r in ref.cases if r.label in by_label and by_label[r.label].error is None]
    if not pairs:
        return judged
    compare = chk.comparison(device)
    ref_case, my_case = next(((r, m) for r, m in pairs if compare(r.value, m.value)), pairs[0])
    path = write_comparison(my_case.value, ref_case.value, folder / f"{chk.name}.png")
    if path is None:
        return judged
    line = f"picture of {ref_case.label}: {path} (yours left, the reference right)"
    return judged.model_copy(update={"pictures": [str(path)], "feedback": [*judged.feedback, line]})


def _zero(chk: Check, why: str) -> CheckResult:
    return CheckResult(
        name=chk.name, description=chk.description, points=chk.points, score=0.0,
        hidden=chk.hidden, status="failed", feedback=[why],
    )  # fmt: skip


def _ended(end: JobEnd, seen: Observed, expected: int) -> str | None:
    """Why the sandboxed process stopped early, in words, or None if it finished normally."""
    where = f" while running check {seen.last_started}" if seen.last_started else " while importing"
    if end.timed_out:
        return f"stopped: the wall-time limit was reached{where}"
    if end.out_of_memory:
        return f"stopped: out of memory{where}"
    if end.cpu_exceeded:
        return f"stopped: the CPU-time limit was reached by its processes together{where}"
    if end.result_overflow:
        return f"stopped: the results grew past their size limit{where}"
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
