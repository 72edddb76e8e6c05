"""A grading session: one warm worker plus the reference observations it has made.

Everything that grades goes through a Session, so the student's `grade chapterN`, `grade
validate` and the tests use the very same worker, limits and judges.
"""

from __future__ import annotations

from grader.course import Chapter, Course
from grader.grading import DEFAULT_SEED, grade_submission, reference_observations
from grader.models import Limits, Observation, SubmissionResult
from grader.sandbox.client import Worker
from grader.submission import Submission


class Session:
    """>>> with Session(find_course()) as s: result = s.grade(chapter, submission)"""

    def __init__(
        self, course: Course, *, seed: int = DEFAULT_SEED, limits: Limits = Limits(),
        device: str = "cpu",
    ) -> None:  # fmt: skip
        self.course, self.seed, self.limits = course, seed, limits
        self.worker = Worker(course.root, device=device)
        self._references: dict[str, dict[str, Observation]] = {}

    def reference(self, chapter: Chapter) -> dict[str, Observation]:
        """Reference observations, computed once per chapter and session."""
        if chapter.name not in self._references:
            self._references[chapter.name] = reference_observations(
                chapter, self.worker, seed=self.seed, limits=self.limits
            )
        return self._references[chapter.name]

    def grade(
        self, chapter: Chapter, submission: Submission, *, limits: Limits | None = None
    ) -> SubmissionResult:
        return grade_submission(
            chapter, submission, self.worker, self.reference(chapter),
            seed=self.seed, limits=limits or self.limits,
        )  # fmt: skip

    def close(self) -> None:
        self.worker.shutdown()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
