"""Batch throughput of tf-grader beside otter-grader's on the same submissions and checks.

Grades the N submissions that `benchmarks/batch.py` makes for a chapter (the reference, every
planted mistake, the stub, a syntax error, cycled) twice, J at a time:

- tf-grader: `grade batch CHAPTER DIR --jobs J` (warm sandboxed workers, a fork per
  submission), timed end to end, scores read from its gradebook;
- otter: `otter run -a autograder.zip SUBMISSION` per submission, J processes at a time, as an
  instructor without Docker runs otter's own autograder.

What otter does per submission: the `otter run` process (Python, importing otter, pandas and
nbconvert) unpacks the autograder zip into a temporary folder, wraps the submission's source in
one notebook cell and executes it in a fresh IPython kernel (a second process, which imports
TensorFlow: the submission's `import keras` does, else the first probe), then runs one OK-format
test file per check in that kernel's namespace and writes results.json. A test file's doctest
cases are the check's cases: the first one run imports the support package shipped in the zip,
makes a module of the kernel's namespace, runs the check's probe on it with tf-grader's own
`run_probe` (same seed) and judges it with `judge` against the reference observations the batch
judges against (observed once here on the instructor's solution, public and hidden checks
alike); case i passes when the reference's case i matched. The check's points are split evenly
over its cases (all or nothing where it gives no partial credit), so otter's score is
tf-grader's to rounding. Both sides run the same probes and judges: the comparison measures the
harness, two fresh processes and a TensorFlow import per submission against a fork of a warm
worker.

Left out on otter's side: a sandbox (otter has none without Docker: the submission runs with
the instructor's rights and files, without the batch's isolation or its memory and time
limits), the reference run (handed to otter for free; the batch's wall time includes it and its
own TensorFlow import), source rules (bans: chapters with bans are refused), tf-grader's feedback
files, pictures and exports, and otter's PDFs, logs and plugins (none configured). Hidden checks
are graded on both sides (otter's cases are marked hidden).

Otter lives in a venv of its own (default `.venv-otter`) with the project's locked stack, so
both sides run the same TensorFlow (only wrapt differs: otter-grader 7 wants it below 2), and
ipykernel, which `otter run` executes a .py in; `--setup` builds it (from PyPI, a minute or two).
Usage:

    .venv/bin/python benchmarks/otter.py --setup              # build .venv-otter once
    .venv/bin/python benchmarks/otter.py [--n 40] [--jobs 2] [--chapter chapter4] [--venv DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.batch import SEED, make_submissions  # noqa: E402
from grader.course import Course  # noqa: E402
from grader.session import Session  # noqa: E402

TARGET = 60.0  # submissions a minute on chapter 4 (issue 22)
OTTER = ["otter-grader==7.0.0", "ipykernel==7.4.0"]  # otter runs a .py through a Jupyter kernel
SUPPORT = "tfg_otter"  # the support package: a folder, as otter wants the only .py to be the submission

SUPPORT_SOURCE = '''"""tf-grader's probes and judges for otter's OK tests (written by benchmarks/otter.py).

Each check's probe runs once per kernel, on a module made of the kernel's namespace (where otter
executed the submission), and is judged against the reference observations in reference.json."""

import json
import types
from pathlib import Path

HERE = Path(__file__).parent
SEED = {seed}
MODULE = {module!r}
_judged = {{}}
_checks = {{}}


def _load_checks():
    from grader.checks import checks_in, load_check_modules

    sources = json.loads((HERE / "checks.json").read_text())
    modules = load_check_modules({{n: (s, str(HERE / f"{{n}}.py")) for n, s in sources.items()}})
    for name, module in modules.items():
        _checks.update((c.name, c) for c in checks_in(module, hidden=name == "hidden_checks"))


def passed(env, check, index):
    """Whether the reference's case `index` of `check` matched the submission's."""
    if check not in _judged:
        from grader.checks import run_probe
        from grader.judges import judge
        from grader.models import Observation

        if not _checks:
            _load_checks()
        chk = _checks[check]
        reference = Observation.model_validate(json.loads((HERE / "reference.json").read_text())[check])
        sub = types.ModuleType(MODULE)
        sub.__dict__.update((k, v) for k, v in env.items() if not k.startswith("__"))
        _judged[check] = reference, judge(run_probe(chk, sub, SEED), reference, chk.compare, chk.partial)
    reference, judged = _judged[check]
    return judged.status != "error" and reference.cases[index].label not in judged.failed
'''


def setup(venv: Path) -> None:
    """Build the otter venv: the project's Python and locked stack, this checkout without its
    dependencies, then otter-grader and the Jupyter kernel it executes a .py in."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        sys.exit("--setup needs uv (pip install uv, or the project's .venv has it)")
    python = str(venv / "bin" / "python")
    base = getattr(sys, "_base_executable", sys.executable)
    for cmd in ([uv, "venv", "--python", base, str(venv)],
                [uv, "pip", "install", "--python", python, "-r", str(ROOT / "requirements.lock")],
                [uv, "pip", "install", "--python", python, "--no-deps", "-e", str(ROOT)],
                [uv, "pip", "install", "--python", python, *OTTER]):  # fmt: skip
        print("+", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True)


def versions(python: Path | str) -> str:
    """Versions of the stack in an interpreter's environment, without importing TensorFlow."""
    code = ("from importlib.metadata import version as v, PackageNotFoundError as E\n"
            "import platform\nout = ['Python ' + platform.python_version()]\n"
            "for p in ('tensorflow', 'keras', 'numpy', 'otter-grader'):\n"
            "    try: out.append(f'{p} {v(p)}')\n    except E: pass\nprint(', '.join(out))")
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True).stdout.strip()


def autograder(chapter, reference: dict, folder: Path) -> Path:
    """Otter's autograder zip: otter_config.json, an OK test file per check, and the support
    package (the helper, the check modules' sources, the reference observations) under files/."""
    path = folder / "autograder.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("otter_config.json", json.dumps({"lang": "python"}))
        for chk in chapter.checks:
            code = f">>> import {SUPPORT}\n>>> {SUPPORT}.passed(globals(), {chk.name!r}, {{}})\nTrue"
            cases = [{"name": case.label, "hidden": chk.hidden, "code": code.format(i)}
                     for i, case in enumerate(reference[chk.name].cases)]
            suite = {"type": "doctest", "scored": True, "setup": "", "teardown": "", "cases": cases}
            test = {"name": chk.name, "points": chk.points, "all_or_nothing": not chk.partial,
                    "suites": [suite]}
            z.writestr(f"tests/{chk.name}.py", f"OK_FORMAT = True\n\ntest = {test!r}\n")
        helper = SUPPORT_SOURCE.format(seed=SEED, module=chapter.spec.module)
        z.writestr(f"files/{SUPPORT}/__init__.py", helper)
        z.writestr(f"files/{SUPPORT}/checks.json", json.dumps(chapter.check_sources))
        z.writestr(f"files/{SUPPORT}/reference.json",
                   json.dumps({k: v.model_dump() for k, v in reference.items()}))  # fmt: skip
    return path


def otter_one(venv: Path, ag: Path, submission: Path, out: Path) -> tuple[float | None, float, str]:
    """`otter run` on one submission: its score (None when otter failed), wall seconds, and the
    end of what it printed."""
    out.mkdir()
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}", "PYTHONPATH": str(ROOT)}
    env.pop("VIRTUAL_ENV", None)
    start = time.monotonic()
    done = subprocess.run([str(venv / "bin" / "otter"), "run", "-a", str(ag), "-o", str(out), "--no-logo",
                           str(submission)], capture_output=True, text=True, env=env, timeout=900)  # fmt: skip
    wall = time.monotonic() - start
    results = out / "results.json"
    if done.returncode != 0 or not results.is_file():
        return None, wall, (done.stdout + done.stderr)[-800:]
    tests = json.loads(results.read_text())["tests"]
    return sum(t["score"] for t in tests if "max_score" in t), wall, ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--chapter", default="chapter4", help="default chapter4, which the target is for")
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv-otter",
                        help="otter's venv (default .venv-otter in the checkout)")
    parser.add_argument("--setup", action="store_true", help="build the otter venv, then stop")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR", help="work in DIR, a new folder, and "
                        "keep it: the submissions, autograder.zip, the batch's out/ and otter's results")
    args = parser.parse_args()
    venv = args.venv.resolve()
    if args.setup:
        setup(venv)
        print(f"otter venv ready: {versions(venv / 'bin' / 'python')}")
        return
    if not (venv / "bin" / "otter").is_file():
        again = "" if args.venv == parser.get_default("venv") else f" --venv {args.venv}"
        sys.exit(f"no otter venv at {venv}: build it (a minute or two, from PyPI) with "
                 f"`{os.path.relpath(sys.executable)} {os.path.relpath(__file__)} --setup{again}`")
    course = Course(ROOT)
    chapter = course.chapter(args.chapter)
    if any(c.forbid for c in chapter.checks):
        sys.exit(f"{chapter.name} has checks with bans, which otter's tests here do not check; try chapter4")
    grade = Path(sys.executable).parent / "grade"
    print(f"tf-grader: {versions(sys.executable)}")
    print(f"otter:     {versions(venv / 'bin' / 'python')}")

    if args.keep:
        if args.keep.exists():
            sys.exit(f"--keep {args.keep}: already there; name a new folder")
        args.keep.mkdir(parents=True)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() if args.keep is None else nullcontext(args.keep) as tmp:
        tmp = Path(tmp)
        (tmp / "class").mkdir()
        paths = make_submissions(chapter, tmp / "class", args.n)
        with Session(course, seed=SEED) as session:
            reference = session.reference(chapter)
        ag = autograder(chapter, reference, tmp)

        start = time.monotonic()
        run = subprocess.run([str(grade), "batch", chapter.name, str(tmp / "class"), "--jobs", str(args.jobs),
                              "--out", str(tmp / "out")], cwd=ROOT, capture_output=True, text=True)  # fmt: skip
        batch_wall = time.monotonic() - start
        if run.returncode != 0:
            sys.exit(f"grade batch failed: {run.stderr[-500:]}")
        with sqlite3.connect(tmp / "out" / "gradebook.sqlite") as db:
            rows = dict(db.execute("SELECT student, score FROM results"))
            batch_each = db.execute("SELECT AVG(seconds) FROM results").fetchone()[0]

        (tmp / "otter").mkdir()
        start = time.monotonic()
        with ThreadPoolExecutor(args.jobs) as pool:
            outs = list(pool.map(lambda p: otter_one(venv, ag, p, tmp / "otter" / p.stem), paths))
        otter_wall = time.monotonic() - start

    batch_rate, otter_rate = 60 * args.n / batch_wall, 60 * args.n / otter_wall
    otter_each = sum(w for _, w, _ in outs) / args.n
    agree = [s is not None and abs(s - rows[p.stem]) < 1e-3 for (s, _, _), p in zip(outs, paths)]
    print(f"{chapter.name}, N = {args.n} submissions, --jobs {args.jobs}, {os.cpu_count()} cores, "
          f"load {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (1-minute average)")
    print(f"tf-grader {batch_wall:7.1f} s  {batch_rate:7.1f} submissions/min  "
          f"{batch_wall / args.n:6.2f} s/submission (target >= {TARGET:.0f}/min; TensorFlow import and "
          f"reference run included; {batch_each:.2f} s each in its worker)")
    print(f"otter     {otter_wall:7.1f} s  {otter_rate:7.1f} submissions/min  "
          f"{otter_wall / args.n:6.2f} s/submission (`otter run` per submission, {args.jobs} at a time; "
          f"{otter_each:.2f} s each)")
    print(f"ratio     {batch_rate / otter_rate:7.1f}x")
    print(f"scores agree: {sum(agree)}/{args.n}")
    for ok, (score, _, tail), path in zip(agree, outs, paths):
        if not ok:
            got = "otter failed: " + tail.strip().replace("\n", " | ") if score is None else f"otter {score:g}"
            print(f"  {path.stem}: tf-grader {rows[path.stem]:g}, {got}")


if __name__ == "__main__":
    main()
