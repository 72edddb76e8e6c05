"""How a chapter declares its checks.

A check is a probe (runs inside the sandbox, with the submission imported, and records cases) plus
a comparison (runs outside, in the grader, on the student's and the reference's cases)::

    from grader.checks import ChapterSpec, check
    from grader.judges import close

    CHAPTER = ChapterSpec(title="Fundamentals", module="fundamentals")

    NO_KERAS_COUNTING = {"keras.Model.count_params": "counts with Keras; count by hand"}

    @check(points=2, compare=close(rtol=0), forbid=NO_KERAS_COUNTING, reference="oracle")
    def dense_params(sub, ctx):
        "Parameters of a Dense layer."
        for n_in, units in [(3, 32), (32, 10)]:
            ctx.case(f"dense_params({n_in}, {units})", sub.dense_params, n_in, units)

Check modules are trusted code: the grader imports them to learn points and comparisons, and
sends their source into the sandbox to run the probes. They must not import TensorFlow at
module level (the grader never imports it); probes import it inside, where it is already warm.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import sys
import time
import traceback
import types
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from grader.bans import Ban, as_bans, watching
from grader.judges import Compare, exact
from grader.models import CALLED_FROM, MAX_LINE, MAX_TEXT, Case, Observation, shortened

class CheckTimeout(BaseException):
    """Raised by the sandbox's alarm; a BaseException so `except Exception` in a submission
    does not swallow it, and re-raised past the places that turn student errors into data."""


Probe = Callable[[types.ModuleType, "ProbeContext"], None]


class ChapterSpec(BaseModel):
    """The chapter's own declaration, in `exercises/chapterN/checks.py` as `CHAPTER`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    module: str = Field(description="the student's module, e.g. 'fundamentals' for fundamentals.py")
    summary: str = ""


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    points: float
    probe: Probe
    compare: Compare
    hidden: bool = False
    partial: bool = True
    forbid: tuple[Ban, ...] = ()
    allow_in: tuple[str, ...] = ()
    graded: tuple[str, ...] | None = None
    reference: str = "solution"
    gpu_compare: Compare | None = None
    picture: bool = False

    def comparison(self, device: str) -> Compare:
        """The comparison for results computed on `device` ("cpu", "gpu:0", ...)."""
        return self.gpu_compare if device.startswith("gpu") and self.gpu_compare else self.compare


def check(
    *,
    points: float,
    compare: Compare = exact(),
    partial: bool = True,
    forbid: Mapping[str, str] | Iterable[Ban] = (),
    allow_in: list[str] | tuple[str, ...] = (),
    graded: list[str] | tuple[str, ...] | None = None,
    reference: str = "solution",
    gpu_compare: Compare | None = None,
    picture: bool = False,
) -> Callable[[Probe], Check]:
    """Declare a check from its probe.

    points: full marks; with `partial` the share of cases that match earns its share of points.
    compare: how a student's case value is compared with the reference's (see grader.judges).
    forbid: APIs the graded code may not use, {dotted path: reason}, e.g.
        {"keras.Model.count_params": "counts with Keras; count by hand"} (or Ban objects). A path
        names a real API (a module, function, class, or a method as `keras.Model.summary`),
        resolved through the submission's imports; only the functions the check grades, and
        what they call in the same file, are read (see grader.bans). A use zeroes the check, with
        the line and the reason; a call seen at run time does too.
    allow_in: top-level functions of the submission where the banned APIs are allowed after
        all, even when graded code calls them (e.g. a `train_step` that must use tf.GradientTape).
    graded: the submission's top-level names the check grades, for its bans; by default the
        names its probe reads off the submission (`sub.dense_params`, `getattr(sub, "relu")`).
    reference: module of `solutions/chapterN/` the reference observation comes from; "solution"
        is the reference solution itself, another name (e.g. "oracle") a module built on Keras.
    gpu_compare: the comparison to use instead when the submission ran on a GPU, for checks whose
        tolerance must widen there (TF32 matrix units round float32 products to ~1e-3).
    picture: every case value is a 2-D map (e.g. a heatmap); the feedback gets a PNG of the
        student's map beside the reference's for the first case that differs (or the first).
    A check defined in `solutions/chapterN/hidden_checks.py` is hidden.
    """

    def wrap(probe: Probe) -> Check:
        doc = (probe.__doc__ or probe.__name__).strip().splitlines()[0]
        return Check(
            name=probe.__name__,
            description=doc,
            points=float(points),
            probe=probe,
            compare=compare,
            partial=partial,
            forbid=as_bans(forbid),
            allow_in=tuple(allow_in),
            graded=None if graded is None else tuple(graded),
            reference=reference,
            gpu_compare=gpu_compare,
            picture=picture,
        )

    return wrap


def checks_in(module: types.ModuleType, *, hidden: bool) -> list[Check]:
    """The checks a module defines, in definition order."""
    found = [v for v in vars(module).values() if isinstance(v, Check)]
    if hidden:
        found = [dataclasses.replace(c, hidden=True) for c in found]
    return found


@functools.lru_cache(maxsize=32)
def compiled(source: str, filename: str) -> types.CodeType:
    """Compiling a check module costs milliseconds: the warm worker compiles each source once,
    before it forks, and every child executes the cached code."""
    return compile(source, filename, "exec")


def load_check_modules(sources: dict[str, tuple[str, str]]) -> dict[str, types.ModuleType]:
    """Execute check modules from source, in order: name -> (source, filename).

    Each is importable by its name while the later ones load, so `hidden_checks.py` can share
    the helpers of `checks.py` with `from checks import helper`. The same function loads them in
    the grader and in the sandbox, where no chapter file exists on disk.
    """
    saved = {name: sys.modules.get(name) for name in sources}
    modules: dict[str, types.ModuleType] = {}
    try:
        for name, (source, filename) in sources.items():
            module = types.ModuleType(name)
            module.__file__ = filename
            sys.modules[name] = module
            exec(compiled(source, filename), module.__dict__)
            modules[name] = module
    finally:
        for name, previous in saved.items():
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous
    return modules


def seed_for(seed: int, check_name: str) -> np.random.SeedSequence:
    """The same seed and check always give the same inputs, whatever order checks run in."""
    return np.random.SeedSequence([seed, zlib.crc32(check_name.encode())])


@dataclass
class ProbeContext:
    """What a probe gets besides the module under test: seeded randomness and a case recorder."""

    check: str
    seed: int
    cases: list[Case] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(seed_for(self.seed, self.check))

    def case(self, label: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call `fn`, record its result (or the exception it raised) under `label`; return it."""
        try:
            value = fn(*args, **kwargs)
            plain = to_plain(value)
        except CheckTimeout:
            raise
        except BaseException as exc:  # the student's failure is data, sys.exit() included
            self.cases.append(Case(label=self._unique(label), error=describe(exc)))
            return None
        self.cases.append(Case(label=self._unique(label), value=plain))
        return value

    def show_over(self, image: Any) -> None:
        """The input the last case explains (a Grad-CAM's image): its picture is drawn over it.
        Kept apart from the value, so it is never judged; three decimals are plenty to draw."""
        shown = np.round(np.asarray(image, dtype=float), 3)
        self.cases[-1] = self.cases[-1].model_copy(update={"image": to_plain(shown)})

    def record(self, label: str, value: Any) -> None:
        """Record a value the probe computed itself (e.g. the output of a model it built)."""
        self.cases.append(Case(label=self._unique(label), value=to_plain(value)))

    def _unique(self, label: str) -> str:
        """Cases are matched to the reference's by label, and random sizes can draw the same
        label twice: a repeat gets its ordinal ("... #2"), the same on both sides."""
        taken = {c.label for c in self.cases}
        n = 1
        while (numbered := label if n == 1 else f"{label} #{n}") in taken:
            n += 1
        return numbered


def run_probe(chk: Check, module: types.ModuleType | None, seed: int, *, watch: bool = False) -> Observation:
    """Run one probe; every exception becomes part of the observation.

    Keras initialisers draw from the global seed, so it is set from (seed, check) first: the
    student and the reference draw the same weights. With `watch` (a submission, never a
    reference), calls of the check's banned APIs from the module's code are recorded. Only
    called where TensorFlow is warm."""
    import keras

    keras.utils.set_random_seed(int(seed_for(seed, chk.name).generate_state(1)[0]) % 2**31)
    ctx = ProbeContext(check=chk.name, seed=seed)
    start = time.perf_counter()
    error = None
    bans = chk.forbid if watch and module is not None else ()
    with watching(bans, module, chk.allow_in) as banned:
        try:
            chk.probe(module, ctx)
        except CheckTimeout:
            raise
        except BaseException as exc:
            error = describe(exc)
    return Observation(
        check=chk.name, cases=ctx.cases, error=error, seconds=time.perf_counter() - start,
        banned=banned,
    )


def describe(exc: BaseException, *, chain: bool = False) -> str:
    """One line a student can act on: type, message and the line of their code that raised.
    With `chain` (an import failure), the outer lines of their code that led there too, each
    after CALLED_FROM, innermost first: the call at module level that started it comes last.
    Each part the submission wrote (a name, the message, a line of its source) keeps MAX_TEXT
    characters, the whole MAX_LINE: its start and its end."""
    # the submission's files are in the job's scratch, which the child names in TMPDIR (the
    # current folder is wherever the submission went, and may be too deep to name)
    scratch = os.environ.get("TMPDIR", "")
    mine = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.dirname(f.filename) == scratch]
    where: list[str] = []
    for f in reversed(mine):
        file, line = shortened(os.path.basename(f.filename)), shortened(f"{f.line}")
        frame = _printable(f"{file}, line {f.lineno}: {line}")
        if not where or where[-1] != frame:  # a comprehension is a frame of its own on the same line
            where.append(frame)
    text = _first_paragraph(str(exc))
    if isinstance(exc, MemoryError):
        text = "out of memory (the sandbox's memory limit was reached)"
    name = shortened(type(exc).__name__)
    line = f"{name}: {text}" if text else name
    if where:
        line += f" ({where[0]})" + (CALLED_FROM + CALLED_FROM.join(where[1:]) if chain and where[1:] else "")
    return as_utf8(shortened(line, MAX_LINE))


def _printable(text: str) -> str:
    """Text of the submission's choosing (a file name it compiled code under) on one line:
    control characters escaped, so that it cannot start a line of its own in the feedback."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


MAX_MESSAGE = MAX_TEXT  # characters of an exception's message kept: its start and its end
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Keras 3 wraps an error raised in a layer's call: the reason is its second paragraph
_KERAS_CALL = re.compile(r"Exception encountered when calling (\S+?)\.?\s*\n\n(.*?)(?:\n\nArguments received by .*)?\Z", re.S)


def _first_paragraph(message: str) -> str:
    """An exception's message up to its first blank line, on one line: a value printed in the
    middle (an array's lines) must not cut off the reason that follows it. Keras's "Exception
    encountered when calling X.call()" gives way to the reason it wraps. A long message keeps
    its start and its end."""
    message = _ANSI.sub("", message).strip()
    calls = []
    while found := _KERAS_CALL.match(message):
        calls.append(found.group(1))
        message = found.group(2).strip()
    paragraphs = message.split("\n\n")
    kept = paragraphs[:2] if paragraphs[0].rstrip().endswith(":") else paragraphs[:1]  # "Error encountered:"
    text = shortened(" ".join(" ".join(kept).split()), MAX_MESSAGE)
    return f"{text} (when calling {calls[-1]})" if calls else text


def as_utf8(text: str) -> str:
    """Text that can be sent: a lone surrogate (from surrogateescape, or made on purpose) is
    escaped, or the whole event it is part of could not be written."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def to_plain(value: Any) -> Any:
    """Numbers, lists, dicts and strings only: what JSON carries and a judge can trust."""
    if isinstance(value, str):
        return as_utf8(str(value))
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, dict):
        return {as_utf8(str(k)): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if hasattr(value, "numpy"):  # tf / keras tensors
        value = value.numpy()
    if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
        array = np.asarray(value)
        if array.dtype == object:
            raise TypeError(f"cannot grade an array of Python objects ({array.shape})")
        if array.dtype.kind == "b":
            return array.tolist()
        return array.astype(float).tolist() if array.dtype.kind == "f" else array.tolist()
    raise TypeError(f"cannot grade a value of type {type(value).__name__}")
