"""A notebook cell's IPython syntax read as plain Python, without IPython.

The grader reads notebooks where IPython is installed and where it is not (Gradescope, a lean
install): both must read a cell the same, so this is the one reader, written from IPython's own
rules (IPython/core/inputtransformer2.py, whose escapes are fixed syntax):

- the cell is dedented as a whole, and `>>> ` or `In [1]: ` prompts of pasted code are stripped;
- a cell whose first line starts with `%%` is a cell magic: IPython's whole;
- a logical line starting with `!`, `!!`, `%`, `?` or `??` is a shell line, magic or help, with
  the lines it continues with `\\` at their end;
- a logical line ending in `name?` or `name??` (`keras.layers.Dense?`) asks for help;
- `x = !cmd` and `x = %magic ...` assign a shell line's or a magic's value;
- `,f a b`, `;f a b` and `/f a b` are calls: `f("a", "b")`, `f("a b")`, `f(a, b)`.

What IPython runs as its own (shell, magics, help) does not run when graded: it becomes `pass`,
or `None` where its value is assigned, at its indentation, so lines keep their numbers and blocks
their bodies; so does a statement written out as IPython's call (`get_ipython().system("ls")`).
Lines are scanned, not tokenized with `tokenize`, whose handling of `!` and `?` differs between
Python versions.
"""

from __future__ import annotations

import ast
import functools
import re
import textwrap
from dataclasses import dataclass

_ESCAPES = frozenset("!?%,;/")  # a logical line starting with one of these is IPython's
# IPython's `_help_end_re`: what may stand before a trailing ? or ??
_HELP_END = re.compile(r"(%{0,2}(?!\d)[\w*]+(\.(?!\d)[\w*]+|\[-?[0-9]+\])*)(\?\??)$")
_TOKEN = re.compile(
    r"""(?P<space>[ \t\f]+) | (?P<comment>\#.*) | (?P<continued>\\$)
    | (?P<quote>[rRbBuUfFtT]{0,2}(?:'''|\"\"\"|'|\"))
    | (?P<name>\w+)
    | (?P<op>\*\*=|//=|>>=|<<=|\.\.\.|->|[-+*/%@&|^=<>!:]=|\*\*|//|>>|<<|.)""",
    re.VERBOSE,
)
_CLASSIC_PROMPT, _CLASSIC_FIRST = re.compile(r"^\s*(>>>|\.\.\.)[ \t]?"), re.compile(r"^\s*>>>")
_IPYTHON_PROMPT = re.compile(r"^(((\[nav\]|\[ins\])? )?In \[\d+\]: |\s*\.{3,}: ?)")


@dataclass(frozen=True)
class Token:
    kind: str  # name, number, string, op (any other character too, alone), comment
    text: str
    row: int
    col: int


def code_lines(source: str) -> list[str]:
    """Lines as Python reads them: split at \\n, \\r\\n and \\r only (str.splitlines also splits at
    U+2028 and others, which may sit inside a string literal)."""
    lines = re.split(r"\r\n?|\n", source)
    return lines[:-1] if lines and lines[-1] == "" else lines


def python_lines(source: str) -> list[str]:
    """A cell's lines as plain Python, one for one (see the module's docstring)."""
    lines = _cleaned(code_lines(source))
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].startswith("%%") and not re.match(r"%%\w+\?", lines[first]):
        return ["" if i != first else "pass" for i in range(len(lines))]  # a cell magic
    row = 0
    while row < len(lines):
        tokens, end = _logical_line(lines, row)
        row = _replace_escape(lines, tokens, row, end) + 1
    return _without_ipython_calls(lines)


def _cleaned(lines: list[str]) -> list[str]:
    """IPython's cleanup of a cell: common indentation removed, then pasted prompts: `>>> ` and
    `... ` where a line starts with `>>>` (then dedented), `In [1]: ` and `   ...: ` where the
    cell's first or second line starts with one. (IPython keeps a `>>>` inside a docstring-like
    string; this reader strips it there too.)"""
    lines = textwrap.dedent("\n".join(lines)).split("\n") if lines else []
    if any(_CLASSIC_FIRST.match(line) for line in lines):
        lines = textwrap.dedent("\n".join(_CLASSIC_PROMPT.sub("", line, count=1) for line in lines)).split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    if any(_IPYTHON_PROMPT.match(line) for line in lines[start : start + 2]):
        lines = [_IPYTHON_PROMPT.sub("", line, count=1) for line in lines]
    return lines


def _logical_line(lines: list[str], row: int) -> tuple[list[Token], int]:
    """The tokens of the logical line that starts at physical line `row`, and its last row: it
    goes on while a bracket is open, a string is, or a line ends in `\\`."""
    tokens: list[Token] = []
    depth, col = 0, 0
    while True:
        line, continued = lines[row], False
        while col < len(line):
            match = _TOKEN.match(line, col)
            assert match is not None  # `op` matches any one character
            kind, text = match.lastgroup or "op", match.group()
            if kind == "quote":
                end = _string_end(lines, row, match.end(), text.lstrip("rRbBuUfFtT"))
                if end is None:  # a one-line string not closed on its line: its quote is an error
                    prefix = text.rstrip("'\"")  # token, as Python's tokenize has it
                    tokens += [Token("name", prefix, row, col)] if prefix else []
                    tokens.append(Token("op", text[len(prefix)], row, col + len(prefix)))
                    col += len(prefix) + 1
                    continue
                tokens.append(Token("string", text, row, col))
                if end[0] >= len(lines):  # a triple-quoted string to the end of the cell
                    return tokens, len(lines) - 1
                row, col = end
                line = lines[row]
                continue
            if kind == "continued":
                continued = True
            elif kind != "space":
                if kind == "name" and text[0].isdigit():
                    kind = "number"
                tokens.append(Token(kind, text, row, col))
                depth = _step(depth, tokens[-1])
            col = match.end()
        if (continued or depth > 0) and row + 1 < len(lines):
            row, col = row + 1, 0
            continue
        return tokens, row


def _string_end(lines: list[str], row: int, col: int, quote: str) -> tuple[int, int] | None:
    """(row, column) just after the string whose opening `quote` ends at (row, col); None for a
    one-line string not closed on its line; (len(lines), 0) for one left open to the end."""
    while row < len(lines):
        line = lines[row]
        while col < len(line):
            if line[col] == "\\":
                col += 2
            elif line.startswith(quote, col):
                return row, col + len(quote)
            else:
                col += 1
        if len(quote) == 1 and col == len(line):  # no `\` before the line's end
            return None
        row, col = row + 1, 0
    return len(lines), 0


def _replace_escape(lines: list[str], tokens: list[Token], row: int, end: int) -> int:
    """Make the logical line at rows row..end Python, as IPython would read it (help first, then
    an escape that starts it, then an assignment of one); the last row it took."""
    if not tokens:
        return end
    first, last = tokens[0], tokens[-1].row
    # help: a line ending in ?, or a bracket left open to the cell's end with ? on its last line
    if len(tokens) > 1 and tokens[-1].text == "?" and tokens[-1].kind == "op" and (last == end or _closed(tokens)):
        content = "\n".join(lines[first.row : last + 1])[first.col :] + "\n"
        if _HELP_END.search(content):
            return _put(lines, first.row, first.col, last, "pass")
    if first.kind == "op" and first.text in _ESCAPES:
        stop = _continued_end(lines, first.row)
        call = _call(first.text, " ".join(_continued_parts(lines, first.row, first.col, stop))[1:])
        if call is None:  # `/` without a name: IPython leaves the line, a syntax error
            return end
        return _put(lines, first.row, first.col, stop, call)
    escape = _assigned_escape(lines, tokens)
    if escape is not None:
        return _put(lines, escape.row, escape.col, _continued_end(lines, escape.row), "None")
    return end


def _step(depth: int, token: Token) -> int:
    """Brackets open after `token`, `depth` before it (a stray closer closes nothing, as in IPython)."""
    if token.kind == "op" and token.text in ("(", "[", "{"):
        return depth + 1
    if token.kind == "op" and token.text in (")", "]", "}"):
        return max(depth - 1, 0)
    return depth


def _closed(tokens: list[Token]) -> bool:
    return functools.reduce(_step, tokens, 0) == 0


def _assigned_escape(lines: list[str], tokens: list[Token]) -> Token | None:
    """The `%` or `!` of `x = %magic ...` or `x = !cmd`: what follows the first `=` outside
    brackets (IPython's MagicAssign and SystemAssign)."""
    depth = 0
    for i, token in enumerate(tokens):
        if token.kind == "op" and token.text == "=" and depth == 0:
            after = tokens[i + 1 : i + 3]
            if after and after[0].text == "%" and len(after) == 2 and after[1].kind == "name":
                return after[0]
            if after and after[0].text == "!" and not lines[token.row].strip().startswith("="):
                return after[0]
            return None
        depth = _step(depth, token)
    return None


def _continued_end(lines: list[str], row: int) -> int:
    while row + 1 < len(lines) and lines[row].endswith("\\"):
        row += 1
    return row


def _continued_parts(lines: list[str], row: int, col: int, stop: int) -> list[str]:
    parts = [lines[row][col:], *lines[row + 1 : stop + 1]]
    return [p.rstrip()[:-1] for p in parts[:-1]] + [parts[-1].rstrip()]


def _call(escape: str, content: str) -> str | None:
    """What an escaped line runs when graded: a call for `,` `;` `/` (IPython's autocall), else
    nothing. None where IPython cannot read it either."""
    name, _, args = content.partition(" ")
    if escape == ",":
        return '{}("{}")'.format(name, '", "'.join(args.split()))
    if escape == ";":
        return f'{name}("{args}")'
    if escape == "/":
        return f"{name}({', '.join(args.split())})" if name else None
    return "pass"


def _put(lines: list[str], row: int, col: int, stop: int, text: str) -> int:
    """Replace rows row..stop from column `col` with `text`, the rows after the first blank."""
    lines[row] = lines[row][:col] + text
    for i in range(row + 1, stop + 1):
        lines[i] = ""
    return stop


def _without_ipython_calls(lines: list[str]) -> list[str]:
    """Statements written out as IPython's own calls (`get_ipython().system("ls")`, `files =
    get_ipython().getoutput("ls")`) made `pass` or `None` as their escaped forms are."""
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return lines
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and _on_ipython(node.value):
            spans.append((node, "pass"))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and _on_ipython(node.value):
            spans.append((node.value, "None"))
    for node, text in sorted(spans, key=lambda s: (s[0].lineno, s[0].col_offset), reverse=True):
        first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        start, stop = _column(lines[first], node.col_offset), _column(lines[last], node.end_col_offset or 0)
        tail = lines[last][stop:]
        _put(lines, first, start, last, text)
        lines[first] += tail
    return lines


def _on_ipython(node: ast.expr) -> bool:
    """An attribute of `get_ipython()`, called or not, and what follows it (`.run_line_magic(...)`)."""
    seen_attribute = False
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "get_ipython":
            return seen_attribute and not node.args and not node.keywords
        seen_attribute |= isinstance(node, ast.Attribute)
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


def _column(line: str, offset: int) -> int:
    """ast's column (UTF-8 bytes) as a str index."""
    return len(line.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))
