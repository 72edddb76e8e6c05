"""`grade chapterN` at a terminal: a spinner while grading, the report, and `--watch`.

The spinner and watch messages go to stderr, and only to a terminal: `--json` and piped
output stay clean.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import click

from grader.course import Chapter, Course
from grader.locate import Work, other_chapter
from grader.models import SubmissionResult
from grader.release import hidden_worth
from grader.render import submission_text
from grader.submission import Submission

POLL_S = 0.5


@contextlib.contextmanager
def spinner(text: str, *, enabled: bool = True) -> Iterator[None]:
    """A spinner on stderr while the block runs, when stderr is a terminal (rich draws it,
    and wipes it when done)."""
    if not (enabled and sys.stderr.isatty()):
        yield
        return
    from rich.console import Console  # Keras depends on rich; only a terminal needs it

    with Console(stderr=True).status(f"{text} …"):
        yield


def echo_check(course: Course, chapter: Chapter, work: Work, submission: Submission,
               result: SubmissionResult, *, as_json: bool, verbose: bool) -> None:  # fmt: skip
    """The report of one `grade chapterN`: first a line on which file was graded (when two held
    edits) and on a submission that looks like another chapter's, then the result."""
    notes = [n for n in (work.note, other_chapter(course, chapter, submission.source)) if n]
    if as_json:
        for note in notes:
            click.echo(f"note: {note}", err=True)
        click.echo(result.model_dump_json(indent=2))
        return
    for note in notes:
        click.secho(f"note: {note}", fg="yellow")
    click.echo(submission_text(
        result, title=chapter.spec.title, hidden_exist=chapter.hidden_checks_file is not None,
        source=submission.source, hidden_points=hidden_worth(chapter), verbose=verbose))  # fmt: skip


def watching(what: Callable[[], Work]) -> Iterator[None]:
    """Yield once now, then each time the file to grade is saved (its size or time changes)."""
    last = None
    while True:
        path = what().path
        stamp = _stamp(path)
        if stamp != last:
            if last is not None:
                click.echo(f"\n{path} changed: grading again", err=True)
            last = stamp
            yield
            click.echo(f"\nwatching {path}: save it to grade again (Ctrl-C stops)", err=True)
        time.sleep(POLL_S)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size
