"""The hostile corpus (tests/data/hostile/), graded once per run in one batch with forty honest
classmates: tests/test_hostile.py asserts each case's result from it, and
tests/test_batch_integrity.py that no honest classmate's score changed.

Each case is a folder with the submission and the score, status and feedback it must get (see
tests/test_hostile.py). In the source, {{PORT}} (a TCP listener on the host's loopback),
{{UNIX_PATH}} and {{UNIX_ABSTRACT}} (a pathname and an abstract unix socket the host listens
on; each case that names one gets listeners of its own, so a reach is the case's), {{COURSE}},
{{EXPECTED}} (chapter 1's recorded observations, as JSON lines), {{SOLUTION}} (chapter 1's
reference, which an attack may ride on) and {{HUGE}} (900 KB of one letter) are filled in here.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from grader.batch import find_entries, run_batch
from grader.course import Course
from grader.gradebook import Gradebook
from grader.models import Limits, SubmissionResult
from grader.session import Session
from grader.validate import load_mutant, mutants

from modes import Processes

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(p for p in (ROOT / "tests/data/hostile").iterdir() if p.is_dir())
HONEST = 40
HUGE = "A" * 900_000
EXPECTED_LINES = "".join(json.dumps(o) + "\n" for o in
                         json.loads((ROOT / "exercises/chapter1/expected.json").read_text())["observations"].values())
SOCKETS = ("{{PORT}}", "{{UNIX_PATH}}", "{{UNIX_ABSTRACT}}")


class Listener:
    """A listener on the host that remembers whether anyone connected: TCP on the loopback by
    default, or a unix socket at `unix` (a path, or an abstract name starting with NUL)."""

    def __init__(self, unix: str | None = None) -> None:
        if unix is None:
            self.sock = socket.socket()
            self.sock.bind(("127.0.0.1", 0))
            self.port = self.sock.getsockname()[1]
        else:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.bind(unix)
            if not unix.startswith("\0"):
                os.chmod(unix, 0o777)  # anyone may connect, as to a service's socket
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self._thread.join()
        self.sock.close()


class HostListeners:
    """A TCP listener on the loopback, a pathname unix socket (in a folder anyone may enter) and
    an abstract unix socket, as services of the grader's machine (a Dask scheduler, a database)
    would have: no submission may connect to any."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="tfg-hostile-sockets-")
        os.chmod(self.folder, 0o755)
        self.unix_path = os.path.join(self.folder, "service.sock")
        self.abstract = f"tfg-hostile-{secrets.token_hex(6)}"
        self.tcp = Listener()
        self.listeners = [self.tcp, Listener(self.unix_path), Listener("\0" + self.abstract)]

    def fill(self, source: str) -> str:
        return (source.replace("{{PORT}}", str(self.tcp.port)).replace("{{UNIX_PATH}}", self.unix_path)
                .replace("{{UNIX_ABSTRACT}}", self.abstract))  # fmt: skip

    def reached(self) -> list[str]:
        names = ["tcp 127.0.0.1", f"unix {self.unix_path}", f"abstract unix @{self.abstract}"]
        return [name for name, listener in zip(names, self.listeners) if listener.connections]

    def close(self) -> None:
        for listener in self.listeners:
            listener.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def remove(path: str) -> None:
    """Remove a file, link or folder however deep, whoever owns it (what a case left)."""
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--", path], capture_output=True)


def honest_sources(course: Course) -> dict[str, str]:
    """Forty honest chapter-1 submissions: the reference with subsets of the planted mistakes
    applied (each a mistake an honest student could make), some of them twice."""
    chapter = course.chapter("chapter1")
    solution = (chapter.solution_dir / chapter.module_file).read_text()
    edits = [pair for path in mutants(chapter) for pair in load_mutant(path).replace]
    subsets = [s for n in range(len(edits) + 1) for s in itertools.combinations(range(len(edits)), n)]
    sources = {}
    for i in range(HONEST):
        source = solution
        for k in subsets[(i * 7) % len(subsets)]:
            old, new = edits[k]
            if source.count(old) == 1:
                source = source.replace(old, new)
        sources[f"honest{i:02d}"] = source
    return sources


def expected_of(case: Path) -> dict:
    return json.loads((case / "expected.json").read_text())


@dataclass
class HostileClass:
    """What one batch of the corpus and the honest classmates gave."""

    rows: dict[str, SubmissionResult]  # by case name or honest name
    honest: dict[str, str]  # name: source
    entries: int  # files in the class folder
    reached: dict[str, list[str]] = field(default_factory=dict)  # case: its listeners reached
    stayed: dict[str, list[str]] = field(default_factory=dict)  # case: what it left on the machine
    left: list[str] = field(default_factory=list)  # processes that outlived the batch


def grade_hostile_class(course: Course, folder: Path, limits: Limits) -> HostileClass:
    """Every case spread over the honest classmates, graded by `grade batch`'s own code on a
    fresh warm worker (one: each case's expected result is its own, never a neighbour's fork
    bomb's; tests/test_hostile.py's CPU hog and tests/test_sandbox_modes_attacks.py's snoop
    attack a job on the other worker), then what each case reached or left, and what outlived
    the batch."""
    chapter = course.chapter("chapter1")
    honest = honest_sources(course)
    solution = (ROOT / "solutions/chapter1/fundamentals.py").read_text()
    listeners: dict[str, HostListeners] = {}
    hostile = []
    for case in CASES:
        source = (case / "fundamentals.py").read_text()
        if any(mark in source for mark in SOCKETS):
            listeners[case.name] = HostListeners()
            source = listeners[case.name].fill(source)
        source = (source.replace("{{COURSE}}", str(ROOT)).replace("{{EXPECTED}}", repr(EXPECTED_LINES))
                  .replace("{{SOLUTION}}", solution).replace("{{HUGE}}", HUGE))  # fmt: skip
        hostile.append((case.name, source))
        for path in expected_of(case).get("leaves", []):
            remove(path)  # an earlier run's
    mixed = list(honest.items())
    for i, item in enumerate(hostile):  # spread the attacks over the class
        mixed.insert((i * len(mixed)) // len(hostile) + i, item)
    folder.mkdir(parents=True)
    for rank, (name, source) in enumerate(mixed):
        (folder / f"{rank:03d}-{name}.py").write_text(source)
    book = Gradebook(folder.parent / f"{folder.name}.sqlite")
    try:
        with Session(course, limits=limits) as session:
            processes = [Processes(uid) for uid in dict.fromkeys(w.info.uid for w in session.workers)]
            try:
                run_batch(session, chapter, find_entries(folder), book)
            finally:
                left = [p for watch in processes for p in watch.kill_left()]
        by_entry = book.results(chapter.name)
    finally:
        book.close()
        for each in listeners.values():
            each.close()
    graded = HostileClass(
        rows={name: by_entry[f"{rank:03d}-{name}"] for rank, (name, _) in enumerate(mixed)
              if f"{rank:03d}-{name}" in by_entry},
        honest=honest, entries=len(mixed), left=left,
        reached={name: each.reached() for name, each in listeners.items()},
    )  # fmt: skip
    for case in CASES:
        graded.stayed[case.name] = [p for p in expected_of(case).get("leaves", []) if os.path.lexists(p)]
        for path in graded.stayed[case.name]:
            remove(path)
    return graded
