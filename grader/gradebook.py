"""The gradebook: one SQLite row per (chapter, student), written as each submission finishes.

A row is committed the moment its result exists, so a batch killed with `kill -9` loses at most
the submissions in flight, and a rerun grades only the students that have no row. The primary key
makes a duplicate impossible.
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
    PRIMARY KEY (chapter, student)
)
"""


class Gradebook:
    def __init__(self, path: Path) -> None:
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # a commit survives the grader being killed; only a power cut could lose the last
            # rows, which a rerun then grades again (never twice: the primary key)
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise BadInput(f"{path} is not a usable gradebook: {exc}") from exc

    def graded(self, chapter: str) -> set[str]:
        rows = self._db.execute("SELECT student FROM results WHERE chapter = ?", (chapter,))
        return {r[0] for r in rows}

    def put(self, student: str, result: SubmissionResult) -> None:
        """Write (or replace) one student's row, committed at once."""
        self._db.execute(
            "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?)",
            (result.chapter, student, result.status, result.score, result.max_score,
             result.seconds, result.model_dump_json()),
        )  # fmt: skip

    def forget(self, chapter: str) -> None:
        self._db.execute("DELETE FROM results WHERE chapter = ?", (chapter,))

    def results(self, chapter: str) -> dict[str, SubmissionResult]:
        rows = self._db.execute(
            "SELECT student, result FROM results WHERE chapter = ? ORDER BY student", (chapter,)
        )
        return {s: SubmissionResult.model_validate_json(r) for s, r in rows}

    def close(self) -> None:
        self._db.close()
