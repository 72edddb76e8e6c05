"""What the sandbox's guard costs a submission: the audit hook, and the snapshot of the probe
machinery taken before the import and compared after every probe (grader/sandbox/guard.py).

In one warm process, for each chapter: runs every probe on the reference solution once to warm
up (tracing, first calls), then ROUNDS times without the hook, then installs the hook (it cannot
be removed again) and runs them ROUNDS times with it; prints the median of each and the
difference, and the snapshot's own cost. All chapters' runs without the hook come before any run
with it. Usage:

    .venv/bin/python benchmarks/guard_cost.py [chapter ...]   (default: chapter1 chapter4)
"""

from __future__ import annotations

import importlib.util
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.checks import checks_in, load_check_modules, run_probe  # noqa: E402
from grader.course import Course  # noqa: E402
from grader.sandbox.guard import AuditGuard, Snapshot  # noqa: E402
from grader.sandbox.worker import warm_up  # noqa: E402

SEED, ROUNDS = 2026, 5


def probes(chapter, scratch: Path):  # noqa: ANN001, ANN201
    """A function running every probe of the chapter on its reference modules, as the child does."""
    for path in chapter.solution_dir.glob("*.py"):
        shutil.copy(path, scratch / path.name)
    modules = {}
    for path in scratch.glob("*.py"):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        modules[path.stem] = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = modules[path.stem]
        spec.loader.exec_module(modules[path.stem])
    sources = {name: (source, f"{name}.py") for name, source in chapter.check_sources.items()}
    checks = [c for m in load_check_modules(sources).values() for c in checks_in(m, hidden=False)]
    calls = [(c, modules[chapter.spec.module if c.reference == "solution" else c.reference]) for c in checks]

    def run() -> float:
        start = time.perf_counter()
        for check, module in calls:
            run_probe(check, module, SEED)
        return time.perf_counter() - start

    return run


def main(names: list[str]) -> None:
    import keras  # noqa: F401

    warm_up()
    course = Course(ROOT)
    scratch = Path(tempfile.mkdtemp(prefix="guard-cost-"))
    runs = {}
    for name in names or ["chapter1", "chapter4"]:
        folder = scratch / name
        folder.mkdir()
        runs[name] = probes(course.chapter(name), folder)
        runs[name]()  # warm-up
    without = {name: statistics.median(run() for _ in range(ROUNDS)) for name, run in runs.items()}
    refused = []
    AuditGuard(scratch, refused.append).install()
    start = time.perf_counter()
    snapshot = Snapshot.of_probe_machinery()
    taken = time.perf_counter() - start
    start = time.perf_counter()
    assert snapshot.changed() is None
    compared = time.perf_counter() - start
    with_hook = {name: statistics.median(run() for _ in range(ROUNDS)) for name, run in runs.items()}
    print(f"{'chapter':<10} {'without ms':>11} {'with ms':>9} {'hook ms':>8} {'hook %':>7}")
    for name in runs:
        a, b = without[name] * 1e3, with_hook[name] * 1e3
        print(f"{name:<10} {a:>11.1f} {b:>9.1f} {b - a:>8.1f} {100 * (b - a) / a:>6.1f}%")
    print(f"snapshot: taken in {taken * 1e3:.2f} ms, compared in {compared * 1e3:.2f} ms (once per check)")
    print(f"refused while the references ran: {refused or 'nothing'}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
