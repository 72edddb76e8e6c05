"""A ban means the API its rule names: `keras.Model.summary`, not a word `summary` anywhere.

Source rules are read from the reference solutions with one planted change each: a student's
own names that look like a banned API never count, real uses do (through any alias), each with
its line, and only in the functions a check grades. Run-time recording is tried on plain Python
modules here, and end to end in the sandbox.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.bans import PREFIXES, Ban, as_bans, graded_names, names_api, watching
from grader.checks import check
from grader.course import Course
from grader.grading import forbidden_uses
from grader.submission import Submission

from conftest import ROOT

COURSE = Course(ROOT)
CH1, CH2, CH8 = (COURSE.chapter(n) for n in ("chapter1", "chapter2", "chapter8"))
LINE = re.compile(r"^\w+\.py, line \d+: ")


def solution(chapter) -> str:
    return (chapter.solution_dir / chapter.module_file).read_text()


def planted(chapter, old: str, new: str, *, prefix: str = "", suffix: str = "") -> str:
    source = solution(chapter)
    assert old in source, old
    return prefix + source.replace(old, new, 1) + suffix


def zeroed(chapter, source: str) -> dict[str, list[str]]:
    return {name: found for name, found in forbidden_uses(chapter, source).items() if found}


TANH = "    return 2.0 * _sigmoid(2.0 * np.asarray(z)) - 1.0\n"
DENSE = "    return input_size * units + (units if use_bias else 0)\n"
BACKWARD = 'def backward(layers, x, y, hidden="relu", output="linear"):\n'

# --- a student's own names are not the API ------------------------------------------------------

OWN_NAMES = {
    "a dict called summary": (CH1, DENSE, "    summary = {'summary': 1}\n    summary['count_params'] = 2\n" + DENSE, ""),
    "a helper called count_params": (
        CH1, DENSE, "    return count_params(input_size, units, use_bias)\n",
        "\n\ndef count_params(n_in, units, use_bias):\n    return n_in * units + (units if use_bias else 0)\n",
    ),
    "a variable called tanh": (CH1, TANH, "    tanh = 2.0 * _sigmoid(2.0 * np.asarray(z)) - 1.0\n    return tanh\n", ""),
    "np.tanh and summary() under __main__": (
        CH1, TANH, TANH,
        "\n\nif __name__ == '__main__':\n    import keras\n    print(np.tanh(0.5) - tanh_via_sigmoid(0.5))\n"
        "    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).summary()\n",
    ),
    "a top-level experiment outside the graded functions": (
        CH1, TANH, TANH, "\n\n_model = None\nprint('tanh(1) is', np.tanh(1.0))\n",
    ),
    "an own class whose method is called count_params": (
        CH1, DENSE, "    return _Counter().count_params(input_size, units, use_bias)\n",
        "\n\nclass _Counter:\n    def count_params(self, n_in, units, use_bias):\n"
        "        return n_in * units + (units if use_bias else 0)\n\n"
        "    def total(self, n_in, units):\n        return self.count_params(n_in, units, True)\n",
    ),
    "an own attribute called summary": (
        CH1, DENSE, "    return _Report(input_size, units, use_bias).summary['params']\n",
        "\n\nclass _Report:\n    def __init__(self, n_in, units, use_bias):\n"
        "        self.summary = {'params': n_in * units + (units if use_bias else 0)}\n\n"
        "    def show(self):\n        return self.summary\n",
    ),
    "an own method reached by its name": (
        CH1, DENSE, "    return _use(_Own(), input_size, units, use_bias)\n",
        "\n\ndef _use(own, n_in, units, use_bias):\n    return own.count(n_in, units, use_bias)\n\n\nclass _Own:\n"
        "    def count(self, n_in, units, use_bias):\n        return self.count_params(n_in, units, use_bias)\n\n"
        "    def count_params(self, n_in, units, use_bias):\n        return n_in * units + (units if use_bias else 0)\n",
    ),
    "own methods called on the items of a list": (
        CH1, DENSE, "    return sum(part.count_params() for part in [_Weights(input_size, units), _Biases(units, use_bias)])\n",
        "\n\nclass _Weights:\n    def __init__(self, n_in, units):\n        self.n = n_in * units\n\n"
        "    def count_params(self):\n        return self.n\n\n\nclass _Biases(_Weights):\n"
        "    def __init__(self, units, use_bias):\n        self.n = units if use_bias else 0\n",
    ),
    "an inherited own method called on self": (
        CH1, DENSE, "    return _Dense(input_size, units, use_bias).total()\n",
        "\n\nclass _Base:\n    def count_params(self):\n        return self.n_in * self.units + (self.units if self.bias else 0)\n"
        "\n\nclass _Dense(_Base):\n    def __init__(self, n_in, units, bias):\n"
        "        self.n_in, self.units, self.bias = n_in, units, bias\n\n"
        "    def total(self):\n        return self.count_params()\n",
    ),
    "train_step's own class with methods named forward and backward": (
        CH8, "    import tensorflow as tf\n\n    with tf.GradientTape() as tape:\n",
        "    return _KerasPasses(model, loss_fn).backward(optimizer, x, y)\n\n\n"
        "def _unused(model, optimizer, x, y, loss_fn):\n    import tensorflow as tf\n\n    with tf.GradientTape() as tape:\n",
        "\n\nclass _KerasPasses:\n    def __init__(self, model, loss_fn):\n        self.model, self.loss_fn = model, loss_fn\n\n"
        "    def forward(self, x, y):\n        return self.loss_fn(y, self.model(x, training=True))\n\n"
        "    def backward(self, optimizer, x, y):\n        import tensorflow as tf\n\n"
        "        with tf.GradientTape() as tape:\n            loss = self.forward(x, y)\n"
        "        grads = tape.gradient(loss, self.model.trainable_variables)\n"
        "        optimizer.apply_gradients(zip(grads, self.model.trainable_variables))\n        return loss\n",
    ),
    "a try-out at top level whose names a graded function uses as locals": (
        CH8, BACKWARD, BACKWARD, "\n\nimport tensorflow as tf\n\nwith tf.GradientTape() as tape:\n"
        "    a = tf.constant([[1.0, 2.0]])\n    z = a * 2.0\ncache = tf.reduce_sum(z)\n",
    ),
    "an own function called he_normal": (
        CH2, "    return keras.random.normal(shape, mean=0.0, stddev=np.sqrt(2.0 / fan_in), dtype=dtype)\n",
        "    return he_normal(shape, fan_in, dtype)\n",
        "\n\ndef he_normal(shape, fan_in, dtype=None):\n"
        "    return keras.random.normal(shape, mean=0.0, stddev=np.sqrt(2.0 / fan_in), dtype=dtype)\n",
    ),
    "a list called gradients and np.gradient": (
        CH8, BACKWARD, BACKWARD + "    gradients = [np.gradient(np.arange(3.0))]\n    del gradients\n", "",
    ),
}


@pytest.mark.parametrize("case", OWN_NAMES, ids=list(OWN_NAMES))
def test_own_names_that_look_like_an_api_are_not_banned(case: str) -> None:
    chapter, old, new, suffix = OWN_NAMES[case]
    assert zeroed(chapter, planted(chapter, old, new, suffix=suffix)) == {}


# --- real uses are caught, through any alias, with their line -----------------------------------

T = "tanh_via_sigmoid"
REAL_USES = {
    "np.tanh": ("", TANH, "    return np.tanh(z)\n", T, "np.tanh() (numpy.tanh) is a ready-made tanh"),
    "from numpy import tanh as t": ("from numpy import tanh as t\n", TANH, "    return t(z)\n", T, "t() (numpy.tanh)"),
    "from numpy import *": ("from numpy import *\n", TANH, "    return tanh(z)\n", T, "tanh() (numpy.tanh)"),
    "tf.tanh": ("import tensorflow as tf\n", TANH, "    return tf.tanh(z).numpy()\n", T, "tf.tanh() (tensorflow.tanh)"),
    "tf.nn.tanh": ("import tensorflow as tf\n", TANH, "    return tf.nn.tanh(z).numpy()\n", T, "tf.nn.tanh()"),
    "tf.keras.activations.tanh": (
        "import tensorflow as tf\n", TANH, "    return tf.keras.activations.tanh(z)\n", T, "(keras.activations.tanh)",
    ),
    "from tensorflow import keras": (
        "from tensorflow import keras\n", TANH, "    return keras.ops.tanh(z)\n", T, "keras.ops.tanh()",
    ),
    "keras.src path": (
        "import keras\n", TANH, "    return keras.src.ops.numpy.tanh(z)\n", T, "keras.src.ops.numpy.tanh() is a ready-made tanh",
    ),
    "math.tanh in a vectorize": (
        "import math\n", TANH, "    return np.vectorize(math.tanh)(z)\n", T, "math.tanh is a ready-made tanh",
    ),
    "__import__ by a constant": ("", TANH, "    return __import__('numpy').tanh(z)\n", T, "(numpy.tanh)"),
    "getattr of a module by a constant": ("", TANH, "    return getattr(np, 'tanh')(z)\n", T, "getattr(np, 'tanh')()"),
    "a helper the graded function calls": (
        "", TANH, "    return _mine(z)\n\n\ndef _mine(z):\n    return np.tanh(z)\n", T, "np.tanh()",
    ),
    "model.count_params()": (
        "import keras\n", DENSE,
        "    model = keras.Sequential([keras.Input((input_size,)), keras.layers.Dense(units, use_bias=use_bias)])\n"
        "    return model.count_params()\n", "dense_params", "model.count_params() counts with Keras",
    ),
    "self.model.summary()": (
        "", DENSE, "    return _Wrap(None).show()\n\n\nclass _Wrap:\n    def __init__(self, model):\n        self.model = model\n\n"
        "    def show(self):\n        return self.model.summary()\n", "dense_params", "self.model.summary() counts with Keras",
    ),
    "getattr with a constant": (
        "", DENSE, "    return getattr(_layer(input_size, units), 'count_params')()\n", "dense_params",
        "getattr(_layer(input_size, units), 'count_params')() counts with Keras",
    ),
    "tf.keras.Model.count_params": (
        "import tensorflow as tf\n", DENSE, "    return tf.keras.Model.count_params(_layer(input_size, units))\n",
        "dense_params", "tf.keras.Model.count_params() (keras.Model.count_params)",
    ),
    "a method of a built layer": (
        "from keras import layers\n", "    (h, w, _), (kh, kw), (sh, sw) = input_shape, _pair(kernel_size), _pair(strides)\n",
        "    return layers.Conv2D(filters, kernel_size, strides).compute_output_shape((None, *input_shape))[1:]\n",
        "conv_output_shape", "layers.Conv2D(...).compute_output_shape() asks Keras for the shape",
    ),
    "a method of an own class the graded function makes": (
        "", TANH, "    return _Act().apply(z)\n\n\nclass _Act:\n    def apply(self, z):\n        return np.tanh(z)\n",
        T, "np.tanh() (numpy.tanh) is a ready-made tanh",
    ),
    "a module-level alias": (
        "import keras\ncount = keras.Model.count_params\n", DENSE, "    return count(_layer(input_size, units))\n",
        "dense_params", "line 2: keras.Model.count_params counts with Keras",
    ),
}


@pytest.mark.parametrize("case", REAL_USES, ids=list(REAL_USES))
def test_real_uses_are_caught_with_their_line(case: str) -> None:
    prefix, old, new, check_name, expected = REAL_USES[case]
    found = zeroed(CH1, planted(CH1, old, new, prefix=prefix))
    assert check_name in found, found
    assert any(expected in line for line in found[check_name]), found[check_name]
    for lines in found.values():
        assert all(LINE.match(line) for line in lines), lines  # every ban message names a line


@pytest.mark.parametrize("guard", ["if __name__ != '__main__':\n", "if __name__ == '__main__':\n    pass\nelse:\n"])
def test_code_that_runs_on_import_is_read_beside_a_main_guard(guard: str) -> None:
    """Only the body of `if __name__ == "__main__":` is skipped: it never runs when graded."""
    redefined = "    import keras\n\n    def dense_params(n_in, units, use_bias=True):\n        return keras.Model.count_params(n_in)\n"
    found = zeroed(CH1, solution(CH1) + "\n" + guard + redefined)
    assert "keras.Model.count_params() counts with Keras" in found["dense_params"][0]


def test_the_line_is_the_line_of_the_use() -> None:
    source = planted(CH1, TANH, "    return np.tanh(z)\n")
    line = source.splitlines().index("    return np.tanh(z)") + 1
    assert zeroed(CH1, source)[T] == [
        f"fundamentals.py, line {line}: np.tanh() (numpy.tanh) is a ready-made tanh; "
        "this exercise asks you to build it from the sigmoid"
    ]


def test_a_ban_zeroes_only_the_checks_whose_functions_use_it() -> None:
    """summary() in conv2d_params zeroes conv2d_params and model_params (which calls it), never
    dense_params or the shapes; np.tanh in relu and softmax, which have no ban, zeroes nothing."""
    source = planted(CH1, "    kh, kw = _pair(kernel_size)\n", "    kh, kw = _pair(kernel_size)\n    _MODEL.summary()\n",
                     prefix="import keras\n_MODEL = keras.Sequential()\n")
    source = source.replace("def relu(z):\n", "def relu(z):\n    np.tanh(z)\n")
    assert set(zeroed(CH1, source)) == {"conv2d_params", "model_params", "model_params_random"}


def test_allow_in_exempts_a_function_even_when_graded_code_calls_it() -> None:
    """Chapter 8: train_step must use tf.GradientTape; backward may not."""
    assert zeroed(CH8, solution(CH8)) == {}
    helper = planted(CH8, BACKWARD, BACKWARD + "    _tape()\n",
                     suffix="\n\ndef _tape():\n    import tensorflow as tf\n    return tf.GradientTape()\n")
    assert set(zeroed(CH8, helper)) == {"backward", "backward_random"}
    allowed = planted(CH8, BACKWARD, BACKWARD + "    if False:\n        train_step(None, None, x, y, None)\n")
    assert zeroed(CH8, allowed) == {}


def test_every_ban_in_the_course_reaches_the_functions_it_is_meant_for() -> None:
    """Each ruled check grades at least one function of its reference solution."""
    from grader.bans import SourceReader
    from grader.submission import parse

    for chapter in COURSE.chapters.values():
        ruled = [c for c in chapter.checks if c.forbid]
        if not ruled:
            continue
        reader = SourceReader(parse(solution(chapter)))
        files = frozenset(c.probe.__code__.co_filename for c in chapter.checks)
        for chk in ruled:
            assert reader.scope(graded_names(chk, files), chk.allow_in), f"{chapter.name}: {chk.name} grades nothing"


def test_a_ban_needs_a_real_path_and_a_reason() -> None:
    with pytest.raises(TypeError, match="forbid takes"):
        check(points=1, forbid=["count_params"])(lambda sub, ctx: None)
    assert as_bans({"numpy.tanh": "why"}) == (Ban("numpy.tanh", "why"),)
    assert Ban("keras.Model.summary", "x").method == "summary" and Ban("numpy.tanh", "x").method is None


ALIASES = [  # a path a student may write, the ban's path: the resolver takes them as one API
    ("tensorflow.keras.Model", "keras.Model"),
    ("keras._tf_keras.keras.Model", "keras.Model"),
    ("tensorflow.compat.v1.tanh", "tensorflow.math.tanh"),
    ("tensorflow.compat.v2.nn.tanh", "tensorflow.math.tanh"),
    ("tensorflow.tanh", "tensorflow.math.tanh"),
    ("tensorflow.nn.tanh", "tensorflow.math.tanh"),
    ("tensorflow.nn.in_top_k", "tensorflow.math.in_top_k"),
    ("numpy._core.umath.tanh", "numpy.tanh"),
    ("keras.models.Model", "keras.Model"),
    ("keras.src.models.model.Model", "keras.Model"),
    ("keras.src.initializers.random_initializers.HeNormal", "keras.initializers.HeNormal"),
    ("keras.src.ops.math.in_top_k", "keras.ops.in_top_k"),
    ("keras.ops.numpy.tanh", "keras.ops.tanh"),
]


@pytest.mark.slow
def test_aliases_the_resolver_assumes_are_the_same_objects_in_the_installed_packages() -> None:
    """Checked with the real TensorFlow, Keras and NumPy (in a process of its own), together with
    every ban path of the course: each names an object that exists (where its library does)."""
    for alias, api in ALIASES:
        assert names_api(alias, Ban(api, "x")), (alias, api)
    assert not names_api("keras.Model", Ban("keras.Sequential", "x"))
    course_bans = sorted({b.api for c in COURSE.chapters.values() for chk in c.checks for b in chk.forbid})
    script = textwrap.dedent(f"""
        import importlib, importlib.util
        from grader.bans import PREFIXES, _resolve
        for root in ("tensorflow", "keras", "numpy", "math", "cmath", "torch", "jax"):
            if importlib.util.find_spec(root):
                importlib.import_module(root)
        for alias, api in {ALIASES!r}:
            assert _resolve(alias) is _resolve(api) is not None, (alias, api)
        for prefix, to in PREFIXES.items():
            if importlib.util.find_spec(prefix.split(".")[0]):
                assert _resolve(prefix) is not None, prefix
        for api in {course_bans!r}:
            if importlib.util.find_spec(api.split(".")[0]):
                assert _resolve(api) is not None, api
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=300)  # fmt: skip
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
    assert set(PREFIXES)  # every prefix was checked above where its package is installed


# --- at run time ---------------------------------------------------------------------------------

STUDENT = '''\
import fractions
import json
import numpy as np


def computed(z):
    return getattr(np, "ta" + "nh")(z)


def imported():
    return __import__("js" + "on").dumps(1)


def built():
    return getattr(json, "JSON" + "Encoder")(indent=1)


def method(f):
    return getattr(f, "limit_" + "denominator")(10)


def exempt(z):
    return computed(z)


def by_exec(z):
    scope = {"np": np, "z": z}
    exec("out = getattr(np, 'tan' + 'h')(z)", scope)
    return scope["out"]
'''


def test_run_time_records_calls_the_source_cannot_see(tmp_path: Path) -> None:
    import fractions
    import importlib.util
    import json

    import numpy as np

    path = tmp_path / "student.py"
    path.write_text(STUDENT)
    spec = importlib.util.spec_from_file_location("student_under_watch", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bans = as_bans({"numpy.tanh": "a", "json": "b", "json.JSONEncoder": "c",
                    "fractions.Fraction.limit_denominator": "d"})  # fmt: skip
    originals = (np.tanh, vars(json.JSONEncoder)["__init__"], fractions.Fraction.limit_denominator, __import__)
    with watching(bans, module, ("exempt",)) as seen:
        np.tanh(0.5)  # the grader's own calls: not the student's
        json.JSONEncoder()
        fraction = fractions.Fraction(1, 3)
        module.computed(0.5)
        module.imported()
        module.built()
        module.method(fraction)
        module.exempt(0.5)  # calls computed, inside a function the ban allows
        module.by_exec(0.5)
    lines = STUDENT.splitlines()
    line = {name: next(i for i, text in enumerate(lines, 1) if text.startswith(f"def {name}(")) + 1
            for name in ("computed", "imported", "built", "method")}
    line["by_exec"] = next(i for i, text in enumerate(lines, 1) if text.startswith("    exec("))
    assert [(c.api, c.function, c.line, c.imported) for c in seen] == [
        ("numpy.tanh", "computed", line["computed"], False),
        ("json", "imported", line["imported"], True),
        ("json.JSONEncoder", "built", line["built"], False),
        ("fractions.Fraction.limit_denominator", "method", line["method"], False),
        ("numpy.tanh", "by_exec", line["by_exec"], False),
    ]
    now = (np.tanh, vars(json.JSONEncoder)["__init__"], fractions.Fraction.limit_denominator, __import__)
    assert all(a is b for a, b in zip(now, originals)), "everything is restored"
    with watching(bans, module) as after:
        pass
    module.computed(0.5)
    assert after == [], "nothing is recorded once the block is left"


# --- end to end, in the sandbox ------------------------------------------------------------------


@pytest.mark.slow
def test_own_names_and_try_out_code_score_full_marks(session) -> None:
    """The class of false bans testers saw, all in one submission: a summary dict, a
    count_params helper, a tanh variable, np.tanh and summary() under __main__."""
    source = planted(CH1, DENSE, "    summary = {'summary': count_params(input_size, units, use_bias)}\n"
                     "    return summary['summary']\n",
                     suffix="\n\ndef count_params(n_in, units, use_bias):\n    return n_in * units + (units if use_bias else 0)\n"
                     "\n\nif __name__ == '__main__':\n    import keras\n    print(np.tanh(0.5))\n"
                     "    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).summary()\n")
    source = source.replace(TANH, "    tanh = 2.0 * _sigmoid(2.0 * np.asarray(z)) - 1.0\n    return tanh\n")
    result = session.grade(CH1, Submission("own names", source))
    assert result.score == result.max_score > 0, [c.feedback for c in result.checks if c.score < c.points]


def test_a_computed_name_is_caught_at_run_time(session) -> None:
    source = planted(CH1, DENSE, '    return getattr(_layer(input_size, units, use_bias), "count" + "_params")()\n',
                     suffix="\n\ndef _layer(n_in, units, use_bias=True):\n    import keras\n\n"
                     "    layer = keras.layers.Dense(units, use_bias=use_bias)\n    layer.build((None, n_in))\n    return layer\n")
    line = source.splitlines().index('    return getattr(_layer(input_size, units, use_bias), "count" + "_params")()') + 1
    result = session.grade(CH1, Submission("computed", source))
    by_name = {c.name: c for c in result.checks}
    assert by_name["dense_params"].score == 0
    assert by_name["dense_params"].feedback[0].startswith(
        f"fundamentals.py, line {line}: called keras.Model.count_params while dense_params ran (seen at run time)"
    )
    assert by_name["conv2d_params"].score == by_name["conv2d_params"].points  # graded, never calls it
    assert by_name[T].score == by_name[T].points


def test_a_decoy_method_of_the_banned_name_leaves_the_real_call_to_run_time(session) -> None:
    """A file whose own class defines count_params cannot be read for whose count_params a call
    is; the real Keras call is then seen at run time."""
    source = planted(CH1, DENSE, "    return _layer(input_size, units, use_bias).count_params()\n",
                     suffix="\n\nclass _Decoy:\n    def count_params(self):\n        return 0\n\n\n"
                     "def _layer(n_in, units, use_bias=True):\n    import keras\n\n"
                     "    layer = keras.layers.Dense(units, use_bias=use_bias)\n    layer.build((None, n_in))\n    return layer\n")
    assert "dense_params" not in zeroed(CH1, source)
    dense = next(c for c in session.grade(CH1, Submission("decoy", source)).checks if c.name == "dense_params")
    assert dense.score == 0 and "called keras.Model.count_params while dense_params ran (seen at run time)" in dense.feedback[0]


def test_an_import_by_a_computed_name_is_caught_at_run_time(session) -> None:
    """Chapter 8: TensorFlow imported under a name built at run time, in backward only."""
    source = planted(CH8, BACKWARD, BACKWARD + '    _tf = __import__("tensor" + "flow")\n    del _tf\n')
    line = source.splitlines().index('    _tf = __import__("tensor" + "flow")') + 1
    assert zeroed(CH8, source) == {}, "no reading of the source can tell"
    result = session.grade(CH8, Submission("computed import", source))
    lost = {c.name: c.feedback for c in result.checks if c.score < c.points}
    assert set(lost) == {"backward", "backward_random"}, lost
    assert lost["backward"] == [
        f"backprop.py, line {line}: imported tensorflow while backward ran (seen at run time); "
        "uses TensorFlow; every function but train_step is NumPy only"
    ]
