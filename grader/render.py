"""Terminal views of results. They only render the models; they decide nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import textwrap
import time

import click

from grader.feedback import MARKS, Row, points, summarise
from grader.models import SubmissionResult

_COLOUR = {"passed": "green", "partial": "yellow", "failed": "red", "error": "magenta"}
OUTPUT_LINES = 8
NO_WRAP = 1 << 30
# control characters but tab and newline, shown as \x.. escapes
_CONTROLS = {c: f"\\x{c:02x}" for c in [*range(0x09), *range(0x0b, 0x20), 0x7f, *range(0x80, 0xa0)]}
_NAME_CONTROLS = {**_CONTROLS, 0x09: "\\t", 0x0a: "\\n"}  # names are shown on one line


def shown_text(text: str) -> str:
    """Text a submission made (its output, its errors, its file name) with control characters
    made visible: an escape sequence must not move the cursor over the grader's lines."""
    return text.translate(_CONTROLS)


MAX_FILE_STEM = 80  # characters of a student's name kept in a file name (the system allows 255 bytes)


def file_stem(student: str) -> str:
    """A student's name as the stem of a file or folder of theirs (feedback, pictures): their
    name where it is plain and short, else a plain prefix and a hash of the whole, so that no
    name is too long for the system, and no two names share a file."""
    plain = "".join(c if c.isalnum() or c in "-_.@ " else "_" for c in student).strip(". ")
    if plain == student and len(student) <= MAX_FILE_STEM:
        return student
    digest = hashlib.sha256(student.encode("utf-8", "backslashreplace")).hexdigest()[:12]
    return f"{plain[:MAX_FILE_STEM - 13]}-{digest}"


def shown_name(text: str) -> str:
    """An entry's or a student's name on one line: tabs and newlines escaped too, so a name
    cannot split a table or add a line of its own."""
    return text.translate(_NAME_CONTROLS)


def _points(value: float) -> str:
    return points(value)


def _wrap(text: str, width: int, indent: str, first: str | None = None) -> list[str]:
    """Lines of at most `width` columns, continued under `indent` (words longer than a line
    are cut: a path or an array must not push the line past the terminal's edge)."""
    lead = indent if first is None else first
    if width >= NO_WRAP:
        return [lead + text]
    return textwrap.wrap(text, width=max(width, len(indent) + 20), initial_indent=lead,
                         subsequent_indent=indent + "  ", break_on_hyphens=False,
                         drop_whitespace=True) or [lead.rstrip()]  # fmt: skip


def _check_lines(row: Row, name_width: int, score_width: int, width: int) -> list[str]:
    word = MARKS[row.status]
    colour = _COLOUR[row.status]
    head = f"  {word:<4}  {row.name:<{name_width}}  {row.score:>{score_width}}  "
    if len(head) + 30 <= width:  # the description beside the score, continued under itself
        lines = _wrap(row.description, width, " " * len(head), first=head)
    else:  # a narrow terminal: the description under the row
        lines = [head.rstrip(), *_wrap(row.description, width, "        ")]
    lines[0] = lines[0].replace(word, click.style(word, fg=colour, bold=True), 1)
    for item in row.feedback:  # one line each: a newline in one must not forge a line of ours
        lines += _wrap(shown_name(item), width, "        ")
    return lines


def _near(label: str) -> str:
    """A path as short as it reads from here (a student grades from the course or the chapter)."""
    if not os.path.isabs(label):
        return label
    relative = os.path.relpath(label)
    return relative if len(relative) < len(label) else label


def terminal_width() -> int:
    """The terminal's width ($COLUMNS first). Output that goes to no terminal (a pipe, a file,
    a batch's feedback files) is not wrapped: NO_WRAP."""
    if os.environ.get("COLUMNS", "").isdigit() or sys.stdout.isatty():
        return shutil.get_terminal_size((100, 24)).columns
    return NO_WRAP


def submission_text(result: SubmissionResult, *, title: str, hidden_exist: bool, source: str | None = None,
                    hidden_points: float | None = None, verbose: bool = False,
                    width: int | None = None) -> str:  # fmt: skip
    """The terminal report. `source`: the graded code (a syntax error is shown with a caret);
    `hidden_points`: what hidden checks are worth, in a student's copy; `verbose`: every
    protection of the sandbox, not one line."""
    width = width or terminal_width()
    s = summarise(result, title=title, hidden_exist=hidden_exist, source=source,
                  hidden_points=hidden_points, output_lines=OUTPUT_LINES)  # fmt: skip
    lines = [click.style(s.title, bold=True), *_wrap(f"submission: {shown_name(_near(s.submission))}", width, "")]
    if s.problems:
        lines.append("")
        for problem in s.problems:
            lead = " " * (len(problem) - len(problem.lstrip()))
            for line in _wrap(shown_name(problem.strip()), width, lead + "  ", first=lead):
                lines.append(click.style(line, fg="red"))
    lines.append("")
    name_width = max([len(r.name) for r in s.rows] + [10])
    score_width = max([len(r.score) for r in s.rows] + [5])
    for row in s.rows:
        lines += _check_lines(row, name_width, score_width, width)
    lines.append("")
    lines.append(click.style(s.total, bold=True))
    if s.remark:
        lines += _wrap(s.remark, width, "")
    if s.status:
        lines.append(click.style(f"status: {s.status}", fg="red"))
    for note in s.notes:
        lines += _wrap(shown_name(note), width, "      ", first="note: ")
    if s.output:
        lines += ["", "your code printed (last lines):"]
        for line in s.output:
            lines += _wrap(shown_text(line), width, "  |   ", first="  | ")
    lines.append("")
    sandbox = s.sandbox_details if verbose else [f"{s.sandbox} (--verbose: all)"]
    for line in sandbox:
        lines += [click.style(part, dim=True) for part in _wrap(line, width, "  ")]
    lines += [click.style(part, dim=True) for part in _wrap(s.run, width, "  ")]
    return "\n".join(lines)


class Progress:
    """done/total, rate and ETA on stderr: redrawn in place on a terminal, every 10% otherwise."""

    def __init__(self, total: int) -> None:
        self._clock = time.monotonic
        self.total, self.done, self._start = total, 0, self._clock()
        self._tty = sys.stderr.isatty()
        self._last_tenth = -1

    def update(self, student: str, result: SubmissionResult) -> None:
        self.done += 1
        elapsed = self._clock() - self._start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate else 0.0
        filled = int(20 * self.done / self.total) if self.total else 20
        line = (f"[{'#' * filled}{'.' * (20 - filled)}] {self.done}/{self.total}  "
                f"{rate * 60:.0f}/min  ETA {int(eta) // 60}:{int(eta) % 60:02d}  "
                f"{shown_name(student)}: {result.score:g}/{result.max_score:g} {result.status}")  # fmt: skip
        tenth = 10 * self.done // max(self.total, 1)
        if self._tty:
            click.echo("\r" + line[:120].ljust(120), nl=self.done == self.total, err=True)
        elif tenth != self._last_tenth or self.done == self.total:
            click.echo(line, err=True)
        self._last_tenth = tenth


def batch_table(results: dict[str, SubmissionResult]) -> str:
    """The final table of a batch: one line per student, then totals by status."""
    width = max([len(shown_name(s)) for s in results] + [7])
    lines = [f"{'student':<{width}}  {'score':>15}  status"]
    for student, r in results.items():
        score = f"{_points(r.score)}/{_points(r.max_score)}"
        lines.append(f"{shown_name(student):<{width}}  {score:>15}  {r.status.replace('_', ' ')}")
    statuses: dict[str, int] = {}
    for r in results.values():
        statuses[r.status] = statuses.get(r.status, 0) + 1
    mean = sum(r.score for r in results.values()) / len(results) if results else 0.0
    lines.append(f"{len(results)} submissions, mean {mean:.2f}; "
                 + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(statuses.items())))
    return "\n".join(lines)
