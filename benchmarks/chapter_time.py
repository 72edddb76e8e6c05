"""How long one `grade chapterN` takes, end to end, as a student runs it, and what its checks cost.

Runs `grade chapterN --submission <reference solution> --json` in a fresh process for every
chapter, in the instructor's copy (hidden checks run too, so a student's copy does less): once to
fill the reference cache (`first s`: the reference observed live, as after an edit), then `--runs`
times more (`wall s`: the median, TensorFlow's import included, the reference read from the cache
as whenever nothing it is made from changed; a student's copy reads its recording instead).
`checks s` is the submission's checks, public and hidden (the median of the runs' sums). Targets:
wall <= 5 s, checks <= 1 s. The cache is a folder of its own, removed afterwards. Usage:

    .venv/bin/python benchmarks/chapter_time.py [--runs N] [chapter ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.course import Course  # noqa: E402
from grader.reference_cache import CACHE_ENV  # noqa: E402

WALL_TARGET_S = 5.0
CHECKS_TARGET_S = 1.0


def run_once(grade: Path, chapter, env: dict[str, str]) -> tuple[float, float, str] | str:
    """(wall s, checks s, score) of one `grade chapterN`, or why it failed."""
    solution = chapter.solution_dir / chapter.module_file
    start = time.monotonic()
    run = subprocess.run([str(grade), chapter.name, "--submission", str(solution), "--json"],
                         cwd=ROOT, capture_output=True, text=True, env=env)  # fmt: skip
    wall = time.monotonic() - start
    if run.returncode != 0:
        return run.stderr.strip().splitlines()[-1] if run.stderr.strip() else f"exit {run.returncode}"
    result = json.loads(run.stdout)
    checks = sum(c["seconds"] for c in result["checks"])
    return wall, checks, f"{result['score']:g}/{result['max_score']:g}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per chapter after the first")
    parser.add_argument("chapters", nargs="*")
    args = parser.parse_args()
    course = Course(ROOT)
    chapters = [course.chapter(n) for n in args.chapters] or list(course.chapters.values())
    grade = Path(sys.executable).parent / "grade"
    cache = tempfile.mkdtemp(prefix="chapter-time-cache-")
    env = {**os.environ, CACHE_ENV: cache}
    print(f"{'chapter':<10} {'first s':>8} {'wall s':>7} {'checks s':>9} {'score':>7}"
          f"  targets: wall <= {WALL_TARGET_S:g} s, checks <= {CHECKS_TARGET_S:g} s")  # fmt: skip
    missed = 0
    try:
        for chapter in chapters:
            first = run_once(grade, chapter, env)
            runs = [run_once(grade, chapter, env) for _ in range(args.runs)]
            failed = next((r for r in [first, *runs] if isinstance(r, str)), None)
            if failed is not None:
                print(f"{chapter.name:<10} failed: {failed}")
                missed += 1
                continue
            wall = statistics.median(r[0] for r in runs)
            checks = statistics.median(r[1] for r in runs)
            verdict = [f"wall {'ok' if wall <= WALL_TARGET_S else 'SLOW'}",
                       f"checks {'ok' if checks <= CHECKS_TARGET_S else 'SLOW'}"]  # fmt: skip
            missed += wall > WALL_TARGET_S or checks > CHECKS_TARGET_S
            print(f"{chapter.name:<10} {first[0]:>8.1f} {wall:>7.1f} {checks:>9.2f} {runs[-1][2]:>7}  {', '.join(verdict)}")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
