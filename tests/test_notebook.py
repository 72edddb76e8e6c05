"""Notebook submissions: code cells in order, IPython lines and tagged cells skipped, feedback
that names the cell; broken notebooks are one-line errors; `grade notebook` writes the exercise."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys

import nbformat
import pytest
from nbformat import v4

from grader.errors import BadInput
from grader.feedback import points
from grader.install_cell import SETUP_MARK
from grader.notebook import SKIP_TAG, exercise_notebook, notebook_code, write_notebook
from grader.submission import read_submission

from conftest import ROOT

pytestmark = pytest.mark.slow  # notebooks graded, some in real Jupyter kernels

SOLUTION = (ROOT / "solutions/chapter1/fundamentals.py").read_text()
STUB = (ROOT / "exercises/chapter1/fundamentals.py").read_text()


def _write(path, cells) -> None:
    write_notebook(v4.new_notebook(cells=cells), path)


def test_code_cells_are_joined_without_magics_shell_lines_or_skipped_cells(tmp_path) -> None:
    skipped = v4.new_code_cell("raise SystemExit('never graded')")
    skipped.metadata["tags"] = [SKIP_TAG]
    _write(tmp_path / "w.ipynb", [
        v4.new_markdown_cell("# My work\n\nx = 'not code'"),
        v4.new_code_cell("%matplotlib inline\n!pip install nothing\nimport numpy as np"),
        v4.new_code_cell("%%bash\necho hi"),
        skipped,
        v4.new_code_cell("def f():\n    %time 1\n    return 1"),
    ])
    code = notebook_code(tmp_path / "w.ipynb")
    lines = code.source.splitlines()
    assert "import numpy as np" in lines and "def f():" in lines
    assert not any(s in code.source for s in ("%", "!pip", "echo", "never graded", "not code"))
    # code cells are counted from the top, from 1, skipped ones included
    assert code.lines[lines.index("import numpy as np")] == (1, 3)
    assert code.lines[lines.index("    return 1")] == (4, 3)
    compile(code.source, "w.py", "exec")


def test_ipython_syntax_becomes_python_line_for_line(tmp_path) -> None:
    """What Jupyter reads as IPython (help, shell output assigned, a magic in a block) is not a
    syntax error here, lines keep their numbers, and a % that continues an expression stays."""
    _write(tmp_path / "w.ipynb", [
        v4.new_code_cell("import numpy as np\nnp.tanh?\n??np.exp\nfiles = !ls\nif True:\n    %time 1\n"
                         "rest = (7\n        % 4)"),
    ])
    code = notebook_code(tmp_path / "w.ipynb")
    lines = code.source.splitlines()
    assert lines[:7] == ["import numpy as np", "pass", "pass", "files = None", "if True:", "    pass", "rest = (7"]
    assert lines[7].strip() == "% 4)" and code.lines[7] == (1, 8)
    namespace: dict = {}
    exec(compile(code.source, "w.py", "exec"), namespace)
    assert namespace["rest"] == 3 and namespace["files"] is None


def test_a_cell_that_checks_keeps_its_definitions(tmp_path, session, course) -> None:
    """Only the statements that name notebook_check are left out of a cell: a function defined
    above the check in the same cell, or in a cell whose comment mentions it, is graded."""
    chapter = course.chapter("chapter1")
    head, relu = SOLUTION.split("def relu(z):")
    _write(tmp_path / "w.ipynb", [
        v4.new_code_cell(head + "# checked below with notebook_check(\"chapter1\")"),
        v4.new_code_cell("def relu(z):" + relu + "\nfrom grader import notebook_check\nnotebook_check(\n    'chapter1')\n"),
        v4.new_code_cell("display(relu(np.array([-1.0, 2.0])))\nget_ipython()"),
    ])
    result = session.grade(chapter, read_submission(tmp_path / "w.ipynb", chapter.module_file))
    assert result.status == "completed", result.messages
    assert result.score == result.max_score, [c.feedback for c in result.checks if c.score < c.points]
    assert "array([0., 2.])" in result.output_tail  # display() shows what Jupyter would


def test_the_setup_cell_is_never_graded() -> None:
    """Tagged or not (Colab grades the kernel's history, which has no tags): it downloads and
    installs, which the sandbox must never run."""
    from grader.install_cell import setup_cell
    from grader.notebook import joined

    cell = setup_cell("https://example.edu/course.zip")
    compile(cell, "setup", "exec")
    assert joined([(cell, []), ("x = 1", [])]).source.strip() == "x = 1"


@pytest.mark.parametrize("content,message", [
    ("{ this is not json", "cannot read"),
    (json.dumps({"cells": [], "metadata": {}}), "no nbformat version"),
    (json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}), "nbformat 3 notebook"),
    (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                 "cells": [{"cell_type": "markdown", "metadata": {}, "source": "only words"}]}), "has no code cells"),
    (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "source": "%pip install x", "outputs": [], "execution_count": None}]}),
     "has no code cells"),
])  # fmt: skip
def test_broken_notebooks_are_bad_input(tmp_path, content, message) -> None:
    path = tmp_path / "fundamentals.ipynb"
    path.write_text(content)
    with pytest.raises(BadInput, match=message) as raised:
        read_submission(path, "fundamentals.py")
    assert "\n" not in str(raised.value)


def test_a_corrupt_notebook_is_one_line_and_exit_2(tmp_path, grade) -> None:
    path = tmp_path / "work.ipynb"
    path.write_bytes(b'{"nbformat": 4, "cells": [\x00\xff')
    run = grade("chapter1", "--submission", str(path))
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(f"Error: cannot read {path}: not a notebook")
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_a_folder_may_hold_the_module_as_a_notebook(tmp_path) -> None:
    write_notebook(exercise_notebook(STUB), tmp_path / "fundamentals.ipynb")
    work = read_submission(tmp_path, "fundamentals.py")
    assert work.label.endswith("fundamentals.ipynb") and work.cells
    assert "def dense_params(input_size, units, use_bias=True):" in work.source


def test_the_reference_solution_as_a_notebook_scores_full_marks(tmp_path, session, course) -> None:
    chapter = course.chapter("chapter1")
    notebook = exercise_notebook(SOLUTION)
    notebook.cells[1:1] = [v4.new_markdown_cell("Some notes of mine."),
                           v4.new_code_cell("%matplotlib inline\n!pip install -q numpy")]
    notebook.cells.append(v4.new_code_cell("%%timeit\ndense_params(3, 4)"))
    write_notebook(notebook, tmp_path / "mine.ipynb")
    result = session.grade(chapter, read_submission(tmp_path / "mine.ipynb", chapter.module_file))
    assert result.status == "completed", result.messages
    assert result.score == result.max_score > 0, [c.feedback for c in result.checks if c.score < c.points]


def test_a_notebook_scores_full_marks_where_ipython_is_not_installed(tmp_path) -> None:
    """Gradescope and a lean install have no IPython: a correct notebook with shell, magic and
    help lines (and IPython's calls written out) is read as Jupyter reads it, and scores full marks."""
    shadow = tmp_path / "no-ipython"
    (shadow / "IPython").mkdir(parents=True)
    (shadow / "IPython/__init__.py").write_text("raise ImportError('IPython is not installed here')\n")
    notebook = exercise_notebook(SOLUTION)
    notebook.cells[1:1] = [v4.new_code_cell(
        "!pip install -q numpy\n%matplotlib inline\nimport numpy as np\nnp.tanh?\n??np.exp\nfiles = !ls\n"
        "%pip install \\\n    -q numpy\nget_ipython().run_line_magic('load_ext', 'autoreload')")]
    notebook.cells += [v4.new_code_cell("def twice(x):\n    %time y = 2 * x\n    !echo {x}\n    return 2 * x\n"
                                        "print(twice(dense_params(3, 4)))"),
                       v4.new_code_cell("%%timeit\ndense_params(3, 4)")]
    path = tmp_path / "mine.ipynb"
    write_notebook(notebook, path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow), str(ROOT)])}
    python = [sys.executable, "-c", "import IPython"]
    assert "IPython is not installed here" in subprocess.run(python, env=env, capture_output=True, text=True).stderr
    run = subprocess.run([sys.executable, "-m", "grader.cli", "chapter1", "--submission", str(path), "--json"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    graded = json.loads(run.stdout)
    assert graded["status"] == "completed", graded["messages"]
    assert graded["score"] == graded["max_score"] > 0, [c["feedback"] for c in graded["checks"] if c["score"] < c["points"]]
    assert "32" in graded["output_tail"]  # twice() ran: dense_params(3, 4) is 16


def test_feedback_names_the_cell_of_the_failing_function(tmp_path, session, course) -> None:
    chapter = course.chapter("chapter1")
    write_notebook(exercise_notebook(STUB), tmp_path / "stub.ipynb")
    result = session.grade(chapter, read_submission(tmp_path / "stub.ipynb", chapter.module_file))
    assert result.score == 0
    dense = next(c for c in result.checks if c.name == "dense_params")
    # code cell 1 is the imports; dense_params's stub is code cell 2, its raise on line 2
    assert 'NotImplementedError: dense_params (code cell 2, line 2: raise NotImplementedError("dense_params"))' in dense.feedback[0]
    assert "fundamentals.py, line" not in json.dumps(result.model_dump())


def test_an_import_failure_names_the_cells_of_its_call_chain(tmp_path, session, course) -> None:
    chapter = course.chapter("chapter1")
    _write(tmp_path / "chain.ipynb", [v4.new_code_cell(SOLUTION),
                                      v4.new_code_cell("def scale(n):\n    return missing_name * n"),
                                      v4.new_code_cell("# try it\nscale(2)")])
    result = session.grade(chapter, read_submission(tmp_path / "chain.ipynb", chapter.module_file))
    assert result.score == 0
    assert result.messages[0] == ("could not import fundamentals.py: NameError: name 'missing_name' is not defined "
                                  "(code cell 2, line 2: return missing_name * n); called from code cell 3, line 2: "
                                  "scale(2)"), result.messages


def test_a_syntax_error_and_a_redefinition_are_pointed_at_their_cells(tmp_path, session, course) -> None:
    chapter = course.chapter("chapter1")
    _write(tmp_path / "bad.ipynb", [v4.new_code_cell("import numpy as np"),
                                    v4.new_code_cell("x = 1\ndef relu(z:\n    pass")])
    result = session.grade(chapter, read_submission(tmp_path / "bad.ipynb", chapter.module_file))
    assert result.status == "syntax_error" and result.score == 0
    assert "code cell 2, line 2" in result.messages[0]
    _write(tmp_path / "twice.ipynb", [v4.new_code_cell(SOLUTION), v4.new_code_cell("def relu(z):\n    return z")])
    result = session.grade(chapter, read_submission(tmp_path / "twice.ipynb", chapter.module_file))
    assert "relu is defined in code cells 1, 2; the last one (cell 2) is graded" in result.messages
    relu = next(c for c in result.checks if c.name == "relu")
    assert relu.score < relu.points  # the later, wrong relu is the one graded


def test_grade_notebook_writes_the_exercise_from_the_stub(tmp_path, grade) -> None:
    run = grade("notebook", "chapter1", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    notebook = nbformat.read(str(tmp_path / "fundamentals.ipynb"), as_version=4)
    nbformat.validate(notebook)
    markdown = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert markdown[0].startswith("# Chapter 1")
    assert any("3 inputs into 32 neurons -> 128" in m for m in markdown)  # the task text
    assert code[0].startswith(SETUP_MARK) and 'COURSE_URL = ""' in code[0]  # installs where it must
    assert notebook.cells[0].metadata["tags"] == [SKIP_TAG]
    assert code[1] == "import numpy as np"
    assert code[2] == 'def dense_params(input_size, units, use_bias=True):\n    raise NotImplementedError("dense_params")'
    assert code[3] == 'from grader import notebook_check\nnotebook_check("chapter1", "dense_params")'
    assert code[-1] == 'from grader import notebook_check\nnotebook_check("chapter1")'
    again = grade("notebook", "chapter1", cwd=tmp_path)
    assert again.returncode == 2 and "pass --force" in again.stderr
    assert grade("notebook", "chapter1", "--force", "-o", "x.ipynb", cwd=tmp_path).returncode == 0
    assert (tmp_path / "x.ipynb").is_file()
    url = "https://github.com/example/keras-course.git"
    assert grade("notebook", "chapter1", "--force", "--install-from", url, cwd=tmp_path).returncode == 0
    first = nbformat.read(str(tmp_path / "fundamentals.ipynb"), as_version=4).cells[0].source
    assert f'COURSE_URL = "{url}"' in first
    bad = grade("notebook", "chapter1", "--force", "--install-from", "course.zip", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("Error: --install-from 'course.zip': not a URL")
    assert len(bad.stderr.strip().splitlines()) == 1


def test_printed_warnings_and_tracebacks_name_their_cell(tmp_path, session, course) -> None:
    """What a notebook's code printed points at cells too, not at the joined module's lines."""
    chapter = course.chapter("chapter1")
    noisy = "import traceback, warnings\nwarnings.warn('mind the shapes')\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n    traceback.print_exc()"
    _write(tmp_path / "noisy.ipynb", [v4.new_code_cell(SOLUTION), v4.new_code_cell(noisy)])
    printed = session.grade(chapter, read_submission(tmp_path / "noisy.ipynb", chapter.module_file)).output_tail
    assert "code cell 2, line 2: UserWarning: mind the shapes" in printed, printed
    assert "File code cell 2, line 4, in <module>" in printed and chapter.module_file not in printed, printed


# --- checking from inside the notebook: a real Jupyter kernel runs the generated notebook -----


def _fill_in(notebook, solution: str) -> None:
    """Write the reference solution into the stub's cells, as a student would: each task's cell
    gets the solution's definition, the first code cell its imports and helpers."""
    import ast

    tree = ast.parse(solution)
    kinds = (ast.FunctionDef, ast.ClassDef)
    defs = {n.name: ast.get_source_segment(solution, n) for n in tree.body if isinstance(n, kinds)}
    code = [c for c in notebook.cells if c.cell_type == "code" and SKIP_TAG not in c.metadata.get("tags", [])]
    tasks = set()
    for cell in code[1:]:
        name = ast.parse(cell.source).body[0].name
        cell.source, _ = defs[name], tasks.add(name)
    rest = [ast.get_source_segment(solution, n) for n in tree.body
            if not isinstance(n, kinds) or n.name not in tasks]
    code[0].source = "\n\n".join(s for s in rest if not s.startswith('"""'))


def _run_in_kernel(path, monkeypatch) -> nbformat.NotebookNode:
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    notebook = nbformat.read(str(path), as_version=4)
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


def _inline_scores(notebook) -> list[tuple[str, str]]:
    """(the cell's call, the score line it showed) for each check cell."""
    found = []
    for cell in notebook.cells:
        if "notebook_check(" not in cell.source or cell.cell_type != "code":
            continue
        shown = "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)
        score = re.search(r'class="tfg-score"[^>]*>Score: ([^<]*)<', shown)
        assert score, f"no inline result for {cell.source!r}: {cell.outputs}"
        found.append((cell.source.splitlines()[-1], html.unescape(score.group(1))))
    return found


def test_notebook_check_in_a_real_kernel_scores_what_grade_scores(tmp_path, monkeypatch, grade) -> None:
    """`grade notebook` writes the exercise; filled in with a mistake, run top to bottom in a
    Jupyter kernel, its check cells show the score `grade` gives the saved notebook."""
    assert grade("notebook", "chapter1", cwd=tmp_path).returncode == 0
    path = tmp_path / "fundamentals.ipynb"
    notebook = nbformat.read(str(path), as_version=4)
    assert notebook.cells[0].source.startswith(SETUP_MARK)  # run too: it finds the grader ready
    mistaken = SOLUTION.replace("return input_size * units + (units if use_bias else 0)", "return input_size * units")
    _fill_in(notebook, mistaken)
    calls = [c for c in notebook.cells if c.cell_type == "code" and "notebook_check(" in c.source]
    assert calls[0].source.endswith('notebook_check("chapter1", "dense_params")')
    assert calls[-1].source.endswith('notebook_check("chapter1")')
    notebook.cells = [c for c in notebook.cells if c not in calls[1:-1]]  # two check cells are enough
    write_notebook(notebook, path)

    executed = _run_in_kernel(path, monkeypatch)
    assert "grader ready" in "".join(o.get("text", "") for o in executed.cells[0].outputs), executed.cells[0].outputs
    graded = json.loads(grade("chapter1", "--submission", str(path), "--json").stdout)
    by_name = {c["name"]: c for c in graded["checks"]}
    assert 0 < graded["score"] < graded["max_score"]
    dense, whole = _inline_scores(executed)
    assert dense == ('notebook_check("chapter1", "dense_params")',
                     f'{points(by_name["dense_params"]["score"])}/{points(by_name["dense_params"]["points"])}')
    assert whole[1].startswith(f'{points(graded["score"])}/{points(graded["max_score"])}'), whole
    shown = "".join(o.get("data", {}).get("text/html", "") for o in executed.cells[-1].outputs)
    assert "PART" in shown and "expected 128, got 96" in shown and "graded fundamentals.ipynb" in shown


def test_notebook_check_grades_the_kernels_history_where_the_file_is_not_found(tmp_path, monkeypatch) -> None:
    """A notebook the kernel cannot find (Colab; here, a name of the student's own): the cells
    the kernel ran are graded, a cell re-run with a fix counting as the fix, and feedback
    names the cell by its execution number."""
    cells = [v4.new_code_cell(SOLUTION),
             v4.new_code_cell("def relu(z):\n    return z"),  # a mistake, fixed below
             v4.new_code_cell("relu(1.0)"),
             v4.new_code_cell("import numpy as np\ndef relu(z):\n    return np.maximum(z, 0)"),
             v4.new_code_cell("def step(z):\n    return z"),
             v4.new_code_cell('from grader import notebook_check\nnotebook_check("chapter1", "relu", "step")')]
    _write(tmp_path / "my work.ipynb", cells)
    executed = _run_in_kernel(tmp_path / "my work.ipynb", monkeypatch)
    ((_, score),) = _inline_scores(executed)
    assert score.startswith("1/2"), score
    shown = "".join(o.get("data", {}).get("text/html", "") for o in executed.cells[-1].outputs)
    assert "graded the cells this kernel ran last (In [1], [4], [5])" in shown
    assert "step is defined in cells In [1], [5]; the last one (In [5]) is graded" in shown, shown


def test_a_slow_top_level_cell_is_named_as_the_reason(tmp_path, session, course) -> None:
    """Top-level code that runs past the limit at import: the student reads that it counts, and
    how to keep an experiment out of grading."""
    from grader.models import Limits
    from grader.render import submission_text

    chapter = course.chapter("chapter1")
    _write(tmp_path / "w.ipynb", [v4.new_code_cell(SOLUTION), v4.new_code_cell("while True:\n    pass")])
    result = session.grade(chapter, read_submission(tmp_path / "w.ipynb", chapter.module_file),
                           limits=Limits(wall_s=20, check_s=2, cpu_s=20, memory_mb=512))
    text = submission_text(result, title="", hidden_exist=True)
    assert result.score == 0 and "import timed out after 2 s of CPU time" in text, text
    assert "tag their notebook cells skip-grading" in text and "if __name__ == \"__main__\":" in text
    assert not result.retryable
