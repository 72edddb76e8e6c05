"""Which of Gradescope's containers each chapter fits: every chapter's reference solution graded
as the Gradescope autograder grades it (`grade gradescope`'s zip, run_autograder), in a memory
cgroup of each size Gradescope offers, from the smallest up until it keeps full marks; prints
the score and the cgroup's peak memory. With `--cpus 0.5`, each run is also held to that share
of one CPU (a cgroup v1 CPU quota), as Gradescope's containers are; with `--cold`, the
machine's file cache is dropped before each run, so that TensorFlow's libraries are read in, and
charged, inside the container, as in a fresh one. Root only (it makes the cgroups). Usage:

    .venv/bin/python benchmarks/container_memory.py [--cpus 0.5] [--cold] [chapter1 chapter4 ...]

Gradescope's sizes are those of its Autograder Settings ("0.5 CPU, 0.75GB RAM" ... "4.0 CPU,
6.0GB RAM", docs/autograder_settings.png of github.com/gradescope/autograder_samples). Without
`--cold` the peak counts only the pages the run itself brought in: TensorFlow's libraries,
already in this machine's file cache, are not charged to it.
"""

from __future__ import annotations

import argparse
import contextlib
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


CPU = Path("/sys/fs/cgroup/cpu")  # cgroup v1's CPU hierarchy
PERIOD_US = 100_000


@contextlib.contextmanager
def cpu_quota(cpus: float | None, name: str):  # noqa: ANN201
    """A prefix that holds a command to `cpus` of one CPU (nothing when None)."""
    if cpus is None:
        yield []
        return
    folder = CPU / f"tfg-{name}-{os.getpid()}"
    folder.mkdir()
    try:
        (folder / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (folder / "cpu.cfs_quota_us").write_text(str(int(cpus * PERIOD_US)))
        yield ["sh", "-c", f'echo $$ > {folder / "cgroup.procs"} && exec "$@"', "in-cpu-quota"]
    finally:
        for _ in range(50):
            try:
                folder.rmdir()
                break
            except OSError:
                time.sleep(0.1)


def run_in(zip_path: Path, solution: Path, mb: int, name: str, cpus: float | None,
           cold: bool) -> tuple[float, float, int | None, float]:  # fmt: skip
    """(score, max score, peak MiB, seconds) of one run_autograder in a cgroup of `mb`."""
    root = Path(tempfile.mkdtemp(prefix="tfg-container-"))
    try:
        with zipfile.ZipFile(zip_path) as z:
            z.extractall(root / "source")
        (root / "source/run_autograder").chmod(0o755)
        shutil.copytree(solution, root / "submission", ignore=shutil.ignore_patterns("__pycache__"))
        env = {**os.environ, "TF_GRADER_AUTOGRADER_ROOT": str(root), "TF_GRADER_PYTHON": sys.executable}
        env.pop("PYTHONPATH", None)
        with MemoryCgroup(mb, name) as cgroup, cpu_quota(cpus, name) as quota:
            if cold:
                os.sync()
                Path("/proc/sys/vm/drop_caches").write_text("3")
            started = time.monotonic()
            subprocess.run([*quota, *cgroup.prefix(), str(root / "source/run_autograder")], cwd=root, env=env,
                           capture_output=True, timeout=1800)  # fmt: skip
            seconds = time.monotonic() - started
            peak = cgroup.peak_mb()
        doc = json.loads((root / "results/results.json").read_text())
        full = sum(t.get("max_score", 0) for t in doc["tests"])
        return doc["score"], full, peak, seconds
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpus", type=float, help="share of one CPU each run gets (Gradescope's default: 0.5)")
    parser.add_argument("--cold", action="store_true", help="drop the file cache before each run")
    parser.add_argument("chapters", nargs="*")
    args = parser.parse_args()
    if why := MemoryCgroup.why_not():
        sys.exit(f"container_memory: {why}")
    if args.cpus is not None and not (CPU / "cpu.cfs_quota_us").exists():
        sys.exit(f"container_memory: no cgroup v1 CPU controller at {CPU} for --cpus")
    chapters = args.chapters or sorted(p.name for p in (ROOT / "solutions").iterdir() if p.name.startswith("chapter"))
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
                    score, full, peak, seconds = run_in(zip_path, Path(only), mb, chapter, args.cpus, args.cold)
                    print(f"{chapter:10} {mb:>7}MB {score:>5g}/{full:<5g} {peak or 0:>8} {seconds:>7.0f}", flush=True)
                    if score == full:
                        break


if __name__ == "__main__":
    main()
