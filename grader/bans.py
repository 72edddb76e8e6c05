"""Bans on APIs: "this exercise asks you to count by hand, not with `model.count_params()`".

A ban names a real API by its dotted path (`keras.Model.count_params`, `numpy.tanh`,
`tensorflow`) and says why. It is enforced twice:

- in the source, outside the sandbox (`forbidden_uses`): names are resolved through the file's
  imports and aliases, only the functions a check grades (and what they call in the same file)
  are read, and each use is reported with its line. A student's own variable, function or dict
  key called `summary` is not `keras.Model.summary`; code under `if __name__ == "__main__":` is
  never graded.
- at run time, inside the sandbox (`watching`): while a probe runs on the submission, the banned
  callables are wrapped, and a call made from the submission's own code is recorded. That sees
  what a reading cannot decide (`getattr(model, "count" + "_params")`); the submission could undo
  the wrappers, which is why the reading stays the first signal.

Paths name the same API when, within one library, they end in the same name: Keras and
TensorFlow export one object under several paths (`tf.tanh`, `tf.nn.tanh`, `tf.math.tanh`;
`keras.Model`, `keras.models.Model`, `keras.src.models.model.Model`), and `tf.keras.X` is
`keras.X`. A path whose parent is a class (a capitalised name: `keras.Model.summary`) bans the
method: `.summary` of any object but the student's own module-level names and own methods.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib
import sys
import types
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from grader.models import BannedCall  # here, not at the call: sys.modules is the submission's then

if TYPE_CHECKING:
    from grader.checks import Check
    from grader.course import Chapter

# Paths that name the same API under another prefix (checked against the installed packages
# by tests/test_bans.py): tf.keras is Keras 3, compat.v1/v2 re-export the same API (v1 variants of
# some functions are other objects, the same API all the same).
PREFIXES = {
    "tensorflow.keras": "keras",
    "tensorflow.compat.v1": "tensorflow",
    "tensorflow.compat.v2": "tensorflow",
    "tensorflow._api.v2": "tensorflow",
    "keras._tf_keras.keras": "keras",
    "numpy._core": "numpy",
    "numpy.core": "numpy",
}
MAX_SHOWN = 5  # uses listed per check; more are counted


@dataclass(frozen=True)
class Ban:
    """One banned API and the reason a student reads after the call, e.g.
    Ban("keras.Model.count_params", "counts with Keras; this exercise asks you to count by hand")."""

    api: str
    reason: str

    @property
    def method(self) -> str | None:
        """The method's name when the path's parent is a class (`keras.Model.summary`)."""
        parts = self.api.split(".")
        return parts[-1] if len(parts) >= 3 and parts[-2][:1].isupper() else None


def as_bans(forbid: Mapping[str, str] | Iterable[Ban]) -> tuple[Ban, ...]:
    """`forbid` as declared in a chapter: {api: reason} or Ban objects."""
    if isinstance(forbid, Mapping):
        bans = tuple(Ban(api, reason) for api, reason in forbid.items())
    else:
        bans = tuple(forbid)
    for ban in bans:
        if not isinstance(ban, Ban) or not ban.api or not ban.reason:
            raise TypeError(f"forbid takes {{'dotted.api.path': 'reason'}} or Ban(api, reason), not {ban!r}")
    return bans


def canonical(path: str) -> str:
    """The path with re-exporting prefixes rewritten (`tensorflow.keras.Model` -> `keras.Model`)."""
    for _ in range(3):
        for prefix, to in PREFIXES.items():
            if path == prefix or path.startswith(prefix + "."):
                path = to + path[len(prefix):]
    return path


def names_api(path: str, ban: Ban) -> bool:
    """Whether a resolved reference `path` is (inside) the banned API."""
    ref, api = canonical(path).split("."), canonical(ban.api).split(".")
    if ref[: len(api)] == api:
        return True
    # within one library, the same last name is the same API under another path
    return len(api) > 1 and ref[0] == api[0] and api[-1] in ref[1:]


# --- which functions a check grades --------------------------------------------------------------


def probe_names(probe: types.FunctionType, files: frozenset[str]) -> frozenset[str]:
    """Names a probe may read off the submission: the names and strings of its code (nested code
    included), and of the functions of the check files (`files`) it calls. A superset of the
    `sub.<name>` it reads; intersected with the submission's top-level definitions."""
    names: set[str] = set()
    seen: set[int] = set()

    def const(value: Any) -> None:
        if isinstance(value, str):
            names.add(value)
        elif isinstance(value, (tuple, frozenset, list)):
            for item in value:
                const(item)
        elif isinstance(value, types.CodeType):
            code(value, {})
        elif isinstance(value, types.FunctionType):
            function(value)

    def code(c: types.CodeType, globals_: dict) -> None:
        if id(c) in seen:
            return
        seen.add(id(c))
        names.update(c.co_names)
        for value in c.co_consts:
            if isinstance(value, types.CodeType):
                code(value, globals_)
            else:
                const(value)
        for name in c.co_names:
            found = globals_.get(name)
            if isinstance(found, types.FunctionType):
                function(found)

    def function(f: types.FunctionType) -> None:
        if f.__code__.co_filename not in files:
            return
        code(f.__code__, f.__globals__)
        for value in (*(f.__defaults__ or ()), *(c.cell_contents for c in f.__closure__ or () if _full(c))):
            const(value)

    function(probe)
    return frozenset(names)


def _full(cell: types.CellType) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def graded_names(check: Check, files: frozenset[str]) -> frozenset[str]:
    """What a check grades: its `graded` declaration, else what its probe reads."""
    return frozenset(check.graded) if check.graded is not None else _probe_names(check.probe, files)


@functools.lru_cache(maxsize=256)
def _probe_names(probe: types.FunctionType, files: frozenset[str]) -> frozenset[str]:
    return probe_names(probe, files)


# --- reading the source ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Use:
    """A use of a banned API in the source."""

    line: int
    shown: str  # the code as written, e.g. "model.summary()"
    path: str  # the API it resolved to, or "" for a method of an object
    ban: Ban

    def message(self, module_file: str) -> str:
        same = not self.path or self.shown.split("(")[0] in (self.path, canonical(self.path))
        named = "" if same else f" ({canonical(self.path)})"
        return f"{module_file}, line {self.line}: {self.shown}{named} {self.ban.reason}"


def _is_main_guard(node: ast.stmt) -> bool:
    """`if __name__ == "__main__":`: its body is the student's own try-out code, never graded."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, *test.comparators]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def _top_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, looking into if/try/with blocks (not a __main__ block's body)."""
    for node in body:
        if _is_main_guard(node):
            yield from _top_statements(node.orelse)
            continue
        yield node
        if isinstance(node, (ast.If, ast.Try, ast.With)) or type(node).__name__ == "TryStar":
            for block in ("body", "orelse", "finalbody"):
                yield from _top_statements(getattr(node, block, []))
            for handler in getattr(node, "handlers", []):
                yield from _top_statements(handler.body)


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _bound_by_import(nodes: Iterable[ast.AST]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    found.setdefault(alias.asname, set()).add(alias.name)
                else:
                    root = alias.name.split(".")[0]
                    found.setdefault(root, set()).add(root)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    found.setdefault(alias.asname or alias.name, set()).add(f"{node.module}.{alias.name}")
    return found


class SourceReader:
    """A submission's syntax tree, read once: its top-level definitions, its imports, and the
    uses of banned APIs in the code a check grades."""

    def __init__(self, tree: ast.Module) -> None:
        tops = list(_top_statements(tree.body))
        self.defs: dict[str, list[ast.AST]] = {}
        self.assigned: dict[str, list[ast.AST]] = {}
        for node in tops:
            if isinstance(node, _DEFS):
                self.defs.setdefault(node.name, []).append(node)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            self.assigned.setdefault(name.id, []).append(node)
        main = [n for n in ast.walk(tree) if isinstance(n, ast.stmt) and _is_main_guard(n)]
        in_main = {id(n) for guard in main for stmt in guard.body for n in ast.walk(stmt)}
        everywhere = [n for n in ast.walk(tree) if id(n) not in in_main]
        self.imports = _bound_by_import(everywhere)
        self.stars = [n.module for n in everywhere
                      if isinstance(n, ast.ImportFrom) and n.module and not n.level
                      and any(a.name == "*" for a in n.names)]  # fmt: skip
        self.own = (set(self.defs) | set(self.assigned)) - set(self.imports)
        self.own_classes = {name for name, nodes in self.defs.items() if isinstance(nodes[-1], ast.ClassDef)}
        # methods the file's classes define, at any depth: `x.count_params()` may be one of these
        self.method_names = {item.name for c in ast.walk(tree) if isinstance(c, ast.ClassDef)
                             for item in c.body if isinstance(item, _DEFS)}  # fmt: skip
        plain = (ast.Constant, ast.Dict, ast.List, ast.Set, ast.Tuple, ast.DictComp, ast.ListComp, ast.SetComp)

        def mine(node: ast.AST) -> bool:
            value = getattr(node, "value", None)
            return isinstance(value, plain) or (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                                                and value.func.id in self.own_classes)  # fmt: skip

        # names whose methods are the student's own: functions, classes, own instances and data
        data = {name for name, nodes in self.assigned.items() if all(map(mine, nodes))}
        self.own_objects = (set(self.defs) | data) - set(self.imports)

    def scope(self, graded: Iterable[str], allow_in: Iterable[str] = ()) -> list[ast.AST]:
        """The definitions a check grades and, transitively, the top-level functions, classes
        (read whole) and assigned names of the same file they refer to by name; never those
        named in `allow_in`. A method is read with its class, never reached by its name alone:
        `x.forward()` is not every class's `forward` (an object's class is named where it is
        made, and that brings the class in)."""
        allowed = set(allow_in)
        todo = [n for n in graded if (n in self.defs or n in self.assigned) and n not in allowed]
        found: list[ast.AST] = []
        seen: set[int] = set()
        while todo:
            name = todo.pop()
            for node in [*self.defs.get(name, []), *self.assigned.get(name, [])]:
                if id(node) in seen:
                    continue
                seen.add(id(node))
                found.append(node)
                todo += [name for name in _free_names(node)
                         if (name in self.defs or name in self.assigned) and name not in allowed]
        return found

    def uses(self, nodes: Iterable[ast.AST], bans: tuple[Ban, ...]) -> list[Use]:
        """Uses of the banned APIs in `nodes`, in line order, each reported once per line."""
        found: dict[tuple[int, str], Use] = {}
        for node in nodes:
            visitor = _Uses(self, bans)
            visitor.visit(node)
            for use in visitor.found:
                found.setdefault((use.line, use.ban.api), use)
        return sorted(found.values(), key=lambda u: (u.line, u.shown))


@dataclass
class _Frame:
    """What a function (or class body) being read binds: its own names, and for a method the
    name of `self` and the methods of its class."""

    bound: set[str]
    instances: set[str] = field(default_factory=set)  # local names assigned an own class's instance
    self_name: str | None = None
    own_methods: set[str] = field(default_factory=set)
    is_class: bool = False


def _class_frame(node: ast.ClassDef) -> _Frame:
    """A class's own attributes: its methods, class attributes and what its methods set on `self`."""
    own = {item.name for item in node.body if isinstance(item, _DEFS)}
    own |= {t.id for item in node.body if isinstance(item, ast.Assign) for t in item.targets
            if isinstance(t, ast.Name)}  # fmt: skip
    own |= {t.attr for t in ast.walk(node) if isinstance(t, ast.Attribute) and isinstance(t.ctx, ast.Store)
            and isinstance(t.value, ast.Name) and t.value.id == "self"}  # fmt: skip
    return _Frame(bound=set(), own_methods=own, is_class=True)


def _free_names(node: ast.AST) -> set[str]:
    """The names `node` reads from its module: not a function's parameters and locals (a
    function's `a` is not the `a = tf.constant(x)` of a try-out at top level). Iterative: a
    submission's tree may be deeper than Python's recursion limit."""
    found: set[str] = set()
    todo: list[tuple[ast.AST, frozenset[str]]] = [(node, frozenset())]
    while todo:
        current, bound = todo.pop()
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            outside = [*current.args.defaults, *current.args.kw_defaults, *getattr(current, "decorator_list", [])]
            todo += [(n, bound) for n in outside if n is not None]
            inner = bound | _bound_in(current)
            todo += [(n, inner) for n in (current.body if isinstance(current.body, list) else [current.body])]
            continue
        if isinstance(current, ast.Name) and current.id not in bound:
            found.add(current.id)
        todo += [(n, bound) for n in ast.iter_child_nodes(current)]
    return found


def _bound_in(node: ast.AST) -> set[str]:
    """Names a function binds itself (parameters, assignments, loops, with, except), which shadow
    the module's imports unless it imports them itself."""
    bound: set[str] = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                bound.add(arg.arg)
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, (ast.Store, ast.Del)):
            bound.add(inner.id)
        elif isinstance(inner, ast.ExceptHandler) and inner.name:
            bound.add(inner.name)
        elif inner is not node and isinstance(inner, _DEFS):
            bound.add(inner.name)
    return bound - set(_bound_by_import(ast.walk(node)))


class _Uses(ast.NodeVisitor):
    """Finds the uses of banned APIs in one definition."""

    def __init__(self, reader: SourceReader, bans: tuple[Ban, ...]) -> None:
        self.reader = reader
        self.bans = bans
        self.methods = {b.method: b for b in bans if b.method}
        self.frames: list[_Frame] = []
        self.found: list[Use] = []
        self.called: set[int] = set()

    # scopes
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)
        for decorator in getattr(node, "decorator_list", []):
            self.visit(decorator)
        frame = _Frame(bound=_bound_in(node), instances=self._instances(node))
        outer = self.frames[-1] if self.frames else None
        if outer is not None and outer.is_class and not isinstance(node, ast.Lambda):
            params = node.args.posonlyargs + node.args.args
            frame.self_name = params[0].arg if params else None
            frame.own_methods = outer.own_methods
        self.frames.append(frame)
        for child in (node.body if isinstance(node.body, list) else [node.body]):
            self.visit(child)
        self.frames.pop()

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.bases, *node.keywords, *node.decorator_list]:
            self.visit(expr)
        self.frames.append(_class_frame(node))
        for child in node.body:
            self.visit(child)
        self.frames.pop()

    # references
    def visit_Call(self, node: ast.Call) -> None:
        self.called.add(id(node.func))
        if self._is_getattr(node):
            if not self._check(node, node.args[0], node.args[1].value, called=id(node) in self.called):
                if not self._resolves(node.args[0]):
                    self.visit(node.args[0])
            for arg in node.args[2:]:
                self.visit(arg)
            return
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if not self._check(node, node.value, node.attr, called=id(node) in self.called):
            if not self._resolves(node.value):
                self.visit(node.value)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            for path in self._paths(node):
                for ban in self.bans:
                    if names_api(path, ban):
                        self._found(node, path, ban, called=id(node) in self.called)
                        return

    def _is_getattr(self, node: ast.Call) -> bool:
        return (isinstance(node.func, ast.Name) and node.func.id == "getattr" and not self._local("getattr")
                and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str))  # fmt: skip

    def _check(self, node: ast.AST, value: ast.AST, attr: str, *, called: bool) -> bool:
        """A reference `value.attr`: through the imports (`np.tanh`), or a banned method of an
        object (`model.summary`). True when reported (its parts are not read again)."""
        bases = self._paths(value)
        for base in bases:
            path = f"{base}.{attr}"
            for ban in self.bans:
                if names_api(path, ban):
                    self._found(node, path, ban, called=called)
                    return True
        ban = self.methods.get(attr)
        if ban is None or not isinstance(getattr(node, "ctx", ast.Load()), ast.Load) or self._own(value, attr):
            return False  # setting an attribute of that name calls nothing
        if attr in self.reader.method_names and not bases:
            return False  # maybe the student's own method (an inherited one, or on a list's item): run time tells
        if bases and not any(b.rsplit(".", 1)[-1][:1].isupper() for b in bases):
            return False  # an attribute of a module (np.gradient), not a method of an object
        self._found(node, "", ban, called=called)
        return True

    def _instances(self, node: ast.AST) -> set[str]:
        return {target.id for inner in ast.walk(node) if isinstance(inner, ast.Assign) and self._new_own(inner.value)
                for target in inner.targets if isinstance(target, ast.Name)}  # fmt: skip

    def _new_own(self, value: ast.AST) -> bool:
        """`Own(...)`: an instance of one of the student's own classes."""
        return (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                and value.func.id in self.reader.own_classes and not self._local(value.func.id))  # fmt: skip

    def _own(self, value: ast.AST, attr: str) -> bool:
        """`value` is the student's own module-level name, an instance of their own class, or
        `self` in a class that defines `attr`: its methods are theirs, not Keras'."""
        if self._new_own(value):
            return True
        if not isinstance(value, ast.Name):
            return False
        if value.id in self.reader.own_objects and not self._local(value.id):
            return True
        if any(value.id in f.instances for f in self.frames):
            return True
        frame = next((f for f in reversed(self.frames) if f.self_name), None)
        return frame is not None and value.id == frame.self_name and attr in frame.own_methods

    def _local(self, name: str) -> bool:
        return any(name in f.bound for f in self.frames)

    def _resolves(self, node: ast.AST) -> bool:
        return bool(self._paths(node))

    def _paths(self, node: ast.AST) -> list[str]:
        """The dotted API paths an expression names through the file's imports, if any."""
        if isinstance(node, ast.Name):
            if self._local(node.id):
                return []
            if node.id in self.reader.imports:
                return sorted(self.reader.imports[node.id])
            if node.id in self.reader.own or hasattr(builtins, node.id):
                return []
            return [f"{m}.{node.id}" for m in self.reader.stars]
        if isinstance(node, ast.Attribute):
            return [f"{p}.{node.attr}" for p in self._paths(node.value)]
        if isinstance(node, ast.Call) and self._is_getattr(node):
            return [f"{p}.{node.args[1].value}" for p in self._paths(node.args[0])]
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__import__"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            return [node.args[0].value.split(".")[0]]  # fmt: skip
        return []

    def _found(self, node: ast.AST, path: str, ban: Ban, *, called: bool) -> None:
        shown = ast.unparse(node)
        if len(shown) > 60:
            shown = _short(node)
        self.found.append(Use(line=node.lineno, shown=shown + ("()" if called else ""), path=path, ban=ban))


def _short(node: ast.AST) -> str:
    """Code too long to quote, with the arguments of its calls left out, so that the name of
    what is called stays: `layers.Conv2D(...).compute_output_shape`."""
    if isinstance(node, ast.Attribute):
        return f"{_short(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id == "getattr" and len(node.args) >= 2:
            return f"getattr({_short(node.args[0])}, {ast.unparse(node.args[1])})"
        return f"{_short(node.func)}({'...' if node.args or node.keywords else ''})"
    text = ast.unparse(node)
    return text if len(text) <= 40 else text[:37] + "..."


def forbidden_uses(chapter: Chapter, source: str) -> dict[str, list[str]]:
    """For each check with bans, the messages for the banned uses in the code it grades (empty
    when none), each naming its line. The source is parsed once per submission."""
    from grader.submission import parse  # the tree is cached there for the syntax check

    ruled = [c for c in chapter.checks if c.forbid]
    if not ruled:
        return {}
    reader = SourceReader(parse(source))
    files = frozenset(c.probe.__code__.co_filename for c in chapter.checks)
    verdicts: dict[str, list[str]] = {}
    for chk in ruled:
        scope = reader.scope(graded_names(chk, files), chk.allow_in)
        verdicts[chk.name] = messages([u.message(chapter.module_file) for u in reader.uses(scope, chk.forbid)])
    return verdicts


def messages(lines: list[str]) -> list[str]:
    """At most MAX_SHOWN lines, and how many more there were."""
    if len(lines) <= MAX_SHOWN:
        return lines
    return [*lines[:MAX_SHOWN], f"... and {len(lines) - MAX_SHOWN} more uses of what this exercise forbids"]


def seen_at_run_time(module_file: str, calls: Iterable[BannedCall], bans: tuple[Ban, ...]) -> list[str]:
    """Feedback for the banned calls the sandbox recorded while a check's probe ran."""
    reasons = {b.api: b.reason for b in bans}
    return messages([
        f"{module_file}, line {c.line}: {'imported' if c.imported else 'called'} {c.api} while {c.function} ran "
        f"(seen at run time); "
        f"{reasons.get(c.api, 'which this exercise forbids')}"
        for c in calls
    ])  # fmt: skip


# --- at run time, inside the sandbox ---------------------------------------------------------------


def _resolve(path: str) -> Any:
    """The object a dotted path names, among the modules already imported (the warm worker has
    TensorFlow, Keras and NumPy; a library nobody imported cannot be called); None if absent.
    Never imports: a failed import searches the whole path, at every probe."""
    parts = path.split(".")
    found: Any = sys.modules.get(parts[0])
    for i, name in enumerate(parts[1:], start=2):
        if found is None:
            return None
        try:
            found = getattr(found, name)
        except Exception:  # e.g. a submodule imported but not an attribute of its package
            found = sys.modules.get(".".join(parts[:i]))
    return found


@dataclass
class _Watched:
    """The check being watched: the APIs it bans, the submission's file, the functions exempt."""

    apis: frozenset[str]
    own_file: str | None
    allow_in: tuple[str, ...]
    seen: list[BannedCall] = field(default_factory=list)


# What every wrapper records into, whenever it was made: a wrapper the submission kept from its
# import (`count = getattr(keras.Model, "count" + "_params")`) still reports to the check that runs
_WATCHED: _Watched | None = None


def _note(api: str, imported: bool = False) -> None:
    """A banned API was called: recorded when the submission's own code called it while a check
    that bans it runs (not from a function of `allow_in`)."""
    watched = _WATCHED
    if watched is None or api not in watched.apis or len(watched.seen) >= 20:
        return
    try:
        frame = sys._getframe(2)
        while frame is not None and frame.f_code.co_filename.startswith("<"):
            frame = frame.f_back  # exec'd or eval'd text: its caller decides
        if frame is None or frame.f_code.co_filename != watched.own_file:
            return
        outer, names = frame, []
        while outer is not None:
            if outer.f_code.co_filename == watched.own_file:
                names.append(outer.f_code.co_name)
            outer = outer.f_back
        if set(names) & set(watched.allow_in):
            return
        call = BannedCall(api=api, function=frame.f_code.co_qualname, line=frame.f_lineno, imported=imported)
    except Exception:  # the machinery was tampered with: the banned call counts, where unknown
        call = BannedCall(api=api, function="?", line=0, imported=imported)
    if call not in watched.seen:
        watched.seen.append(call)


@contextmanager
def watching(bans: tuple[Ban, ...], module: types.ModuleType | None,
             allow_in: tuple[str, ...] = ()) -> Iterator[list]:  # fmt: skip
    """Record the banned APIs the submission's own code calls while the block runs.

    Each banned function is replaced, wherever a module holds it, by a wrapper; a method on the
    class that defines it and on the library's subclasses that override it; a class by a wrapped
    `__init__`; a module by wrapped import functions. A call counts when its caller is the
    submission's file (code `exec`'d from it included), not in a function of `allow_in`: Keras
    calling its own APIs for the student is not the student. Everything is restored on exit.
    With `module` None (around the submission's import) nothing is recorded: what the import
    keeps is a wrapper, which reports to every later check that bans its API. Yields the list
    of BannedCall it fills."""
    global _WATCHED
    own = getattr(module, "__name__", None)
    watched = _Watched(frozenset(b.api for b in bans), getattr(module, "__file__", None), tuple(allow_in))
    undo: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, new: Any) -> None:
        """`owner`: a class, or a module's (or builtins') namespace dict."""
        holder = owner.__dict__ if isinstance(owner, type) else owner
        undo.append((owner, name, holder.get(name, _ABSENT)))
        if isinstance(owner, type):
            setattr(owner, name, new)
        else:
            holder[name] = new

    module_bans, done = [], set()
    by_leaf: dict[str, list[tuple[Any, Any]]] = {}  # functions to replace wherever a module holds them
    for ban in bans:
        target = _resolve(ban.api)
        if target is None or id(target) in done:  # he_normal is HeNormal: wrapped once
            continue
        done.add(id(target))
        if isinstance(target, types.ModuleType):
            module_bans.append(ban)
        elif isinstance(target, type):
            if target.__init__ is not object.__init__:  # Keras and TensorFlow classes define one
                patch(target, "__init__", _wrapped(target.__init__, ban.api))
        elif callable(target):
            owner = _resolve(ban.api.rsplit(".", 1)[0]) if ban.method else None
            if isinstance(owner, type):
                leaf = ban.api.rsplit(".", 1)[1]
                definer = next((k for k in owner.__mro__ if leaf in k.__dict__), None)
                overriding = [k for k in _subclasses(owner) if leaf in k.__dict__ and k.__module__ != own]
                for k in dict.fromkeys([definer, *overriding] if definer else overriding):
                    if isinstance(k.__dict__[leaf], types.FunctionType):  # Conv2D's own compute_output_shape too
                        patch(k, leaf, _wrapped(k.__dict__[leaf], ban.api))
            else:
                by_leaf.setdefault(ban.api.rsplit(".", 1)[-1], []).append((target, _wrapped(target, ban.api)))
    for leaf, pairs in by_leaf.items():
        for target, wrapper in pairs:
            for space in [*_holders(leaf, target), *([vars(module)] if module is not None else [])]:
                if space.get(leaf) is target:
                    patch(space, leaf, wrapper)
    if module_bans:
        def matched(name: Any) -> str | None:
            return next((b.api for b in module_bans
                         if isinstance(name, str) and names_api(name, b)), None)  # fmt: skip

        original_import, original_import_module = builtins.__import__, importlib.import_module

        def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002, ANN001, ANN202
            if not level and (api := matched(name)):
                _note(api, imported=True)
            return original_import(name, globals, locals, fromlist, level)

        def guarded_import_module(name, package=None):  # noqa: ANN001, ANN202
            if api := matched(name):
                _note(api, imported=True)
            return original_import_module(name, package)

        patch(builtins.__dict__, "__import__", guarded_import)
        patch(importlib.__dict__, "import_module", guarded_import_module)
    previous, _WATCHED = _WATCHED, watched if module is not None else None
    try:
        yield watched.seen
    finally:
        _WATCHED = previous
        for owner, name, old in reversed(undo):
            if isinstance(owner, type):
                if old is _ABSENT:
                    delattr(owner, name)
                else:
                    setattr(owner, name, old)
            else:
                owner[name] = old


_ABSENT = object()
_HOLDERS: dict[tuple[str, int], list[dict]] = {}


def _holders(leaf: str, target: Any) -> list[dict]:
    """The namespaces of the modules of the target's library that hold it under `leaf`
    (`tf.tanh`, `tf.math.tanh`, `tf.nn.tanh`, ...). Scanning the modules takes milliseconds:
    done once per process and function, and checked again at each use."""
    key = (leaf, id(target))
    if key not in _HOLDERS:
        root = (getattr(target, "__module__", None) or "").split(".")[0]
        roots = tuple({root, *(("tensorflow", "keras") if root in ("tensorflow", "keras") else ())} - {""})
        found = []
        for name, mod in list(sys.modules.items()):
            if roots and not name.startswith(roots):
                continue
            space = getattr(mod, "__dict__", None)
            if isinstance(space, dict) and space.get(leaf) is target:
                found.append(space)
        _HOLDERS[key] = found
    return _HOLDERS[key]


def _subclasses(cls: type) -> list[type]:
    """Every class below `cls`, once each."""
    found: dict[type, None] = {}
    todo = [cls]
    while todo:
        for sub in type.__subclasses__(todo.pop()):
            if sub not in found:
                found[sub] = None
                todo.append(sub)
    return list(found)


def _wrapped(original: Any, api: str) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _note(api)
        return original(*args, **kwargs)

    try:
        functools.update_wrapper(wrapper, original)
    except (AttributeError, TypeError):
        pass
    return wrapper
