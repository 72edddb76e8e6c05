"""`grade validate`: the course proves its own checks.

For every chapter: the reference solution scores full marks, the untouched stub scores zero, and
every planted mistake (`solutions/chapterN/mutants/*.json`) loses the points of exactly the checks
it names, with the feedback it names; and the recorded observations a student's copy is judged
against (`exercises/chapterN/expected.json`) are still what the reference does.

Which checks a planted mistake loses, and in what words, depends on the inputs drawn, so it is
pinned at the default seed. Under another `--seed` (a term's own), a planted mistake must still
lose points, and the reference and the stub are held to full marks and zero as always.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field, ValidationError

from grader.course import Chapter
from grader.errors import BadInput
from grader.grading import DEFAULT_SEED, reference_observations
from grader.models import Model, SubmissionResult
from grader.recorded import load_recording, recorded_path, staleness
from grader.session import Session
from grader.submission import Submission

MUTANTS_DIR = "mutants"


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


def validate_chapter(session: Session, chapter: Chapter) -> list[Verdict]:
    if chapter.solution_dir is None:
        raise BadInput(f"{chapter.name}: validate needs solutions/{chapter.name}/")
    solution = (chapter.solution_dir / chapter.module_file).read_text()
    stub = (chapter.exercise_dir / chapter.module_file).read_text()
    verdicts = []

    def verdict(case: str, result: SubmissionResult, problem: str | None) -> None:
        verdicts.append(Verdict(chapter=chapter.name, case=case, ok=problem is None,
                                score=result.score, max_score=result.max_score, problem=problem))

    result = session.grade(chapter, Submission(f"solutions/{chapter.name}", solution))
    failing = [f"{c.name}: {c.feedback[:1]}" for c in result.checks if c.score < c.points]
    verdict("reference solution", result, f"not full marks: {failing}" if failing else None)
    result = session.grade(chapter, Submission(f"exercises/{chapter.name}", stub))
    scoring = [c.name for c in result.checks if c.score > 0]
    verdict("stub", result, f"scores points on {scoring}" if scoring else None)
    for path in mutants(chapter):
        mutant = load_mutant(path)
        source = mutate(solution, mutant, path.stem)
        result = session.grade(chapter, Submission(f"mutant {path.stem}", source))
        verdict(f"mutant {path.stem}", result, judge_mutant(result, mutant, session.seed))
    verdicts.append(recording_verdict(session, chapter))
    return verdicts


def recording_verdict(session: Session, chapter: Chapter) -> Verdict:
    """The recorded observations a student's copy is judged against are those the reference
    makes now (observed at the recording's seed)."""
    seed = session.seed
    if recorded_path(chapter).is_file():
        seed = load_recording(chapter).seed
    live = session.reference(chapter) if seed == session.seed else reference_observations(
        chapter, session.worker, seed=seed, limits=session.limits
    )
    matching, total, problem = staleness(chapter, live)
    return Verdict(chapter=chapter.name, case="recorded observations", ok=problem is None,
                   score=matching, max_score=total, problem=problem)


def verdicts_json(verdicts: list[Verdict]) -> str:
    return json.dumps([v.model_dump() for v in verdicts], indent=2)
