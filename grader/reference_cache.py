"""Reference observations kept on disk between runs, keyed by everything that makes them.

Observing the reference costs as much as grading a submission (chapter 1's oracle builds real
Keras models: ~0.8 s), and `grade chapterN` and `grade validate` paid it at every run although
nothing it depends on had changed. The key is a sha256 of what the observation is made from: the
check sources that run, the reference modules, the names of the checks observed, the seed, the
grader's own source, the stack (Python, TensorFlow, Keras, NumPy), the device and the CPU. A
change to any of them is a miss, observed live again; only observations without a problem are
kept.

Only the instructor's own commands use it (`grade chapterN`, `grade validate`): a batch and the
platforms' graders observe once per run anyway, and trust nothing on disk but the course. The
folder is `$TF_GRADER_CACHE`, else `$XDG_CACHE_HOME/tf-grader` (`~/.cache/tf-grader`), private
to its owner (hidden checks' expected values are in it); `TF_GRADER_CACHE=off` turns it off. A
cache that cannot be read or written is no error: the reference is observed live.
"""

from __future__ import annotations

import os
import platform
import tempfile
from pathlib import Path

from pydantic import ValidationError

import grader
from grader.course import Chapter
from grader.grading import reference_files, reference_observations
from grader.judges import reference_problem
from grader.models import Limits, Model, Observation, WorkerInfo
from grader.recorded import fingerprint
from grader.sandbox.client import Worker

CACHE_ENV = "TF_GRADER_CACHE"


class CachedReference(Model):
    key: str
    observations: dict[str, Observation]


def cache_dir() -> Path | None:
    """The cache's folder (None: turned off)."""
    named = os.environ.get(CACHE_ENV)
    if named:
        return None if named == "off" else Path(named)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tf-grader"


def cache_key(chapter: Chapter, seed: int, info: WorkerInfo) -> str:
    package = Path(grader.__file__).parent
    return fingerprint([
        ("chapter", chapter.name), ("seed", str(seed)), ("stack", info.model_dump_json(exclude={"uid"})),
        ("machine", platform.machine()), ("cpu", _cpu()), ("checks observed", " ".join(c.name for c in chapter.checks)),
        *sorted(chapter.check_sources.items()),
        *sorted(reference_files(chapter).items()),
        *((str(p.relative_to(package)), p.read_text(encoding="utf-8")) for p in sorted(package.rglob("*.py"))),
    ])  # fmt: skip


def _cpu() -> str:
    """The CPU's model: TensorFlow's kernels (oneDNN) may sum in another order on another."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            return next((line for line in f if line.startswith("model name")), "")
    except OSError:
        return ""


def cached_reference_observations(
    chapter: Chapter, worker: Worker, *, seed: int, limits: Limits
) -> dict[str, Observation]:
    """`reference_observations`, read from the cache when nothing it is made from changed."""
    folder = cache_dir()
    if folder is None:
        return reference_observations(chapter, worker, seed=seed, limits=limits)
    key = cache_key(chapter, seed, worker.info)
    path = folder / f"{chapter.name}-{key[:32]}.json"
    try:
        cached = CachedReference.model_validate_json(path.read_bytes())
        if cached.key == key and set(cached.observations) == {c.name for c in chapter.checks}:
            return cached.observations
    except (OSError, ValueError, ValidationError):
        pass
    observed = reference_observations(chapter, worker, seed=seed, limits=limits)
    if not any(reference_problem(o) for o in observed.values()):
        _write(path, CachedReference(key=key, observations=observed).model_dump_json())
    return observed


def _write(path: Path, text: str) -> None:
    """Whole or not at all (a temporary file renamed), readable by its owner only."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
