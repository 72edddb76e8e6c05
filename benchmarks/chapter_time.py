"""How long one `grade chapterN` takes, end to end, as a student runs it.

Runs `grade chapterN --submission <reference solution> --json` in a fresh process for every chapter
(TensorFlow import, the reference run and the submission's run included) and prints the wall time
next to the target of 30 s. Usage:

    .venv/bin/python benchmarks/chapter_time.py [chapter ...]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.course import Course  # noqa: E402

TARGET_S = 30.0


def main(names: list[str]) -> int:
    course = Course(ROOT)
    chapters = [course.chapter(n) for n in names] or list(course.chapters.values())
    grade = Path(sys.executable).parent / "grade"
    print(f"{'chapter':<10} {'wall s':>7} {'checks s':>9} {'score':>11}  target {TARGET_S:g} s")
    slow = 0
    for chapter in chapters:
        solution = chapter.solution_dir / chapter.module_file
        start = time.monotonic()
        run = subprocess.run([str(grade), chapter.name, "--submission", str(solution), "--json"],
                             cwd=ROOT, capture_output=True, text=True)
        wall = time.monotonic() - start
        if run.returncode != 0:
            print(f"{chapter.name:<10} failed: {run.stderr.strip()}")
            slow += 1
            continue
        result = json.loads(run.stdout)
        checks = sum(c["seconds"] for c in result["checks"])
        slow += wall > TARGET_S
        print(f"{chapter.name:<10} {wall:>7.1f} {checks:>9.1f} {result['score']:>5g}/{result['max_score']:<5g}"
              f"  {'ok' if wall <= TARGET_S else 'SLOW'}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
