"""Public checks of chapter 3: custom Keras metrics with state.

The reference is Keras itself: `solutions/chapter3/oracle.py` puts keras.metrics.TopKCategoricalAccuracy,
SparseTopKCategoricalAccuracy, Precision and Recall behind the exercise's class names, and every
check feeds the student's metric and the built-in the same stream of batches (directly, and
inside a real `fit`/`evaluate` of a model whose weights the probe sets).
"""

from grader.checks import ChapterSpec, check
from grader.judges import close

CHAPTER = ChapterSpec(
    title="Custom metrics: state, streaming, weights, config",
    module="metrics",
    summary="Write keras.metrics.Metric subclasses - top-k accuracy (one-hot or integer labels) "
    "and thresholded binary precision and recall - that keep state across batches, honour "
    "sample_weight, reset, survive a get_config/from_config round trip and work in fit/evaluate.",
)

_OWN_LOGIC = "this exercise asks you to write the metric's logic yourself"
TOPK_BUILTINS = {
    **{f"keras.metrics.{name}": f"is Keras' own top-k metric; {_OWN_LOGIC}"
       for name in ("TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "top_k_categorical_accuracy",
                    "sparse_top_k_categorical_accuracy")},
    "keras.ops.in_top_k": f"is Keras' ready-made top-k test; {_OWN_LOGIC}",
    "tensorflow.math.in_top_k": f"is TensorFlow's ready-made top-k test; {_OWN_LOGIC}",
}
BINARY_BUILTINS = {
    f"keras.metrics.{name}": f"is Keras' own metric; {_OWN_LOGIC}"
    for name in ("Precision", "Recall", "F1Score", "FBetaScore", "TruePositives", "FalsePositives",
                 "FalseNegatives", "PrecisionAtRecall", "RecallAtPrecision")
}
SAME = close(rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- helpers (plain numpy data)
def _probs(rng, n, classes):
    import numpy as np

    z = rng.normal(size=(n, classes)) * 1.5
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype("float32")


def _topk_batches(rng, sizes, classes, sparse, weighted=False, label_shape=1, ties=False):
    """(y_true, y_pred, sample_weight) per batch; with `ties` scores are small integers."""
    import numpy as np

    batches = []
    for n in sizes:
        labels = rng.integers(0, classes, size=n)
        scores = rng.integers(0, 4, size=(n, classes)).astype("float32") if ties else _probs(rng, n, classes)
        y_true = labels.reshape(n, 1) if (sparse and label_shape == 2) else labels
        if not sparse:
            y_true = np.eye(classes, dtype="float32")[labels]
        weight = _sample_weight(rng, n) if weighted else None
        batches.append((y_true, scores, weight))
    return batches


def _sample_weight(rng, n):
    """Weights in [0, 2), about 30% of them exactly 0."""
    weight = rng.uniform(0.0, 2.0, size=n).astype("float32")
    weight[rng.random(n) < 0.3] = 0.0
    return weight


def _binary_batches(rng, sizes, threshold, weighted=False, first_empty=None):
    """Scores are multiples of 1/8, so some sit exactly on the threshold. `first_empty`:
    'predicted' makes the first batch predict no positive, 'actual' gives it no positive label."""
    import numpy as np

    batches = []
    for i, n in enumerate(sizes):
        y_true = rng.integers(0, 2, size=n).astype("float32")
        y_pred = (rng.integers(0, 9, size=n) / 8).astype("float32")
        if i == 0 and first_empty == "predicted":
            y_pred = np.minimum(y_pred, threshold).astype("float32")
        if i == 0 and first_empty == "actual":
            y_true[:] = 0.0
        weight = _sample_weight(rng, n) if weighted else None
        batches.append((y_true, y_pred, weight))
    return batches


def _update(metric, batch):
    y_true, y_pred, weight = batch
    if weight is None:
        metric.update_state(y_true, y_pred)
    else:
        metric.update_state(y_true, y_pred, sample_weight=weight)


def _stream(ctx, what, make, batches):
    """Feed the batches one by one to a metric made by `make`; record result() after each."""
    held = {}

    def step(i):
        if "metric" not in held:
            held["metric"] = make()
        _update(held["metric"], batches[i])
        return float(held["metric"].result())

    sizes = ", ".join(str(len(b[1])) for b in batches)
    weighted = " with sample_weight" if batches[0][2] is not None else ""
    for i in range(len(batches)):
        ctx.case(f"{what}: result() after update_state on batch {i + 1} of {len(batches)}{weighted} "
                 f"(batch sizes {sizes})", step, i)


def _reset(ctx, what, make, batches):
    """Two batches, reset_state(), then one more: a reset metric must forget the first two."""
    held = {}

    def metric():
        if "metric" not in held:
            held["metric"] = make()
        return held["metric"]

    def fresh():
        return float(metric().result())

    def before():
        _update(metric(), batches[0])
        _update(metric(), batches[1])
        metric().reset_state()
        return float(metric().result())

    def after():
        _update(metric(), batches[2])
        return float(metric().result())

    ctx.case(f"{what}: result() of a new metric, before any update", fresh)
    ctx.case(f"{what}: result() right after reset_state() (2 batches fed before)", before)
    ctx.case(f"{what}: result() after reset_state() and one more batch of {len(batches[2][1])}", after)


def _round_trip(ctx, what, cls, kwargs, keys, batches):
    """get_config() keeps the constructor arguments; from_config() rebuilds a metric that works."""
    held = {}

    def config(key):
        if "config" not in held:
            held["config"] = cls(**kwargs).get_config()
        return held["config"][key]

    def rebuilt():
        metric = cls.from_config(cls(**kwargs).get_config())
        for batch in batches:
            _update(metric, batch)
        return float(metric.result())

    for key in keys:
        ctx.case(f"{what}.get_config()[{key!r}]", config, key)
    ctx.case(f"{what} rebuilt with from_config(get_config()): result() after {len(batches)} batches", rebuilt)


def _set_weights(model, rng):
    """Deterministic weights, the same in the student's run and the reference's."""
    for layer in model.layers:
        layer.set_weights([(rng.normal(size=w.shape) * 0.8).astype("float32") for w in layer.get_weights()])


def _pick(logs, names):
    missing = [n for n in names if n not in logs]
    if missing:
        raise KeyError(f"no metric named {missing[0]!r} in the logs, only {sorted(logs)}")
    return {name: logs[name] for name in names}


def _compiled_step(ctx, what, n, feeds):
    """update_state on each batch, then result(), traced into one tf.function: what fit and
    evaluate do by default, with symbolic tensors of unknown batch size and no autograph (Keras'
    step leaves a metric's code unconverted), so a metric that needs eager tensors (`.numpy()`,
    NumPy on tensors, a tensor as a Python bool) fails here as it fails there. The loops of
    `_fit_evaluate` run eagerly (a compiled step would cost a trace per model and input form), so
    the returned `gate()` makes them fail as a compiled loop would where the metrics raise here or
    give other results here than eagerly on the same batches.

    `feeds()` gives fresh (name, metric, y_true, y_pred, sample_weight or None) with whole
    arrays, fed in batches of 16."""
    import numpy as np
    import tensorflow as tf

    label = (f"{what}: update_state on {n} samples in batches of 16, then result(), inside a compiled "
             "step (a tf.function, as fit and evaluate run them)")
    held = {"problem": None}

    def batches(fed):
        arrays = [a for _, _, *data in fed for a in data if a is not None]
        return [[a[start:start + 16] for a in arrays] for start in range(0, len(arrays[0]), 16)]

    def update(fed, tensors):
        tensors = iter(tensors)
        for _, metric, _, _, weight in fed:
            y_true, y_pred = next(tensors), next(tensors)
            if weight is None:
                metric.update_state(y_true, y_pred)
            else:
                metric.update_state(y_true, y_pred, sample_weight=next(tensors))
        return [metric.result() for _, metric, *_ in fed]

    def run():
        fed = feeds()
        first = batches(fed)[0]
        specs = [tf.TensorSpec((None, *a.shape[1:]), tf.as_dtype(a.dtype)) for a in first]
        step = tf.function(lambda *tensors: update(fed, tensors), input_signature=specs, autograph=False)
        held["problem"] = "they raised an error there"
        for batch in batches(fed):
            results = step(*batch)
        compiled = [float(r) for r in results]
        held["problem"] = None
        eager = feeds()
        for batch in batches(eager):
            plain = [float(r) for r in update(eager, batch)]
        if not np.allclose(compiled, plain, rtol=1e-5, atol=1e-6, equal_nan=True):
            shown = ", ".join
            held["problem"] = (f"they give {shown(f'{v:.6g}' for v in compiled)} there, "
                               f"{shown(f'{v:.6g}' for v in plain)} run eagerly on the same batches")
        return {name: value for (name, *_), value in zip(fed, compiled)}

    def gate():
        if held["problem"]:
            raise RuntimeError(f"fit and evaluate run metrics in a compiled step (a tf.function) by default, and "
                               f"{held['problem']}: see '{label}'")

    ctx.case(label, run)
    return gate


def _fit_evaluate(ctx, what, build_metrics, names, x, y, weight, loss, out_units, out_activation, fit=True):
    """A tiny model with set weights, compiled with the metrics, fit 2 epochs (if `fit`), evaluated.

    `build_metrics()` gives (metrics, weighted_metrics): Keras 3 hands sample_weight only to the
    second list, so evaluate(sample_weight=w) checks the weighting inside a real loop. The loops
    run eagerly (run_eagerly=True: the same values, without tracing a step per model);
    `_compiled_step` judges the metrics where fit and evaluate compile them."""
    import keras
    import numpy as np

    model = keras.Sequential([keras.Input((x.shape[1],)), keras.layers.Dense(6, activation="tanh"),
                              keras.layers.Dense(out_units, activation=out_activation)])
    _set_weights(model, ctx.rng)
    held = {}

    def compiled():
        gate()
        if "error" in held:
            raise RuntimeError(f"the model could not be compiled with these metrics: {held['error']}")
        if not model.compiled:
            try:
                metrics, weighted = build_metrics()
                model.compile(optimizer=keras.optimizers.SGD(0.5), loss=loss, metrics=metrics,
                              weighted_metrics=weighted, run_eagerly=True, jit_compile=False)
            except Exception as exc:
                held["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
                raise
        return model

    def batches(*arrays):
        """The batches fit(x, y, batch_size=16, shuffle=False) makes, as a tf.data.Dataset: Keras
        then skips building its own pipeline for arrays, which costs more than the steps."""
        import tensorflow as tf

        return tf.data.Dataset.from_tensor_slices(arrays).batch(16)

    def train():
        return _pick(compiled().fit(batches(x, y), epochs=2, shuffle=False, verbose=0).history, names)

    def evaluate(sample_weight=None):
        data = batches(x, y) if sample_weight is None else batches(x, y, sample_weight)
        return _pick(compiled().evaluate(data, verbose=0, return_dict=True), names)

    def feeds():
        metrics, weighted = build_metrics()
        y_pred = np.asarray(model(x))
        return ([(name, m, y, y_pred, None) for name, m in zip(names, metrics)]
                + [(name, m, y, y_pred, weight) for name, m in zip(names[len(metrics):], weighted)])

    n = len(x)
    gate = _compiled_step(ctx, what, n, feeds)
    if fit:
        ctx.case(f"{what}: metrics in the history of fit(x, y, batch_size=16, epochs=2) on {n} samples", train)
    after = " after fit" if fit else f" on {n} samples"
    ctx.case(f"{what}: metrics reported by evaluate(x, y, batch_size=16){after}", evaluate)
    ctx.case(f"{what}: metrics reported by evaluate(x, y, sample_weight=w, batch_size=16){after}", evaluate,
             sample_weight=weight)


# ---------------------------------------------------------------- top-k accuracy
@check(points=2, compare=SAME, forbid=TOPK_BUILTINS, reference="oracle")
def topk_onehot_stream(sub, ctx):
    "TopKAccuracy with one-hot labels, fed batches of different sizes: result() after each."
    for k, classes in [(1, 4), (2, 5), (3, 6), (5, 5)]:
        batches = _topk_batches(ctx.rng, [4, 9, 5], classes, sparse=False)
        _stream(ctx, f"TopKAccuracy(k={k}) on {classes} classes", lambda k=k: sub.TopKAccuracy(k=k), batches)


@check(points=2, compare=SAME, forbid=TOPK_BUILTINS, reference="oracle")
def topk_sparse_stream(sub, ctx):
    "TopKAccuracy(sparse=True) with integer labels of shape (batch,) and (batch, 1)."
    for k, classes, shape in [(1, 5, 1), (2, 5, 1), (3, 7, 2), (2, 4, 2)]:
        batches = _topk_batches(ctx.rng, [6, 3, 8], classes, sparse=True, label_shape=shape)
        labels = "(batch,)" if shape == 1 else "(batch, 1)"
        _stream(ctx, f"TopKAccuracy(k={k}, sparse=True), {classes} classes, labels of shape {labels}",
                lambda k=k: sub.TopKAccuracy(k=k, sparse=True), batches)


@check(points=1, compare=SAME, forbid=TOPK_BUILTINS, reference="oracle")
def topk_ties(sub, ctx):
    "Ties at the k-th place: a true class tied with the k-th highest score counts as in the top k."
    for k, sparse in [(1, False), (2, False), (2, True), (3, True)]:
        batches = _topk_batches(ctx.rng, [10, 6], 5, sparse=sparse, ties=True)
        _stream(ctx, f"TopKAccuracy(k={k}, sparse={sparse}), scores with ties (whole numbers 0-3)",
                lambda k=k, s=sparse: sub.TopKAccuracy(k=k, sparse=s), batches)


@check(points=2, compare=SAME, forbid=TOPK_BUILTINS, reference="oracle")
def topk_sample_weight(sub, ctx):
    "sample_weight weighs each sample: result = sum(weight * hit) / sum(weight)."
    for k, sparse in [(1, False), (2, True), (3, False)]:
        batches = _topk_batches(ctx.rng, [5, 8, 4], 6, sparse=sparse, weighted=True)
        _stream(ctx, f"TopKAccuracy(k={k}, sparse={sparse})",
                lambda k=k, s=sparse: sub.TopKAccuracy(k=k, sparse=s), batches)


@check(points=1, compare=SAME, forbid=TOPK_BUILTINS, reference="oracle")
def topk_reset(sub, ctx):
    "reset_state() forgets every batch seen before; a new metric's result() is 0."
    for k, sparse in [(2, False), (1, True)]:
        batches = _topk_batches(ctx.rng, [6, 5, 7], 5, sparse=sparse)
        _reset(ctx, f"TopKAccuracy(k={k}, sparse={sparse})", lambda k=k, s=sparse: sub.TopKAccuracy(k=k, sparse=s),
               batches)


@check(points=1, compare=SAME, forbid=TOPK_BUILTINS, reference="oracle")
def topk_config(sub, ctx):
    "get_config() holds k, sparse and name; from_config(get_config()) rebuilds the same metric; the default name."
    for kwargs in [{"k": 2, "sparse": False, "name": "top2"}, {"k": 3, "sparse": True, "name": "sparse_top3"}]:
        batches = _topk_batches(ctx.rng, [7, 6], 6, sparse=kwargs["sparse"])
        args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        _round_trip(ctx, f"TopKAccuracy({args})", sub.TopKAccuracy, kwargs, ["k", "sparse", "name"], batches)
    ctx.case("TopKAccuracy().name (the default name the task gives)", lambda: sub.TopKAccuracy().name)


@check(points=2, compare=SAME, forbid=TOPK_BUILTINS, reference="oracle")
def topk_in_fit(sub, ctx):
    "TopKAccuracy in model.compile(metrics=[...]): the values fit() and evaluate() report."
    import numpy as np

    x = ctx.rng.normal(size=(24, 4)).astype("float32")
    labels = ctx.rng.integers(0, 6, size=24)
    weight = ctx.rng.uniform(0.0, 2.0, size=24).astype("float32")
    _fit_evaluate(ctx, "one-hot labels, metrics=[TopKAccuracy(k=2, name='top2')], "
                  "weighted_metrics=[TopKAccuracy(k=2, name='weighted_top2')]",
                  lambda: ([sub.TopKAccuracy(k=2, name="top2")], [sub.TopKAccuracy(k=2, name="weighted_top2")]),
                  ["top2", "weighted_top2"], x,
                  np.eye(6, dtype="float32")[labels], weight, "categorical_crossentropy", 6, "softmax")
    _fit_evaluate(ctx, "integer labels, weighted_metrics=[TopKAccuracy(k=3, sparse=True, name='top3')]",
                  lambda: ([], [sub.TopKAccuracy(k=3, sparse=True, name="top3")]), ["top3"], x,
                  labels, weight, "sparse_categorical_crossentropy", 6, "softmax", fit=False)


# ---------------------------------------------------------------- precision and recall
def _binary_classes(sub):
    return [("BinaryPrecision", sub.BinaryPrecision, "predicted"), ("BinaryRecall", sub.BinaryRecall, "actual")]


@check(points=2, compare=SAME, forbid=BINARY_BUILTINS, reference="oracle")
def binary_stream(sub, ctx):
    "BinaryPrecision and BinaryRecall at thresholds 0.5, 0.25, 0.75 (scores on the threshold are negative)."
    for name, cls, empty in _binary_classes(sub):
        for threshold in (0.5, 0.25, 0.75):
            batches = _binary_batches(ctx.rng, [6, 10, 7], threshold, first_empty=empty)
            _stream(ctx, f"{name}(threshold={threshold}), first batch with no {empty} positive",
                    lambda c=cls, t=threshold: c(threshold=t), batches)


@check(points=1, compare=SAME, forbid=BINARY_BUILTINS, reference="oracle")
def binary_sample_weight(sub, ctx):
    "BinaryPrecision and BinaryRecall weigh each sample by its sample_weight."
    for name, cls, _ in _binary_classes(sub):
        for threshold in (0.5, 0.375):
            batches = _binary_batches(ctx.rng, [8, 5, 9], threshold, weighted=True)
            _stream(ctx, f"{name}(threshold={threshold})", lambda c=cls, t=threshold: c(threshold=t), batches)


@check(points=1, compare=SAME, forbid=BINARY_BUILTINS, reference="oracle")
def binary_reset_config(sub, ctx):
    "reset_state() empties BinaryPrecision and BinaryRecall; get_config() keeps threshold and name."
    for name, cls, _ in _binary_classes(sub):
        batches = _binary_batches(ctx.rng, [8, 6, 9], 0.5)
        _reset(ctx, f"{name}(threshold=0.5)", lambda c=cls: c(threshold=0.5), batches)
        kwargs = {"threshold": 0.625, "name": f"my_{name[6:].lower()}"}
        batches = _binary_batches(ctx.rng, [9, 7], 0.625)
        _round_trip(ctx, f"{name}(threshold=0.625, name={kwargs['name']!r})", cls, kwargs,
                    ["threshold", "name"], batches)
        ctx.case(f"{name}().name (the default name the task gives)", lambda c=cls: c().name)


@check(points=2, compare=SAME, forbid=BINARY_BUILTINS, reference="oracle")
def binary_in_fit(sub, ctx):
    "BinaryPrecision and BinaryRecall in model.compile(metrics=[...]) of a sigmoid classifier."
    x = ctx.rng.normal(size=(24, 3)).astype("float32")
    y = ctx.rng.integers(0, 2, size=(24, 1)).astype("float32")
    weight = ctx.rng.uniform(0.0, 2.0, size=24).astype("float32")
    _fit_evaluate(ctx, "metrics=[BinaryPrecision(threshold=0.5, name='p')], "
                  "weighted_metrics=[BinaryRecall(threshold=0.625, name='r'), BinaryPrecision(name='wp')]",
                  lambda: ([sub.BinaryPrecision(threshold=0.5, name="p")],
                           [sub.BinaryRecall(threshold=0.625, name="r"), sub.BinaryPrecision(name="wp")]),
                  ["p", "r", "wp"], x, y, weight, "binary_crossentropy", 1, "sigmoid")
