"""Rosters and LMS grade files: whose work each entry of a submissions folder is, and the CSVs
Canvas and Moodle import.

An LMS download names files after the student, not by an id we can use as is: Canvas writes
`doejane_4411_98765_fundamentals-1.py` (sortable name squashed, Canvas user id, submission id,
the file as uploaded, renamed on clashes), Moodle `Jane Doe_12345_assignsubmission_file_/`
(full name, participant number, plugin). With a roster (columns id, name, email, section) each
entry is matched to one student; what matches nobody is listed apart, never graded as a student,
and a roster student without an entry gets a `missing` row worth 0.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from grader.batch import SUFFIXES, Entry, as_text
from grader.course import Chapter
from grader.errors import BadInput
from grader.grading import zero_result
from grader.models import Environment, SubmissionResult
from grader.render import shown_name
from grader.spreadsheet import csv_row

ROSTER_COLUMNS = ("id", "name", "email", "section")
CANVAS_FILE = re.compile(r"^(?P<key>[^_]+)_(?:LATE_)?(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
MOODLE_FILE = re.compile(r"^(?P<name>.+?)_(?P<pid>\d+)_assignsubmission_[a-z]+_(?P<file>.*)$")
CANVAS_HEADER = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_ROW = "Points Possible"


class Student(BaseModel):
    """One roster row. `extra` keeps the other columns, by lower-case name (a column the
    instructor names for matching, `sis_user_id` and `sis_login_id` for Canvas)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    name: str = ""
    email: str = ""
    section: str = ""
    extra: dict[str, str] = {}

    def value(self, column: str) -> str:
        column = column.strip().lower()
        return getattr(self, column) if column in ROSTER_COLUMNS else self.extra.get(column, "")


def read_roster(path: Path) -> list[Student]:
    """The roster's students, in file order; a one-line BadInput for a file that is not one."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's byte-order mark is fine
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read the roster {path}: {exc}") from exc
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise BadInput(f"the roster {path} is empty")
    header = [h.strip().lower() for h in rows[0]]
    if "id" not in header:
        raise BadInput(f"the roster {path} has no id column (its columns: {', '.join(rows[0])})")
    students, seen = [], set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header) if h}
        if not cells["id"]:
            raise BadInput(f"the roster {path}, line {line}: no id")
        if cells["id"] in seen:
            raise BadInput(f"the roster {path}, line {line}: id {cells['id']} appears twice")
        seen.add(cells["id"])
        known = {k: cells.get(k, "") for k in ROSTER_COLUMNS}
        students.append(Student(**known, extra={k: v for k, v in cells.items() if k not in ROSTER_COLUMNS}))
    return students


@dataclass(frozen=True)
class Stray:
    """An entry of the submissions folder that no roster student owns, and why."""

    path: Path
    why: str


@dataclass
class Matched:
    entries: list[Entry] = field(default_factory=list)  # one per student, named by roster id
    strays: list[Stray] = field(default_factory=list)
    missing: list[Student] = field(default_factory=list)  # roster students without an entry


def _squash(text: str) -> str:
    """Lower-case letters and digits only, accents dropped: how Canvas writes a name."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def _canvas_keys(name: str) -> set[str]:
    """The squashed `lastfirst` forms a roster name may take in a Canvas file name."""
    if "," in name:
        last, first = name.split(",", 1)
        return {_squash(last + first)}
    words = name.split()
    return {_squash("".join(words[k:] + words[:k])) for k in range(len(words))}


def _full_name(name: str) -> str:
    """A name as Moodle's folder writes it ("First Last"), compared without case or accents."""
    if "," in name:
        last, first = name.split(",", 1)
        name = f"{first} {last}"
    return " ".join(_squash(w) for w in name.split() if _squash(w))


def _owner(entry: Entry, students: list[Student], column: str | None) -> tuple[list[Student], str]:
    """The students an entry may belong to (one, none or several), and the file part of its
    name (what the student uploaded, without the LMS prefix)."""
    name = entry.path.name
    stem = entry.path.stem if entry.path.suffix in SUFFIXES else name  # alice.py and alice.ipynb: alice's
    by_id = [s for s in students if s.id in (entry.student, name, stem)]
    if by_id:
        return by_id, name
    if column:
        wanted = entry.student.casefold()
        named = [s for s in students if s.value(column).casefold() in (wanted, name.casefold()) and s.value(column)]
        if named:
            return named, name
    canvas = CANVAS_FILE.match(name)
    if canvas:
        by_uid = [s for s in students if s.id == canvas["uid"]]
        return by_uid or [s for s in students if canvas["key"].lower() in _canvas_keys(s.name)], canvas["file"]
    moodle = MOODLE_FILE.match(name)
    if moodle:
        full = _full_name(moodle["name"])
        return [s for s in students if s.name and _full_name(s.name) == full], moodle["file"] or name
    return [], name


def _gradeable_first(entries: list[tuple[Entry, str]], module: str) -> list[tuple[Entry, str]]:
    """A student's entries, the one to grade first: the chapter's module (Canvas renames a
    second upload `fundamentals-1.py`), then any folder, .py, .ipynb or .zip, then the rest."""

    def rank(item: tuple[Entry, str]) -> tuple[int, str]:
        entry, uploaded = item
        gradeable = entry.path.is_dir() or entry.path.suffix in SUFFIXES
        named = Path(uploaded).stem.startswith(module)
        return (0 if gradeable and named else 1 if gradeable else 2, entry.path.name)

    return sorted(entries, key=rank)


def match_roster(entries: list[Entry], students: list[Student], module: str,
                 column: str | None = None) -> Matched:  # fmt: skip
    """Give each entry to its roster student: by id, by the instructor's `column`, or by the
    Canvas/Moodle download name. A student with several entries has one graded (the module's
    file first) and the others listed apart, as is every entry that matches no student or
    several."""
    if column and students and not any(column.strip().lower() in (*ROSTER_COLUMNS, *s.extra) for s in students):
        raise BadInput(f"--roster-column {column}: the roster has no such column")
    matched = Matched()
    owned: dict[str, list[tuple[Entry, str]]] = {}
    for entry in entries:
        owners, uploaded = _owner(entry, students, column)
        if len(owners) == 1:
            owned.setdefault(owners[0].id, []).append((entry, uploaded))
        elif owners:
            ids = ", ".join(s.id for s in owners)
            matched.strays.append(Stray(entry.path, f"matches several roster students ({ids})"))
        else:
            matched.strays.append(Stray(entry.path, "matches no roster student"))
    for student in students:
        mine = _gradeable_first(owned.get(student.id, []), module)
        if not mine:
            matched.missing.append(student)
            continue
        graded = mine[0][0]
        matched.entries.append(Entry(student=student.id, path=graded.path))
        for other, _ in mine[1:]:
            matched.strays.append(Stray(other.path, f"another file of {student.id} (graded: {graded.path.name})"))
    return matched


def write_strays(strays: list[Stray], path: Path) -> None:
    """The entries no student owns, one per line: `name<TAB>why`."""
    path.write_text("".join(f"{shown_name(as_text(s.path.name))}\t{s.why}\n" for s in strays), encoding="utf-8",
                    errors="backslashreplace")


def with_roster(results: dict[str, SubmissionResult], students: list[Student], chapter: Chapter,
                seed: int) -> dict[str, SubmissionResult]:  # fmt: skip
    """One row per roster student, in roster order: their graded row, or a `missing` row
    (every check at 0). Missing rows are made here and never stored, so that a submission
    that arrives late is graded by the next run."""
    rows = {}
    for s in students:
        rows[s.id] = results.get(s.id) or missing_result(chapter, s.id, seed)
    return rows


def missing_result(chapter: Chapter, student: str, seed: int) -> SubmissionResult:
    return zero_result(chapter, student, "missing", "no submission", Environment(seed=seed))


def default_assignment(chapter: Chapter) -> str:
    return f"{chapter.name} {chapter.spec.title}"


def write_canvas(results: dict[str, SubmissionResult], students: list[Student], chapter: Chapter,
                 path: Path, assignment: str | None = None) -> None:  # fmt: skip
    """The CSV Canvas' gradebook import reads: Student, ID, SIS User ID, SIS Login ID, Section,
    then the assignment's column, whose points possible are in the "Points Possible" row (a
    new assignment is created with them). Canvas finds each student by ID (the Canvas user id
    in its download names), else by SIS User ID, SIS Login ID (optional roster columns
    `sis_user_id`, `sis_login_id`), else by name. A header ending in "(NUMBER)" names an
    existing Canvas assignment by its id."""
    points = max((r.max_score for r in results.values()), default=0.0) or sum(c.points for c in chapter.checks)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(csv_row([*CANVAS_HEADER, assignment or default_assignment(chapter)]))
        out.writerow(csv_row([CANVAS_POINTS_ROW, "", "", "", "", f"{points:g}"]))
        for s in students:
            r = results.get(s.id)
            out.writerow(csv_row([s.name or s.id, s.id, s.value("sis_user_id"), s.value("sis_login_id"), s.section,
                                 f"{r.score:g}" if r else "0"]))  # fmt: skip


def moodle_identifier(students: list[Student]) -> tuple[str, str]:
    """(header, roster column) of the column Moodle matches users on: its import selects
    "Email address" as useremail by itself, "ID number" as useridnumber; email where every
    student has one."""
    if students and all(s.email for s in students):
        return "Email address", "email"
    return "ID number", "id"


def write_moodle(results: dict[str, SubmissionResult], students: list[Student], chapter: Chapter,
                 path: Path, assignment: str | None = None) -> None:  # fmt: skip
    """The CSV Moodle's grade import (Grades > Import > CSV file) maps by itself: an identifier
    column it recognises by name, and the grade column named "Assignment: NAME (Real)" as its
    own export writes it, which is mapped to the assignment activity called NAME."""
    header, column = moodle_identifier(students)
    grade = f"Assignment: {assignment or default_assignment(chapter)} (Real)"
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(csv_row([header, "Full name", grade]))
        for s in students:
            r = results.get(s.id)
            out.writerow(csv_row([s.value(column), s.name, f"{r.score:g}" if r else "0"]))
