"""Keep a submission away from the probe's state, in the process they share.

The probes run in the submission's process: the hidden checks' code, the seed and the channel
the results go out on are in its memory. Python reaches them through frames (a frame's `f_back`
leads to every caller's locals), through the heap (gc), through raw memory (ctypes,
/proc/self/mem) and by patching the probe machinery. Two layers:

- `AuditGuard`, a PEP 578 audit hook installed before the submission is imported, refuses those
  reaches when the submission's code asks (the nearest frame outside the standard library is
  the submission's), and lets TensorFlow, Keras, NumPy and the grader do the same things.
  Every refusal is reported (the row is flagged `tampered`) and raises `Refused` in the
  submission, with a message that says what is not allowed.
- `Snapshot` records the identity of everything in the probe machinery's namespaces (the
  grader's modules, its classes, builtins, NumPy) before the submission is imported; a change
  found after the import or after a probe means what is observed since cannot be trusted.
  Attribute assignment raises no audit event, so this is how patching is caught.

What neither stops (see the README's security paragraph): raw memory read through NumPy's
array interface (no audit event), and a patch made and undone within one probe.
"""

from __future__ import annotations

import builtins
import gc
import operator
import os
import sys
import sysconfig
import threading
import types
from pathlib import Path
from typing import Callable

import grader

FRAME_EVENTS = {"sys._getframe": "sys._getframe", "sys._current_frames": "sys._current_frames",
                "sys._current_exceptions": "sys._current_exceptions"}  # fmt: skip
FRAME_ATTRIBUTES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame"}
HEAP_EVENTS = {
    "gc.get_objects": "gc.get_objects", "gc.get_referrers": "gc.get_referrers",
    "gc.get_referents": "gc.get_referents", "sys.settrace": "sys.settrace",
    "sys.setprofile": "sys.setprofile", "sys.addaudithook": "sys.addaudithook",
}  # fmt: skip
CODE_EVENTS = {"compile", "code.__new__", "marshal.loads", "marshal.load"}
CTYPES_EVENTS = {f"ctypes.{name}" for name in (
    "dlopen", "dlsym", "dlsym/handle", "string_at", "wstring_at", "addressof", "cdata", "cdata/buffer",
    "call_function", "create_string_buffer", "create_unicode_buffer", "get_errno", "set_errno",
    "get_last_error", "set_last_error", "PyObj_FromPtr", "set_exception", "seh_exception")}  # fmt: skip
# one set lookup, and most events (builtins.id alone, thousands per check) are done with
WATCHED = frozenset({*FRAME_EVENTS, *HEAP_EVENTS, *CODE_EVENTS, *CTYPES_EVENTS,
                     "object.__getattr__", "object.__setattr__", "open"})  # fmt: skip
# Standard-library (and TensorFlow) functions that take a frame for their own use and hand
# nothing of it back: a module name for namedtuple/enum/typing, a file and line for logging.
CONSUMERS = {
    "sys": {("collections/__init__.py", "namedtuple"), ("enum.py", "_create_"), ("typing.py", "_caller"),
            ("logging/__init__.py", "findCaller"), ("warnings.py", "warn"), ("gettext.py", "_as_int"),
            ("tensorflow/python/platform/tf_logging.py", "_logger_find_caller")},
    # printing a traceback: its frames are the exception's own, inward from where it was caught
    "tb": {("traceback.py", "_extract_from_extended_frame_gen")},
}  # fmt: skip
# library files that hand frames back to whoever calls them: looked through, like the stdlib
PASS_THROUGH = ("tensorflow/python/util/tf_inspect.py", "tensorflow/python/keras/utils/tf_inspect.py",
                "tensorflow/python/platform/tf_logging.py")  # fmt: skip


class Refused(PermissionError):
    """Raised in the submission where the audit hook refused an operation."""


class AuditGuard:
    """>>> AuditGuard(scratch, report).install()   # once per process: hooks cannot be removed

    `scratch`: the folder the submission's files are in (its code is whatever comes from there,
    or is compiled by it). `report(what)`: called once per refused operation."""

    def __init__(self, scratch: Path, report: Callable[[str], None]) -> None:
        self.scratch = os.path.realpath(scratch) + os.sep
        self.report = report
        paths = sysconfig.get_paths()
        self.stdlib = [os.path.realpath(paths[k]) + os.sep for k in ("stdlib", "platstdlib")]
        self.trusted = [os.path.realpath(p) + os.sep for p in {paths["purelib"], paths["platlib"]}]
        self.trusted.append(os.path.realpath(Path(grader.__file__).parent) + os.sep)
        self.kinds: dict[str, tuple[str, str]] = {}  # co_filename -> (kind, short name)
        self.busy: set[int] = set()  # threads inside the hook: its own events pass

    def install(self) -> None:
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple) -> None:
        if event not in WATCHED:
            return
        if event in FRAME_EVENTS:
            what, consumers = FRAME_EVENTS[event], CONSUMERS["sys"]
        elif event == "object.__getattr__":
            if args[1] not in FRAME_ATTRIBUTES:
                return
            what, consumers = f"{type(args[0]).__name__}.{args[1]}", CONSUMERS["tb"]
        elif event in HEAP_EVENTS:
            what, consumers = HEAP_EVENTS[event], set()
        elif event in CTYPES_EVENTS:
            what, consumers = "ctypes", set()
        elif event == "open":
            try:
                path = os.fsdecode(args[0])
            except TypeError:
                return  # a file descriptor
            if os.path.basename(path) != "mem" and not (os.path.islink(path) and
                                                         os.path.basename(os.path.realpath(path)) == "mem"):
                return
            # not the path itself: the submission chooses it, and it would reach the feedback
            what, consumers = ("reading /proc/self/mem" if path == "/proc/self/mem" else "reading a process's mem file"), set()
        elif event == "object.__setattr__":
            if args[1] != "__code__":
                return
            what, consumers = "replacing a function's __code__", set()
        elif event in CODE_EVENTS:
            self._note_code(event, args)
            return
        else:
            return
        me = threading.get_ident()
        if me in self.busy:
            return
        self.busy.add(me)
        try:
            refuse = self._by_submission(sys._getframe(1), consumers)
        finally:
            self.busy.discard(me)
        if refuse:
            self.report(what)
            raise Refused(f"{what} is not allowed in a submission")

    def _by_submission(self, frame: types.FrameType | None, consumers: set) -> bool:
        """Whether the nearest frame outside the standard library (and outside library helpers
        that hand frames back) is the submission's, with no consumer in between."""
        while frame is not None:
            kind, short = self._kind(frame.f_code.co_filename)
            if kind == "submission":
                return True
            if kind == "trusted":
                return False
            if (short, frame.f_code.co_name) in consumers:
                return False
            frame = frame.f_back
        return False

    def _kind(self, filename: str) -> tuple[str, str]:
        known = self.kinds.get(filename)
        if known is None:
            known = self.kinds[filename] = self._classify(filename)
        return known

    def _classify(self, filename: str) -> tuple[str, str]:
        if filename.startswith("<frozen "):
            return "stdlib", filename
        path = os.path.realpath(filename) if filename.startswith(os.sep) else filename
        if path.startswith(self.scratch) or not path.startswith(os.sep):
            # the submission's files, and code compiled from a string ("<string>", "checks.py"):
            # a string compiled by the submission is marked by _note_code; the probe machinery
            # itself never asks for frames
            return ("submission" if path.startswith(self.scratch) else "trusted"), path
        for root in self.trusted:
            if path.startswith(root):
                short = path[len(root):]
                return ("stdlib" if short in PASS_THROUGH else "trusted"), short
        for root in self.stdlib:
            if path.startswith(root) and "-packages" + os.sep not in path[len(root):]:
                return "stdlib", path[len(root):]
        return "trusted", path

    def _note_code(self, event: str, args: tuple) -> None:
        """Code the submission compiles (or builds, or unmarshals) is the submission's, whatever
        file name it claims ('/usr/lib/python3/...', '<frozen importlib>'): its name is marked."""
        me = threading.get_ident()
        if me in self.busy:
            return
        self.busy.add(me)
        try:
            caller = sys._getframe(2)
            if not self._by_submission(caller, set()):
                return
            if event in ("compile", "code.__new__"):
                if isinstance(args[1], (str, bytes)):
                    self.kinds[os.fsdecode(args[1])] = ("submission", os.fsdecode(args[1]))
                return
            if self._imports_installed_bytecode(caller):
                return  # an import of an installed module: its code names its own source file
        finally:
            self.busy.discard(me)
        self.report("marshal.loads")  # code of any file name the submission likes
        raise Refused("marshal.loads is not allowed in a submission")

    def _imports_installed_bytecode(self, frame: types.FrameType | None) -> bool:
        """Whether importlib is loading a cached .pyc from outside the scratch folder."""
        while frame is not None:
            if frame.f_code.co_name == "_compile_bytecode" and frame.f_code.co_filename.startswith("<frozen "):
                path = frame.f_locals.get("bytecode_path")
                return isinstance(path, str) and not os.path.realpath(path).startswith(self.scratch)
            frame = frame.f_back
        return False


class Snapshot:
    """Identities of everything in the probe machinery's namespaces, to compare later.

    Grader modules and classes must stay exactly as they are (a new name in a module can shadow
    a builtin the grader calls); in builtins, NumPy, the library classes grader classes derive
    from (pydantic's BaseModel) and sys.modules' entries for the grader, the names that exist
    must keep their objects (adding names is harmless). Namespaces come as {name: dict}, or
    {name: (dict, the keys to keep)}. Taken once in the warm worker (children inherit it).
    Compared with `operator.is_`, not `id()`, which raises an audit event per call."""

    def __init__(self, exact: dict[str, dict], kept: dict[str, dict | tuple[dict, list[str]]]) -> None:
        self.exact = [(name, d, dict(d), list(d), list(d.values())) for name, d in exact.items()]
        self.kept = []
        for name, space in kept.items():
            live, keys = space if isinstance(space, tuple) else (space, list(space))
            get = operator.itemgetter(*keys) if len(keys) > 1 else (lambda d, k=keys[0]: (d[k],))
            self.kept.append((name, live, {k: live[k] for k in keys}, get, [live[k] for k in keys]))
        self.gc_debug = gc.get_debug()

    @classmethod
    def of_probe_machinery(cls) -> "Snapshot":
        import numpy

        modules = {name: m for name, m in list(sys.modules.items())
                   if m is not None and (name == "grader" or name.startswith("grader."))}  # fmt: skip
        exact = {name: vars(m) for name, m in modules.items()}
        for space in exact.values():  # a warning raised in a grader frame (a student's unclosed
            space.setdefault("__warningregistry__", {})  # file, collected there) adds this name
        classes = [v for name, m in modules.items() for v in vars(m).values()
                   if isinstance(v, type) and v.__module__ == name]  # fmt: skip
        exact.update({f"{c.__module__}.{c.__qualname__}": vars(c) for c in classes})
        bases = {b for c in classes for b in c.__mro__[1:]
                 if not b.__module__.startswith(("grader", "builtins"))}  # fmt: skip
        kept = {"builtins": vars(builtins), "numpy": vars(numpy), "sys.modules": (sys.modules, sorted(modules))}
        kept.update({f"{b.__module__}.{b.__qualname__}": vars(b) for b in bases})
        return cls(exact, kept)

    def changed(self) -> str | None:
        """What was changed since, in words, or None."""
        for name, now, then, keys, values in self.exact:
            if len(now) != len(values) or not all(map(operator.is_, now.values(), values)) or list(now) != keys:
                keys = sorted(k for k in then.keys() if now.get(k, _GONE) is not then[k])
                # a name the submission added is not shown: it chose it, and it reaches the feedback
                return f"{name}.{keys[0]} was changed" if keys else f"a name was added to {name}"
        for name, now, then, get, values in self.kept:
            try:
                same = all(map(operator.is_, get(now), values))
            except KeyError:
                same = False
            if not same:
                key = next(k for k, v in then.items() if now.get(k, _GONE) is not v)
                return f"{name}.{key} was changed"
        if gc.get_debug() != self.gc_debug:
            return "the garbage collector's debug flags were changed (gc.DEBUG_SAVEALL keeps the grader's objects)"
        return None


_GONE = object()
