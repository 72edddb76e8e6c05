"""Data that crosses a boundary: sandbox <-> grader, grader <-> renderers and files.

Every model is frozen and forbids unknown fields, so a malformed message from the sandbox is a
validation error (turned into a failed check), never silently accepted data.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Annotated, Any, ClassVar, Iterable, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_serializer, model_validator


class Model(BaseModel):
    # NaN and inf travel as JSON's NaN/Infinity, not null: "got nan" is feedback a student needs
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="constants")


# --- how much of what a submission controls a result keeps --------------------------------------
# A 0.9 MB line of a submission's source, quoted in every case's error, once made one entry's
# results 84 MB (gradebook row, results.jsonl, feedback, Gradescope, report). Texts are capped
# where they cross into the grader (the events a child writes, which a submission can forge) and
# again where results are built, so one entry stays within ~64 KiB whatever it does.

MAX_TEXT = 400  # characters of one text of the submission's: a message, a line of its source, a name
MAX_LINE = 1000  # characters of one line of a result: an error and where it was raised, feedback, a note
MAX_LINES = 10  # feedback lines of one check, the last saying how many more there were
MAX_NOTES = 12  # notes of one result, likewise
MAX_OUTPUT = 8 << 10  # bytes of printed output a result keeps (its end), as JSON escapes it
MAX_FEEDBACK = 32 << 10  # bytes of one result's feedback and notes together, as JSON escapes them


def shortened(text: str, limit: int = MAX_TEXT) -> str:
    """At most `limit` characters: past it, the start and the end around " ... "."""
    if len(text) <= limit:
        return text
    end = min(120, limit * 3 // 10)
    return f"{text[:max(limit - end - 10, 0)]} ... {text[-end:]}"


def at_most(lines: list[str], limit: int, what: str) -> list[str]:
    """The first `limit` - 1 lines and how many more there were, past `limit` lines."""
    return lines if len(lines) <= limit else [*lines[:limit - 1], f"... and {len(lines) - limit + 1} more {what}"]


def json_size(texts: Iterable[str]) -> int:
    """Bytes the texts take in JSON with non-ASCII escaped (results.jsonl): control characters
    take 6, an emoji 12; the measure of what a result holds."""
    return sum(len(json.dumps(t)) for t in texts)


def last_of(text: str, size: int = MAX_OUTPUT) -> str:
    """The end of `text` that takes at most `size` bytes of JSON."""
    text = text[-size:]
    while (taken := json_size([text])) > size:
        text = text[len(text) - len(text) * size // taken:]  # the share that fits, and less
    return text


# a text that may be the submission's, as every model holds it: MAX_LINE characters, start and end
Text = Annotated[str, AfterValidator(functools.partial(shortened, limit=MAX_LINE))]


# --- what a probe observes, inside the sandbox -------------------------------------------------


class Case(Model):
    """One input the probe tried and what the code under test did with it."""

    label: Text = Field(description="the call as a student reads it, e.g. dense_params(3, 32)")
    value: Any = Field(default=None, description="plain JSON data: numbers, lists, dicts, str; judged, "
                       "and quoted only as judges word it (grader.judges: 80 characters)")
    error: Text | None = Field(default=None, description="exception raised by the code under test")
    image: Any = Field(default=None, description="the input a picture of this case is drawn over (a "
                       "Grad-CAM's image): shown, never judged")


class BannedCall(Model):
    """A call of a banned API made by the submission's own code while a probe ran."""

    api: Text = Field(description="the ban's dotted path, e.g. keras.Model.count_params")
    function: Text = Field(description="the submission's function that made the call")
    line: int
    imported: bool = Field(default=False, description="an import of a banned module, not a call")


class Observation(Model):
    kind: Literal["observation"] = "observation"
    check: Text
    cases: list[Case] = []
    error: Text | None = Field(default=None, description="the probe could not run at all")
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
    check: Text


CALLED_FROM = "; called from "  # joins the outer frames of an import failure onto its one line


class ModuleImported(Model):
    kind: Literal["imported"] = "imported"
    module: Text
    error: Text | None = Field(default=None, description="the failure, with the student's outer frames after "
                              "CALLED_FROM, innermost first")


class Tampered(Model):
    """The child saw the submission reach for the probe's state: refused (an audit hook stopped
    it) or done (the probe machinery was found changed, so what it observes since is not
    trusted and the points are withheld)."""

    kind: Literal["tampered"] = "tampered"
    what: Text = Field(description="what the submission did, for the instructor")
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
    output_kb: int = Field(default=64, description="stdout/stderr read back after the job (a result "
                           "keeps the end of it: MAX_OUTPUT)")
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
    memory_mb: int = Field(default=0, description="the memory limit it ran under: Limits.memory_mb, or less "
                           "where the container has less left (grader.sandbox.cgroup)")
    scratch: str = Field(default="", description="the job's scratch folder, cut from paths in its output")
    worker_retired: str = Field(default="", description="why the worker could not get back to a clean "
                                "state after this job (it exits, and a fresh one serves the next)")


class Stack(Model):
    """The versions a course is judged on: Keras' numbers (an initialiser's draws, a penalty's
    sum) may change with them, so a recording says which made it and a grade says where it ran."""

    python: str
    tensorflow: str
    keras: str
    numpy: str

    NAMES: ClassVar[dict[str, str]] = {"python": "Python", "tensorflow": "TensorFlow", "keras": "Keras", "numpy": "NumPy"}

    @classmethod
    def of(cls, versions: Model) -> "Stack":
        """The stack a worker's info or a result's environment names."""
        return cls.model_validate(versions.model_dump(include=set(cls.model_fields)))

    def differing(self, other: "Stack") -> list[str]:
        return [f for f in type(self).model_fields if getattr(self, f) != getattr(other, f)]

    def named(self, fields: Iterable[str] | None = None) -> list[str]:
        """Its versions as people write them ("Keras 3.15.1"): all, or `fields` only."""
        return [f"{self.NAMES[f]} {getattr(self, f)}" for f in (self.NAMES if fields is None else fields)]

    def __str__(self) -> str:
        return " · ".join(self.named())


class WorkerInfo(Stack):
    """What a warm worker reports once TensorFlow is imported: the one place the running
    versions are read (`Stack.of(worker.info)`)."""

    device: str
    uid: int | None = Field(description="uid submissions run as; None when privileges stay")


# --- results, outside ---------------------------------------------------------------------------


CheckStatus = Literal["passed", "partial", "failed", "error"]


class CheckResult(Model):
    # validated again inside a SubmissionResult: a copy made with model_copy skips validation
    model_config = ConfigDict(revalidate_instances="always")

    name: str
    description: str
    points: float
    score: float
    hidden: bool
    status: CheckStatus
    feedback: list[Text] = Field(default=[], description=f"at most {MAX_LINES} lines")
    seconds: float = 0.0
    pictures: list[str] = Field(default=[], description="PNG files written for this check")
    cases: int = Field(default=0, description="how many cases the reference has")
    failed_cases: list[Text] = Field(default=[], description="labels of the cases the student "
                                     "did not match: a hidden check's feedback shows these alone "
                                     "under --hidden-feedback inputs")

    @field_validator("feedback")
    @classmethod
    def _few_lines(cls, lines: list[str]) -> list[str]:
        return at_most(lines, MAX_LINES, "lines")


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
    messages: list[Text] = Field(default=[], description="what went wrong outside any one check")
    output_tail: str = Field(default="", description="the end of what the submission printed "
                             f"(MAX_OUTPUT: {MAX_OUTPUT >> 10} KiB as JSON escapes it)")
    hidden_output: str | None = Field(default=None, description="None: hidden checks, if any, ran in "
                                      "the same run as the rest, and output_tail holds what they "
                                      "printed too (their inputs, say); else they ran apart, and "
                                      "this is the end of what that run printed")
    environment: Environment
    seconds: float = 0.0
    score: float = Field(default=0.0, description="sum of the checks' scores; derived")
    max_score: float = Field(default=0.0, description="sum of the checks' points; derived")
    retryable: bool = Field(default=False, description="the grader or the machine, not the "
                            "submission, decided part of this result (always so for status "
                            "'error'): a batch grades it again when the same command runs again")

    @field_validator("messages")
    @classmethod
    def _few_notes(cls, lines: list[str]) -> list[str]:
        return at_most(lines, MAX_NOTES, "notes")

    @field_validator("output_tail", "hidden_output")
    @classmethod
    def _tail(cls, text: str | None) -> str | None:
        return None if text is None else last_of(text)

    @model_validator(mode="before")
    @classmethod
    def _totals(cls, data: Any) -> Any:
        """Totals are derived from the checks, whatever a caller or a file says; an `error`
        result is always retryable; feedback and notes together fit in MAX_FEEDBACK."""
        if isinstance(data, dict):
            checks = [CheckResult.model_validate(c) for c in data.get("checks", [])]
            data = {**data, "checks": checks}
            messages = data.get("messages", [])
            if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
                data["checks"], data["messages"] = _within_budget(checks, at_most(messages, MAX_NOTES, "notes"))
            data["score"] = round(sum(c.score for c in checks), 4)
            data["max_score"] = round(sum(c.points for c in checks), 4)
            if data.get("status") == "error":
                data["retryable"] = True
        return data


def _within_budget(checks: list[CheckResult], notes: list[str]) -> tuple[list[CheckResult], list[str]]:
    """Checks and notes whose lines together take at most MAX_FEEDBACK bytes of JSON: lines
    longer than a limit halved until they fit are shortened to it, so short lines stay whole."""
    limit = MAX_LINE
    notes = [shortened(n, limit) for n in notes]
    while json_size([*notes, *(f for c in checks for f in c.feedback)]) > MAX_FEEDBACK and limit > 16:
        limit //= 2
        notes = [shortened(n, limit) for n in notes]
        checks = [c.model_copy(update={"feedback": [shortened(f, limit) for f in c.feedback]}) for c in checks]
    return checks, notes
