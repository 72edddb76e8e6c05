"""Reading a submission from disk, and what can be learnt from its source without running it."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from grader.errors import BadInput
from grader.notebook import notebook_code

MAX_SOURCE_BYTES = 1 << 20


@dataclass(frozen=True)
class Submission:
    label: str  # what the report calls it: a path or a student id
    source: str
    # from a notebook: (code cell, line in cell) of each line of `source`, for the feedback
    cells: tuple[tuple[int, int], ...] | None = None


def read_submission(path: Path, module_file: str) -> Submission:
    """A `.py` file, a Jupyter notebook (`.ipynb`), or a folder holding the chapter's module
    file (or, where that is absent, the notebook of the same name)."""
    if path.is_dir():
        file = path / module_file
        if not file.is_file():
            notebook = file.with_suffix(".ipynb")
            if not notebook.is_file():
                raise BadInput(f"{path} has no {module_file}")
            file = notebook
    elif path.is_file():
        if path.suffix not in (".py", ".ipynb"):
            raise BadInput(f"{path} is not a Python file (.py), a notebook (.ipynb) or a folder")
        file = path
    elif path.exists():  # a pipe or a device would block or never end
        raise BadInput(f"{path} is not a regular file or a folder")
    elif path.is_symlink():
        raise BadInput(f"{path} is a link to nothing")
    else:
        raise BadInput(f"no such file or folder: {path}")
    if file.suffix == ".ipynb":
        code = notebook_code(file)
        if len(code.source.encode()) > MAX_SOURCE_BYTES:
            raise BadInput(f"the code of {file} is larger than {MAX_SOURCE_BYTES >> 10} KiB")
        return Submission(label=str(file), source=code.source, cells=code.lines)
    if file.stat().st_size > MAX_SOURCE_BYTES:
        raise BadInput(f"{file} is larger than {MAX_SOURCE_BYTES >> 10} KiB")
    try:
        return Submission(label=str(file), source=file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {file}: {exc}") from exc


def syntax_error(source: str) -> str | None:
    """A one-line description of the first syntax error, or None."""
    try:
        parse(source)
    except SyntaxError as exc:
        return f"SyntaxError on line {exc.lineno}: {exc.msg}"
    except ValueError as exc:  # e.g. null bytes
        return f"the source cannot be parsed: {exc}"
    return None


@lru_cache(maxsize=4)
def parse(source: str) -> ast.Module:
    """Grading a submission reads its syntax tree twice or more (syntax, then bans): parse
    once. Callers only read the tree."""
    return ast.parse(source)
