"""Comparisons a check uses to judge a student's case value against the reference's.

A `Compare` returns None when the values agree, else one sentence saying what differs, e.g.
"expected shape (None, 30, 30, 16), got (None, 28, 28, 16)". Values are the plain data probes
record (numbers, nested lists, dicts, strings), so judging never runs student code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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


LONG_INT_BITS = 256  # an int longer than this is told by its length (str() of 10**10000 raises)


def _fmt(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > LONG_INT_BITS:
        return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    if isinstance(value, list) and len(value) <= 8 and all(isinstance(v, (int, type(None))) for v in value):
        items = ", ".join("None" if v is None else _fmt(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, float):
        return f"{value:.6g}"
    try:
        text = repr(value)
    except ValueError:  # a container holding an int too long to print
        return f"a {type(value).__name__} holding integers too long to print"
    return text if len(text) <= 80 else text[:77] + "..."


def _first_difference(expected: list, got: list, rtol: float, atol: float) -> str:
    """Where two lists of different lengths part: the first item that differs, or the first
    one missing or extra (the lines a CSVLogger should have appended, say)."""
    for i, (e, g) in enumerate(zip(expected, got)):
        if _diff(e, g, "", rtol, atol):
            return f"item {i}: expected {_fmt(e)}, got {_fmt(g)}"
    if len(got) < len(expected):
        return f"the first missing: {_fmt(expected[len(got)])}"
    return f"the first extra: {_fmt(got[len(expected)])}"


def _where(path: str) -> str:
    """Where in the value the difference is: "in trainable[0]", or "in item [0][1]" of a list."""
    return f" in item {path}" if path.startswith("[") else f" in {path}" if path else ""


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _numeric(v: Any) -> np.ndarray | None:
    """A nested list of numbers as an array, or None if it is not one."""
    try:
        array = np.asarray(v, dtype=float)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int past float's range
        return None
    return array


def _agree(expected: float, got: float, rtol: float, atol: float) -> bool:
    try:
        return math.isclose(got, expected, rel_tol=rtol, abs_tol=atol) or (
            math.isnan(expected) and math.isnan(got)
        )
    except OverflowError:  # an int past float's range (a `**` typo): only the same int agrees
        return expected == got


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
        if _agree(expected, got, rtol, atol):
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
            return f"expected {len(expected)} items{_where(path)}, got {len(got)}; {_first_difference(expected, got, rtol, atol)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            found = _diff(e, g, f"{path}[{i}]", rtol, atol)
            if found:
                return found
        return None
    if expected != got or type(expected) is not type(got):
        return f"expected {_fmt(expected)}{_where(path)}, got {_fmt(got)}"
    return None


MAX_FEEDBACK = 4
MAX_DEPTH = 32  # lists and dicts nested deeper than this are no answer to judge
MIN_ITEM_BOUND = 4096  # a case value may hold 16 times the reference's items, and at least this


def reference_problem(reference: Observation) -> str | None:
    """Why a reference observation cannot judge anything, or None when it can."""
    if reference.error or any(c.error for c in reference.cases) or not reference.cases:
        return reference.error or next((c.error for c in reference.cases if c.error), "no cases")
    return None


def size(value: Any, limit: int, deepest: int = MAX_DEPTH) -> tuple[int, int]:
    """(items, depth) of a plain value, counting lists, dicts and scalars, without recursion;
    the walk stops once the items pass `limit` or the depth passes `deepest`, so a huge value
    costs no more than that."""
    items, depth, stack = 0, 0, [(value, 1)]
    while stack and items <= limit:
        node, level = stack.pop()
        items += 1
        depth = max(depth, level)
        if isinstance(node, (list, dict)) and level <= deepest:
            stack.extend((v, level + 1) for v in (node.values() if isinstance(node, dict) else node))
    return items, depth


def _too_large(expected: Any, got: Any) -> str | None:
    """Judging walks a value in Python: one far larger, or deeper, than the reference's is
    refused before the walk, with a line saying so."""
    items, depth = size(expected, 1 << 30, 1 << 30)
    bound, deepest = max(16 * items, MIN_ITEM_BOUND), max(depth, MAX_DEPTH)
    mine, my_depth = size(got, bound, deepest)
    if my_depth > deepest:
        return f"got a value nested more than {deepest} levels deep; not judged"
    if mine > bound:
        return f"got a value of more than {bound} items (the reference's has {items}); not judged"
    return None


@dataclass(frozen=True)
class Judgement:
    share: float
    status: CheckStatus
    feedback: list[str]
    failed: list[str]  # labels of the reference's cases the student did not match
    cases: int


def judge(student: Observation, reference: Observation, compare: Compare, partial: bool) -> Judgement:
    """Share of the reference's cases the student matched, the status, and feedback lines; a
    partial result's feedback starts with how many cases passed."""
    why = reference_problem(reference)
    if why is not None:
        line = f"the reference could not be observed ({why}): the grader's error, not your code's"
        return Judgement(0.0, "error", [line], [], len(reference.cases))
    labels = [c.label for c in reference.cases]
    if student.error:
        return Judgement(0.0, "failed", [student.error], labels, len(labels))
    by_label: dict[str, Case] = {c.label: c for c in student.cases}
    problems: list[str] = []
    failed: list[str] = []
    raised: dict[str, int] = {}  # error -> how many cases raised it, in order of appearance
    for ref in reference.cases:
        mine = by_label.get(ref.label)
        if mine is None:
            problem = f"{ref.label}: not run"
        elif mine.error:
            problem = f"{ref.label} raised {mine.error}"
            raised[mine.error] = raised.get(mine.error, 0) + 1
        else:
            found = _too_large(ref.value, mine.value) or compare(ref.value, mine.value)
            problem = f"{ref.label}: {found}" if found else None
        if problem:
            problems.append(problem)
            failed.append(ref.label)
    total, wrong = len(reference.cases), len(problems)
    share = 0.0 if wrong and not partial else (total - wrong) / total
    status: CheckStatus = "passed" if not wrong else ("partial" if share > 0 else "failed")
    if sum(raised.values()) == total > len(raised) and len(raised) <= MAX_FEEDBACK:  # e.g. a stub
        lines = [f"{'all' if n == total else f'{n} of'} {total} cases raised {error}" for error, n in raised.items()]
        return Judgement(share, status, lines, failed, total)
    feedback = [f"{total - wrong} of {total} cases passed"] if status == "partial" else []
    feedback += problems[:MAX_FEEDBACK]
    if wrong > MAX_FEEDBACK:
        feedback.append(f"... and {wrong - MAX_FEEDBACK} more of {total} cases")
    return Judgement(share, status, feedback, failed, total)


def judge_cases(
    student: Observation, reference: Observation, compare: Compare, partial: bool
) -> tuple[float, CheckStatus, list[str]]:
    """`judge`'s share, status and feedback."""
    judged = judge(student, reference, compare, partial)
    return judged.share, judged.status, judged.feedback
