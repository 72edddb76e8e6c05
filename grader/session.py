"""A grading session: one warm worker plus the reference observations it has made.

Everything that grades goes through a Session, so the student's `grade chapterN`, `grade
validate` and the tests use the very same worker, limits and judges.
"""

from __future__ import annotations

from pathlib import Path

from grader.course import Chapter, Course
from grader.errors import SandboxError
from grader.grading import DEFAULT_SEED, grade_submission, reference_observations
from grader.judges import reference_problem
from grader.models import Limits, Observation, SubmissionResult
from grader.recorded import recorded_reference
from grader.reference_cache import cached_reference_observations
from grader.sandbox.client import Worker
from grader.sandbox.plan import promises_not_kept
from grader.submission import Submission


class Session:
    """>>> with Session(find_course()) as s: result = s.grade(chapter, submission)

    `jobs` warm workers start side by side (each pays the TensorFlow import once); `grade` uses
    the first, a batch uses them all."""

    def __init__(
        self, course: Course, *, seed: int = DEFAULT_SEED, limits: Limits = Limits(),
        device: str = "cpu", jobs: int = 1, allow_weaker_sandbox: bool = True, cached: bool = False,
        workers: list[Worker] | None = None,
    ) -> None:  # fmt: skip
        """`allow_weaker_sandbox=False` (a batch, a platform's grading) refuses to start where
        the sandbox would not keep every promise (see `plan.promises`), naming what it lacks.
        `cached`: reference observations may come from the cache (`reference_cache`), for the
        instructor's own commands; otherwise they are observed live. `workers`: warm workers
        of this course that someone else started and stops (up to `jobs` of them are used; the
        tests' commands share theirs), instead of starting `jobs` of its own."""
        if not allow_weaker_sandbox and (missing := promises_not_kept()):
            raise SandboxError(
                f"{len(missing)} of the sandbox's promises cannot be kept on this machine ("
                + "; ".join(m.removeprefix("WARNING: not kept here: ") for m in missing)
                + "): install bubblewrap or use a kernel with Landlock, or pass --allow-weaker-sandbox "
                "to grade anyway (every result then says what was not kept)")
        self.course, self.seed, self.limits, self.cached = course, seed, limits, cached
        self._owned = workers is None
        if workers is not None and any(w.course_root != course.root for w in workers):
            raise ValueError("workers of another course")
        self.workers = workers[:jobs] if workers is not None else [
            Worker(course.root, device=device, index=i, share=jobs) for i in range(jobs)
        ]
        try:
            for worker in self.workers:  # they import TensorFlow side by side meanwhile
                worker.info
        except BaseException:
            self.close()
            raise
        self.worker = self.workers[0]
        self._references: dict[str, dict[str, Observation]] = {}

    def reference(self, chapter: Chapter) -> dict[str, Observation]:
        """Reference observations, once per chapter and session: observed live on
        `solutions/chapterN/` where it exists (the instructor's copy), else read from the
        recorded `exercises/chapterN/expected.json` (a student's copy: public checks only).
        Observations with a check that could not be observed are not kept: the next call
        observes again (a batch takes them once and passes them on)."""
        if chapter.name in self._references:
            return self._references[chapter.name]
        if chapter.solution_dir is None:
            observed = recorded_reference(chapter, self.seed)
        else:
            observed = self.observe_reference(chapter, self.worker)
        if not any(reference_problem(o) for o in observed.values()):
            self._references[chapter.name] = observed
        return observed

    def observe_reference(self, chapter: Chapter, worker: Worker, seed: int | None = None) -> dict[str, Observation]:
        """The reference's observations at `seed` (default: the session's), on `worker`: from
        the cache where the session may use it and nothing they are made from changed."""
        observe = cached_reference_observations if self.cached else reference_observations
        return observe(chapter, worker, seed=self.seed if seed is None else seed, limits=self.limits)

    def grade(
        self, chapter: Chapter, submission: Submission, *, limits: Limits | None = None,
        worker: Worker | None = None, reference: dict[str, Observation] | None = None,
        pictures: Path | None = None, pictures_of_hidden: bool = True,
    ) -> SubmissionResult:  # fmt: skip
        """`reference`: observations made elsewhere (a batch observes them once and passes them
        to every worker or machine); default: this session's own. `pictures`: the folder for
        the PNGs of picture checks (none written without it; a hidden check's only with
        `pictures_of_hidden`)."""
        return grade_submission(
            chapter, submission, worker or self.worker,
            self.reference(chapter) if reference is None else reference,
            seed=self.seed, limits=limits or self.limits, pictures=pictures,
            pictures_of_hidden=pictures_of_hidden,
        )  # fmt: skip

    def close(self) -> None:
        """Stops the workers this session started (all of them started, or some, when one
        failed to start); borrowed ones stay warm for their owner."""
        if self._owned:
            for worker in getattr(self, "workers", []):
                worker.shutdown()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
