"""Recorded reference observations: what public checks are judged against where `solutions/` is
absent (a student's copy of the course).

`grade record chapterN` (instructor, with `solutions/`) runs the public probes on the reference
and writes `exercises/chapterN/expected.json`: the seed, the observations of the public checks
only, fingerprints (sha256) of what they were made from, and the stack (Python, TensorFlow,
Keras, NumPy) that made them: `grade chapterN` says in one line when it runs on another. Observations of public checks are
what public feedback shows anyway ("expected 128, got 96"); no source of the solution is stored,
and hidden checks are never recorded. `grade validate` fails while a recording is stale.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import ValidationError

from grader.course import CHECKS_FILE, Chapter
from grader.errors import BadInput
from grader.grading import reference_files
from grader.judges import judge_cases
from grader.models import Model, Observation, Stack

RECORDED_FILE = "expected.json"


class RecordedReference(Model):
    """`exercises/chapterN/expected.json`."""

    chapter: str
    seed: int
    checks_sha256: str  # of exercises/chapterN/checks.py
    reference_sha256: str  # of the reference modules in solutions/chapterN/ (not hidden checks)
    stack: Stack  # the versions that made the observations
    observations: dict[str, Observation]  # public checks only


def fingerprint(parts: list[tuple[str, str]]) -> str:
    """sha256 of named texts, in order (a recording's fingerprints, the reference cache's key)."""
    digest = hashlib.sha256()
    for name, text in parts:  # line endings normalised: a checkout on Windows is the same course
        for piece in (name, "\0", text.replace("\r\n", "\n"), "\0"):
            digest.update(piece.encode("utf-8"))
    return digest.hexdigest()


def checks_fingerprint(chapter: Chapter) -> str:
    return fingerprint([(CHECKS_FILE, (chapter.exercise_dir / CHECKS_FILE).read_text(encoding="utf-8"))])


def reference_fingerprint(chapter: Chapter) -> str:
    return fingerprint(sorted(reference_files(chapter).items()))


def recorded_path(chapter: Chapter) -> Path:
    return chapter.exercise_dir / RECORDED_FILE


def make_recording(chapter: Chapter, seed: int, live: dict[str, Observation], stack: Stack) -> RecordedReference:
    """The recording of live reference observations (public checks only, timings dropped),
    made on `stack`."""
    public = [c for c in chapter.checks if not c.hidden]
    for chk in public:
        obs = live[chk.name]
        error = obs.error or next((c.error for c in obs.cases if c.error), None)
        if error or not obs.cases:
            raise BadInput(f"{chapter.name}: the reference could not be observed on {chk.name}: {error or 'no cases'}")
    return RecordedReference(
        chapter=chapter.name,
        seed=seed,
        checks_sha256=checks_fingerprint(chapter),
        reference_sha256=reference_fingerprint(chapter),
        observations={c.name: live[c.name].model_copy(update={"seconds": 0.0}) for c in public},
        stack=stack,
    )


def write_recording(chapter: Chapter, recording: RecordedReference) -> Path:
    path = recorded_path(chapter)
    path.write_text(recording.model_dump_json(indent=1) + "\n", encoding="utf-8")
    return path


def load_recording(chapter: Chapter) -> RecordedReference:
    path = recorded_path(chapter)
    if not path.is_file():
        raise BadInput(
            f"{chapter.name} has neither solutions/ nor recorded observations ({path.name}): "
            f"the instructor runs `grade record {chapter.name}`"
        )
    try:
        return RecordedReference.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        raise BadInput(f"cannot read {path}: {str(exc).splitlines()[0]}") from exc


def recorded_stack(chapter: Chapter) -> Stack | None:
    """The stack that made the chapter's recording (None: it has none)."""
    return load_recording(chapter).stack if recorded_path(chapter).is_file() else None


def other_stack_note(chapter: Chapter, running: Stack) -> str | None:
    """One line when `running` is not the stack that made the chapter's recording, naming the
    versions that differ: the course was validated on the recording's (`grade validate` on this
    one says whether it holds here)."""
    recorded = recorded_stack(chapter)
    differing = running.differing(recorded) if recorded is not None else []
    if not differing:
        return None
    here, there = (", ".join(stack.named(differing)) for stack in (running, recorded))
    return f"graded on {here}; {chapter.name}'s reference was recorded on {there}"


def recorded_reference(chapter: Chapter, seed: int) -> dict[str, Observation]:
    """Reference observations for a copy of the course without solutions/ (a student's)."""
    recording = load_recording(chapter)
    stale = f"run `grade record {chapter.name}` where solutions/ is, or ask your instructor"
    if recording.checks_sha256 != checks_fingerprint(chapter):
        raise BadInput(f"{chapter.name}/{CHECKS_FILE} changed since its observations were recorded: {stale}")
    missing = [c.name for c in chapter.checks if c.name not in recording.observations]
    if missing:
        raise BadInput(f"{chapter.name}: no recorded observation of {', '.join(missing)}: {stale}")
    if seed != recording.seed:
        raise BadInput(
            f"without solutions/, {chapter.name}'s public checks are judged against observations "
            f"recorded with seed {recording.seed}: leave out --seed (or pass --seed {recording.seed})"
        )
    return dict(recording.observations)


def staleness(chapter: Chapter, live: dict[str, Observation]) -> tuple[int, int, str | None]:
    """How many public checks' recordings still judge as the live reference does, of how many,
    and why the recording is stale (None when it is current). `live` is observed at the
    recording's seed."""
    public = [c for c in chapter.checks if not c.hidden]
    run = f"run `grade record {chapter.name}`"
    if not recorded_path(chapter).is_file():
        return 0, len(public), f"no recorded observations ({RECORDED_FILE}): {run}"
    recording = load_recording(chapter)
    matching = []
    for chk in public:
        mine = recording.observations.get(chk.name)
        if (
            mine is not None
            and [c.label for c in mine.cases] == [c.label for c in live[chk.name].cases]
            and judge_cases(mine, live[chk.name], chk.compare, False)[0] == 1.0
        ):
            matching.append(chk.name)
    differing = [c.name for c in public if c.name not in matching]
    why = []
    if differing:
        why.append(f"differ from the reference on {', '.join(differing)}")
    if recording.checks_sha256 != checks_fingerprint(chapter):
        why.append(f"{CHECKS_FILE} changed since they were recorded")
    if recording.reference_sha256 != reference_fingerprint(chapter):
        why.append("the reference solution changed since they were recorded")
    problem = f"recorded observations of {chapter.name} are stale ({'; '.join(why)}): {run}" if why else None
    return len(matching), len(public), problem
