"""Which of Gradescope's containers each chapter fits: every chapter's reference solution graded
as the Gradescope autograder grades it (`grade gradescope`'s zip, run_autograder), in a memory
cgroup of each size Gradescope offers, from the smallest up until it keeps full marks; prints
the score and the cgroup's peak memory. Root only (it makes the cgroups). Usage:

    .venv/bin/python benchmarks/container_memory.py [chapter1 chapter4 ...]

Gradescope's sizes are those of its Autograder Settings ("0.5 CPU, 0.75GB RAM" ... "4.0 CPU,
6.0GB RAM", docs/autograder_settings.png of github.com/gradescope/autograder_samples). CPU is not
limited here: only memory decides whether a run fits; its times are this machine's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from modes import MemoryCgroup  # noqa: E402

SIZES_MB = (768, 1536, 3072, 6144)


def autograder(chapter: str, folder: Path) -> Path:
    zip_path = folder / f"{chapter}.zip"
    subprocess.run([sys.executable, "-m", "grader.cli", "gradescope", chapter, "-o", str(zip_path)],
                   cwd=ROOT, check=True, capture_output=True)  # fmt: skip
    return zip_path


def run_in(zip_path: Path, solution: Path, mb: int, name: str) -> tuple[float, float, int | None, float]:
    """(score, max score, peak MiB, seconds) of one run_autograder in a cgroup of `mb`."""
    root = Path(tempfile.mkdtemp(prefix="tfg-container-"))
    try:
        with zipfile.ZipFile(zip_path) as z:
            z.extractall(root / "source")
        (root / "source/run_autograder").chmod(0o755)
        shutil.copytree(solution, root / "submission", ignore=shutil.ignore_patterns("__pycache__"))
        env = {**os.environ, "TF_GRADER_AUTOGRADER_ROOT": str(root), "TF_GRADER_PYTHON": sys.executable}
        env.pop("PYTHONPATH", None)
        with MemoryCgroup(mb, name) as cgroup:
            started = time.monotonic()
            subprocess.run([*cgroup.prefix(), str(root / "source/run_autograder")], cwd=root, env=env,
                           capture_output=True, timeout=1800)  # fmt: skip
            seconds = time.monotonic() - started
            peak = cgroup.peak_mb()
        doc = json.loads((root / "results/results.json").read_text())
        full = sum(t.get("max_score", 0) for t in doc["tests"])
        return doc["score"], full, peak, seconds
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(chapters: list[str]) -> None:
    if why := MemoryCgroup.why_not():
        sys.exit(f"container_memory: {why}")
    chapters = chapters or sorted(p.name for p in (ROOT / "solutions").iterdir() if p.name.startswith("chapter"))
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'chapter':10} {'container':>9} {'score':>11} {'peak MiB':>8} {'seconds':>7}")
        for chapter in chapters:
            zip_path = autograder(chapter, Path(folder))
            solution = ROOT / "solutions" / chapter
            reference = [p for p in solution.glob("*.py") if p.name not in ("oracle.py", "hidden_checks.py")]
            with tempfile.TemporaryDirectory() as only:
                for p in reference:
                    shutil.copy(p, only)
                for mb in SIZES_MB:
                    score, full, peak, seconds = run_in(zip_path, Path(only), mb, chapter)
                    print(f"{chapter:10} {mb:>7}MB {score:>5g}/{full:<5g} {peak or 0:>8} {seconds:>7.0f}", flush=True)
                    if score == full:
                        break


if __name__ == "__main__":
    main(sys.argv[1:])
