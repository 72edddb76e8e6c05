"""Rosters and LMS grade files: whose work each entry of a submissions folder is, and the CSVs
Canvas and Moodle import.

An LMS download names files after the student, not by an id we can use as is: Canvas writes
`doejane_4411_98765_fundamentals-1.py` (sortable name squashed, Canvas user id, submission id,
the file as uploaded, renamed on clashes), Moodle `Jane Doe_12345_assignsubmission_file_/`
(full name, participant number, plugin). With a roster (columns id, name, email, section, and
the ids the LMS knows: CANVAS_IDS, MOODLE_IDS) each entry is matched to one student; what matches
nobody is listed apart, never graded as a student, and a roster student without an entry gets a
`missing` row worth 0 (in canvas.csv and moodle.csv: a 0, or no row under `--missing omit`).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

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
    """One roster row. `id` is the course's own id (the gradebook's key); `extra` keeps the
    other columns, by lower-case name: one the instructor names for matching, the ids Canvas
    and Moodle know (CANVAS_IDS, MOODLE_IDS)."""

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
        by_uid = [s for s in students if s.value("canvas_id") == canvas["uid"]] or [
            s for s in students if s.id == canvas["uid"]]
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


# What each LMS's CSV import does with a row, read in its own source (no live Canvas or Moodle
# here: these are the code paths, not observed imports):
#   CANVAS_IMPORTER = instructure/canvas-lms app/models/gradebook_importer.rb (the copy in this
#     project's code index, whose commit it does not record; ASSIGNMENT_PRELOADED_FIELDS ends in
#     final_grader_id), with ui/features/gradebook_uploads/jquery/process_gradebook_upload.js at
#     0a4d8b88119f0fbc3bfccf010d54cff86f6e61c2 and jquery/index.js at 9ac9eeddabcef3969323e45b47f7d3a0c8d490fe
#   MOODLE_IMPORTER = moodle/moodle grade/import/csv/classes/load_data.php at
#     0289d8c7665458f8ffc47e34527598e15523f104, grade/import/lib.php at
#     9b77dc8db238e73fec3ee78e5ba296614ccacf6f, grade/tests/behat/grade_import.feature at
#     9762977c028cbd1884ed311a94c49efbae87591b
Missing = Literal["zero", "omit"]
MISSING: tuple[str, ...] = get_args(Missing)
CANVAS_IDS = ("canvas_id", "sis_user_id", "sis_login_id")  # roster columns, in Canvas' lookup order
MOODLE_IDS = ("username", "idnumber", "email")  # roster columns; Moodle's "Map to" username/useridnumber/useremail


class CanvasRow(BaseModel):
    """One student row of canvas.csv. `id` is a Canvas user id or blank, never another id:
    CANVAS_IMPORTER#process_student looks `row[1].to_i` up among the course's users first."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    student: str
    id: str = Field(pattern=r"^[0-9]*$")
    sis_user_id: str
    sis_login_id: str
    section: str
    grade: str

    def cells(self) -> list[str]:
        return [self.student, self.id, self.sis_user_id, self.sis_login_id, self.section, self.grade]


class MoodleRow(BaseModel):
    """One student row of moodle.csv: the identifier the instructor maps from, the grade, and
    the name (left at "Ignore" on the mapping page, for the eye)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    identifier: str = Field(min_length=1)
    grade: str
    name: str

    def cells(self) -> list[str]:
        return [self.identifier, self.grade, self.name]


def _listed(ids: list[str]) -> str:
    return ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")


def _unique(students: list[Student], column: str, fmt: str) -> None:
    """A value two roster students share would send both rows to one LMS user."""
    seen: dict[str, str] = {}
    for s in students:
        value = s.value(column).casefold()
        if value and value in seen:
            raise BadInput(f"--export {fmt}: roster students {seen[value]} and {s.id} share the {column} "
                           f"{s.value(column)}")
        seen.setdefault(value, s.id)


def check_canvas_roster(students: list[Student]) -> None:
    """Every student needs an id Canvas resolves to them: CANVAS_IMPORTER#process_student tries
    the ID column (Canvas user id), then SIS User ID, then SIS Login ID (exact, in the course's
    root account), and last the exact name, else an unknown student the instructor must resolve
    by hand. The roster's own `id` is none of these unless it is also in one of CANVAS_IDS."""
    bad = [s.id for s in students if s.value("canvas_id") and not re.fullmatch(r"[0-9]+", s.value("canvas_id"))]
    if bad:
        raise BadInput(f"--export canvas: canvas_id must be a Canvas user id (digits only); it is not for "
                       f"{_listed(bad)}")
    unknown = [s.id for s in students if not any(s.value(c) for c in CANVAS_IDS)]
    if unknown:
        raise BadInput(f"--export canvas: the roster needs canvas_id, sis_user_id or sis_login_id for every "
                       f"student ({len(unknown)} without: {_listed(unknown)})")
    for column in CANVAS_IDS:
        _unique(students, column, "canvas")


def moodle_column(students: list[Student]) -> str:
    """The roster column moodle.csv identifies students by: the first of username, idnumber,
    email that every student has. A blank one is refused, not written:
    MOODLE_IMPORTER load_data.php#map_user_data_with_value skips a blank identifier and
    prepare_import_grade_data resets studentid once per file, not per line, so that row's grade
    would go to the student of the row above."""
    for column in MOODLE_IDS:
        if students and all(s.value(column) for s in students):
            _unique(students, column, "moodle")
            return column
    raise BadInput("--export moodle: the roster needs a column Moodle finds users by, filled in for every "
                   "student: username, idnumber or email")


def _grade(result: SubmissionResult | None) -> str:
    return f"{result.score:g}" if result else "0"


def _rows_for(results: dict[str, SubmissionResult], students: list[Student], missing: Missing) -> list[Student]:
    """The students who get a row: under `omit`, not those without a submission. A blank cell
    would not leave an LMS grade alone: Canvas counts blank against a grade it holds as a
    change and posts it (CANVAS_IMPORTER#no_change_to_value, process_gradebook_upload.js
    populateGradeDataPerSubmission; index.js highlights it as removing the grade), Moodle turns
    '' into finalgrade null, "no grade" (load_data.php#update_grade_item), which
    grade_import_commit hands to update_final_grade, where only false means "do not change"
    (lib.php's comment). Only a student without a row is left untouched by both."""
    if missing == "zero":
        return students
    return [s for s in students if (r := results.get(s.id)) is not None and r.status != "missing"]


def canvas_rows(results: dict[str, SubmissionResult], students: list[Student],
                missing: Missing = "zero") -> list[CanvasRow]:  # fmt: skip
    check_canvas_roster(students)
    return [CanvasRow(student=s.name, id=s.value("canvas_id"), sis_user_id=s.value("sis_user_id"),
                      sis_login_id=s.value("sis_login_id"), section=s.section, grade=_grade(results.get(s.id)))
            for s in _rows_for(results, students, missing)]  # fmt: skip


def write_canvas(results: dict[str, SubmissionResult], students: list[Student], chapter: Chapter,
                 path: Path, assignment: str | None = None, missing: Missing = "zero") -> None:  # fmt: skip
    """The CSV Canvas' gradebook import reads. CANVAS_IMPORTER#row_has_student_headers? wants
    "Student" then "ID"; update_column_count reads "SIS User ID", "SIS Login ID" after them and
    header? wants "Section" last before the assignments; a row whose first cell holds "Points
    Possible" sets a new assignment's points (process_pp). A header ending in "(NUMBER)" names
    an existing Canvas assignment by its id (parse_assignments, Assignment.title_and_id)."""
    points = max((r.max_score for r in results.values()), default=0.0) or sum(c.points for c in chapter.checks)
    rows = canvas_rows(results, students, missing)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(csv_row([*CANVAS_HEADER, assignment or default_assignment(chapter)]))
        out.writerow(csv_row([CANVAS_POINTS_ROW, "", "", "", "", f"{points:g}"]))
        out.writerows(csv_row(row.cells()) for row in rows)


def moodle_rows(results: dict[str, SubmissionResult], students: list[Student],
                missing: Missing = "zero") -> tuple[str, list[MoodleRow]]:  # fmt: skip
    """(the roster column used, the rows). Identifiers are written as the roster gives them,
    case kept: check_user_exists looks them up with get_record('user', [field => value]), an
    SQL equality that is case-sensitive on PostgreSQL (case-insensitive on MySQL's usual
    collations), over every user of the site."""
    column = moodle_column(students)
    rows = [MoodleRow(identifier=s.value(column), grade=_grade(results.get(s.id)), name=s.name)
            for s in _rows_for(results, students, missing)]  # fmt: skip
    return column, rows


def write_moodle(results: dict[str, SubmissionResult], students: list[Student], chapter: Chapter,
                 path: Path, assignment: str | None = None, missing: Missing = "zero") -> None:  # fmt: skip
    """The CSV for Moodle's Grades > Import > CSV file. Its mapping page maps nothing by itself
    (grade_import.feature sets "Map from", "Map to" and each grade column by hand), so the
    headers are plain: the roster column's name (username, idnumber or email), the assignment's
    name, "name"; the identifier comes first, where "Map from" starts."""
    column, rows = moodle_rows(results, students, missing)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(csv_row([column, assignment or default_assignment(chapter), "name"]))
        out.writerows(csv_row(row.cells()) for row in rows)


def check_lms_roster(formats: tuple[str, ...], students: list[Student]) -> None:
    """Before grading: the roster has what each chosen LMS matches students on."""
    if "canvas" in formats:
        check_canvas_roster(students)
    if "moodle" in formats:
        moodle_column(students)
