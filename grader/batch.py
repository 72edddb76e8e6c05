"""`grade batch`: every submission in a folder, on a pool of warm workers, into a gradebook.

One entry per student: a folder, a `.py`, a `.ipynb` or a `.zip`; the student id is the entry's
name. Whatever happens to an entry (unreadable, empty, oversized, hostile, a bug of ours) it gets
exactly one row, written the moment it is graded.
"""

from __future__ import annotations

import io
import queue
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.course import Chapter
from grader.errors import BadInput, GraderError, SandboxError
from grader.gradebook import Gradebook
from grader.grading import environment, zero_result
from grader.models import Environment, Observation, SubmissionResult
from grader.sandbox.client import Worker
from grader.session import Session
from grader.submission import MAX_SOURCE_BYTES, Submission, read_submission

SUFFIXES = (".py", ".ipynb", ".zip")
MAX_ZIP_BYTES = 64 << 20


@dataclass(frozen=True)
class Entry:
    student: str
    path: Path


def find_entries(folder: Path) -> list[Entry]:
    """One entry per visible child of `folder`, named by its stem (its full name on a clash)."""
    if not folder.is_dir():
        raise BadInput(f"{folder} is not a folder of submissions")
    children = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    stems = [p.stem if p.suffix in SUFFIXES else p.name for p in children]
    return [
        Entry(student=stem if stems.count(stem) == 1 else p.name, path=p)
        for p, stem in zip(children, stems)
    ]


def load_entry(entry: Entry, chapter: Chapter) -> Submission:
    """The entry's source, or a BadInput saying why it cannot be graded."""
    path = entry.path
    if path.suffix == ".zip" and path.is_file():
        submission = _from_zip(path, chapter.module_file)
    elif path.is_dir() or path.suffix in (".py", ".ipynb"):
        submission = read_submission(path, chapter.module_file)
    else:
        raise BadInput(f"{path.name} is not a folder, .py, .ipynb or .zip")
    if not submission.source.strip():
        raise BadInput(f"{path.name} is empty")
    return Submission(label=entry.student, source=submission.source, cells=submission.cells)


def _from_zip(path: Path, module_file: str) -> Submission:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if Path(m.filename).name == module_file]
            if not members:
                raise BadInput(f"{path.name} holds no {module_file}")
            member = min(members, key=lambda m: m.filename.count("/"))  # the shallowest
            if member.file_size > MAX_SOURCE_BYTES or path.stat().st_size > MAX_ZIP_BYTES:
                raise BadInput(f"{path.name}: {module_file} is too large")
            data = archive.read(member)
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:  # RuntimeError: encrypted
        raise BadInput(f"{path.name} is not a readable zip: {exc}") from exc
    try:
        return Submission(label=path.name, source=io.TextIOWrapper(io.BytesIO(data), "utf-8").read())
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path.name}: {module_file} is not UTF-8 text") from exc


def run_batch(
    session: Session,
    chapter: Chapter,
    entries: list[Entry],
    gradebook: Gradebook,
    *,
    on_result: Callable[[str, SubmissionResult], None] = lambda student, result: None,
    pictures: Path | None = None,
) -> None:
    """Grade every entry that has no row yet, `len(session.workers)` at a time; picture checks
    write their PNGs into `pictures/STUDENT/`."""
    graded = gradebook.graded(chapter.name)
    todo: queue.Queue[Entry] = queue.Queue()
    for entry in entries:
        if entry.student not in graded:
            todo.put(entry)
    pending = todo.qsize()
    if not pending:
        return
    session.reference(chapter)  # once, before the workers start
    done: queue.Queue[tuple[str, SubmissionResult] | SandboxError] = queue.Queue()
    threads = [
        threading.Thread(target=_drain, args=(session, chapter, w, todo, done, pictures), daemon=True)
        for w in session.workers
    ]
    for t in threads:
        t.start()
    for _ in range(pending):
        item = done.get()
        if isinstance(item, SandboxError):  # a worker that cannot restart: stop, a rerun resumes
            raise item
        student, result = item
        gradebook.put(student, result)
        on_result(student, result)
    for t in threads:
        t.join()


def _drain(session: Session, chapter: Chapter, worker: Worker, todo: queue.Queue,
           done: queue.Queue, pictures: Path | None) -> None:  # fmt: skip
    env = environment(worker, session.seed, session.limits)  # for rows of unreadable entries
    while True:
        try:
            entry = todo.get_nowait()
        except queue.Empty:
            return
        try:
            done.put((entry.student, _grade_entry(session, chapter, worker, entry, env, pictures)))
        except SandboxError as exc:
            done.put(exc)
            return


def _grade_entry(session: Session, chapter: Chapter, worker: Worker, entry: Entry, env: Environment,
                 pictures: Path | None) -> SubmissionResult:  # fmt: skip
    submission = load_or_zero(entry, chapter, env)
    if isinstance(submission, SubmissionResult):
        return submission
    folder = pictures / entry.student if pictures is not None else None
    return grade_loaded(session, chapter, submission, worker, pictures=folder)


def load_or_zero(entry: Entry, chapter: Chapter, env: Environment) -> Submission | SubmissionResult:
    """The entry's submission, or the zero row of an entry that cannot be read (`env`: where
    the batch grades)."""
    try:
        return load_entry(entry, chapter)
    except GraderError as exc:
        return zero_result(chapter, entry.student, "unreadable", str(exc), env)


def grade_loaded(
    session: Session, chapter: Chapter, submission: Submission, worker: Worker,
    reference: dict[str, Observation] | None = None, pictures: Path | None = None,
) -> SubmissionResult:  # fmt: skip
    """Grade a readable entry (`submission.label` is the student) on `worker`; whatever goes
    wrong, the result is the student's row."""
    try:
        return session.grade(chapter, submission, worker=worker, reference=reference, pictures=pictures)
    except SandboxError:
        raise  # not this submission's row to write: the batch stops and a rerun grades it
    except Exception as exc:  # a bug of ours must still leave a row that says so
        why = f"the grader failed on this submission ({type(exc).__name__}: {exc}); regrade it"
        env = environment(worker, session.seed, session.limits)
        return zero_result(chapter, submission.label, "crashed", why, env)
