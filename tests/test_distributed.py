"""`grade batch --scheduler`: a batch graded on a Dask cluster (two worker processes on this
machine) gets the same rows as the local pool, and a second run grades nothing more."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from distributed import Client, LocalCluster  # CI installs the [dask] extra: no skipping here

from grader.batch import find_entries, run_batch
from grader.course import Course
from grader.distributed import SessionPlugin, run_batch_on_dask
from grader.gradebook import Gradebook
from grader.grading import DEFAULT_SEED
from grader.session import Session

from conftest import ROOT, TEST_LIMITS

pytestmark = pytest.mark.slow  # a Dask cluster

SOLUTION = ROOT / "solutions/chapter1/fundamentals.py"
STUB = ROOT / "exercises/chapter1/fundamentals.py"
HOSTILE = ROOT / "tests/data/hostile"
NO_BIAS = ("return input_size * units + (units if use_bias else 0)", "return input_size * units")


def make_class(folder: Path) -> None:
    folder.mkdir()
    shutil.copy(SOLUTION, folder / "good.py")
    (folder / "again.py").write_text(SOLUTION.read_text())
    (folder / "wrong.py").write_text(SOLUTION.read_text().replace(*NO_BIAS))
    shutil.copy(STUB, folder / "stub.py")
    shutil.copy(HOSTILE / "syntax_error" / "fundamentals.py", folder / "syntax.py")
    shutil.copy(HOSTILE / "exit_at_import" / "fundamentals.py", folder / "exit_at_import.py")
    (folder / "empty.py").write_text("")


def rows(book: Gradebook) -> list[tuple[str, float, str]]:
    return sorted((s, r.score, r.status) for s, r in book.results("chapter1").items())


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:  # fmt: skip
        yield cluster


def test_dask_batch_gets_the_local_pools_rows_and_resumes(tmp_path, cluster, warm_workers) -> None:
    make_class(tmp_path / "class")
    course = Course(ROOT)
    chapter = course.chapter("chapter1")
    entries = find_entries(tmp_path / "class")

    local = Gradebook(tmp_path / "local.sqlite")
    with Session(course, limits=TEST_LIMITS, workers=warm_workers) as session:
        run_batch(session, chapter, entries, local)

    book = Gradebook(tmp_path / "dask.sqlite")
    seen: list[str] = []
    run = lambda: run_batch_on_dask(  # noqa: E731
        cluster.scheduler_address, ROOT, chapter, entries, book, seed=DEFAULT_SEED, limits=TEST_LIMITS,
        on_result=lambda student, result: seen.append(student),
    )  # fmt: skip
    run()
    assert sorted(seen) == sorted(e.student for e in entries), "each entry reported exactly once"
    assert rows(book) == rows(local)
    assert {s: st for s, _, st in rows(book)}["empty"] == "unreadable"
    assert {s: sc for s, sc, _ in rows(book)}["good"] == 20

    pids = sandbox_pids(cluster)
    assert pids, "a Dask worker holds a warm Session"

    seen.clear()
    run()
    assert seen == [], "a second run grades nothing more"
    assert rows(book) == rows(local)

    # each Dask worker keeps its one sandbox worker across tasks and batches
    again = Gradebook(tmp_path / "again.sqlite")
    run_batch_on_dask(cluster.scheduler_address, ROOT, chapter, entries, again,
                      seed=DEFAULT_SEED, limits=TEST_LIMITS)  # fmt: skip
    assert rows(again) == rows(local)
    assert {w: p for w, p in sandbox_pids(cluster).items() if w in pids} == pids
    for book_ in (local, book, again):
        book_.close()


def sandbox_pids(cluster: LocalCluster) -> dict[str, int]:
    """Each Dask worker's live sandbox worker process, where it has started one."""
    name = SessionPlugin(str(ROOT), DEFAULT_SEED, TEST_LIMITS).name

    def pid(dask_worker, name=name):  # noqa: ANN001, ANN202
        session = dask_worker.plugins[name]._session
        proc = session.worker._proc if session is not None else None
        return proc.pid if proc is not None and proc.poll() is None else None

    with Client(cluster.scheduler_address, set_as_default=False) as client:
        return {w: p for w, p in client.run(pid).items() if p is not None}
