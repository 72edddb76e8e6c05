"""Data that crosses a boundary: sandbox <-> grader, grader <-> renderers and files.

Every model is frozen and forbids unknown fields, so a malformed message from the sandbox is a
validation error (turned into a failed check), never silently accepted data.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator


class Model(BaseModel):
    # NaN and inf travel as JSON's NaN/Infinity, not null: "got nan" is feedback a student needs
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="constants")


# --- what a probe observes, inside the sandbox -------------------------------------------------


class Case(Model):
    """One input the probe tried and what the code under test did with it."""

    label: str = Field(description="the call as a student reads it, e.g. dense_params(3, 32)")
    value: Any = Field(default=None, description="plain JSON data: numbers, lists, dicts, str")
    error: str | None = Field(default=None, description="exception raised by the code under test")
    image: Any = Field(default=None, description="the input a picture of this case is drawn over (a "
                       "Grad-CAM's image): shown, never judged")


class BannedCall(Model):
    """A call of a banned API made by the submission's own code while a probe ran."""

    api: str = Field(description="the ban's dotted path, e.g. keras.Model.count_params")
    function: str = Field(description="the submission's function that made the call")
    line: int
    imported: bool = Field(default=False, description="an import of a banned module, not a call")


class Observation(Model):
    kind: Literal["observation"] = "observation"
    check: str
    cases: list[Case] = []
    error: str | None = Field(default=None, description="the probe could not run at all")
    seconds: float = 0.0
    banned: list[BannedCall] = Field(default=[], description="banned APIs seen called at run time")

    @model_serializer(mode="wrap")
    def _without_empty_banned(self, handler: Any) -> Any:
        """Only a submission's observation can carry banned calls: written only when there are
        some, so the recorded reference observations stay as they were."""
        data = handler(self)
        if isinstance(data, dict) and not data.get("banned"):
            data.pop("banned", None)
        return data


class ProbeStarted(Model):
    kind: Literal["started"] = "started"
    check: str


CALLED_FROM = "; called from "  # joins the outer frames of an import failure onto its one line


class ModuleImported(Model):
    kind: Literal["imported"] = "imported"
    module: str
    error: str | None = Field(default=None, description="the failure, with the student's outer frames after "
                              "CALLED_FROM, innermost first")


class Tampered(Model):
    """The child saw the submission reach for the probe's state: refused (an audit hook stopped
    it) or done (the probe machinery was found changed, so what it observes since is not
    trusted and the points are withheld)."""

    kind: Literal["tampered"] = "tampered"
    what: str = Field(description="what the submission did, for the instructor")
    withheld: bool = Field(default=False, description="observations can no longer be trusted")


ChildEvent = Annotated[Observation | ProbeStarted | ModuleImported | Tampered, Field(discriminator="kind")]


# --- the job a worker runs, and how it ended ----------------------------------------------------


class Limits(Model):
    """Per-submission limits; every field is enforced by the kernel or by the worker's clock.

    Time limits count the submission's own CPU time, so that another job's load (a classmate's
    busy processes on the other worker) cannot time it out; wall time is a generous bound only,
    for code that sleeps or blocks."""

    wall_s: float = Field(default=60.0, description="wall time for the whole submission: a bound for "
                          "code that sleeps or blocks, not a measure of its work")
    check_s: float = Field(default=20.0, description="CPU seconds for one check (or the import), "
                           "counted in the submission's process; a check that sleeps is stopped "
                           "after 10 times as many seconds of wall time (grader.sandbox.child)")
    cpu_s: int = Field(default=120, description="CPU seconds for the whole submission, summed over "
                       "every process it starts (and RLIMIT_CPU for each)")
    memory_mb: int = Field(default=2048, description="memory on top of the warm worker's")
    processes: int = Field(default=256, description="processes and threads (RLIMIT_NPROC)")
    file_mb: int = Field(default=16, description="largest file the submission may write")
    output_kb: int = Field(default=64, description="stdout/stderr kept for the report")
    result_mb: int = Field(default=32, description="largest observation stream accepted")


class ProbeCall(Model):
    check: str
    module: str = Field(description="module passed to the probe: the submission or a reference")
    watch: bool = Field(default=False, description="record calls of the check's banned APIs: set "
                        "for a submission, never for reference modules (they call Keras on purpose)")


class Job(Model):
    files: dict[str, str] = Field(description="file name -> source, written to a private scratch; "
                                  "they reach the child through the exchange folder, and travel "
                                  "to the worker empty")
    check_sources: dict[str, str] = Field(description="module name -> source of check modules")
    calls: list[ProbeCall]
    seed: int
    limits: Limits
    token: str = Field(description="fresh per job; starts every line the probe code writes, so a "
                       "line without it was written by the submission")
    notebook: bool = Field(default=False, description="the module's code came from a notebook: "
                           "IPython's display() and get_ipython() exist for it, as in Jupyter")

    @property
    def exchange_name(self) -> str:
        """The job's file names in the exchange folder: derived from the token, never the token
        itself, which the submission could read back from its open files' names."""
        return hashlib.sha256(self.token.encode()).hexdigest()[:32]


class JobEnd(Model):
    """How the sandboxed process ended, as the worker saw it (never as the submission says)."""

    events: str = Field(default="", description="raw lines the child wrote on the events pipe")
    exit_code: int | None = None
    signal: int | None = None
    timed_out: bool = False
    out_of_memory: bool = False
    cpu_exceeded: bool = Field(default=False, description="the job's processes together used up cpu_s")
    disk_exceeded: bool = Field(default=False, description="the job's files took more disk than its scratch may")
    result_overflow: bool = False
    output_tail: str = ""
    seconds: float = 0.0
    scratch: str = Field(default="", description="the job's scratch folder, cut from paths in its output")
    worker_retired: str = Field(default="", description="why the worker could not get back to a clean "
                                "state after this job (it exits, and a fresh one serves the next)")


class WorkerInfo(Model):
    """What a warm worker reports once TensorFlow is imported."""

    python: str
    tensorflow: str
    keras: str
    numpy: str
    device: str
    uid: int | None = Field(description="uid submissions run as; None when privileges stay")


# --- results, outside ---------------------------------------------------------------------------


CheckStatus = Literal["passed", "partial", "failed", "error"]


class CheckResult(Model):
    name: str
    description: str
    points: float
    score: float
    hidden: bool
    status: CheckStatus
    feedback: list[str] = []
    seconds: float = 0.0
    pictures: list[str] = Field(default=[], description="PNG files written for this check")
    cases: int = Field(default=0, description="how many cases the reference has")
    failed_cases: list[str] = Field(default=[], description="labels of the cases the student "
                                    "did not match: a hidden check's feedback shows these alone "
                                    "under --hidden-feedback inputs")


SubmissionStatus = Literal[
    "completed", "syntax_error", "timed_out", "out_of_memory", "crashed", "unreadable", "tampered",
    "missing",  # a roster student with no submission (made at export time, never stored)
    "error",  # the grader could not grade it (its reference, its own code, a lost worker)
]


class Environment(Model):
    seed: int
    python: str = ""
    tensorflow: str = ""
    keras: str = ""
    numpy: str = ""
    device: str = ""
    isolation: list[str] = Field(default=[], description="the protections that were in force")
    limits: Limits = Limits()


class SubmissionResult(Model):
    chapter: str
    submission: str
    status: SubmissionStatus
    checks: list[CheckResult] = []
    messages: list[str] = Field(default=[], description="what went wrong outside any one check")
    output_tail: str = ""
    environment: Environment
    seconds: float = 0.0
    score: float = Field(default=0.0, description="sum of the checks' scores; derived")
    max_score: float = Field(default=0.0, description="sum of the checks' points; derived")
    retryable: bool = Field(default=False, description="the grader or the machine, not the "
                            "submission, decided part of this result (always so for status "
                            "'error'): a batch grades it again when the same command runs again")

    @model_validator(mode="before")
    @classmethod
    def _totals(cls, data: Any) -> Any:
        """Totals are derived from the checks, whatever a caller or a file says; an `error`
        result is always retryable."""
        if isinstance(data, dict):
            checks = [CheckResult.model_validate(c) for c in data.get("checks", [])]
            data = {**data, "checks": checks}
            data["score"] = round(sum(c.score for c in checks), 4)
            data["max_score"] = round(sum(c.points for c in checks), 4)
            if data.get("status") == "error":
                data["retryable"] = True
        return data
