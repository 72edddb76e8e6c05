"""The hostile corpus in every mode the grader runs in, not only the suite's own.

For each mode but the one this suite runs in (see tests/modes.py), pytest runs HOSTILE_FILES in a
process of its own, set up as that mode: bubblewrap hidden from PATH (a folder of links to every
other program), and/or as a user made for it (`useradd`, then `setpriv`; where the interpreter
sits in a folder others may not enter, such as /root, in a mount namespace of the run's own where
that folder is an empty tmpfs holding only the way to it, so this machine's permissions never
change). The run is told its mode (TF_GRADER_TEST_MODE) and conftest checks it really is in it:
a harness that failed to make the mode fails every test, never passes in the suite's own mode.

A job that kills the grader (as the grader's own user, without bubblewrap, it can) kills that
run: the harness says which test was running, leaves it out and goes on with the tests not yet
run, so that one run shows every failure. Each mode prints a summary (passed, failed, killed,
the failure lines and how long it took), which a failure repeats.

Slow (minutes per mode): `-m "not slow"` leaves it out; TF_GRADER_TEST_MODES=user-nobwrap,...
runs only the modes named; TF_GRADER_MODES_PYTEST_ARGS="-k network" passes arguments on to each
run (a subset); TF_GRADER_MODES_LOGS=DIR keeps each mode's full pytest output there
(default: the test's tmp_path).
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path

import pytest

from modes import MODES, ModeRun, asked_mode, current_mode, why_not

HOSTILE_FILES = ["tests/test_hostile.py", "tests/test_batch_integrity.py", "tests/test_sandbox_modes_attacks.py"]
MODE_TIMEOUT_S = 3600  # the whole mode, every rerun included; ~5-10 minutes normally
MAX_KILLED = 8  # runs a mode may lose to a job that kills the grader before it stops trying
RANK = {"passed": 0, "skipped": 1, "failed": 2}


def _outcomes(records: list[dict]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """From conftest's records: each ended test's outcome (PASSED, SKIPPED, FAILED, or ERROR
    for a failed setup or teardown) and first failure line, and the tests that started but
    never ended (the one a kill ended, last)."""
    outcomes: dict[str, str] = {}
    reasons: dict[str, str] = {}
    started: list[str] = []
    for r in records:
        test = r["test"]
        if r["event"] == "start":
            started.append(test)
            continue
        if r["outcome"] == "failed":
            outcome = "FAILED" if r["event"] == "call" else "ERROR"
            reasons.setdefault(test, r["message"].strip().splitlines()[0] if r["message"].strip() else "")
        else:
            outcome = r["outcome"].upper()
        if test not in outcomes or RANK.get(outcome.lower(), 2) > RANK.get(outcomes[test].lower(), 2):
            outcomes[test] = outcome
        if r["event"] == "skipped" or outcome == "SKIPPED":
            reasons.setdefault(test, r["message"][:200])
    return outcomes, reasons, [t for t in started if t not in outcomes]


def _others() -> list[str]:
    here = current_mode()
    chosen = os.environ.get("TF_GRADER_TEST_MODES")
    modes = [m for m in MODES if m != here]
    return [m for m in modes if m in chosen.split(",")] if chosen else modes


@pytest.mark.slow
@pytest.mark.skipif(asked_mode() is not None, reason="already a run in a mode of the harness's")
@pytest.mark.parametrize("mode", _others())
def test_the_hostile_corpus_holds_in_mode(mode: str, capsys, tmp_path) -> None:
    if why := why_not(mode):
        pytest.skip(f"{mode} cannot be made here: {why}")
    logs = Path(os.environ.get("TF_GRADER_MODES_LOGS", tmp_path))
    logs.mkdir(parents=True, exist_ok=True)
    kept = logs / f"{mode}.log"
    kept.write_text("")
    extra = shlex.split(os.environ.get("TF_GRADER_MODES_PYTEST_ARGS", ""))  # e.g. "-k kill_the_grader"
    started = time.monotonic()
    outcomes: dict[str, str] = {}
    reasons: dict[str, str] = {}
    killed: list[str] = []
    timed_out = False
    with ModeRun(mode) as run:
        preflight = run.run([sys.executable, "-c", "import os, grader.session; print(os.geteuid())"], timeout=300)
        assert preflight.returncode == 0, f"{mode}: the run cannot start: {preflight.stderr[-1500:]}"
        for _ in range(MAX_KILLED + 1):
            deselect = [f"--deselect={t}" for t in [*outcomes, *killed]]
            left = MODE_TIMEOUT_S - (time.monotonic() - started)
            code, log, records = run.pytest([*HOSTILE_FILES, *extra, *deselect], timeout=max(left, 60))
            with open(kept, "a") as f:
                f.write(f"\n##### pytest {' '.join(deselect)}: exit {code}\n{log}")
            ended, why, unfinished = _outcomes(records)
            outcomes.update(ended)
            reasons.update(why)
            if code is None:
                timed_out = True
                break
            if code >= 0:
                break  # pytest ended on its own
            if not unfinished:
                killed.append(f"(the run, outside any test: exit {code})")
                break
            killed.append(unfinished[-1])
    seconds = time.monotonic() - started
    failed = sorted(t for t, o in outcomes.items() if o in ("FAILED", "ERROR"))
    counts = {o: list(outcomes.values()).count(o) for o in ("PASSED", "FAILED", "ERROR", "SKIPPED")}
    lines = [f"mode {mode}: {seconds:.0f} s, " + ", ".join(f"{n} {o.lower()}" for o, n in counts.items())
             + f", {len(killed)} killed the run" + (", TIMED OUT" if timed_out else "")]  # fmt: skip
    lines += [f"  {t.split('::', 1)[1]} {outcomes[t]}: {reasons.get(t, '')[:300]}" for t in failed]
    lines += [f"  {t.split('::', 1)[-1]} KILLED the run (the job killed the grader)" for t in killed]
    lines.append(f"  full output: {kept}")
    summary = "\n".join(lines)
    with capsys.disabled():
        print("\n" + summary)
    assert outcomes, f"{mode}: no test ran\n{summary}\n{log[-3000:]}"
    assert not failed and not killed and not timed_out, summary


@pytest.mark.slow
@pytest.mark.skipif(asked_mode() is not None, reason="already a run in a mode of the harness's")
@pytest.mark.parametrize("mode", _others())
def test_honest_work_keeps_every_point_in_mode(mode: str) -> None:
    """What each mode confines (Landlock, seccomp, another uid, no CAP_SYS_ADMIN) costs a correct
    solution nothing: `grade validate` on chapter 1 (every alternative, every planted mistake)
    and chapter 5 (the chapter that writes and reads files) passes in the mode as in the suite's."""
    if why := why_not(mode):
        pytest.skip(f"{mode} cannot be made here: {why}")
    with ModeRun(mode) as run:
        done = run.run([sys.executable, "-m", "grader.cli", "validate", "chapter1", "chapter5", "--jobs", "2"],
                       timeout=1800)
    failed = [line for line in done.stdout.splitlines() if not line.startswith("ok ")]
    assert done.returncode == 0, f"{mode}: exit {done.returncode}\n" + "\n".join(failed[-20:]) + done.stderr[-2000:]
    assert " validations passed" in done.stdout
