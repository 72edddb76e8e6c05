"""CSV cells that a spreadsheet shows and never runs: every CSV the grader writes (gradebook,
Canvas, Moodle) holds text a student chose (their id, a folder name), and a cell starting like a
formula (`=HYPERLINK(...)`, `+1`, `@SUM`) would run when an instructor opens the file."""

from __future__ import annotations

from typing import Any, Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as a formula


def csv_cell(value: object) -> object:
    """Text starting like a formula gets a leading `'`; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[object]:
    return [csv_cell(v) for v in values]
