"""How long `grade validate` takes on the whole course (references, stubs, planted mistakes,
alternatives and recordings), with `--jobs 1` and with `--jobs N`.

Each run is a fresh `grade validate --jobs J` process (TensorFlow imports included). Prints the
wall time of each next to the target of 90 s for the fastest. Usage:

    .venv/bin/python benchmarks/validate.py [--jobs 2] [--skip-single] [chapter ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.course import Course  # noqa: E402
from grader.validate import alternatives, mutants  # noqa: E402

TARGET_S = 90.0
GRADE = "import sys; from grader.cli import main; sys.argv[0] = 'grade'; main()"


def run(jobs: int, chapters: list[str]) -> tuple[float, str]:
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", GRADE, "validate", "--jobs", str(jobs), *chapters],
                          cwd=ROOT, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)})  # fmt: skip
    wall = time.monotonic() - start
    lines = (done.stdout or done.stderr).strip().splitlines()
    failed = [line for line in lines if line.startswith(("FAIL", "\x1b[31mFAIL"))]
    return wall, "\n".join([lines[-1] if lines else f"exit {done.returncode}", *failed])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-single", action="store_true", help="do not time --jobs 1")
    parser.add_argument("chapters", nargs="*")
    args = parser.parse_args()
    course = Course(ROOT)
    chapters = [course.chapter(n) for n in args.chapters] or list(course.chapters.values())
    n_mut = sum(len(mutants(c)) for c in chapters)
    n_alt = sum(len(alternatives(c)) for c in chapters)
    print(f"{len(chapters)} chapters: {len(chapters)} references, {len(chapters)} stubs, {n_mut} mutants, "
          f"{n_alt} alternatives")
    best = float("inf")
    for jobs in ([] if args.skip_single else [1]) + [args.jobs]:
        wall, summary = run(jobs, args.chapters)
        best = min(best, wall)
        print(f"--jobs {jobs:<3} {wall:7.1f} s   {summary}")
    print(f"target {TARGET_S:g} s: {'ok' if best <= TARGET_S else 'SLOW'}")
    return 0 if best <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
