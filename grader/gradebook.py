"""The gradebook: one SQLite row per (chapter, student), written as each submission finishes.

A row is committed the moment its result exists, so a batch killed with `kill -9` loses at most
the submissions in flight, and a rerun grades only the students that have no final row. The
primary key makes a duplicate impossible.

A row is not final while it is `retry` (the grader or the machine decided part of it: a
reference that could not be observed, a lost worker, a timeout while the machine was starved)
or `stale` (a `--regrade` pass has not reached it yet). Either way the old row stays, shown and
exported, until the same command replaces it: an interrupted `--regrade` loses nothing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from grader.errors import BadInput
from grader.models import SubmissionResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    chapter   TEXT NOT NULL,
    student   TEXT NOT NULL,
    status    TEXT NOT NULL,
    score     REAL NOT NULL,
    max_score REAL NOT NULL,
    seconds   REAL NOT NULL,
    result    TEXT NOT NULL,
    retry     INTEGER NOT NULL DEFAULT 0,
    stale     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chapter, student)
)
"""
ADDED = ("retry", "stale")  # columns a gradebook written before them lacks


class Gradebook:
    def __init__(self, path: Path) -> None:
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # a commit survives the grader being killed; only a power cut could lose the last
            # rows, which a rerun then grades again (never twice: the primary key)
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(results)")}
            for column in ADDED:
                if column not in columns:
                    self._db.execute(f"ALTER TABLE results ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0")
        except sqlite3.DatabaseError as exc:
            raise BadInput(f"{path} is not a usable gradebook: {exc}") from exc

    def graded(self, chapter: str) -> set[str]:
        """Students whose row is final: the rest (no row, `retry` or `stale`) are to grade."""
        rows = self._db.execute(
            "SELECT student FROM results WHERE chapter = ? AND retry = 0 AND stale = 0", (chapter,)
        )
        return {r[0] for r in rows}

    def retrying(self, chapter: str) -> set[str]:
        """Students whose row the grader or the machine decided in part: the same command grades
        them again."""
        rows = self._db.execute("SELECT student FROM results WHERE chapter = ? AND retry = 1", (chapter,))
        return {r[0] for r in rows}

    def put(self, student: str, result: SubmissionResult) -> None:
        """Write (or replace) one student's row, committed at once."""
        self._db.execute(
            "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (result.chapter, student, result.status, result.score, result.max_score,
             result.seconds, result.model_dump_json(), int(result.retryable)),
        )  # fmt: skip

    def start_regrade(self, chapter: str, students: set[str]) -> bool:
        """Mark these students' rows stale, unless a regrade pass is still unfinished (some of
        them are stale already): then that pass goes on. True when a new pass starts."""
        stale = self._db.execute(
            "SELECT student FROM results WHERE chapter = ? AND stale = 1", (chapter,)
        )
        if {r[0] for r in stale} & students:
            return False
        self._db.execute("BEGIN")  # all of them or none
        self._db.executemany(
            "UPDATE results SET stale = 1 WHERE chapter = ? AND student = ?",
            [(chapter, s) for s in sorted(students)],
        )
        self._db.execute("COMMIT")
        return True

    def results(self, chapter: str) -> dict[str, SubmissionResult]:
        rows = self._db.execute(
            "SELECT student, result FROM results WHERE chapter = ? ORDER BY student", (chapter,)
        )
        return {s: SubmissionResult.model_validate_json(r) for s, r in rows}

    def close(self) -> None:
        self._db.close()
