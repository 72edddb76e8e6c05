"""`notebook_check("chapter3")`: check a notebook from inside it, as otter's `grader.check` does,
but graded by `grade` itself.

The code graded is the notebook as it stands in the kernel's session, without saving first:
the notebook file where the kernel can find it and it holds what the kernel ran, else the cells'
source from the kernel's history (Colab, unsaved edits). It is graded by `grade CHAPTER --json`
in a subprocess: the same sandbox, limits, judges and score as `grade`, and no student code, nor
anything the student's code patched in the kernel, takes part in judging. The result is shown
inline as HTML: the score, one row per check in PASS/PART/FAIL colours, the failing cases, and
pictures (Grad-CAM heatmaps) inline.
"""

from __future__ import annotations

import ast
import base64
import html
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import click
import nbformat
from nbformat import v4

from grader.course import Chapter, Course, find_course
from grader.errors import GraderError
from grader.feedback import MARKS, Summary, summarise
from grader.locate import other_chapter
from grader.models import Stack, SubmissionResult
from grader.notebook import joined, notebook_code, write_notebook
from grader.recorded import other_stack_note
from grader.release import hidden_worth
from grader.render import submission_text

_COLOURS = {"passed": "#1a7f37", "partial": "#b7791f", "failed": "#cf222e", "error": "#8250df"}
_IN_CELL = re.compile(r"\bcode cells? ((?:\d+, )*\d+)|\(cell (\d+)\)")


@dataclass
class NotebookReport:
    """What notebook_check shows: Jupyter displays it as HTML, a console as text."""

    result: SubmissionResult | None = None
    summary: Summary | None = None
    notes: list[str] = field(default_factory=list)
    images: dict[str, str] = field(default_factory=dict)  # picture path -> base64 PNG
    error: str | None = None
    text: str = ""

    @property
    def score(self) -> float | None:
        return None if self.result is None else self.result.score

    def __repr__(self) -> str:
        lines = [f"note: {n}" for n in self.notes]
        return "\n".join(lines + [f"Error: {self.error}" if self.error else self.text])

    def _repr_html_(self) -> str:
        return report_html(self)


def notebook_check(chapter: str, *checks: str, notebook: str | Path | None = None,
                   course: str | Path | None = None) -> NotebookReport:  # fmt: skip
    """Grade this notebook's work on `chapter` (only `checks`, when named) and show the result.

    >>> notebook_check("chapter3")                 # every public check of chapter 3
    >>> notebook_check("chapter3", "topk_reset")   # one check, by name (`grade list` lists them)

    `notebook`: the notebook file, where the kernel cannot tell (the history is used otherwise);
    `course`: the course folder, where it is not a parent of the working folder."""
    try:
        the_course = Course(Path(course).resolve()) if course else find_course()
        chap = the_course.chapter(chapter)
        chap.find(list(checks))  # a misspelt check is said here, with the names that exist
        with tempfile.TemporaryDirectory(prefix="tf-grader-") as scratch:
            path, numbers, notes = _code_to_grade(chap, notebook, Path(scratch))
            result = _grade(the_course, chap, path, checks, Path(scratch) / "pictures", numbers)
            images = {p: base64.b64encode(Path(p).read_bytes()).decode()
                      for c in result.checks for p in c.pictures if Path(p).is_file()}  # fmt: skip
            source = notebook_code(path).source
        if result.environment.python and (note := other_stack_note(chap, Stack.of(result.environment))):
            notes.append(note)  # Colab's TensorFlow, say, not the one the course was validated on
    except GraderError as exc:
        return NotebookReport(error=str(exc))
    hint = other_chapter(the_course, chap, source) if source else None
    notes += [hint] if hint else []
    kwargs = dict(title=chap.spec.title, hidden_exist=chap.hidden_checks_file is not None,
                  hidden_points=hidden_worth(chap))  # fmt: skip
    text = click.unstyle(submission_text(result, source=source or None, **kwargs))  # type: ignore[arg-type]
    summary = summarise(result, source=source or None, **kwargs)  # type: ignore[arg-type]
    return NotebookReport(result=result, summary=summary, notes=notes, images=images, text=text)


def _grade(course: Course, chap: Chapter, path: Path, checks: tuple[str, ...], pictures: Path,
           numbers: list[int] | None) -> SubmissionResult:  # fmt: skip
    """`grade CHAPTER --submission PATH --json` in a subprocess, its result read back.
    `numbers`: the kernel's execution number of each cell of a notebook made from the history,
    so that feedback says 'In [7]' where it would say 'code cell 3'."""
    argv = [sys.executable, "-m", "grader.cli", "check", chap.name, "--submission", str(path), "--json",
            "--pictures", str(pictures), "--course", str(course.root)]  # fmt: skip
    for name in checks:
        argv += ["--only", name]
    package_parent = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))}
    run = subprocess.run(argv, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    if run.returncode != 0 or not run.stdout.strip():
        lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
        raise GraderError(lines[-1].removeprefix("Error: ") if lines else f"grade exited with {run.returncode}")
    text = run.stdout
    if numbers:
        text = _IN_CELL.sub(lambda m: _in(numbers, m), text)
    return SubmissionResult.model_validate_json(text)


def _in(numbers: list[int], found: re.Match) -> str:
    """'code cell 3' -> 'cell In [7]', 'code cells 1, 3' -> 'cells In [2], [7]', '(cell 3)' -> '(In [7])'."""
    cells = [int(n) for n in (found.group(1) or found.group(2)).split(", ")]
    if not all(1 <= c <= len(numbers) for c in cells):
        return found.group(0)
    listed = ", ".join(f"[{numbers[c - 1]}]" for c in cells)
    if found.group(2):
        return f"(In {listed})"
    return f"cell{'s' if len(cells) > 1 else ''} In {listed}"


# --- what to grade: the notebook file, or the kernel's history -----------------------------------


def _code_to_grade(chap: Chapter, notebook: str | Path | None, scratch: Path) -> tuple[Path, list[int] | None, list[str]]:
    """The notebook to grade, the execution numbers of its cells when made from the history,
    and a note on where the code came from."""
    history = kernel_history()
    file = _notebook_file(chap, notebook)
    kept = latest_definitions(history)
    if file is not None and (not kept or _holds(file, [source for _, source in kept])):
        return file, None, [f"graded {file.name}, as this kernel ran it"]
    if not kept:
        raise GraderError("no notebook to grade: run the cells of your work first, or pass "
                          "notebook_check(..., notebook='path/to/work.ipynb')")
    made = scratch / chap.notebook_file
    write_notebook(v4.new_notebook(cells=[v4.new_code_cell(source) for _, source in kept]), made)
    why = "the notebook file has unsaved changes" if file is not None else "the notebook file was not found"
    cells = ", ".join(f"[{n}]" for n, _ in kept)
    return made, [n for n, _ in kept], [f"graded the cells this kernel ran last (In {cells}): {why}"]


def _notebook_file(chap: Chapter, notebook: str | Path | None) -> Path | None:
    """The notebook this kernel runs, where it can be told: the path given, VS Code's and
    Jupyter's names for it, or the chapter's notebook in the working folder."""
    if notebook is not None:
        path = Path(notebook).expanduser()
        if not path.is_file():
            raise GraderError(f"no such notebook: {path}")
        return path.resolve()
    names = []
    shell = _shell()
    if shell is not None:
        names += [shell.user_ns.get("__vsc_ipynb_file__"), shell.user_ns.get("__session__")]
    names += [os.environ.get("JPY_SESSION_NAME"), chap.notebook_file]
    for name in filter(None, names):
        path = Path(str(name)).expanduser()
        if str(path).endswith(".ipynb") and path.is_file():
            return path.resolve()
    return None


def _holds(file: Path, sources: list[str]) -> bool:
    """Whether the saved notebook holds each of these cells as the kernel ran it."""
    try:
        notebook = nbformat.read(str(file), as_version=4)
    except Exception:  # unreadable now (being saved): the history is what the kernel ran
        return False
    saved = {c.source.strip() for c in notebook.cells if c.cell_type == "code"}
    return all(s.strip() in saved for s in sources)


def _shell():  # noqa: ANN202
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def kernel_history() -> list[tuple[int, str]]:
    """(execution number, source as typed) of every cell this IPython kernel ran, oldest first;
    empty outside IPython."""
    shell = _shell()
    if shell is None:
        return []
    raw = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None) or shell.user_ns.get("In", [])
    return [(n, str(source)) for n, source in enumerate(raw) if n > 0 and str(source).strip()]


def latest_definitions(history: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The cells that hold the latest definition of some name (a function, class, import or
    assignment), in the order they ran: what the kernel's namespace is made of. Cells that only
    try things out, cells that did not parse, and the check cells are left out."""
    last: dict[str, int] = {}
    for index, (_, source) in enumerate(history):
        code = joined([(source, [])]).source
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError):
            continue
        for name in _defined(tree):
            last[name] = index
    keep = sorted(set(last.values()))
    return [history[i] for i in keep]


def _defined(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


# --- the HTML ------------------------------------------------------------------------------------


def report_html(report: NotebookReport) -> str:
    e = html.escape
    if report.error is not None or report.summary is None:
        return f'<div class="tfg"><b style="color:{_COLOURS["failed"]}">grader: {e(report.error or "")}</b></div>'
    s = report.summary
    out = ['<div class="tfg" style="font-family:sans-serif;line-height:1.4">',
           f"<div><b>{e(s.title)}</b></div>"]  # fmt: skip
    out += [f'<div style="color:#9a6700">note: {e(n)}</div>' for n in report.notes]
    out.append(f'<div class="tfg-score" style="font-size:1.25em;font-weight:bold;margin:4px 0">{e(s.total)}</div>')
    if s.remark:
        out.append(f"<div>{e(s.remark)}</div>")
    if s.problems:
        body = "\n".join(s.problems)
        out.append(f'<pre style="color:{_COLOURS["failed"]};white-space:pre-wrap">{e(body)}</pre>')
    out.append('<table style="border-collapse:collapse;text-align:left">')
    for row in s.rows:
        colour = _COLOURS[row.status]
        out.append(
            f'<tr class="tfg-row tfg-{row.status}" style="border-top:1px solid #ddd">'
            f'<td style="background:{colour};color:white;font-weight:bold;padding:2px 6px">'
            f"{e(MARKS[row.status])}</td><td style=\"padding:2px 8px\"><code>{e(row.name)}</code></td>"
            f'<td style="padding:2px 8px;text-align:right">{e(row.score)}</td>'
            f'<td style="padding:2px 8px">{e(row.description)}</td></tr>'
        )  # fmt: skip
        if row.feedback or row.pictures:
            lines = [f for f in row.feedback if not any(p in f for p in report.images)]  # shown, not named
            items = "".join(f"<li><code>{e(line)}</code></li>" for line in lines)
            images = "".join(
                f'<div><img src="data:image/png;base64,{report.images[p]}" style="max-width:100%"></div>'
                for p in row.pictures if p in report.images
            )  # fmt: skip
            out.append(f'<tr><td></td><td colspan="3" style="padding:0 8px 6px"><ul style="margin:0">'
                       f"{items}</ul>{images}</td></tr>")  # fmt: skip
    out.append("</table>")
    if s.status:
        out.append(f'<div style="color:{_COLOURS["failed"]}">status: {e(s.status)}</div>')
    out += [f"<div>note: {e(n)}</div>" for n in s.notes]
    if s.output:
        out.append(f"<details><summary>your code printed (last lines)</summary><pre>{e(chr(10).join(s.output))}</pre></details>")
    details = "".join(f"<li>{e(i)}</li>" for i in s.sandbox_details)
    out.append(f'<details style="color:#666;font-size:0.85em"><summary>{e(s.sandbox)} · {e(s.run)}</summary>'
               f"<ul>{details}</ul></details>")  # fmt: skip
    out.append("</div>")
    return "\n".join(out)
