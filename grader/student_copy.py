"""The files a release writes for students rather than copies: their README (install, fill in,
check, hand in; notebook first), a setup that installs only what grading needs, each chapter's
notebook (whose first cell installs the course where it is opened: Colab, a JupyterHub), and
what each chapter's hidden checks are worth (points only: never their names or code)."""

from __future__ import annotations

import json

import nbformat

from grader.course import Chapter, Course
from grader.feedback import points
from grader.locate import task_checks
from grader.notebook import exercise_notebook

HIDDEN_FILE = "hidden.json"  # in a student's exercises/chapterN/

# measured once by tests/test_release.py's install test (2026-11-28: Linux, Python 3.11, 2 busy
# cores, wheels cached): 182-185 s, .venv 2.2 GB (matplotlib included)
INSTALL_SIZE = "about 2.2 GB, nearly all of it TensorFlow"
INSTALL_TIME = "about 3 minutes, more while TensorFlow downloads"

SETUP = """\
#!/bin/sh
# Install the grader for this course in .venv/ (once): TensorFlow and what grading needs, nothing
# more. Needs Python 3.11 or newer (set PYTHON=/path/to/python3 to pick one). Safe to run again.
set -eu
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# the environment the course was validated in (every package pinned, with hashes), then the grader
.venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
command -v bwrap >/dev/null 2>&1 || echo "note: bubblewrap is not installed: your code is sandboxed with \
Landlock and seccomp where the kernel has them (grade CHAPTER --verbose says what holds)" >&2
echo "ready: .venv/bin/grade list"
"""


def student_files(course: Course, install_from: str = "") -> dict[str, str]:
    """Relative path -> text of every file the release writes itself. `install_from`: where
    students download the course (a .zip or git URL), for the notebooks' first cell."""
    files = {"README.md": readme(course), "setup": SETUP}
    for chapter in course.chapters.values():
        hidden = [c for c in chapter.checks if c.hidden]
        worth = {"checks": len(hidden), "points": sum(c.points for c in hidden)}
        files[f"exercises/{chapter.name}/{HIDDEN_FILE}"] = json.dumps(worth) + "\n"
        files[f"exercises/{chapter.name}/{chapter.notebook_file}"] = nbformat.writes(chapter_notebook(chapter, install_from)) + "\n"
    return files


def chapter_notebook(chapter: Chapter, install_from: str = "") -> nbformat.NotebookNode:
    """The chapter's exercise as a notebook (see exercise_notebook), made from its `.py` stub."""
    stub = (chapter.exercise_dir / chapter.module_file).read_text(encoding="utf-8")
    return exercise_notebook(stub, title=f"{chapter.name} · {chapter.spec.title}", chapter=chapter.name,
                             task_checks=task_checks(chapter), install_from=install_from)  # fmt: skip


def readme(course: Course) -> str:
    rows = []
    for chapter in course.chapters.values():
        public = sum(c.points for c in chapter.checks if not c.hidden)
        hidden = sum(c.points for c in chapter.checks if c.hidden)
        rows.append(f"| {chapter.name} | `{chapter.module_file}` | {chapter.spec.title} | "
                    f"{points(public)} | {points(hidden)} |")  # fmt: skip
    first = next(iter(course.chapters.values()), None)
    name, module = (first.name, first.spec.module) if first else ("chapter1", "fundamentals")
    return README.format(chapters="\n".join(rows), name=name, module=module, size=INSTALL_SIZE,
                         time=INSTALL_TIME)  # fmt: skip


README = """\
# Your Keras exercises, and a grader to check them

Each chapter is a set of tasks: you write the code, and the grader runs it and tells you, check
by check, what it gets right and what it does not, before you hand it in. It is the same grader
your instructor uses, with the same public checks and scores.

## 1. Install (once)

On Linux or macOS, with Python 3.11 or newer, in this folder:

```sh
./setup              # makes .venv/ with the grader and TensorFlow ({size}, {time})
```

On Colab or a school's JupyterHub there is nothing to install by hand: open a chapter's
notebook there and run its first cell. It downloads this course where it is not there yet and
installs the grader in the notebook's kernel, keeping the TensorFlow the kernel has.

## 2. Work in a notebook, check from inside it

Each chapter's notebook is in its folder, e.g. `exercises/{name}/{module}.ipynb`: the tasks,
your code cells, and a check cell under each task. Open it in Jupyter (pick `.venv` as its
kernel), Colab or a JupyterHub. Run the first cell once. Fill in each task, then run the check
cell under it:

```python
from grader import notebook_check
notebook_check("{name}")             # every check of the chapter
notebook_check("{name}", "relu")     # one check, by name (`.venv/bin/grade list` lists them)
```

The result shows under the cell: your score, one row per check, the cases that failed, and
pictures where a check draws one. No need to save first: the check grades your notebook as your
kernel ran it. Your code runs in a separate process, never in your notebook's.

Prefer an editor? Fill in `exercises/{name}/{module}.py` and run `.venv/bin/grade {name}` in a
terminal (`--watch` grades again each time you save; `--only CHECK` grades one check).
`grade {name}` grades your notebook too, when it is in this folder or in `exercises/{name}/`.

## 3. Read the feedback

- **PASS**: full points. **PART**: some cases right, points for those. **FAIL**: none right.
- Under a check that lost points, the cases that differ, e.g.
  `dense_params(3, 32, use_bias=True): expected 128, got 96`.
- `Score: 7.5/14 public; 6 more points in hidden checks at grading time`: the hidden checks try
  inputs you have not seen; they run when your work is graded. Code that passes the public checks
  for the right reasons passes them too.
- A file that cannot be imported, or has a syntax error, is said once at the top, with your line.

## 4. Hand in

Hand in your notebook (`{module}.ipynb`) or your `.py`, as your course says. It is graded with
the same checks, the hidden ones added.

## Chapters

| chapter | file | what | public points | hidden points |
| --- | --- | --- | --- | --- |
{chapters}

## Where your code runs

In a separate process with time, CPU, memory, process and file-size limits. On Linux with
bubblewrap (`apt-get install bubblewrap`) it is also cut off from the network and the rest of your
files. Where bubblewrap is missing or not allowed (macOS, Colab, containers without user
namespaces) grading runs with the limits only, says so in one line, and scores the same.
"""
