"""A batch's promise: every honest student gets exactly the score they get alone, whatever their
classmates submitted. Forty honest submissions (right, partly right, stubs) are interleaved with
every hostile case of tests/data/hostile/ and graded with two workers; each honest row must equal
that submission graded alone on a fresh worker."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from pathlib import Path

from grader.batch import find_entries, run_batch
from grader.course import Course
from grader.gradebook import Gradebook
from grader.session import Session
from grader.submission import Submission
from grader.validate import load_mutant, mutants

from conftest import ROOT, TEST_LIMITS

HOSTILE = sorted(p for p in (ROOT / "tests/data/hostile").iterdir() if p.is_dir())
HONEST = 40


def honest_sources(course: Course) -> dict[str, str]:
    """Forty honest chapter-1 submissions: the reference with subsets of the planted mistakes
    applied (each a mistake an honest student could make), some of them twice."""
    chapter = course.chapter("chapter1")
    solution = (chapter.solution_dir / chapter.module_file).read_text()
    edits = [pair for path in mutants(chapter) for pair in load_mutant(path).replace]
    subsets = [s for n in range(len(edits) + 1) for s in itertools.combinations(range(len(edits)), n)]
    sources = {}
    for i in range(HONEST):
        source = solution
        for k in subsets[(i * 7) % len(subsets)]:
            old, new = edits[k]
            if source.count(old) == 1:
                source = source.replace(old, new)
        sources[f"honest{i:02d}"] = source
    return sources


def hostile_source(case: Path) -> str:
    expected = json.loads((ROOT / "exercises/chapter1/expected.json").read_text())["observations"]
    lines = "".join(json.dumps(o) + "\n" for o in expected.values())
    source = (case / "fundamentals.py").read_text()
    solution = (ROOT / "solutions/chapter1/fundamentals.py").read_text()
    return (source.replace("{{PORT}}", "9").replace("{{COURSE}}", str(ROOT))
            .replace("{{UNIX_PATH}}", "/nonexistent/tfg.sock").replace("{{UNIX_ABSTRACT}}", "tfg-nothing-listens")
            .replace("{{EXPECTED}}", repr(lines)).replace("{{SOLUTION}}", solution)
            .replace("{{HUGE}}", "A" * 900_000))  # fmt: skip


def left_paths() -> list[str]:
    """What the hostile cases try to leave on the grader's machine ("leaves" in expected.json)."""
    return [path for case in HOSTILE for path in json.loads((case / "expected.json").read_text()).get("leaves", [])]


def test_hostile_classmates_change_no_honest_score(tmp_path) -> None:
    course = Course(ROOT)
    chapter = course.chapter("chapter1")
    honest = honest_sources(course)
    folder = tmp_path / "class"
    folder.mkdir()
    hostile = [(f"x_{case.name}", hostile_source(case)) for case in HOSTILE]
    mixed = list(honest.items())
    for i, item in enumerate(hostile):  # spread the attacks over the class
        mixed.insert((i * len(mixed)) // len(hostile) + i, item)
    for rank, (name, source) in enumerate(mixed):
        (folder / f"{rank:03d}-{name}.py").write_text(source)

    book = Gradebook(tmp_path / "book.sqlite")
    try:
        with Session(course, limits=TEST_LIMITS, jobs=2) as session:
            run_batch(session, chapter, find_entries(folder), book)
    finally:
        stayed = [path for path in left_paths() if os.path.lexists(path)]
        for path in stayed:
            subprocess.run(["rm", "-rf", "--", path], capture_output=True)
    rows = book.results(chapter.name)
    book.close()
    assert len(rows) == len(mixed), "one row per entry"

    with Session(course, limits=TEST_LIMITS) as alone:
        wrong = {}
        for rank, (name, source) in enumerate(mixed):
            if name not in honest:
                continue
            mine = alone.grade(chapter, Submission(name, source))
            row = rows[f"{rank:03d}-{name}"]
            if (row.score, row.status) != (mine.score, mine.status):
                wrong[name] = ((row.score, row.status, row.messages), (mine.score, mine.status))
    assert not wrong, wrong
    assert len({r.score for n, r in rows.items() if "honest" in n}) > 3, "the honest scores differ"
    assert not stayed, f"the hostile classmates left {stayed} on the grader's machine"
