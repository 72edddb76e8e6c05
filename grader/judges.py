"""Comparisons a check uses to judge a student's case value against the reference's.

A `Compare` returns None when the values agree, else one sentence saying what differs, e.g.
"expected shape (None, 30, 30, 16), got (None, 28, 28, 16)". Values are the plain data probes
record (numbers, nested lists, dicts, strings), so judging never runs student code.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from grader.models import Case, CheckStatus, Observation

Compare = Callable[[Any, Any], "str | None"]


def close(rtol: float = 1e-5, atol: float = 1e-6) -> Compare:
    """Numbers and arrays agree within `atol + rtol * |expected|`; other values must be equal.

    A check whose tolerance must widen (say, on a GPU) passes its own `rtol`/`atol` here.
    """

    def compare(expected: Any, got: Any) -> str | None:
        return _diff(expected, got, "", rtol, atol)

    return compare


def exact() -> Compare:
    """Values must be equal: counts, shapes, names."""
    return close(rtol=0.0, atol=0.0)


def _fmt(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(v, (int, type(None))) for v in value):
        items = ", ".join("None" if v is None else str(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, float):
        return f"{value:.6g}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _where(path: str) -> str:
    """Where in the value the difference is: "in trainable[0]", or "in item [0][1]" of a list."""
    return f" in item {path}" if path.startswith("[") else f" in {path}" if path else ""


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _numeric(v: Any) -> np.ndarray | None:
    """A nested list of numbers as an array, or None if it is not one."""
    try:
        array = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        return None
    return array


def _diff(expected: Any, got: Any, path: str, rtol: float, atol: float) -> str | None:
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"expected a dict with keys {sorted(expected)}{_where(path)}, got {_fmt(got)}"
        missing = sorted(set(expected) - set(got))
        if missing:
            return f"missing key(s) {', '.join(missing)}{_where(path)}"
        for key in expected:
            found = _diff(expected[key], got[key], f"{path}.{key}".lstrip("."), rtol, atol)
            if found:
                return found
        return None
    if _is_number(expected):
        if not _is_number(got):
            return f"expected {_fmt(expected)}{_where(path)}, got {_fmt(got)}"
        if math.isclose(got, expected, rel_tol=rtol, abs_tol=atol) or (
            math.isnan(expected) and math.isnan(got)
        ):
            return None
        return f"expected {_fmt(expected)}{_where(path)}, got {_fmt(got)}"
    if isinstance(expected, list):
        if not isinstance(got, list):
            return f"expected {_fmt(expected)}{_where(path)}, got {_fmt(got)}"
        want, have = _numeric(expected), _numeric(got)
        if want is not None and have is not None and want.dtype == float and want.ndim > 0:
            if want.shape != have.shape:
                if want.ndim == 1 and len(expected) <= 8:  # a shape or a short vector
                    return f"expected {_fmt(expected)}{_where(path)}, got {_fmt(got)}"
                return f"expected shape {want.shape}{_where(path)}, got shape {have.shape}"
            bad = ~np.isclose(have, want, rtol=rtol, atol=atol, equal_nan=True)
            if not bad.any():
                return None
            if want.size == 1 or (want.ndim == 1 and want.size <= 8):
                return f"expected {_fmt(expected)}{_where(path)}, got {_fmt(got)}"
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            return (
                f"{int(bad.sum())} of {want.size} values differ{_where(path)}; first at index "
                f"{index}: expected {want[index]:.6g}, got {have[index]:.6g}"
            )
        if len(expected) != len(got):
            return f"expected {len(expected)} items{_where(path)}, got {len(got)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            found = _diff(e, g, f"{path}[{i}]", rtol, atol)
            if found:
                return found
        return None
    if expected != got or type(expected) is not type(got):
        return f"expected {_fmt(expected)}{_where(path)}, got {_fmt(got)}"
    return None


MAX_FEEDBACK = 4


def judge_cases(
    student: Observation, reference: Observation, compare: Compare, partial: bool
) -> tuple[float, CheckStatus, list[str]]:
    """Share of the reference's cases the student matched, the status, and feedback lines."""
    if reference.error or any(c.error for c in reference.cases) or not reference.cases:
        why = reference.error or next((c.error for c in reference.cases if c.error), "no cases")
        return 0.0, "error", [f"the reference could not be observed ({why}); tell your instructor"]
    if student.error:
        return 0.0, "failed", [student.error]
    by_label: dict[str, Case] = {c.label: c for c in student.cases}
    problems: list[str] = []
    raised: dict[str, int] = {}  # error -> how many cases raised it, in order of appearance
    for ref in reference.cases:
        mine = by_label.get(ref.label)
        if mine is None:
            problems.append(f"{ref.label}: not run")
        elif mine.error:
            problems.append(f"{ref.label} raised {mine.error}")
            raised[mine.error] = raised.get(mine.error, 0) + 1
        else:
            found = compare(ref.value, mine.value)
            if found:
                problems.append(f"{ref.label}: {found}")
    total, failed = len(reference.cases), len(problems)
    share = 0.0 if failed and not partial else (total - failed) / total
    status: CheckStatus = "passed" if not failed else ("partial" if share > 0 else "failed")
    if sum(raised.values()) == total > len(raised) and len(raised) <= MAX_FEEDBACK:  # e.g. a stub
        return share, status, [f"{'all' if n == total else f'{n} of'} {total} cases raised {error}"
                               for error, n in raised.items()]
    feedback = problems[:MAX_FEEDBACK]
    if failed > MAX_FEEDBACK:
        feedback.append(f"... and {failed - MAX_FEEDBACK} more of {total} cases")
    return share, status, feedback
