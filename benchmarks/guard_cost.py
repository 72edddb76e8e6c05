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


class TimedGuard(AuditGuard):
    """The guard, timing every call of its hook (the timing's own cost included)."""

    seconds, events = 0.0, 0

    def _hook(self, event: str, args: tuple) -> None:
        start = time.perf_counter()
        try:
            super()._hook(event, args)
        finally:
            self.seconds += time.perf_counter() - start
            self.events += 1


def probes(chapter, scratch: Path):  # noqa: ANN001, ANN201
    """A function running every probe of the chapter on its reference modules, as the child does."""
    for path in chapter.solution_dir.glob("*.py"):
        if path.name != "hidden_checks.py":  # the reference modules only, as in the sandbox
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
    guard = TimedGuard(scratch, refused.append)
    guard.install()
    start = time.perf_counter()
    snapshot = Snapshot.of_probe_machinery()
    taken = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(100):
        assert snapshot.changed() is None
    compared = (time.perf_counter() - start) / 100
    with_hook, inside, events = {}, {}, {}
    for name, run in runs.items():
        times, spent, counts = [], [], []
        for _ in range(ROUNDS):
            guard.seconds, guard.events = 0.0, 0
            times.append(run())
            spent.append(guard.seconds)
            counts.append(guard.events)
        with_hook[name], inside[name], events[name] = (statistics.median(x) for x in (times, spent, counts))
    print(f"{'chapter':<10} {'without ms':>11} {'with ms':>9} {'in hook ms':>11} {'events':>7}")
    for name in runs:
        print(f"{name:<10} {without[name] * 1e3:>11.1f} {with_hook[name] * 1e3:>9.1f} "
              f"{inside[name] * 1e3:>11.1f} {events[name]:>7.0f}")
    print("(without/with: medians of runs taken one after the other, so load on the machine moves them;"
          " 'in hook': the time measured inside the hook itself, the cost it adds)")
    print(f"snapshot: taken in {taken * 1e3:.2f} ms (once per worker), compared in {compared * 1e3:.3f} ms "
          "(after the import and after every check)")
    print(f"refused while the references ran: {refused or 'nothing'}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
