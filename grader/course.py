"""Finding the course on disk: chapters in `exercises/chapterN/`, their solutions in `solutions/`.

The engine knows no chapter: a chapter is a folder with a `checks.py` that declares `CHAPTER`
(a ChapterSpec) and its public checks. `solutions/chapterN/` adds the reference solution, any
reference modules the checks name, and `hidden_checks.py`.
"""

from __future__ import annotations

import difflib
import os
import re
import types
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from grader.checks import Check, ChapterSpec, checks_in, load_check_modules
from grader.errors import BadInput

CHECKS_FILE = "checks.py"
HIDDEN_CHECKS_FILE = "hidden_checks.py"
_CHAPTER_DIR = re.compile(r"^chapter(\d+)$")


@dataclass(frozen=True)
class Chapter:
    name: str
    exercise_dir: Path
    solution_dir: Path | None

    @cached_property
    def _sources(self) -> dict[str, tuple[str, str]]:
        """The check modules' sources, read once: the grader and the sandbox run the same text
        even if a file changes on disk meanwhile."""
        files = {"checks": self.exercise_dir / CHECKS_FILE, "hidden_checks": self.hidden_checks_file}
        return {name: (path.read_text(), str(path)) for name, path in files.items() if path}

    @cached_property
    def _modules(self) -> dict[str, types.ModuleType]:
        try:
            return load_check_modules(self._sources)
        except Exception as exc:  # an instructor's broken checks file is bad input, in one line
            raise BadInput(f"cannot load the checks of {self.name}: {type(exc).__name__}: {exc}") from exc

    @property
    def _public(self) -> types.ModuleType:
        return self._modules["checks"]

    @cached_property
    def spec(self) -> ChapterSpec:
        spec = getattr(self._public, "CHAPTER", None)
        if not isinstance(spec, ChapterSpec):
            raise BadInput(f"{self.exercise_dir / CHECKS_FILE} does not declare CHAPTER")
        return spec

    @cached_property
    def checks(self) -> list[Check]:
        """Public checks, then hidden ones where `solutions/` is present."""
        found = checks_in(self._public, hidden=False)
        if "hidden_checks" in self._modules:
            found += checks_in(self._modules["hidden_checks"], hidden=True)
        names = [c.name for c in found]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise BadInput(f"{self.name}: checks defined twice: {', '.join(dupes)}")
        return found

    @property
    def hidden_checks_file(self) -> Path | None:
        if self.solution_dir is None:
            return None
        path = self.solution_dir / HIDDEN_CHECKS_FILE
        return path if path.is_file() else None

    @property
    def check_sources(self) -> dict[str, str]:
        """Sources of the check modules, by the module name they run under in the sandbox."""
        return {name: source for name, (source, _) in self._sources.items()}

    @property
    def module_file(self) -> str:
        return f"{self.spec.module}.py"

    @property
    def notebook_file(self) -> str:
        """The module as a notebook: what `grade notebook` writes and every locator looks for."""
        return f"{self.spec.module}.ipynb"

    def find(self, names: list[str]) -> list[Check]:
        """The named checks, or a BadInput that suggests the names that exist."""
        by_name = {c.name: c for c in self.checks}
        for name in names:
            if name not in by_name:
                raise BadInput(_unknown("check", name, list(by_name), f" in {self.name}"))
        return [by_name[n] for n in names]


def _unknown(kind: str, name: str, known: list[str], where: str = "") -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    return f"no {kind} {name!r}{where}.{hint} Known: {', '.join(known) or 'none'}"


@dataclass(frozen=True)
class Course:
    root: Path

    @property
    def has_solutions(self) -> bool:
        return (self.root / "solutions").is_dir()

    @cached_property
    def chapters(self) -> dict[str, Chapter]:
        found = []
        for path in (self.root / "exercises").iterdir():
            match = _CHAPTER_DIR.match(path.name)
            if match and (path / CHECKS_FILE).is_file():
                solution = self.root / "solutions" / path.name
                found.append((int(match.group(1)), path.name, path, solution))
        return {
            name: Chapter(name, path, solution if solution.is_dir() else None)
            for _, name, path, solution in sorted(found)
        }

    def chapter(self, name: str) -> Chapter:
        if name not in self.chapters:
            raise BadInput(_unknown("chapter", name, list(self.chapters)))
        return self.chapters[name]


def find_course(start: Path | None = None) -> Course:
    """The course: $TF_GRADER_COURSE, else the nearest folder up from `start` (the working
    directory) that holds `exercises/`, else the checkout this package was installed from."""
    env = os.environ.get("TF_GRADER_COURSE")
    if env:
        if not (Path(env) / "exercises").is_dir():
            raise BadInput(f"TF_GRADER_COURSE={env} holds no exercises/ folder")
        return Course(Path(env).resolve())
    here = (start or Path.cwd()).resolve()
    candidates = [here, *here.parents, Path(__file__).resolve().parent.parent]
    for path in candidates:
        if (path / "exercises").is_dir():
            return Course(path)
    raise BadInput("no course found: run grade inside a course folder (one holding exercises/)")
