"""Reading a submission from disk, and what can be learnt from its source without running it."""

from __future__ import annotations

import ast
import os
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
    file (or, where that is absent, the notebook of the same name).

    Links are refused, not followed, whoever names them (`grade batch` and `grade chapterN
    --submission` alike): an upload's link to `solutions/` would be graded as its own work."""
    refuse_link(path)
    if path.is_dir():
        file = path / module_file
        if not os.path.lexists(file):
            notebook = file.with_suffix(".ipynb")
            if not os.path.lexists(notebook):
                raise BadInput(f"{path} has no {module_file}")
            file = notebook
        refuse_link(file)
        if not file.is_file():
            raise BadInput(f"{file} is not a regular file")
    elif path.is_file():
        if path.suffix not in (".py", ".ipynb"):
            raise BadInput(f"{path} is not a Python file (.py), a notebook (.ipynb) or a folder")
        file = path
    elif path.exists():  # a pipe or a device would block or never end
        raise BadInput(f"{path} is not a regular file or a folder")
    else:
        raise BadInput(f"no such file or folder: {path}")
    if file.suffix == ".ipynb":
        try:
            code = notebook_code(file)
            size = len(code.source.encode())
        except RecursionError as exc:  # json.loads of lists nested thousands deep
            raise BadInput(f"cannot read {file}: not a notebook (nested too deeply)") from exc
        except UnicodeEncodeError as exc:  # a lone surrogate ("\ud800") in the JSON
            raise BadInput(f"cannot read {file}: its code is not text ({exc.reason})") from exc
        if size > MAX_SOURCE_BYTES:
            raise BadInput(f"the code of {file} is larger than {MAX_SOURCE_BYTES >> 10} KiB")
        return Submission(label=str(file), source=code.source, cells=code.lines)
    if file.stat().st_size > MAX_SOURCE_BYTES:
        raise BadInput(f"{file} is larger than {MAX_SOURCE_BYTES >> 10} KiB")
    try:
        return Submission(label=str(file), source=file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {file}: {exc}") from exc


def refuse_link(path: Path) -> None:
    """A BadInput if `path` is a symbolic link (whatever it points to)."""
    if path.is_symlink():
        if not path.exists():
            raise BadInput(f"{path} is a link to nothing")
        raise BadInput(f"{path} is a link (to {os.readlink(path)}); links are not followed: "
                       "give the file or folder itself")


def syntax_error(source: str) -> str | None:
    """A one-line description of the first syntax error, or None."""
    try:
        parse(source)
    except SyntaxError as exc:
        return f"SyntaxError on line {exc.lineno}: {exc.msg}"
    except ValueError as exc:  # e.g. null bytes
        return f"the source cannot be parsed: {exc}"
    except (RecursionError, MemoryError):  # `1 + 1 + ...` thousands of times: the parser's limits
        return "the source cannot be parsed: an expression is nested too deeply"
    return None


def defined_names(source: str) -> set[str]:
    """Names the source defines at its top level (functions, classes, assignments, imports)."""
    found: set[str] = set()
    for node in parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update((a.asname or a.name).split(".")[0] for a in node.names)
    return found


@lru_cache(maxsize=4)
def parse(source: str) -> ast.Module:
    """Grading a submission reads its syntax tree twice or more (syntax, then bans): parse
    once. Callers only read the tree."""
    return ast.parse(source)
