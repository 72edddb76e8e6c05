"""Renderings of a chapter's gradebook: CSV, JSON lines, Gradescope, feedback files, HTML report.

They only render SubmissionResult models; nothing here grades.
"""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path
from typing import Literal

import click

from grader.course import Chapter
from grader.models import CheckResult, SubmissionResult
from grader.render import submission_text

FORMATS = ("csv", "json", "gradescope")
HISTOGRAM_BINS = 10
HiddenFeedback = Literal["full", "inputs", "summary"]
HIDDEN_FEEDBACK: tuple[HiddenFeedback, ...] = ("full", "inputs", "summary")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as a formula


def csv_cell(value: object) -> object:
    """A value for a CSV cell that a spreadsheet shows, never runs: text starting like a
    formula (`=HYPERLINK(...)`, `+1`, `@SUM`) gets a leading `'`; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def for_students(result: SubmissionResult, hidden: HiddenFeedback) -> SubmissionResult:
    """What a student may see of a result: under `summary` a hidden check shows its name,
    points and pass or fail only, and the printed output (which could print a hidden input)
    is left out; under `inputs` also how many cases passed and the inputs of the failed ones,
    never expected values; `full` shows everything. The gradebook keeps everything."""
    if hidden == "full" or not any(c.hidden for c in result.checks):
        return result
    checks = [c if not c.hidden else _hidden_check(c, hidden) for c in result.checks]
    tail = result.output_tail if hidden == "inputs" else ""
    return result.model_copy(update={"checks": checks, "output_tail": tail})


def _hidden_check(c: CheckResult, hidden: HiddenFeedback) -> CheckResult:
    feedback = []
    if hidden == "inputs" and c.failed_cases:
        feedback = [f"{c.cases - len(c.failed_cases)} of {c.cases} cases passed",
                    *[f"{label}: did not match" for label in c.failed_cases]]
    return c.model_copy(update={"feedback": feedback, "pictures": []})


def write_csv(results: dict[str, SubmissionResult], chapter: Chapter, path: Path) -> None:
    names = [c.name for c in chapter.checks]
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["student", "status", *names, "total", "max_score"])
        for student, r in results.items():
            scores = {c.name: c.score for c in r.checks}
            row = [student, r.status, *[scores.get(n, 0) for n in names], r.score, r.max_score]
            out.writerow([csv_cell(v) for v in row])


def write_jsonl(results: dict[str, SubmissionResult], path: Path) -> None:
    with open(path, "w") as f:
        for student, r in results.items():
            f.write(json.dumps({"student": student, **r.model_dump(mode="json")}) + "\n")


def write_gradescope(results: dict[str, SubmissionResult], folder: Path, hidden: HiddenFeedback = "summary") -> None:
    """Gradescope's results.json, one per submission: hidden checks stay hidden until published,
    and show then what `hidden` allows (see `for_students`)."""
    for student, r in results.items():
        r = for_students(r, hidden)
        tests = [
            {"name": c.name, "score": c.score, "max_score": c.points,
             "output": "\n".join(c.feedback) or c.status,
             "visibility": "after_published" if c.hidden else "visible"}
            for c in r.checks
        ]  # fmt: skip
        doc = {"score": r.score, "max_score": r.max_score, "execution_time": r.seconds,
               "output": "\n".join(r.messages), "tests": tests}  # fmt: skip
        (folder / student).mkdir(parents=True, exist_ok=True)
        (folder / student / "results.json").write_text(json.dumps(doc, indent=2))


def write_feedback(results: dict[str, SubmissionResult], chapter: Chapter, folder: Path,
                   hidden: HiddenFeedback = "summary") -> None:  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    for student, r in results.items():
        text = submission_text(for_students(r, hidden), title=chapter.spec.title, hidden_exist=True)
        (folder / f"{student}.txt").write_text(click.unstyle(text) + "\n")


def _histogram_svg(scores: list[float], top: float) -> str:
    counts = [0] * HISTOGRAM_BINS
    for s in scores:
        counts[min(HISTOGRAM_BINS - 1, int(s / top * HISTOGRAM_BINS)) if top else 0] += 1
    high = max(counts) or 1
    bars = []
    for i, n in enumerate(counts):
        h = 150 * n / high
        low, up = top * i / HISTOGRAM_BINS, top * (i + 1) / HISTOGRAM_BINS
        bars.append(
            f'<rect x="{i * 50 + 5}" y="{170 - h:.1f}" width="40" height="{h:.1f}" fill="#4a7">'
            f"<title>{low:g}–{up:g}: {n}</title></rect>"
            f'<text x="{i * 50 + 25}" y="{165 - h:.1f}" text-anchor="middle">{n}</text>'
            f'<text x="{i * 50 + 25}" y="188" text-anchor="middle" font-size="10">{low:g}</text>'
        )
    return f'<svg width="{HISTOGRAM_BINS * 50 + 10}" height="195" font-family="sans-serif">{"".join(bars)}</svg>'


def write_report(results: dict[str, SubmissionResult], chapter: Chapter, path: Path,
                 hidden: HiddenFeedback = "summary") -> None:  # fmt: skip
    """One self-contained HTML page: histogram, per-check pass rates, slowest and failed."""
    e = html.escape
    rows = [(s, for_students(r, hidden)) for s, r in results.items()]
    top = max((r.max_score for _, r in rows), default=0.0)
    scores = [r.score for _, r in rows]
    mean = sum(scores) / len(scores) if scores else 0.0
    checks = []
    for c in chapter.checks:
        mine = [x for _, r in rows for x in r.checks if x.name == c.name]
        passed = sum(x.status == "passed" for x in mine)
        rate = passed / len(mine) if mine else 0.0
        checks.append(f"<tr><td>{e(c.name)}{' (hidden)' if c.hidden else ''}</td><td>{c.points:g}</td>"
                      f"<td>{passed}/{len(mine)}</td><td>{rate:.0%}</td></tr>")  # fmt: skip
    slowest = sorted(rows, key=lambda sr: -sr[1].seconds)[:10]
    failed = [(s, r) for s, r in rows if r.status != "completed"]

    def table(items: list[tuple[str, SubmissionResult]]) -> str:
        body = "".join(
            f"<tr><td>{e(s)}</td><td>{e(r.status)}</td><td>{r.score:g}/{r.max_score:g}</td>"
            f"<td>{r.seconds:.1f}</td><td>{e('; '.join(r.messages))}</td></tr>"
            for s, r in items
        )
        return ("<table><tr><th>student</th><th>status</th><th>score</th><th>seconds</th>"
                f"<th>notes</th></tr>{body}</table>") if items else "<p>none</p>"  # fmt: skip

    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>{e(chapter.name)} batch report</title><style>
body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }}
</style></head><body>
<h1>{e(chapter.name)}: {e(chapter.spec.title)}</h1>
<p>{len(rows)} submissions · mean score {mean:.2f} / {top:g} ·
{sum(r.status == "completed" for _, r in rows)} completed, {len(failed)} not</p>
<h2>Score histogram</h2>{_histogram_svg(scores, top)}
<h2>Checks</h2><table><tr><th>check</th><th>points</th><th>passed</th><th>pass rate</th></tr>
{"".join(checks)}</table>
<h2>Slowest submissions</h2>{table(slowest)}
<h2>Submissions that did not complete</h2>{table(failed)}
</body></html>
"""
    path.write_text(page)


def export(results: dict[str, SubmissionResult], chapter: Chapter, out: Path,
           formats: tuple[str, ...], hidden: HiddenFeedback = "summary") -> list[Path]:  # fmt: skip
    """Write the chosen formats plus feedback files and the report into `out`; return the paths.
    `hidden`: what the student-facing ones (feedback, Gradescope, report) show of hidden checks;
    results.jsonl, the instructor's, keeps everything."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if "csv" in formats:
        write_csv(results, chapter, out / "gradebook.csv")
        written.append(out / "gradebook.csv")
    if "json" in formats:
        write_jsonl(results, out / "results.jsonl")
        written.append(out / "results.jsonl")
    if "gradescope" in formats:
        write_gradescope(results, out / "gradescope", hidden)
        written.append(out / "gradescope")
    write_feedback(results, chapter, out / "feedback", hidden)
    write_report(results, chapter, out / "report.html", hidden)
    return written + [out / "feedback", out / "report.html"]
