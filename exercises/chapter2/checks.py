"""Public checks of chapter 2: three ways to build a model, merging branches, initialisers,
and compile / fit / evaluate.

Models are judged by what they do: the probe builds the student's model, copies the same
deterministic weights into it as into the reference model (a weight's values depend only on its
shape, so the order in which layers were created does not matter), and compares parameter
counts, the output shapes of the layers with weights (seen by calling the model on real inputs,
so `Dense` then a separate `ReLU()` and a subclassed `call` using `tf.nn` are the same network)
and predictions. Losses are judged by real train steps (`train_on_batch`) and on the model's
outputs handed over as plain numbers.
"""

from grader.checks import ChapterSpec, check
from grader.judges import close

CHAPTER = ChapterSpec(
    title="Building, compiling and training models",
    module="models",
    summary="Build one network with Sequential, the Functional API and a keras.Model subclass; "
    "merge two branches; write a weight initialiser; pick the loss for integer or one-hot "
    "labels and train with compile, fit and evaluate.",
)

# How far a statistic of the student's random weights may drift from the reference's, for
# samples of about 50,000 weights (several standard errors of each statistic).
STAT_TOLERANCE = {
    "mean in std units": 0.04,
    "variance x fan_in": 0.15,
    "share within 1 std": 0.02,
    "share within 2 std": 0.008,
    "largest |w| / std": 0.03,
}
STAT_HINT = {
    "share within 1 std": " (normal 0.683, normal truncated at 2 std 0.65, uniform 0.577)",
    "share within 2 std": " (normal 0.954, normal truncated at 2 std 0.966, uniform 1)",
    "largest |w| / std": " (uniform 1.732)",
}


def _stats_or_close(expected, got):
    """Statistics of random weights within STAT_TOLERANCE; everything else close()."""
    if isinstance(expected, dict) and set(expected) & set(STAT_TOLERANCE):
        if not isinstance(got, dict):
            return f"expected weight statistics, got {got!r}"[:120]
        for key, want in expected.items():
            if key not in got:
                return f"missing {key}"
            have = got[key]
            if key in STAT_TOLERANCE:
                tol = STAT_TOLERANCE[key]
                if not isinstance(have, (int, float)) or not abs(have - want) <= tol:
                    return (f"expected {key} {want:.4g} (+/- {tol:g}), got {have!r:.8}"
                            f"{STAT_HINT.get(key, '')}")
            else:
                found = close()(want, have)
                if found:
                    return f"{key}: {found}"
        return None
    return close()(expected, got)


def _transplant(model, base):
    """Give every weight values that depend only on `base` and the weight's shape."""
    import numpy as np

    for weight in model.weights:
        shape = tuple(int(d) for d in weight.shape)
        rng = np.random.default_rng([base, len(shape), *shape])
        scale = 1.0 / np.sqrt(shape[0]) if len(shape) > 1 else 0.1
        weight.assign((rng.normal(size=shape) * scale).astype("float32"))


def _kind(model):
    import keras

    if isinstance(model, keras.Sequential):
        return "Sequential"
    if type(model).__name__ == "Functional":
        return "Functional (keras.Model(inputs, outputs))"
    if isinstance(model, keras.Model):
        return "a subclass of keras.Model"
    return type(model).__name__


class GraderFault(Exception):
    """A helper of the probe itself failed: the grader's error, never the student's."""


class _ours:
    """`with _ours("what"):` around the probe's own bookkeeping: if it fails, the case says it
    is the grader's error, not the student's."""

    def __init__(self, what):
        self.what = what

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is not None and isinstance(exc, Exception) and not isinstance(exc, GraderFault):
            raise GraderFault(f"the grader's own probe failed while {self.what} ({type(exc).__name__}: "
                              f"{exc}); this is the grader's error, not yours: tell your instructor") from exc
        return False


def _layer_shapes(model, x):
    """Output shape of every layer that holds weights, without the batch axis, in the order data
    flows through them when the model is called on the real inputs `x` (not traced: a
    subclassed model's `call` may use TensorFlow functions that symbolic inputs refuse). Layers
    without weights (a separate ReLU or Activation layer) change no shape and are left out."""
    seen = []
    leaves = [layer for layer in model._flatten_layers(include_self=False) if layer.weights and not layer._layers]

    def watch(layer):
        original = layer.call

        def call(*args, **kwargs):
            out = original(*args, **kwargs)
            seen.append(list(out.shape)[1:])
            return out

        return call

    with _ours("watching the layers' outputs"):
        for layer in leaves:
            object.__setattr__(layer, "call", watch(layer))
    try:
        model(x)
    finally:
        with _ours("putting the layers back"):
            for layer in leaves:
                object.__delattr__(layer, "call")
    return seen


def _observe_model(ctx, label, build, x, base, shapes=True, kind=True):
    """Build once; record kind, parameters, layer output shapes, outputs with copied weights
    (`kind` and `shapes` may be left out)."""
    built = {}

    def make():
        if "error" in built:
            raise built["error"]
        if "model" not in built:
            try:
                model = build()
                model(x)  # builds a subclassed model's layers
                _transplant(model, base)
            except Exception as exc:
                built["error"] = exc
                raise
            built["model"] = model
        return built["model"]

    if kind:
        ctx.case(f"{label}: kind of model", lambda: _kind(make()))
    ctx.case(f"{label}: count_params()", lambda: make().count_params())
    if shapes:
        ctx.case(f"{label}: output shapes of the layers with weights, in order (batch axis left out)",
                 lambda: _layer_shapes(make(), x))
    ctx.case(f"{label}: output on {x.shape[0]} fixed inputs, reference weights copied in",
             lambda: make()(x))


def _inputs(ctx, n, n_features):
    return ctx.rng.normal(size=(n, n_features)).astype("float32")


def _builds(sub, n_features, n_classes):
    """The three ways the network is built, by API: (case label, build)."""
    return {
        "sequential": (f"build_sequential({n_features}, {n_classes})",
                       lambda: sub.build_sequential(n_features, n_classes)),
        "functional": (f"build_functional({n_features}, {n_classes})",
                       lambda: sub.build_functional(n_features, n_classes)),
        "subclass": (f"MLP({n_classes}) called on {n_features} features", lambda: sub.MLP(n_classes)),
    }


def _observe_build(sub, ctx, api):
    base = int(ctx.rng.integers(2**31))
    for n_features, n_classes in [(8, 3), (4, 10)]:
        label, build = _builds(sub, n_features, n_classes)[api]
        _observe_model(ctx, label, build, _inputs(ctx, 4, n_features), base)


@check(points=2, compare=close(rtol=1e-5, atol=1e-6))
def sequential_model(sub, ctx):
    "build_sequential: the network as a keras.Sequential."
    _observe_build(sub, ctx, "sequential")


@check(points=2, compare=close(rtol=1e-5, atol=1e-6))
def functional_model(sub, ctx):
    "build_functional: the same network with the Functional API."
    _observe_build(sub, ctx, "functional")


@check(points=2, compare=close(rtol=1e-5, atol=1e-6))
def subclassed_model(sub, ctx):
    "MLP: the same network as a subclass of keras.Model."
    _observe_build(sub, ctx, "subclass")


@check(points=2, compare=close(rtol=1e-5, atol=1e-6))
def two_branch(sub, ctx):
    "build_two_branch: a shallow and a deep branch merged by concatenation or by sum."
    base = int(ctx.rng.integers(2**31))
    for n_features, units in [(6, 4), (5, 3)]:
        x = _inputs(ctx, 4, n_features)
        for merge in ["concat", "sum"]:
            _observe_model(ctx, f"build_two_branch({n_features}, {units}, {merge!r})",
                           lambda: sub.build_two_branch(n_features, units, merge), x, base,
                           shapes=False)


def _weight_stats(weights, fan_in, uniform=False):
    import keras
    import numpy as np

    dtype = getattr(weights, "dtype", None)
    dtype = keras.backend.standardize_dtype(dtype) if dtype is not None else type(weights).__name__
    w = np.asarray(weights, dtype="float64")
    std = w.std()
    stats = {
        "shape": list(w.shape),
        "dtype": dtype,
        "mean in std units": w.mean() / std,
        "variance x fan_in": w.var() * fan_in,
        "share within 1 std": np.mean(np.abs(w - w.mean()) <= std),
        "share within 2 std": np.mean(np.abs(w - w.mean()) <= 2 * std),
    }
    if uniform:
        stats["largest |w| / std"] = np.abs(w).max() / std
    return stats


# scaled_normal is to be written by hand, not borrowed from Keras' ready-made initialisers.
KERAS_NORMAL_INITIALIZERS = {
    f"keras.initializers.{name}": "is one of Keras' ready-made initialisers; this exercise asks you to write "
    "scaled_normal yourself (with keras.random.normal)"
    for name in ("VarianceScaling", "variance_scaling", "HeNormal", "he_normal", "RandomNormal", "random_normal")
}


@check(points=2, compare=_stats_or_close, forbid=KERAS_NORMAL_INITIALIZERS, reference="oracle")
def custom_initializer(sub, ctx):
    "scaled_normal: a normal initialiser with variance 2 / fan_in (Keras' He scale), untruncated."
    import keras
    import numpy as np

    for shape, dtype in [((500, 100), "float32"), ((3, 3, 64, 96), None)]:
        label = f"scaled_normal({shape}{'' if dtype is None else f', dtype={dtype!r}'})"
        kwargs = {} if dtype is None else {"dtype": dtype}
        ctx.case(label, lambda: _weight_stats(sub.scaled_normal(shape, **kwargs),
                                              int(np.prod(shape[:-1]))))

    def in_a_layer():
        layer = keras.layers.Dense(128, kernel_initializer=sub.scaled_normal)
        layer.build((None, 400))
        return _weight_stats(layer.kernel, 400)

    ctx.case("the kernel of Dense(128, kernel_initializer=scaled_normal) on 400 inputs", in_a_layer)


@check(points=1, compare=_stats_or_close, reference="oracle")
def seeded_dense(sub, ctx):
    "seeded_dense: Keras' default initialisers (Glorot uniform kernel, zero bias), seeded."
    for units, seed, n_in in [(256, 7, 200), (40, 1234, 1000)]:

        def build(units=units, seed=seed, n_in=n_in):
            layer = sub.seeded_dense(units, seed)
            layer.build((None, n_in))
            return layer

        label = f"seeded_dense({units}, seed={seed}) built on {n_in} inputs"
        ctx.case(f"{label}: kernel statistics",
                 lambda: _weight_stats(build().kernel, n_in, uniform=True))
        ctx.case(f"{label}: kernel[:4, :4]", lambda: build().kernel[:4, :4])
        ctx.case(f"{label}: bias", lambda: build().bias)


def _quiet_retracing():
    """Each short fit traces new functions: keep TensorFlow's retracing warning out of the
    output a student is shown."""
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")


def _classifier(n_features, n_classes, last_activation, base):
    import keras

    model = keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(n_classes, activation=last_activation),
    ])
    _transplant(model, base)
    return model


def _fit_compiled(sub, x, y, last_activation, learning_rate, base, n_classes=None):
    """Compile with the student's choice, then train_on_batch on each batch of 16 in turn.
    `n_classes` defaults to what the labels show.

    Each step's loss and metrics are recorded: the second shows the learning rate and the
    optimizer, the third momentum, if any. train_on_batch runs the train step the compile made, as
    fit does, without fit's input pipeline; eagerly (`run_eagerly` set after the student's
    compile), which spares tracing a step for every model, most of what a short compiled fit
    costs."""
    import keras
    import numpy as np

    _quiet_retracing()
    if n_classes is None:
        n_classes = int(y.max()) + 1 if y.ndim == 1 else y.shape[1]
    model = _classifier(x.shape[1], n_classes, last_activation, base)
    returned = sub.compile_classifier(model, y, last_activation, learning_rate)
    # Keras quietly takes the logits back from a softmax layer's output, which hides a loss told
    # the wrong kind of output in fit: the same outputs as plain numbers show what it was told.
    outputs = keras.ops.convert_to_tensor(np.asarray(model(x[:16])))
    plain = float(model.compute_loss(x=x[:16], y=y[:16], y_pred=outputs))
    model.run_eagerly = True
    steps = []
    for i in range(0, len(x), 16):
        model.reset_metrics()  # each step's own loss: Keras 3.13 (Colab's) carries the means across calls
        steps.append(model.train_on_batch(x[i:i + 16], y[i:i + 16], return_dict=True))
    return {
        "returns the model": returned is model,
        "loss of the model's outputs handed over as plain numbers": plain,
        "loss of each step": [logs.get("loss") for logs in steps],
        "metrics of each step": [[logs[k] for k in logs if k != "loss"] for logs in steps],
    }


@check(points=3, compare=close(rtol=1e-4, atol=1e-5))
def compile_for_labels(sub, ctx):
    "compile_classifier: the crossentropy for integer or one-hot labels, from_logits for a linear output."
    import numpy as np

    base = int(ctx.rng.integers(2**31))
    n_classes = 3
    x = _inputs(ctx, 48, 5)
    labels = ctx.rng.integers(0, n_classes, size=48)
    for kind, y in [("integer", labels), ("one-hot", np.eye(n_classes, dtype="float32")[labels])]:
        for last in ["softmax", "linear"]:
            label = (f"compile_classifier(model with a {last} last layer, {kind} labels of shape "
                     f"{y.shape}, learning_rate=0.1), then train_on_batch on 3 batches of 16")
            ctx.case(label, _fit_compiled, sub, x, y, last, 0.1, base)


@check(points=2, compare=close(rtol=1e-4, atol=1e-5))
def fit_and_evaluate(sub, ctx):
    "fit_and_evaluate: train without shuffling, then evaluate on the test data."
    base = int(ctx.rng.integers(2**31))
    _fit_and_evaluate_case(sub, ctx, base, 32, 16, 5, 3, epochs=2, batch_size=16)


def _fit_and_evaluate_case(sub, ctx, base, n_train, n_test, n_features, n_classes, epochs, batch_size):
    """One case of the student's fit_and_evaluate on a classifier the probe compiled itself, and
    whether it printed Keras' progress (the task says it must not; verbose=0)."""
    import contextlib
    import io
    import re
    import sys

    import keras

    _quiet_retracing()
    x_train, x_test = _inputs(ctx, n_train, n_features), _inputs(ctx, n_test, n_features)
    y_train = ctx.rng.integers(0, n_classes, size=n_train)
    y_test = ctx.rng.integers(0, n_classes, size=n_test)
    model = _classifier(n_features, n_classes, "softmax", base)
    # run eagerly: the same fit and evaluate the student calls, without a traced step per model
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"], run_eagerly=True)
    label = (f"fit_and_evaluate(model, {n_train} training and {n_test} test samples, "
             f"epochs={epochs}, batch_size={batch_size})")
    printed = io.StringIO()
    finished = []

    def run():
        try:
            with contextlib.redirect_stdout(printed):
                result = sub.fit_and_evaluate(model, x_train, y_train, x_test, y_test, epochs, batch_size)
        finally:
            sys.stdout.write(printed.getvalue())  # what the student printed still reaches them
        finished.append(True)
        return result

    def prints_progress():
        if not finished:
            raise RuntimeError("fit_and_evaluate did not return, so what it prints could not be judged")
        return bool(re.search(r"Epoch \d+/\d+", printed.getvalue()))

    ctx.case(label, run)
    ctx.case(f"{label}: prints Keras' training progress ('Epoch 1/{epochs}' lines)", prints_progress)
