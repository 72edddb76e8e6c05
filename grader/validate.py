"""`grade validate`: the course proves its own checks.

For every chapter: the reference solution scores full marks, the untouched stub scores zero, and
every planted mistake (`solutions/chapterN/mutants/*.json`) loses the points of exactly the checks
it names, with the feedback it names; every alternative (`solutions/chapterN/alternatives/*.py`,
a correct solution written in another style than the reference's) scores full marks; and the recorded observations a student's copy is judged
against (`exercises/chapterN/expected.json`) are still what the reference does.

Which checks a planted mistake loses, and in what words, depends on the inputs drawn, so it is
pinned at the default seed. Under another `--seed` (a term's own), a planted mistake must still
lose points, and the reference, the alternatives and the stub are held to full marks and zero as
always. With several warm workers (`Session(jobs=N)`) the submissions are graded side by side.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pydantic import Field, ValidationError

from grader.course import Chapter
from grader.errors import BadInput
from grader.grading import DEFAULT_SEED
from grader.models import Model, Observation, SubmissionResult
from grader.recorded import load_recording, recorded_path, staleness
from grader.sandbox.client import Worker
from grader.session import Session
from grader.submission import Submission, read_submission

MUTANTS_DIR = "mutants"
ALTERNATIVES_DIR = "alternatives"


class Mutant(Model):
    """A planted mistake: text replacements applied to the reference solution."""

    description: str
    replace: list[tuple[str, str]] = Field(min_length=1)
    loses: list[str] = Field(min_length=1, description="checks that must lose points")
    feedback: str = Field(description="text the feedback of the first check in `loses` contains")


class Verdict(Model):
    chapter: str
    case: str
    ok: bool
    score: float
    max_score: float
    problem: str | None = None


def load_mutant(path: Path) -> Mutant:
    try:
        return Mutant.model_validate_json(path.read_text())
    except (OSError, ValidationError) as exc:
        raise BadInput(f"{path}: not a valid planted mistake: {exc}".splitlines()[0]) from exc


def mutate(source: str, mutant: Mutant, name: str) -> str:
    for old, new in mutant.replace:
        if source.count(old) != 1:
            raise BadInput(f"mutant {name}: {old!r} occurs {source.count(old)} times in the solution")
        source = source.replace(old, new)
    return source


def mutants(chapter: Chapter) -> list[Path]:
    if chapter.solution_dir is None:
        return []
    return sorted((chapter.solution_dir / MUTANTS_DIR).glob("*.json"))


def judge_mutant(result: SubmissionResult, mutant: Mutant, seed: int) -> str | None:
    """None if the mutant lost exactly the points of the checks it names (under another seed
    than the default: any points), else what is wrong."""
    if seed != DEFAULT_SEED:
        return None if result.score < result.max_score else "lost no points"
    by_name = {c.name: c for c in result.checks}
    unknown = [n for n in mutant.loses if n not in by_name]
    if unknown:
        return f"names unknown checks: {', '.join(unknown)}"
    kept = [n for n in mutant.loses if by_name[n].score >= by_name[n].points]
    if kept:
        return f"should lose points on {', '.join(kept)} but did not"
    lost = [c.name for c in result.checks if c.name not in mutant.loses and c.score < c.points]
    if lost:
        return f"also lost points on {', '.join(lost)}: {by_name[lost[0]].feedback[:1]}"
    first = by_name[mutant.loses[0]]
    if not any(mutant.feedback in line for line in first.feedback):
        return f"feedback of {first.name} does not mention {mutant.feedback!r}: {first.feedback}"
    return None


def alternatives(chapter: Chapter) -> list[Path]:
    if chapter.solution_dir is None:
        return []
    folder = chapter.solution_dir / ALTERNATIVES_DIR
    return sorted([*folder.glob("*.py"), *folder.glob("*.ipynb")])


def judge_alternative(result: SubmissionResult) -> str | None:
    """None if a correct solution in another style scored full marks, else what it lost."""
    failing = [f"{c.name}: {c.feedback[:1]}" for c in result.checks if c.score < c.points]
    if failing:
        return f"not full marks: {failing}"
    return None if result.status == "completed" else f"status {result.status}: {result.messages[:1]}"


@dataclass(frozen=True)
class Trial:
    """One submission `grade validate` grades, and how its result is judged."""

    chapter: Chapter
    submission: Submission  # labelled with the case: "stub", "mutant NAME", "alternative:NAME"
    judge: Callable[[SubmissionResult], str | None]

    @property
    def case(self) -> str:
        return self.submission.label


def trials(chapter: Chapter, seed: int) -> list[Trial]:
    """The reference, the stub, each planted mistake and each alternative of a chapter."""
    if chapter.solution_dir is None:
        raise BadInput(f"{chapter.name}: validate needs solutions/{chapter.name}/")
    solution = (chapter.solution_dir / chapter.module_file).read_text()
    stub = (chapter.exercise_dir / chapter.module_file).read_text()

    def stub_judge(result: SubmissionResult) -> str | None:
        scoring = [c.name for c in result.checks if c.score > 0]
        silent = [c.name for c in result.checks if not c.feedback]
        return (f"scores points on {scoring}" if scoring
                else f"fails without saying why on {silent}" if silent else None)  # fmt: skip

    found = [Trial(chapter, Submission("reference solution", solution), judge_alternative),
             Trial(chapter, Submission("stub", stub), stub_judge)]  # fmt: skip
    for path in mutants(chapter):
        mutant = load_mutant(path)
        found.append(Trial(chapter, Submission(f"mutant {path.stem}", mutate(solution, mutant, path.stem)),
                           functools.partial(judge_mutant, mutant=mutant, seed=seed)))  # fmt: skip
    for path in alternatives(chapter):  # a .py file, or a notebook as a student hands it in
        alternative = read_submission(path, chapter.module_file)
        found.append(Trial(chapter, dataclasses.replace(alternative, label=f"alternative:{path.stem}"), judge_alternative))
    return found


def validate(
    session: Session, chapters: list[Chapter], on_verdict: Callable[[Verdict], None] = lambda v: None
) -> list[Verdict]:
    """Every trial of every chapter, then each chapter's recorded observations, on all of the
    session's warm workers side by side. A chapter's reference is observed first (its trials are
    judged against it); verdicts come back, and go to `on_verdict`, in the order of `trials`."""
    planned = {chap.name: trials(chap, session.seed) for chap in chapters}  # bad mutants fail here
    order = [(chap.name, i) for chap in chapters for i in range(len(planned[chap.name]) + 1)]
    references: dict[str, dict[str, Observation]] = {}
    todo: queue.Queue[Callable[[Worker], list[tuple[tuple[str, int], Verdict]]]] = queue.Queue()
    done: queue.Queue[list[tuple[tuple[str, int], Verdict]] | BaseException] = queue.Queue()

    def observe_reference(chap: Chapter) -> Callable[[Worker], list]:
        def run(worker: Worker) -> list:
            references[chap.name] = session.observe_reference(chap, worker)
            for i, trial in enumerate(planned[chap.name]):
                todo.put(functools.partial(grade_trial, trial, (chap.name, i)))
            todo.put(functools.partial(check_recording, chap))
            return []

        return run

    def grade_trial(trial: Trial, key: tuple[str, int], worker: Worker) -> list:
        result = session.grade(trial.chapter, trial.submission, worker=worker,
                               reference=references[trial.chapter.name])  # fmt: skip
        problem = trial.judge(result)
        return [(key, Verdict(chapter=trial.chapter.name, case=trial.case, ok=problem is None,
                              score=result.score, max_score=result.max_score, problem=problem))]  # fmt: skip

    def check_recording(chap: Chapter, worker: Worker) -> list:
        key = (chap.name, len(planned[chap.name]))
        return [(key, recording_verdict(session, chap, worker, references[chap.name]))]

    def drain(worker: Worker) -> None:
        while True:
            task = todo.get()
            if task is None:
                return
            try:
                done.put(task(worker))
            except BaseException as exc:  # noqa: BLE001  the main thread raises it
                done.put(exc)

    for chap in chapters:
        todo.put(observe_reference(chap))
    threads = [threading.Thread(target=drain, args=(w,), daemon=True) for w in session.workers]
    for t in threads:
        t.start()
    verdicts: dict[tuple[str, int], Verdict] = {}
    emitted = 0
    pending = len(chapters) * 2 + sum(len(t) for t in planned.values())  # references, recordings, trials
    try:
        for _ in range(pending):
            item = done.get()
            if isinstance(item, BaseException):
                raise item
            verdicts.update(item)
            while emitted < len(order) and order[emitted] in verdicts:
                on_verdict(verdicts[order[emitted]])
                emitted += 1
    finally:  # on an error, the workers stop after their current job
        while not todo.empty():
            todo.get_nowait()
        for _ in threads:
            todo.put(None)
    return [verdicts[key] for key in order]


def validate_chapter(session: Session, chapter: Chapter) -> list[Verdict]:
    return validate(session, [chapter])


def recording_verdict(
    session: Session, chapter: Chapter, worker: Worker, reference: dict[str, Observation]
) -> Verdict:
    """The recorded observations a student's copy is judged against are those the reference
    makes now (observed at the recording's seed; `reference`: observed at the session's)."""
    seed = session.seed
    if recorded_path(chapter).is_file():
        seed = load_recording(chapter).seed
    live = reference if seed == session.seed else session.observe_reference(chapter, worker, seed)
    matching, total, problem = staleness(chapter, live)
    return Verdict(chapter=chapter.name, case="recorded observations", ok=problem is None,
                   score=matching, max_score=total, problem=problem)


def verdicts_json(verdicts: list[Verdict]) -> str:
    return json.dumps([v.model_dump() for v in verdicts], indent=2)
