"""Batch grading against the way notebook-executing graders work.

Grades the same N submissions of one chapter (correct, planted mistakes, stubs, syntax errors,
generated from the chapter's solution, mutants and stub) two ways:

- batch: `grade batch CHAPTER DIR --jobs J` (warm sandboxed workers, a fork per submission);
- baseline: one fresh Python process per submission, J at a time, that imports TensorFlow, runs
  the same probes in-process on the submission and judges them (no sandbox at all; the reference
  observations are handed to it, so it pays nothing for them).

It also times the checks themselves in one warm process (what a grader without a fresh process
per submission would pay) and a bare fork and exit of a process that has imported TensorFlow (the
least a fresh process per submission costs), and prints throughput, their ratio, per-submission
time against the warm checks, and peak memory (RSS) per batch worker. Usage:

    .venv/bin/python benchmarks/batch.py [--n 40] [--jobs 2] [--chapter chapter1]

The issue's targets are for chapter 1, whose checks take milliseconds; `--chapter chapter3`
shows the same comparison where the checks take seconds.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.checks import run_probe  # noqa: E402
from grader.course import Course  # noqa: E402
from grader.bans import forbidden_uses  # noqa: E402
from grader.judges import judge_cases  # noqa: E402
from grader.models import Observation  # noqa: E402
from grader.sandbox.plan import MALLOC_ENV  # noqa: E402
from grader.sandbox.worker import huge_pages, warm_up  # noqa: E402
from grader.session import Session  # noqa: E402
from grader.submission import syntax_error  # noqa: E402
from grader.validate import load_mutant, mutants, mutate  # noqa: E402

SEED = 2026
THROUGHPUT_TARGET = 60  # submissions a minute, TensorFlow's import and the reference included


def make_submissions(chapter, folder: Path, n: int) -> list[Path]:
    solution = (chapter.solution_dir / chapter.module_file).read_text()
    stub = (chapter.exercise_dir / chapter.module_file).read_text()
    planted = [mutate(solution, load_mutant(p), p.stem) for p in mutants(chapter)]
    kinds = [solution, *planted, stub, "def broken(:\n"]
    paths = []
    for i in range(n):
        path = folder / f"student{i:03d}.py"
        path.write_text(kinds[i % len(kinds)])
        paths.append(path)
    return paths


def grade_in_process(chapter, source_path: Path, reference: dict[str, Observation]) -> float:
    """Import the submission here and run every probe and judge in this process (the same
    checks, source rules and judges as the batch, without the sandbox)."""
    source = source_path.read_text()
    if syntax_error(source):
        return 0.0
    spec = importlib.util.spec_from_file_location(chapter.spec.module, source_path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception:
        return 0.0
    banned = forbidden_uses(chapter, source)
    score = 0.0
    for chk in chapter.checks:
        if banned.get(chk.name):
            continue
        share, _, _ = judge_cases(run_probe(chk, module, SEED), reference[chk.name], chk.compare, chk.partial)
        score += chk.points * share
    return score


def baseline_one(chapter_name: str, source: str, reference_file: str) -> None:
    """The baseline's child process: import TensorFlow, grade one submission, print the score."""
    import tensorflow  # noqa: F401  what every notebook-executing grader pays per submission

    chapter = Course(ROOT).chapter(chapter_name)
    data = json.loads(Path(reference_file).read_text())
    reference = {k: Observation.model_validate(v) for k, v in data.items()}
    print(grade_in_process(chapter, Path(source), reference))


def _last_number(printed: str) -> float:
    """The score a baseline child printed last (a submission may print before it), -1 if none."""
    lines = printed.strip().splitlines()
    try:
        return float(lines[-1])
    except (IndexError, ValueError):
        return -1.0


def bare_fork_exit(times: int = 20) -> float:
    """Median seconds to fork a process that has imported TensorFlow and warmed up like a batch
    worker (same malloc settings, same warm-up), have the child exit at once, and reap it: the
    least a fresh process per submission can cost. Run in a process of its own (`--floor`)."""
    import tensorflow  # noqa: F401

    warm_up()
    huge_pages()  # as a batch worker has after its first job
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        spent.append(time.perf_counter() - start)
    return sorted(spent)[times // 2]


def _is_worker(pid: int) -> bool:
    """A warm worker or a job forked from one (not the bwrap process that starts it)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"grader.sandbox.worker" in argv and not argv[0].endswith(b"bwrap")


def peak_rss_of_workers(root_pid: int, stop: threading.Event, peaks: dict[int, int]) -> None:
    """Poll the batch's worker processes (descendants running grader.sandbox.worker)."""
    while not stop.is_set():
        parents = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    pass
        for pid in parents:
            p, ancestor = pid, False
            while p in parents and p > 1:
                p = parents[p]
                if p == root_pid:
                    ancestor = True
                    break
            if not ancestor:
                continue
            try:
                if not _is_worker(pid) or _is_worker(parents.get(pid, 0)):  # forks are the jobs
                    continue
                status = Path(f"/proc/{pid}/status").read_text()
                hwm = next(int(l.split()[1]) for l in status.splitlines() if l.startswith("VmHWM"))
                peaks[pid] = max(peaks.get(pid, 0), hwm << 10)
            except (OSError, StopIteration):
                pass
        stop.wait(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--chapter", default="chapter1", help="default chapter1, which the targets are for")
    args = parser.parse_args()
    course = Course(ROOT)
    chapter = course.chapter(args.chapter)
    grade = Path(sys.executable).parent / "grade"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "class").mkdir()
        paths = make_submissions(chapter, tmp / "class", args.n)
        with Session(course, seed=SEED) as session:
            reference = session.reference(chapter)
        (tmp / "reference.json").write_text(json.dumps({k: v.model_dump() for k, v in reference.items()}))

        # the checks themselves, in one warm process (TensorFlow imported above, by the oracle run's
        # worker; here in this process too)
        import tensorflow  # noqa: F401

        start = time.monotonic()
        warm_scores = [grade_in_process(chapter, p, reference) for p in paths]
        warm_each = (time.monotonic() - start) / args.n
        floor = subprocess.run([sys.executable, __file__, "--floor"], env={**os.environ, **MALLOC_ENV},
                               capture_output=True, text=True, check=True)
        fork_floor = float(floor.stdout.split()[-1])

        start = time.monotonic()
        run = subprocess.Popen([str(grade), "batch", chapter.name, str(tmp / "class"), "--jobs", str(args.jobs),
                                "--out", str(tmp / "out")], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        stop, peaks = threading.Event(), {}
        watcher = threading.Thread(target=peak_rss_of_workers, args=(run.pid, stop, peaks), daemon=True)
        watcher.start()
        _, err = run.communicate()
        batch_wall = time.monotonic() - start
        stop.set()
        watcher.join()
        if run.returncode != 0:
            sys.exit(f"grade batch failed: {err.decode()[-500:]}")
        with sqlite3.connect(tmp / "out" / "gradebook.sqlite") as db:
            rows = dict(db.execute("SELECT student, score FROM results"))
            batch_each = db.execute("SELECT AVG(seconds) FROM results").fetchone()[0]

        start = time.monotonic()
        cmd = [sys.executable, __file__, "--baseline-one", chapter.name]
        with ThreadPoolExecutor(args.jobs) as pool:
            outs = list(pool.map(lambda p: subprocess.run([*cmd, str(p), str(tmp / "reference.json")],
                                                          capture_output=True, text=True), paths))
        baseline_wall = time.monotonic() - start

    agree = [abs(_last_number(o.stdout) - rows[p.stem]) < 1e-3 for o, p in zip(outs, paths)]
    same_warm = [abs(w - rows[p.stem]) < 1e-3 for w, p in zip(warm_scores, paths)]
    batch_rate, base_rate = 60 * args.n / batch_wall, 60 * args.n / baseline_wall
    print(f"{chapter.name}, N = {args.n} submissions, --jobs {args.jobs}, {os.cpu_count()} cores")
    print(f"batch     {batch_wall:7.1f} s  {batch_rate:7.1f} submissions/min (TensorFlow import and reference run included)")
    print(f"baseline  {baseline_wall:7.1f} s  {base_rate:7.1f} submissions/min (fresh process per submission, {args.jobs} at a time)")
    print(f"ratio     {batch_rate / base_rate:7.1f}x   (target >= 3x)")
    print(f"throughput {batch_rate:6.1f} submissions/min: target >= {THROUGHPUT_TARGET:g} on every chapter: "
          f"{'ok' if batch_rate >= THROUGHPUT_TARGET else 'SLOW'}")
    print(f"per submission: {batch_each * 1000:.0f} ms in the batch (fork, sandbox, probes, judging) vs "
          f"{warm_each * 1000:.0f} ms for the checks alone in a warm process: "
          f"{batch_each / warm_each:.2f}x (target <= 1.5x)")
    print(f"floor: a bare fork and exit of a process that has imported TensorFlow takes "
          f"{fork_floor * 1000:.0f} ms, {fork_floor / warm_each:.2f}x the checks alone")
    mib = [v / 2**20 for v in peaks.values()]
    print(f"peak RSS per batch worker: {', '.join(f'{m:.0f} MiB' for m in sorted(mib))}")
    print(f"scores agree with the batch: baseline {sum(agree)}/{args.n}, warm in-process {sum(same_warm)}/{args.n}")
    for ok, path in zip(agree, paths):
        if not ok:
            print(f"  baseline disagrees on {path.stem}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--baseline-one":
        baseline_one(*sys.argv[2:])
    elif sys.argv[1:] == ["--floor"]:
        print(bare_fork_exit())
    else:
        main()
