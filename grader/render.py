"""Terminal views of results. They only render the models; they decide nothing."""

from __future__ import annotations

import time

import click

from grader.models import CheckResult, SubmissionResult

_MARK = {"passed": ("PASS", "green"), "partial": ("PART", "yellow"), "failed": ("FAIL", "red"),
         "error": ("ERR ", "magenta")}  # fmt: skip
OUTPUT_LINES = 8
# control characters but tab and newline, shown as \x.. escapes
_CONTROLS = {c: f"\\x{c:02x}" for c in [*range(0x09), *range(0x0b, 0x20), 0x7f, *range(0x80, 0xa0)]}
_NAME_CONTROLS = {**_CONTROLS, 0x09: "\\t", 0x0a: "\\n"}  # names are shown on one line


def _shown(text: str) -> str:
    """Text a submission made (its output, its errors, its file name) with control characters
    made visible: an escape sequence must not move the cursor over the grader's lines."""
    return text.translate(_CONTROLS)


def shown_name(text: str) -> str:
    """An entry's or a student's name on one line: tabs and newlines escaped too, so a name
    cannot split a table or add a line of its own."""
    return text.translate(_NAME_CONTROLS)


def _points(value: float) -> str:
    return f"{value:g}"


def _check_lines(c: CheckResult, width: int) -> list[str]:
    word, colour = _MARK[c.status]
    name = c.name + (" (hidden)" if c.hidden else "")
    score = f"{_points(c.score)}/{_points(c.points)}"
    lines = [f"  {click.style(word, fg=colour, bold=True)}  {name:<{width}} {score:>7}  {c.description}"]
    lines += [f"        {_shown(line)}" for line in c.feedback]
    return lines


def submission_text(result: SubmissionResult, *, title: str, hidden_exist: bool) -> str:
    width = max([len(c.name) + (9 if c.hidden else 0) for c in result.checks] + [10])
    lines = [click.style(f"{result.chapter} · {title}", bold=True), f"submission: {shown_name(result.submission)}", ""]
    for c in result.checks:
        lines += _check_lines(c, width)
    lines.append("")
    public = [c for c in result.checks if not c.hidden]
    hidden = [c for c in result.checks if c.hidden]
    total = f"Score: {_points(result.score)}/{_points(result.max_score)}"
    if hidden:
        total += (f"  (public {_points(sum(c.score for c in public))}/{_points(sum(c.points for c in public))}, "
                  f"hidden {_points(sum(c.score for c in hidden))}/{_points(sum(c.points for c in hidden))})")
    lines.append(click.style(total, bold=True))
    if not hidden_exist:
        passed = all(c.status == "passed" for c in public)
        lines.append(("All public checks passed" if passed else "Public checks only")
                     + "; hidden checks run at grading time.")
    if result.status != "completed":
        lines.append(click.style(f"status: {result.status.replace('_', ' ')}", fg="red"))
    lines += [f"note: {_shown(m)}" for m in result.messages]
    if result.output_tail.strip():
        tail = result.output_tail.rstrip().split("\n")[-OUTPUT_LINES:]  # not splitlines: it splits at \r
        lines += ["", "your code printed (last lines):", *[f"  | {_shown(t)}" for t in tail]]
    env = result.environment
    lines += ["", click.style("sandbox: " + "; ".join(env.isolation), dim=True)]
    lines.append(click.style(
        f"seed {env.seed} · TensorFlow {env.tensorflow} · Keras {env.keras} · NumPy {env.numpy} · "
        f"Python {env.python} · device {env.device} · {result.seconds:.1f} s", dim=True))  # fmt: skip
    return "\n".join(lines)


class Progress:
    """done/total, rate and ETA on stderr: redrawn in place on a terminal, every 10% otherwise."""

    def __init__(self, total: int) -> None:
        self._clock = time.monotonic
        self.total, self.done, self._start = total, 0, self._clock()
        self._tty = click.get_text_stream("stderr").isatty()
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
