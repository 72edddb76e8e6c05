"""Jupyter notebooks: reading a submission's code out of one, and writing an exercise as one.

Reading: the code cells in order, joined into one module. What is IPython's, not Python
(`%matplotlib inline`, `!pip install ...`, `np.tanh?`, cell magics: see ipython_syntax, which
reads it the same with or without IPython installed) is not run, and neither is any cell tagged
`skip-grading` (in Jupyter: View > Cell Toolbar > Tags) nor the setup cell. Each line of the
module remembers where it came from, so feedback can say "code cell 3, line 5": code cells are
counted from the top of the notebook, from 1, whether or not they were run (execution counts
change with every run, positions do not).

Writing: `exercise_notebook` turns a chapter's `.py` stub into a notebook (the module docstring
and each function's docstring as markdown, the stubs as code cells), so the `.py` stub stays
the one source of the exercise.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import v4

from grader.errors import BadInput
from grader.install_cell import SETUP_MARK, setup_cell
from grader.ipython_syntax import python_lines

SKIP_TAG = "skip-grading"
NBFORMAT_MAJOR = 4
MAX_NOTEBOOK_BYTES = 32 << 20  # outputs (plots) make notebooks large; the code is limited later

Location = tuple[int, int]  # (code cell, line within the cell), both from 1


@dataclass(frozen=True)
class NotebookCode:
    source: str
    lines: tuple[Location, ...]  # lines[i] is where line i + 1 of `source` came from


_CHECKS = re.compile(r"\bnotebook_check\s*\(")
CHECK_NAME = "notebook_check"


def without_checks(lines: list[str]) -> list[str] | None:
    """The cell without its top-level statements that name notebook_check (the import and the
    call: checking from inside the sandbox would grade again, recursively), each line of them
    blank; the rest of the cell, definitions included, stays. None if the cell cannot be parsed
    and mentions a check: then it is left out whole."""
    source = "\n".join(lines)
    if CHECK_NAME not in source:
        return lines
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None if _CHECKS.search(source) else lines
    kept = list(lines)
    for statement in tree.body:
        if any(_names_check(node) for node in ast.walk(statement)):
            for number in range(statement.lineno, (statement.end_lineno or statement.lineno) + 1):
                kept[number - 1] = ""
    return kept


def _names_check(node: ast.AST) -> bool:
    return ((isinstance(node, ast.Name) and node.id == CHECK_NAME)
            or (isinstance(node, ast.Attribute) and node.attr == CHECK_NAME)
            or (isinstance(node, ast.alias) and CHECK_NAME in (node.name, node.asname)))  # fmt: skip


def notebook_code(path: Path) -> NotebookCode:
    """The code of a notebook as one module, with the cell and line of each of its lines."""
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            raise BadInput(f"{path} is larger than {MAX_NOTEBOOK_BYTES >> 20} MiB")
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"cannot read {path}: not a notebook ({_first_line(exc)})") from exc
    version = raw.get("nbformat") if isinstance(raw, dict) else None
    if not isinstance(version, int):
        raise BadInput(f"cannot read {path}: not a notebook (no nbformat version)")
    if version != NBFORMAT_MAJOR:
        raise BadInput(
            f"{path} is an nbformat {version} notebook; only nbformat {NBFORMAT_MAJOR} (what "
            "Jupyter writes today) is read: open and save it in a current Jupyter"
        )
    try:
        with warnings.catch_warnings():  # e.g. cells without ids, from older Jupyters
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(text, as_version=NBFORMAT_MAJOR)
        cells = [c for c in notebook.cells if c.get("cell_type") == "code"]
        sources = [(str(c.get("source", "")), list(c.get("metadata", {}).get("tags", []))) for c in cells]
    except Exception as exc:  # nbformat raises many kinds on a damaged file
        raise BadInput(f"cannot read {path}: {_first_line(exc)}") from exc
    code = joined(sources)
    if all(line.strip() in ("", "pass") for line in code.source.splitlines()):  # IPython lines only
        raise BadInput(f"{path} has no code cells")
    return code


def joined(cells: list[tuple[str, list[str]]]) -> NotebookCode:
    """Code cells, given as (source, tags), joined into one module: cells tagged skip-grading
    and the setup cell are left out, and so are the statements that check the notebook (see
    `without_checks`); IPython's own lines become plain Python (see `python_lines`)."""
    out: list[str] = []
    where: list[Location] = []
    for number, (source, tags) in enumerate(cells, start=1):
        if SKIP_TAG in tags or source.startswith(SETUP_MARK):
            continue
        lines = without_checks(python_lines(source))
        if lines is None:
            continue
        for i, line in enumerate(lines, start=1):
            out.append(line)
            where.append((number, i))
        out.append("")  # cells end with a blank line, as if they were one file
        where.append((number, len(lines) + 1))
    return NotebookCode(source="\n".join(out) + "\n", lines=tuple(where))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def cell_of(lines: tuple[Location, ...], line: int) -> str:
    """'code cell C, line L' for line `line` of the joined module."""
    if 1 <= line <= len(lines):
        cell, within = lines[line - 1]
        return f"code cell {cell}, line {within}"
    return f"line {line}"


def translate(text: str, module_file: str, lines: tuple[Location, ...]) -> str:
    """Point references to the joined module ("fundamentals.py, line 19", "SyntaxError on line
    19", and in printed output a warning's "fundamentals.py:19:" or a traceback's
    '"fundamentals.py", line 19') at the notebook cell they came from."""
    module = re.escape(module_file)  # line numbers of up to 9 digits: printed text may hold any
    text = re.sub(rf'"?{module}"?, line (\d{{1,9}})\b', lambda m: cell_of(lines, int(m.group(1))), text)
    text = re.sub(rf"\b{module}:(\d{{1,9}}):", lambda m: cell_of(lines, int(m.group(1))) + ":", text)
    return re.sub(r"\bon line (\d{1,9})\b", lambda m: "in " + cell_of(lines, int(m.group(1))), text)


def definitions(source: str, lines: tuple[Location, ...]) -> dict[str, list[int]]:
    """Top-level functions and classes of the joined module, by name: the cells defining them."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    found: dict[str, list[int]] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if 1 <= node.lineno <= len(lines):
                found.setdefault(node.name, []).append(lines[node.lineno - 1][0])
    return found


# --- writing an exercise as a notebook -----------------------------------------------------------


METADATA_KEY = "tf_grader"  # chapter, and fingerprints of the stub and the code it was made with


def exercise_notebook(source: str, *, title: str = "", chapter: str | None = None,
                      task_checks: dict[str, list[str]] | None = None,
                      install_from: str = "") -> nbformat.NotebookNode:  # fmt: skip
    """A notebook of a `.py` exercise: its docstring as markdown, the code before the first
    function as one cell, then for each function or class a markdown cell with its docstring
    (the task) and a code cell with the stub, without the docstring.

    With `chapter`: a first cell that makes the grader ready in the kernel (downloading the
    course from `install_from` where it is not there, see install_cell), a check cell
    (`notebook_check(chapter, *checks)`) after the task that completes each group of
    `task_checks` (task name -> its checks), and one for the whole chapter at the end; those
    cells are tagged skip-grading. The metadata keeps the stub's and the notebook's code
    fingerprints, so `grade chapterN` can tell which of the two a student edited."""
    tree = ast.parse(source)
    lines = source.splitlines()
    cells = []
    body = list(tree.body)
    doc = ast.get_docstring(tree)
    if doc and body and isinstance(body[0], ast.Expr):
        body = body[1:]
    if chapter:
        cells.append(_skipped(v4.new_code_cell(setup_cell(install_from))))
    if doc:  # its first line is the notebook's heading
        first, _, rest = doc.partition("\n")
        text = f"# {first.strip()}\n{rest}".rstrip()
        if chapter:  # the notebook is checked from inside: point there first
            text = re.sub(rf"run `grade {chapter}`", f"run the check cell under each task "
                          f"(`notebook_check(\"{chapter}\")`; `grade {chapter}` in a terminal works too)", text)
        cells.append(v4.new_markdown_cell(text))
    elif title:
        cells.append(v4.new_markdown_cell(f"# {title}"))
    pending: list[ast.stmt] = []
    waiting = {name: set(tasks) for name, tasks in _by_check(task_checks or {}).items()}

    def flush() -> None:
        if pending:
            start = _first_line_of(pending[0])
            text = "\n".join(lines[start - 1 : pending[-1].end_lineno]).strip("\n")
            cells.append(v4.new_code_cell(text))
            pending.clear()

    for node in body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            pending.append(node)
            continue
        flush()
        task = ast.get_docstring(node)
        if task:
            cells.append(v4.new_markdown_cell(f"### `{node.name}`\n\n{task}"))
        cells.append(v4.new_code_cell(_without_docstring(node, lines)))
        ready = [c for c, tasks in waiting.items() if tasks <= _done(body, node)]
        if chapter and ready:
            for c in ready:
                del waiting[c]
            cells.append(_skipped(v4.new_code_cell(_check_call(chapter, ready))))
    flush()
    if chapter:
        cells.append(v4.new_markdown_cell("### Check the whole chapter"))
        cells.append(_skipped(v4.new_code_cell(_check_call(chapter, []))))
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if chapter:
        code = joined([(c.source, list(c.metadata.get("tags", []))) for c in cells if c.cell_type == "code"])
        notebook.metadata[METADATA_KEY] = {"chapter": chapter, "stub_sha256": sha256(source),
                                           "code_sha256": sha256(code.source)}  # fmt: skip
    return notebook


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _by_check(task_checks: dict[str, list[str]]) -> dict[str, list[str]]:
    """check -> the tasks it calls, in the order checks were given."""
    found: dict[str, list[str]] = {}
    for task, checks in task_checks.items():
        for name in checks:
            found.setdefault(name, []).append(task)
    return found


def _done(body: list[ast.stmt], upto: ast.stmt) -> set[str]:
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {n.name for n in body[: body.index(upto) + 1] if isinstance(n, kinds)}


def _check_call(chapter: str, checks: list[str]) -> str:
    args = ", ".join(repr(a) for a in [chapter, *checks])
    return f"from grader import notebook_check\nnotebook_check({args})".replace("'", '"')


def _skipped(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cell.metadata["tags"] = [SKIP_TAG]
    return cell


def _first_line_of(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _without_docstring(node: ast.stmt, lines: list[str]) -> str:
    start, end = _first_line_of(node), node.end_lineno or node.lineno
    keep = list(range(start, end + 1))
    first = node.body[0] if node.body else None  # type: ignore[attr-defined]
    has_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
    if has_doc and len(node.body) > 1:  # type: ignore[attr-defined]
        dropped = set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
        keep = [n for n in keep if n not in dropped]
    return "\n".join(lines[n - 1] for n in keep)


def write_notebook(notebook: nbformat.NotebookNode, path: Path) -> None:
    nbformat.validate(notebook)
    nbformat.write(notebook, str(path))
