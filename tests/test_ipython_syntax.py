"""The grader's reader of IPython syntax (grader/ipython_syntax.py) against IPython's own: on each
cell of a corpus, the reader's lines are valid Python, as many as the cell's, and run the same
statements as IPython's TransformerManager's output, where each statement IPython runs as its own
(a call of a `get_ipython()` method: shell, magic, help) is `pass`, or `None` where assigned."""

from __future__ import annotations

import ast
import random
import subprocess
import sys
import warnings

import pytest

from grader.ipython_syntax import code_lines, python_lines

from conftest import ROOT

IPYTHON = pytest.importorskip("IPython.core.inputtransformer2")

CORPUS = [
    "%matplotlib inline\nimport numpy as np",
    "!pip install -q tensorflow-datasets\nimport numpy as np",
    '%pip install -q "tf-grader @ https://example.edu/course.zip"',
    "files = !ls -la\nprint(files)",
    "out = !!echo hi",
    "x = %timeit -o sum(range(10))",
    "import numpy as np\nnp.tanh?",
    "??np.exp",
    "keras.layers.Dense??",
    "?",
    "%%time\nmodel.fit(x, y)",
    "%%writefile helper.py\ndef f():\n    return 1",
    "%%timeit?\nx = 1",
    "%%bash\necho hi",
    "def f(x):\n    %time y = x + 1\n    !echo hi\n    return x",
    "for i in range(3):\n    if i:\n        !echo {i}\n    else:\n        np.tanh?\nprint('done')",
    "!pip install \\\n    numpy \\\n    pandas\nimport numpy",
    "x = %sx \\\n   ls\ny = 2",
    "x = \\\n    %time f()",
    "    a = 1\n    !echo an indented cell\n    b = a + 1",
    "\n\n%matplotlib inline\n\nz = 3",
    "rest = (7\n        % 4)\n!echo after",
    "s = '''\n!not a shell line\n%not a magic\nnot help?\n'''\n!echo real",
    "d = {'a': 1}  # !comment\nprint(d['a'])  # ends with ?",
    "x = 5 != 3\ny = 10 % 3\nz = 1\nz %= 2\nw = 9 // 2\nw //= 2",
    "get_ipython().run_line_magic('matplotlib', 'inline')\nfiles = get_ipython().getoutput('ls')\n"
    "get_ipython().system('echo hi')",
    "get_ipython()\nip = get_ipython()",
    "def f():\n    get_ipython().run_cell_magic('time', '', 'x = 1\\n')\n    return 2",
    ">>> x = 1\n>>> y = x + 1",
    "In [1]: x = 1\n   ...: y = 2",
    "/print 1 2",
    ",print a b",
    ";print a b",
    "if True: np.tanh?",
    "x = f(a=1)\n%env FOO=bar",
    "f = lambda: 1\nval: int = %time f()",
    "!echo 'it''s'\nx = 1",
    "!echo don't stop\nx = 1",
    'msg = f"{1 + 1}?"\nprint(msg)',
    "class A:\n    %time\n    x = 1",
    "try:\n    !false\nexcept Exception:\n    pass",
    "x = [i\n     for i in range(3)]\n%who",
    "x = !ls # a comment",
    "x = 1 \\\n    + 2\n!echo ok",
    "café = 1\n!echo é\nprint(café)",
    "x = 1\r\n!echo hi\r\ny = 2",
    "x = (1,\n     2) + np.tanh?\ny = 3",
    "a, b = %foo\nc[0] = !ls",
    "with open('f') as fh:\n    data = !cat f\n    %store data",
    "%time x = 1\nprint(x)",
    "def g():\n    '''A docstring?'''\n    return '%d' % 3",
    "q = [\nnp.tanh?",  # a bracket open to the end, ? on the last line: help
    ">>> def f():\n...     return 1\n>>> f()",
    "x = 1\n>>> y = 2",
    "[ins] In [2]: x = 1\n   ...: y = 2",
]
INVALID = [  # not Python for IPython either: the reader leaves them a syntax error too
    "print('a'); !echo no",
    "x? ",  # IPython reads help only where the line ends with the ?
    "x?  # what is x",
    "print(x)?",
    "x = y = %time f()",
    "q = [\nnp.tanh?\n   ",  # a bracket open to the end, ? not on the last line: not help
]


def _transformed(cell: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return IPYTHON.TransformerManager().transform_cell(cell)


class _IPythonCalls(ast.NodeTransformer):
    """IPython's output with its own statements neutral: a call of a get_ipython() method as a
    statement is `pass`, assigned it is `None`."""

    @staticmethod
    def _on_ipython(node: ast.AST) -> bool:
        text = ast.unparse(node)
        return text.startswith("get_ipython().") and isinstance(node, (ast.Call, ast.Attribute, ast.Subscript))

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        return ast.copy_location(ast.Pass(), node) if self._on_ipython(node.value) else node

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        if self._on_ipython(node.value):
            node.value = ast.copy_location(ast.Constant(None), node.value)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is not None and self._on_ipython(node.value):
            node.value = ast.copy_location(ast.Constant(None), node.value)
        return node


def _statements(tree: ast.AST) -> list[tuple[str, int]]:
    return [(type(n).__name__, n.lineno) for n in ast.walk(tree) if isinstance(n, ast.stmt)]


@pytest.mark.parametrize("cell", CORPUS)
def test_the_reader_runs_what_ipython_runs(cell: str) -> None:
    ours = python_lines(cell)
    assert len(ours) == len(code_lines(cell))
    mine = ast.parse("\n".join(ours))  # valid Python
    theirs_source = _transformed(cell)
    theirs = _IPythonCalls().visit(ast.parse(theirs_source))
    assert ast.dump(mine) == ast.dump(theirs), (ours, theirs_source)
    if len(code_lines(theirs_source)) == len(ours):  # IPython kept the lines: so do the statements
        assert _statements(mine) == _statements(theirs)


@pytest.mark.parametrize("cell", INVALID)
def test_what_ipython_cannot_read_stays_a_syntax_error(cell: str) -> None:
    with pytest.raises(SyntaxError):
        compile(_transformed(cell), "<ipython>", "exec")
    with pytest.raises(SyntaxError):
        compile("\n".join(python_lines(cell)), "<grader>", "exec")


# lines that cells are made of, for cells no one thought of: Python and IPython mixed at random
PIECES = ["x = 1", "!ls", "  !ls -la \\", "    -h", "%time f()", "y = %time f()", "z = !echo hi", "np.tanh?", "??np.exp",
          "if x:", "    %matplotlib inline", "    y = 2", "def f():", "    return 3", "s = '''", "!inside", "'''",
          "a = (1,", "  % 2)", "get_ipython().system('ls')", "w = get_ipython().getoutput('x')", "# comment ?",
          "print('?')", "/print 1", "x? ", "x != 3", "k %= 2", "for i in range(2):", "    !echo {i}", "    np.exp??",
          "q = [", "]", "t = \"don't\"", "!echo don't", "x = \\", "    %sx ls", "", "   ", "In [3]: z = 1",
          "   ...: w = 2", ",print a b", ";print a b", "%%time", "%%timeit?", "a[0] = !ls", "b: int = %time g()",
          "x = 5 if y else z?", "f(a=%x)", "{1: 2}?", "x = \"unterminated", "  ?", "%", "!", "x = %", "x = % 3",
          "u = r\"\\\"\"", "f\"{x!r}\"", "@dec", "class C:", "    pass?", "x.y[0]?", "x.y[a]?"]


def test_random_cells_read_as_ipython_reads_them() -> None:
    """Valid or not, each cell is read as IPython reads it."""
    rng = random.Random(21)
    for _ in range(4000):
        cell = "\n".join(rng.choice(PIECES) for _ in range(rng.randint(1, 6)))
        ours = python_lines(cell)
        assert len(ours) == len(code_lines(cell)), cell
        try:
            theirs = _dump_or_none(_transformed(cell), _IPythonCalls())
        except SyntaxError:  # IPython's tokenizer gave up (an IndentationError): not Python either
            theirs = None
        assert _dump_or_none("\n".join(ours)) == theirs, cell


def _dump_or_none(source: str, transformer: ast.NodeTransformer | None = None) -> str | None:
    """The statements of `source` (neutralised by `transformer`), None where it is no Python."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    return ast.dump(transformer.visit(tree) if transformer else tree)


def test_lines_keep_their_numbers_and_python_is_untouched() -> None:
    cell = "import numpy as np\n!pip install \\\n    numpy\nif True:\n    %time 1\n    x = np.tanh?\n    y = 2\nfiles = !ls"
    assert python_lines(cell) == ["import numpy as np", "pass", "", "if True:", "    pass", "    pass", "    y = 2",
                                  "files = None"]
    plain = "def f(x):\n    return x % 2  # 50% of the time?\n\n\nprint(f'{f(3)!r}')"
    assert python_lines(plain) == code_lines(plain)


def test_a_string_that_python_keeps_whole_stays_whole() -> None:
    """Python splits lines at \\n and \\r only; IPython also at U+2028, inside a string too."""
    cell = 's = "a\u2028b"\n!echo hi'
    assert python_lines(cell) == ['s = "a\u2028b"', "pass"]


def test_the_reader_needs_no_ipython() -> None:
    """Where IPython cannot be imported, the reader reads the corpus as it does here."""
    script = ("import json, sys; sys.modules['IPython'] = None\n"
              "from grader.ipython_syntax import python_lines\n"
              "print(json.dumps([python_lines(c) for c in json.loads(sys.stdin.read())]))")
    import json

    run = subprocess.run([sys.executable, "-c", script], input=json.dumps(CORPUS), capture_output=True,
                         text=True, cwd=ROOT, timeout=120, check=True)
    assert json.loads(run.stdout) == [python_lines(c) for c in CORPUS]
