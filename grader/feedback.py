"""What a student reads, decided once for the terminal and the notebook: a result summarised
into a problem said once at the top, one row per check, the total and a short sandbox line.

The views (render.submission_text, notebook_check's HTML) only lay this out. Nothing here
judges: it reads the result model and words it for a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from grader.models import CALLED_FROM, CheckResult, SubmissionResult

MARKS = {"passed": "PASS", "partial": "PART", "failed": "FAIL", "error": "ERR"}
_IMPORT_MESSAGE = re.compile(r"^could not import (\w+)\.py: (.*)$", re.S)
# TensorFlow's own wording around an op's error: what it means is in between
_FUNCTION_NODE = re.compile(r"\{\{function_node [^}]*\}\}\s*")
_OP = re.compile(r"\s*\[Op:(\w+)\](?:\s*name:[^()\n]*?)?(?=\s*\(|\s*$|\n)")


def points(value: float) -> str:
    """At most two decimals, no trailing zeros: 13.5714 -> '13.57', 2.0 -> '2'."""
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def plain_tf(text: str) -> str:
    """TensorFlow's internal wording cut to its meaning: '{{function_node
    __wrapped__GatherV2_device_/job:localhost/...}} indices[0] = 5 is not in [0, 3) [Op:GatherV2]
    name: ' reads 'indices[0] = 5 is not in [0, 3) (in tf.gather)'. The line of the student's
    code that follows (added by the sandbox) is kept."""
    text = _FUNCTION_NODE.sub("", text)
    return _OP.sub(lambda m: f" (in TensorFlow's {_op_name(m.group(1))})", text)


def _op_name(op: str) -> str:
    known = {"GatherV2": "tf.gather", "MatMul": "tf.matmul", "ConcatV2": "tf.concat",
             "Reshape": "tf.reshape", "AddV2": "+", "Mul": "*", "Sub": "-", "RealDiv": "/",
             "BatchMatMulV2": "tf.matmul", "Pack": "tf.stack", "Transpose": "tf.transpose"}  # fmt: skip
    return known.get(op, op)


@dataclass
class Row:
    status: str  # passed, partial, failed, error
    name: str
    score: str  # '1.5/2'
    description: str
    feedback: list[str]
    pictures: list[str]
    hidden: bool = False


@dataclass
class Summary:
    title: str
    submission: str
    problems: list[str] = field(default_factory=list)  # said once, above the rows
    rows: list[Row] = field(default_factory=list)
    total: str = ""
    remark: str = ""  # a line under the total: what the score leaves out
    status: str = ""  # not 'completed': how the run ended
    notes: list[str] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    sandbox: str = ""  # one line
    sandbox_details: list[str] = field(default_factory=list)
    run: str = ""  # seed, versions, device, time


INSTALLED = "the grader has TensorFlow/Keras, NumPy, matplotlib and Python's standard library"
_MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")
SLOW_IMPORT = ("code at top level runs when the file is imported, and counts against the limit: "
               "put experiments (a long training run, say) under `if __name__ == \"__main__\":` in a .py "
               "file, or tag their notebook cells skip-grading")


def summarise(result: SubmissionResult, *, title: str, hidden_exist: bool, source: str | None = None,
              hidden_points: float | None = None, output_lines: int = 8) -> Summary:  # fmt: skip
    """The summary of one result. `source`: the graded code, to show a syntax error's line with
    a caret. `hidden_points`: in a student's copy, what the hidden checks are worth."""
    out = Summary(title=f"{result.chapter} · {title}", submission=result.submission)
    repeated: set[str] = set()
    for message in result.messages:
        found = _IMPORT_MESSAGE.match(message)
        if found:  # said once here, not under every check
            module, error = found.groups()
            out.problems.append(f"your {module}.py could not be imported, so no check could run:")
            innermost, *callers = plain_tf(error).split(CALLED_FROM)
            out.problems.append(f"  {innermost}")
            out.problems += [f"    called from {line}" for line in callers]
            if error.startswith("import timed out"):
                out.problems.append(f"  {SLOW_IMPORT}")
            if missing := _MISSING_MODULE.match(error):
                out.problems.append(f"  {missing[1]} is not installed where grading runs: {INSTALLED}")
            repeated.add(f"{module}.py could not be imported")
        elif result.status == "syntax_error":
            out.problems.append(message)
            repeated.add(message)
            out.problems += [f"  {line}" for line in syntax_excerpt(source)] if source else []
        else:
            out.notes.append(plain_tf(message))
    for c in result.checks:
        feedback = [plain_tf(f) for f in c.feedback if not any(f.startswith(r) for r in repeated)]
        out.rows.append(Row(status=c.status, name=c.name + (" (hidden)" if c.hidden else ""),
                            score=f"{points(c.score)}/{points(c.points)}", description=c.description,
                            feedback=feedback, pictures=list(c.pictures), hidden=c.hidden))  # fmt: skip
    public = [c for c in result.checks if not c.hidden]
    hidden = [c for c in result.checks if c.hidden]
    out.total = f"Score: {points(result.score)}/{points(result.max_score)}"
    if hidden:
        out.total += (f"  (public {_sum(public)}, hidden {_sum(hidden)})")
    if not hidden_exist:  # a student's copy: say what the score leaves out
        passed = bool(public) and all(c.status == "passed" for c in public)
        if hidden_points:
            out.total += f" public; {points(hidden_points)} more points in hidden checks at grading time"
            out.remark = "All public checks passed." if passed else ""
        else:
            out.remark = ("All public checks passed" if passed else "Public checks only") + (
                "; hidden checks run at grading time.")
    if result.status != "completed":
        out.status = result.status.replace("_", " ")
    if result.output_tail.strip():
        out.output = result.output_tail.rstrip().split("\n")[-output_lines:]  # not splitlines: \r
    env = result.environment
    out.sandbox_details = list(env.isolation)
    out.sandbox = sandbox_line(env.isolation)
    out.run = (f"seed {env.seed} · TensorFlow {env.tensorflow} · Keras {env.keras} · "
               f"device {env.device} · {result.seconds:.1f} s")  # fmt: skip
    return out


def _sum(checks: list[CheckResult]) -> str:
    return f"{points(sum(c.score for c in checks))}/{points(sum(c.points for c in checks))}"


def sandbox_line(isolation: list[str]) -> str:
    """The protections in one line: the full list is for --verbose."""
    if not isolation:
        return "sandbox: unknown"
    if missing := sum(i.startswith("WARNING: not kept here") for i in isolation):
        return f"sandbox: WEAKER: {missing} promises not kept here"
    landlock = any(i.startswith("Landlock") for i in isolation)
    if any(i.startswith("no bubblewrap here") for i in isolation):
        return "sandbox: Landlock and seccomp, no bubblewrap"
    return "sandbox: bubblewrap and Landlock" if landlock else "sandbox: bubblewrap and process limits"


def syntax_excerpt(source: str) -> list[str]:
    """The line a syntax error is on, and a caret under where Python stopped reading."""
    try:
        compile(source, "<submission>", "exec")
    except SyntaxError as exc:
        lines = source.splitlines()
        if not exc.lineno or not 1 <= exc.lineno <= len(lines):
            return []
        text = lines[exc.lineno - 1].expandtabs()
        stripped = text.lstrip()
        cut = len(text) - len(stripped)
        column = max(1, min((exc.offset or 1) - cut, len(stripped) + 1))
        return [stripped, " " * (column - 1) + "^"]
    except ValueError:
        return []
    return []
