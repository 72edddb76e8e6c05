"""Renderings of a chapter's gradebook: CSV, JSON lines, Gradescope, feedback files, HTML report.

They only render SubmissionResult models; nothing here grades.
"""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import click

from grader.course import Chapter
from grader.errors import BadInput
from grader.platforms import lms
from grader.platforms.gradescope import AutograderConfig, gradescope_results
from grader.platforms.lms import Student
from grader.models import CheckResult, SubmissionResult
from grader.render import file_stem, shown_name, shown_text, submission_text
from grader.spreadsheet import csv_row

FORMATS = ("csv", "json", "gradescope", "canvas", "moodle")
ROSTER_FORMATS = ("canvas", "moodle")  # they name students as the LMS knows them: need --roster
HISTOGRAM_BINS = 10
COMMON_WRONG = 3  # wrong answers listed per check in the report
HiddenFeedback = Literal["full", "inputs", "summary"]
HIDDEN_FEEDBACK: tuple[HiddenFeedback, ...] = ("full", "inputs", "summary")


def for_students(result: SubmissionResult, hidden: HiddenFeedback) -> SubmissionResult:
    """What a student may see of a result: under `summary` a hidden check shows its name,
    points and pass or fail only, and the printed output of a run with hidden checks (which
    could print a hidden input) is left out; under `inputs` also how many cases passed and the
    inputs of the failed ones, never expected values; `full` shows everything. The gradebook
    keeps everything."""
    if hidden == "full" or not any(c.hidden for c in result.checks):
        return result
    checks = [c if not c.hidden else _hidden_check(c, hidden) for c in result.checks]
    if hidden == "inputs":
        return result.model_copy(update={"checks": checks})
    apart = result.hidden_output is not None  # output_tail is then the public checks' run alone
    return result.model_copy(update={"checks": checks, "output_tail": result.output_tail if apart else "",
                                     "hidden_output": "" if apart else None})


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
            out.writerow(csv_row(row))


def write_jsonl(results: dict[str, SubmissionResult], path: Path) -> None:
    with open(path, "w") as f:
        for student, r in results.items():
            f.write(json.dumps({"student": student, **r.model_dump(mode="json")}) + "\n")


def write_gradescope(results: dict[str, SubmissionResult], chapter: Chapter, folder: Path,
                     hidden: HiddenFeedback = "summary") -> None:  # fmt: skip
    """Gradescope's results.json, one per submission, as the autograder writes it (for scores
    graded here and uploaded there): hidden checks show once published, and then what `hidden`
    allows (see `for_students`)."""
    config = AutograderConfig(chapter=chapter.name)
    for student, r in results.items():
        (folder / file_stem(student)).mkdir(parents=True, exist_ok=True)
        doc = gradescope_results(for_students(r, hidden), config)
        (folder / file_stem(student) / "results.json").write_text(doc.model_dump_json(indent=2))


def write_feedback(results: dict[str, SubmissionResult], chapter: Chapter, folder: Path,
                   hidden: HiddenFeedback = "summary") -> None:  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    for student, r in results.items():
        text = submission_text(for_students(r, hidden), title=chapter.spec.title, hidden_exist=True)
        (folder / f"{file_stem(student)}.txt").write_text(click.unstyle(text) + "\n")


def _histogram_svg(scores: list[float], top: float) -> str:
    """Bars of how many submissions fell in each tenth of the points, each bin labelled with
    its range and its count; the axes say what they count."""
    counts = [0] * HISTOGRAM_BINS
    for s in scores:
        counts[min(HISTOGRAM_BINS - 1, int(s / top * HISTOGRAM_BINS)) if top else 0] += 1
    high = max(counts) or 1
    bars = []
    for i, n in enumerate(counts):
        h = 150 * n / high
        low, up = top * i / HISTOGRAM_BINS, top * (i + 1) / HISTOGRAM_BINS
        closing = "]" if i == HISTOGRAM_BINS - 1 else ")"
        label = f"[{low:.3g}, {up:.3g}{closing}"
        bars.append(
            f'<rect x="{i * 60 + 45}" y="{175 - h:.1f}" width="50" height="{h:.1f}" fill="#4a7">'
            f"<title>{label}: {n} submissions</title></rect>"
            f'<text x="{i * 60 + 70}" y="{170 - h:.1f}" text-anchor="middle">{n}</text>'
            f'<text x="{i * 60 + 70}" y="192" text-anchor="middle" font-size="10">{label}</text>'
        )
    width = HISTOGRAM_BINS * 60 + 50
    axes = (f'<line x1="40" y1="175" x2="{width}" y2="175" stroke="#333"/>'
            f'<text x="{width // 2}" y="212" text-anchor="middle" font-size="12">score (points)</text>'
            '<text x="12" y="100" text-anchor="middle" font-size="12" transform="rotate(-90 12 100)">'
            "submissions</text>")  # fmt: skip
    return (f'<svg role="img" aria-label="score histogram" width="{width}" height="220" '
            f'font-family="sans-serif">{axes}{"".join(bars)}</svg>')  # fmt: skip


def _wrong_answers(results: dict[str, SubmissionResult], check: str) -> list[tuple[str, int]]:
    """The feedback lines of a check that did not pass, grouped and counted, most common first:
    the mistakes a class shares. Left out: students without a submission, a picture's line (it
    names one student's file) and the count of cases not shown ("... and 3 more")."""
    counts: dict[str, int] = {}
    for r in results.values():
        for c in r.checks:
            if c.name == check and c.status != "passed" and r.status != "missing":
                for line in dict.fromkeys(c.feedback):  # a line counts once per student
                    if not line.startswith(("picture of ", "... and ")):
                        counts[line] = counts.get(line, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:COMMON_WRONG]


def write_report(results: dict[str, SubmissionResult], chapter: Chapter, path: Path,
                 feedback: str = "feedback", hidden: HiddenFeedback = "summary") -> None:  # fmt: skip
    """One self-contained HTML page for the instructor: the score histogram, each check's pass
    rate, average points and most common wrong answers, every student's score, status and
    points per check linked to their feedback file (`feedback/STUDENT.txt` beside the page),
    the slowest submissions and those that did not complete. `hidden`: what it shows of hidden
    checks (see for_students)."""
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
        average = sum(x.score for x in mine) / len(mine) if mine else 0.0
        wrong = "".join(f"<li><b>{n}×</b> <code>{e(shown_text(line))}</code></li>"
                        for line, n in _wrong_answers(dict(rows), c.name))  # fmt: skip
        checks.append(f"<tr><td>{e(c.name)}{' (hidden)' if c.hidden else ''}</td><td>{c.points:g}</td>"
                      f"<td>{average:.2f}</td><td>{passed}/{len(mine)}</td><td>{rate:.0%}</td>"
                      f"<td>{f'<ul>{wrong}</ul>' if wrong else ''}</td></tr>")  # fmt: skip
    slowest = sorted(rows, key=lambda sr: -sr[1].seconds)[:10]
    failed = [(s, r) for s, r in rows if r.status != "completed"]

    def link(student: str) -> str:
        return f'<a href="{e(quote(f"{feedback}/{file_stem(student)}.txt"))}">{e(shown_name(student))}</a>'

    def table(items: list[tuple[str, SubmissionResult]]) -> str:
        body = "".join(
            f"<tr><td>{link(s)}</td><td>{e(r.status)}</td><td>{r.score:g}/{r.max_score:g}</td>"
            f"<td>{r.seconds:.1f}</td><td>{e(shown_text('; '.join(r.messages)))}</td></tr>"
            for s, r in items
        )
        return ("<table><tr><th>student</th><th>status</th><th>score</th><th>seconds</th>"
                f"<th>notes</th></tr>{body}</table>") if items else "<p>none</p>"  # fmt: skip

    names = [c.name for c in chapter.checks]
    head = "".join(f'<th class="check" title="{e(n)}">{e(n)}</th>' for n in names)
    students = []
    for s, r in rows:
        got = {c.name: c for c in r.checks}
        cells = "".join(
            f'<td class="{got[n].status}">{got[n].score:g}</td>' if n in got else "<td>–</td>" for n in names
        )
        students.append(f'<tr><td>{link(s)}</td><td>{r.score:g}/{r.max_score:g}</td>'
                        f'<td class="{e(r.status)}">{e(r.status.replace("_", " "))}</td>{cells}</tr>')  # fmt: skip
    statuses: dict[str, int] = {}
    for _, r in rows:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    counted = ", ".join(f"{n} {e(st.replace('_', ' '))}" for st, n in sorted(statuses.items()))

    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>{e(chapter.name)} batch report</title><style>
body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; vertical-align: top; }}
th.check {{ font-size: 0.75em; max-width: 7em; overflow-wrap: anywhere; }}
td.passed {{ background: #dfd; }} td.partial {{ background: #ffd; }}
td.failed, td.error {{ background: #fdd; }} td.missing, td.unreadable {{ color: #a00; }}
ul {{ margin: 0; padding-left: 1.2em; }} code {{ font-size: 0.85em; }}
</style></head><body>
<h1>{e(chapter.name)}: {e(chapter.spec.title)}</h1>
<p>{len(rows)} submissions · mean score {mean:.2f} / {top:g} · {counted}</p>
<h2>Score histogram</h2>{_histogram_svg(scores, top)}
<h2>Checks</h2><table><tr><th>check</th><th>points</th><th>average</th><th>passed</th>
<th>pass rate</th><th>most common wrong answers (students)</th></tr>
{"".join(checks)}</table>
<h2>Students</h2><p>Each name opens the student's feedback file.</p>
<table><tr><th>student</th><th>score</th><th>status</th>{head}</tr>
{"".join(students)}</table>
<h2>Slowest submissions</h2>{table(slowest)}
<h2>Submissions that did not complete</h2>{table(failed)}
</body></html>
"""
    path.write_text(page, encoding="utf-8")


def need_roster(formats: tuple[str, ...], roster: list[Student] | None) -> None:
    """The LMS formats name students as the LMS knows them: only a roster says how, and it
    must hold the ids that LMS matches on."""
    for name in ROSTER_FORMATS:
        if name in formats and roster is None:
            raise BadInput(f"--export {name} needs --roster: its rows name students as the LMS knows them")
    if roster is not None:
        lms.check_lms_roster(formats, roster)


def export(results: dict[str, SubmissionResult], chapter: Chapter, out: Path,
           formats: tuple[str, ...], hidden: HiddenFeedback = "summary", *,
           roster: list[Student] | None = None, assignment: str | None = None,
           missing: lms.Missing = "zero") -> list[Path]:  # fmt: skip
    """Write the chosen formats plus feedback files and the report into `out`; return the paths.
    `hidden`: what the student-facing ones (feedback, Gradescope, report) show of hidden checks;
    results.jsonl, the instructor's, keeps everything. `roster`: the students, for the LMS
    formats; `assignment`: the assignment's name there; `missing`: a 0 or no row there for a
    student without a submission."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    need_roster(formats, roster)
    for name in ROSTER_FORMATS:
        if name in formats:
            write = lms.write_canvas if name == "canvas" else lms.write_moodle
            write(results, roster, chapter, out / f"{name}.csv", assignment, missing)
            written.append(out / f"{name}.csv")
    if "csv" in formats:
        write_csv(results, chapter, out / "gradebook.csv")
        written.append(out / "gradebook.csv")
    if "json" in formats:
        write_jsonl(results, out / "results.jsonl")
        written.append(out / "results.jsonl")
    if "gradescope" in formats:
        write_gradescope(results, chapter, out / "gradescope", hidden)
        written.append(out / "gradescope")
    write_feedback(results, chapter, out / "feedback", hidden)
    write_report(results, chapter, out / "report.html", hidden=hidden)
    return written + [out / "feedback", out / "report.html"]
