"""`grade batch`: every submission in a folder, on a pool of warm workers, into a gradebook.

One entry per student: a folder, a `.py`, a `.ipynb` or a `.zip`; the student id is the entry's
name. Whatever happens to an entry (unreadable, empty, oversized, hostile, a bug of ours) it gets
exactly one row, written the moment it is graded.
"""

from __future__ import annotations

import io
import queue
import stat
import struct
import threading
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.checks import as_utf8
from grader.course import Chapter
from grader.errors import BadInput, GraderError, SandboxError
from grader.gradebook import Gradebook
from grader.grading import environment, zero_result
from grader.models import Environment, Observation, SubmissionResult
from grader.render import file_stem
from grader.sandbox.client import Worker
from grader.session import Session
from grader.submission import MAX_SOURCE_BYTES, Submission, read_submission, refuse_link

SUFFIXES = (".py", ".ipynb", ".zip")
MAX_ZIP_BYTES = 64 << 20
# listing a zip's central directory costs time and memory per entry (600k entries: 10 s and
# 300 MiB): its size is read from the end record and bounded before zipfile lists anything
MAX_ZIP_DIRECTORY_BYTES = 2 << 20
MAX_ZIP_ENTRIES = 20_000
EOCD = b"PK\x05\x06"  # the end-of-central-directory record's signature
ZIP64_LOCATOR = b"PK\x06\x07"  # just before it in a zip64 archive
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, NotImplementedError, EOFError, ValueError)
POLL_S = 1.0  # how often the batch looks whether its grading threads are still alive


@dataclass(frozen=True)
class Entry:
    student: str
    path: Path


def find_entries(folder: Path) -> list[Entry]:
    """One entry per visible child of `folder`, named by its stem (its full name on a clash,
    and `~2`, `~3`... after it if that clashes too: every entry keeps a row of its own). A
    name that is not UTF-8 is named with its bytes escaped."""
    if not folder.is_dir():
        raise BadInput(f"{folder} is not a folder of submissions")
    children = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    stems = [as_text(p.stem if p.suffix in SUFFIXES else p.name) for p in children]
    entries: list[Entry] = []
    taken: set[str] = set()
    for path, stem in zip(children, stems):
        wanted = stem if stems.count(stem) == 1 else as_text(path.name)
        student, n = wanted, 1
        while student in taken:
            n += 1
            student = f"{wanted}~{n}"
        taken.add(student)
        entries.append(Entry(student=student, path=path))
    return entries


def as_text(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 (surrogates here) escaped as \\xNN."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file name gives
        return as_utf8(name)


def load_entry(entry: Entry, chapter: Chapter) -> Submission:
    """The entry's source, or a BadInput saying why it cannot be graded. Links are refused:
    in the folder, inside an entry folder, or as a zip's member."""
    path = entry.path
    refuse_link(path)
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
        _zip_bounds(path)
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if Path(m.filename).name == module_file]
            if not members:
                raise BadInput(f"{path.name} holds no {module_file}")
            member = min(members, key=lambda m: m.filename.count("/"))  # the shallowest
            if stat.S_ISLNK(member.external_attr >> 16):
                raise BadInput(f"{path.name}: {member.filename} is a link; links are not followed")
            if member.file_size > MAX_SOURCE_BYTES:
                raise BadInput(f"{path.name}: {module_file} is too large")
            with archive.open(member) as f:
                data = f.read(MAX_SOURCE_BYTES + 1)  # the size in the header may lie
            if len(data) > MAX_SOURCE_BYTES:
                raise BadInput(f"{path.name}: {module_file} is too large")
    except ZIP_ERRORS as exc:  # RuntimeError: encrypted; zlib.error: corrupt deflate data
        raise BadInput(f"{path.name} is not a readable zip: {exc}") from exc
    try:
        return Submission(label=path.name, source=io.TextIOWrapper(io.BytesIO(data), "utf-8").read())
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path.name}: {module_file} is not UTF-8 text") from exc


def _zip_bounds(path: Path) -> None:
    """Refuse a zip too large, or whose central directory is too large, before it is listed:
    the file's size, then the end-of-central-directory record's entry count and size."""
    size = path.stat().st_size
    if size > MAX_ZIP_BYTES:
        raise BadInput(f"{path.name} is larger than {MAX_ZIP_BYTES >> 20} MiB")
    with open(path, "rb") as f:
        f.seek(max(0, size - (1 << 16) - 22))  # the record (22 bytes) and a comment of up to 64 KiB
        tail = f.read()
    at = tail.rfind(EOCD)
    if at < 0 or len(tail) - at < 22:
        raise zipfile.BadZipFile("no end-of-central-directory record")
    entries, directory = struct.unpack("<HI", tail[at + 10:at + 16])
    if at >= 20 and tail[at - 20:at - 16] == ZIP64_LOCATOR:  # zipfile would take its counts instead
        raise BadInput(f"{path.name} is a zip64 archive; a submission's zip is read up to {MAX_ZIP_BYTES >> 20} MiB")
    if entries > MAX_ZIP_ENTRIES or directory > MAX_ZIP_DIRECTORY_BYTES:
        raise BadInput(f"{path.name} lists {entries} entries in a {directory >> 10} KiB directory; "
                       f"at most {MAX_ZIP_ENTRIES} entries and {MAX_ZIP_DIRECTORY_BYTES >> 20} MiB are read")


def run_batch(
    session: Session,
    chapter: Chapter,
    entries: list[Entry],
    gradebook: Gradebook,
    *,
    on_result: Callable[[str, SubmissionResult], None] = lambda student, result: None,
    pictures: Path | None = None,
    pictures_of_hidden: bool = True,
) -> None:
    """Grade every entry that has no final row yet, `len(session.workers)` at a time; picture
    checks write their PNGs into `pictures/STUDENT/` (a hidden check's only with
    `pictures_of_hidden`: the picture shows the reference's map).

    The reference is observed once, before any submission. Whatever happens to one entry
    becomes its row; only a sandbox that cannot restart stops the batch (a rerun resumes)."""
    graded = gradebook.graded(chapter.name)
    todo: queue.Queue[Entry] = queue.Queue()
    for entry in entries:
        if entry.student not in graded:
            todo.put(entry)
    pending = todo.qsize()
    if not pending:
        return
    reference = session.reference(chapter)  # once, before the workers start
    done: queue.Queue[tuple[str, SubmissionResult] | BaseException] = queue.Queue()
    threads = [
        threading.Thread(target=_drain, args=(session, chapter, w, reference, todo, done, pictures,
                                              pictures_of_hidden), daemon=True)
        for w in session.workers
    ]  # fmt: skip
    for t in threads:
        t.start()
    for _ in range(pending):
        item = _next(done, threads)
        if isinstance(item, BaseException):  # a worker that cannot restart: stop, a rerun resumes
            raise item
        student, result = item
        gradebook.put(student, result)
        on_result(student, result)
    for t in threads:
        t.join()


def _next(done: queue.Queue, threads: list[threading.Thread]) -> tuple[str, SubmissionResult] | BaseException:
    """The next row, or the error that stopped a thread; never a wait on threads that are gone."""
    while True:
        try:
            return done.get(timeout=POLL_S)
        except queue.Empty:
            if not any(t.is_alive() for t in threads) and done.empty():
                return SandboxError("the batch's grading threads stopped before every entry had a row")


def _drain(session: Session, chapter: Chapter, worker: Worker, reference: dict[str, Observation],
           todo: queue.Queue, done: queue.Queue, pictures: Path | None, pictures_of_hidden: bool) -> None:  # fmt: skip
    try:
        env = environment(worker, session.seed, session.limits)  # for rows of unreadable entries
        while True:
            try:
                entry = todo.get_nowait()
            except queue.Empty:
                return
            try:
                result = _grade_entry(session, chapter, worker, reference, entry, env, pictures, pictures_of_hidden)
            except SandboxError:
                raise
            except Exception as exc:  # a bug of ours: the entry's row says so, the thread goes on
                result = zero_result(chapter, entry.student, "error", _our_failure(exc), env)
            done.put((entry.student, result))
    except BaseException as exc:  # the thread ends: the batch stops with its reason
        done.put(exc)


def _our_failure(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return (f"the grader failed on this entry ({type(exc).__name__}{': ' + text if text else ''}): "
            "not the submission's doing; the same command grades it again")


def _grade_entry(session: Session, chapter: Chapter, worker: Worker, reference: dict[str, Observation],
                 entry: Entry, env: Environment, pictures: Path | None, pictures_of_hidden: bool) -> SubmissionResult:  # fmt: skip
    submission = load_or_zero(entry, chapter, env)
    if isinstance(submission, SubmissionResult):
        return submission
    folder = pictures / file_stem(entry.student) if pictures is not None else None
    return grade_loaded(session, chapter, submission, worker, reference, pictures=folder,
                        pictures_of_hidden=pictures_of_hidden)


def load_or_zero(entry: Entry, chapter: Chapter, env: Environment) -> Submission | SubmissionResult:
    """The entry's submission, or the row of an entry that cannot be read (`env`: where the
    batch grades): `unreadable` saying why, or `error` if reading it failed on a bug of ours."""
    try:
        return load_entry(entry, chapter)
    except GraderError as exc:  # the message may hold the entry's name: as text
        return zero_result(chapter, entry.student, "unreadable", as_text(str(exc)), env)
    except Exception as exc:
        return zero_result(chapter, entry.student, "error", as_text(_our_failure(exc)), env)


def grade_loaded(
    session: Session, chapter: Chapter, submission: Submission, worker: Worker,
    reference: dict[str, Observation] | None = None, pictures: Path | None = None,
    pictures_of_hidden: bool = True,
) -> SubmissionResult:  # fmt: skip
    """Grade a readable entry (`submission.label` is the student) on `worker`; whatever goes
    wrong, the result is the student's row."""
    try:
        return session.grade(chapter, submission, worker=worker, reference=reference, pictures=pictures,
                             pictures_of_hidden=pictures_of_hidden)  # fmt: skip
    except SandboxError:
        raise  # not this submission's row to write: the batch stops and a rerun grades it
    except Exception as exc:  # a bug of ours must still leave a row that says so
        env = environment(worker, session.seed, session.limits)
        return zero_result(chapter, submission.label, "error", _our_failure(exc), env)
