"""`grade batch --scheduler ADDRESS`: the same batch on a Dask distributed cluster.

The instructor's process reads every entry (an unreadable one gets its zero row here, exactly as
in the local pool), has the reference observed once on one Dask worker, and sends each readable
submission as one task. Each Dask worker keeps one warm Session for its lifetime. Results come
back as JSON and go into the same gradebook the moment they arrive, so resume and exports work
as with `--jobs`.

Every worker machine needs the project installed (`pip install 'tf-grader[dask]'`), bubblewrap,
and the course at the same path as on the instructor's machine.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from distributed import Client, WorkerPlugin, as_completed, get_worker

from grader.batch import Entry, grade_loaded, load_or_zero
from grader.course import Chapter, Course
from grader.errors import BadInput, GraderError
from grader.gradebook import Gradebook
from grader.grading import environment, zero_result
from grader.models import Environment, Limits, Observation, SubmissionResult
from grader.session import Session
from grader.submission import Submission

CONNECT_TIMEOUT_S = 30


class SessionPlugin(WorkerPlugin):
    """One warm Session per Dask worker: started on first use, closed with the worker.

    Every call into the Session runs on one thread the plugin owns: bwrap's --die-with-parent ties
    a sandbox worker to the thread that spawned (or respawned) it, and Dask's task threads are not
    promised to live as long as the Dask worker."""

    idempotent = True  # a second batch with the same settings keeps the warm Sessions

    def __init__(self, course_root: str, seed: int, limits: Limits, device: str = "cpu",
                 allow_weaker_sandbox: bool = False) -> None:  # fmt: skip
        self.course_root, self.seed, self.device = course_root, seed, device
        self.allow_weaker_sandbox = allow_weaker_sandbox  # judged on each Dask worker's machine
        self.limits_json = limits.model_dump_json()
        key = f"{course_root}\0{seed}\0{self.limits_json}\0{device}\0{allow_weaker_sandbox}".encode()
        self.name = "tf-grader-session-" + hashlib.sha256(key).hexdigest()[:16]

    def setup(self, worker: Any) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="tf-grader-session")
        self._session: Session | None = None

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(session, *args)` on the plugin's thread."""
        return self._thread.submit(self._call, fn, *args).result()

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._session is None:
            root = Path(self.course_root)
            if not (root / "exercises").is_dir():
                raise BadInput(f"this Dask worker has no course at {root}: every worker needs "
                               "the course at the same path as the grade command")  # fmt: skip
            limits = Limits.model_validate_json(self.limits_json)
            self._session = Session(Course(root), seed=self.seed, limits=limits, device=self.device,
                                    allow_weaker_sandbox=self.allow_weaker_sandbox)
        return fn(self._session, *args)

    def teardown(self, worker: Any) -> None:
        def close(_: None) -> None:
            if self._session is not None:
                self._session.close()
                self._session = None

        self._thread.submit(close, None).result()
        self._thread.shutdown()


def run_batch_on_dask(
    address: str,
    course_root: Path,
    chapter: Chapter,
    entries: list[Entry],
    gradebook: Gradebook,
    *,
    seed: int,
    limits: Limits = Limits(),
    device: str = "cpu",
    allow_weaker_sandbox: bool = False,
    on_result: Callable[[str, SubmissionResult], None] = lambda student, result: None,
) -> None:
    """Grade every entry that has no row yet on the Dask cluster whose scheduler is at
    `address`, writing each row into `gradebook` as it arrives (the same rows as `run_batch`)."""
    graded = gradebook.graded(chapter.name)
    todo = [e for e in entries if e.student not in graded]
    if not todo:
        return
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise BadInput(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    with client:
        plugin = SessionPlugin(str(course_root), seed, limits, device, allow_weaker_sandbox)
        client.register_plugin(plugin)
        observed = client.submit(_observe_reference, plugin.name, chapter.name, pure=False)
        reference_json, env_json = observed.result()  # once, on one worker, before the rest
        env = Environment.model_validate_json(env_json)
        reference = client.scatter([reference_json], broadcast=True)[0]
        futures = {}
        for entry in todo:
            submission = load_or_zero(entry, chapter, env)
            if isinstance(submission, SubmissionResult):  # unreadable: its row is made here
                gradebook.put(entry.student, submission)
                on_result(entry.student, submission)
                continue
            future = client.submit(
                _grade, plugin.name, chapter.name, submission.label, submission.source,
                submission.cells, reference, pure=False,
            )  # fmt: skip
            futures[future] = entry.student
        for future in as_completed(futures, loop=client.loop):
            student = futures.pop(future)
            try:
                result = SubmissionResult.model_validate_json(future.result())
            except GraderError:
                raise  # e.g. a worker's sandbox cannot start: stop, a rerun resumes
            except Exception as exc:  # e.g. the task killed its Dask worker again and again
                why = f"the cluster failed on this submission ({type(exc).__name__}: {exc}); the same command grades it again"
                result = zero_result(chapter, student, "error", why, env)  # retryable: a rerun grades it
            gradebook.put(student, result)
            on_result(student, result)


# --- what runs on a Dask worker ------------------------------------------------------------------


def _observe_reference(plugin_name: str, chapter_name: str) -> tuple[dict[str, str], str]:
    return get_worker().plugins[plugin_name].call(_reference, chapter_name)


def _reference(session: Session, chapter_name: str) -> tuple[dict[str, str], str]:
    observations = session.reference(session.course.chapter(chapter_name))
    env = environment(session.worker, session.seed, session.limits)
    return {name: o.model_dump_json() for name, o in observations.items()}, env.model_dump_json()


def _grade(plugin_name: str, chapter_name: str, label: str, source: str,
           cells: tuple[tuple[int, int], ...] | None, reference: dict[str, str]) -> str:  # fmt: skip
    submission = Submission(label=label, source=source, cells=cells)
    return get_worker().plugins[plugin_name].call(_grade_here, chapter_name, submission, reference)


def _grade_here(session: Session, chapter_name: str, submission: Submission,
                reference: dict[str, str]) -> str:  # fmt: skip
    observations = {name: Observation.model_validate_json(o) for name, o in reference.items()}
    chapter = session.course.chapter(chapter_name)
    return grade_loaded(session, chapter, submission, session.worker, observations).model_dump_json()
