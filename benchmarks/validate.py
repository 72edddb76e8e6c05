"""How long `grade validate` takes on the whole course (references, stubs, planted mistakes,
alternatives and recordings): the course's own CI.

Each run is a fresh `grade validate --jobs J` process (TensorFlow imports included), first with
an empty reference cache (`cold`: every reference observed live, as on a fresh CI machine), then
with the cache that run left (`warm`: a developer's second run); `--single` adds `--jobs 1`,
cold. Prints each wall time; the target of 90 s is for the cold run with `--jobs N`. Usage:

    .venv/bin/python benchmarks/validate.py [--jobs 2] [--single] [chapter ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.course import Course  # noqa: E402
from grader.reference_cache import CACHE_ENV  # noqa: E402
from grader.validate import alternatives, mutants  # noqa: E402

TARGET_S = 90.0
GRADE = "import sys; from grader.cli import main; sys.argv[0] = 'grade'; main()"


def run(jobs: int, chapters: list[str], cache: str) -> tuple[float, str]:
    start = time.monotonic()
    env = {"PYTHONPATH": str(ROOT), "HOME": os.environ.get("HOME", "/"), CACHE_ENV: cache}
    done = subprocess.run([sys.executable, "-c", GRADE, "validate", "--jobs", str(jobs), *chapters],
                          cwd=ROOT, capture_output=True, text=True, env=env)  # fmt: skip
    wall = time.monotonic() - start
    lines = (done.stdout or done.stderr).strip().splitlines()
    failed = [line for line in lines if line.startswith(("FAIL", "\x1b[31mFAIL"))]
    return wall, "\n".join([lines[-1] if lines else f"exit {done.returncode}", *failed])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--single", action="store_true", help="also time --jobs 1 (cold)")
    parser.add_argument("chapters", nargs="*")
    args = parser.parse_args()
    course = Course(ROOT)
    chapters = [course.chapter(n) for n in args.chapters] or list(course.chapters.values())
    n_mut = sum(len(mutants(c)) for c in chapters)
    n_alt = sum(len(alternatives(c)) for c in chapters)
    print(f"{len(chapters)} chapters: {len(chapters)} references, {len(chapters)} stubs, {n_mut} mutants, "
          f"{n_alt} alternatives")
    runs = [(1, "cold")] if args.single else []
    runs += [(args.jobs, "cold"), (args.jobs, "warm")]
    cold, caches = float("inf"), []
    for jobs, kind in runs:
        if kind == "cold":
            caches.append(tempfile.mkdtemp(prefix="validate-cache-"))
        wall, summary = run(jobs, args.chapters, caches[-1])
        cold = wall if (jobs, kind) == (args.jobs, "cold") else cold
        print(f"--jobs {jobs:<3} {kind}  {wall:7.1f} s   {summary}")
    for cache in caches:
        shutil.rmtree(cache, ignore_errors=True)
    print(f"target {TARGET_S:g} s (cold, --jobs {args.jobs}): {'ok' if cold <= TARGET_S else 'SLOW'}")
    return 0 if cold <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
