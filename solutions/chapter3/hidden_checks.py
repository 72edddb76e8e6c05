"""Hidden checks of chapter 3: fresh random streams and a random model, judged against Keras'
own metrics (solutions/chapter3/oracle.py)."""

from checks import BINARY_BUILTINS, TOPK_BUILTINS, _compiled_step
from grader.checks import check
from grader.judges import close

SAME = close(rtol=1e-5, atol=1e-6)


def _weights(rng, n):
    w = rng.uniform(0.0, 2.0, size=n).astype("float32")
    w[rng.random(n) < 0.3] = 0.0
    return w


def _feed(ctx, what, make, batches, reset_after=None):
    """result() after each batch; with `reset_after`, reset_state() after that batch."""
    held = {}

    def step(i):
        if "metric" not in held:
            held["metric"] = make()
        y_true, y_pred, weight = batches[i]
        if weight is None:
            held["metric"].update_state(y_true, y_pred)
        else:
            held["metric"].update_state(y_true, y_pred, sample_weight=weight)
        if i == reset_after:
            held["metric"].reset_state()
        return float(held["metric"].result())

    sizes = ", ".join(str(len(b[1])) for b in batches)
    for i in range(len(batches)):
        extra = " then reset_state()" if i == reset_after else ""
        weighted = " with sample_weight" if batches[i][2] is not None else ""
        ctx.case(f"{what}: result() after update_state on batch {i + 1}{weighted}{extra} "
                 f"(batch sizes {sizes})", step, i)


@check(points=2, compare=SAME, forbid=TOPK_BUILTINS, reference="oracle")
def topk_random_streams(sub, ctx):
    "TopKAccuracy on random streams: random k, classes, label form, weights, ties and resets."
    import numpy as np

    rng = ctx.rng
    for _ in range(5):
        classes = int(rng.integers(3, 11))
        k = int(rng.integers(1, classes + 1))
        sparse, column, weighted, ties = (bool(rng.random() < 0.5) for _ in range(4))
        batches = []
        for n in rng.integers(1, 13, size=int(rng.integers(2, 5))):
            labels = rng.integers(0, classes, size=n)
            if ties:
                scores = rng.integers(0, 4, size=(n, classes)).astype("float32")
            else:
                scores = rng.normal(size=(n, classes)).astype("float32")
            if sparse:
                y_true = labels.reshape(-1, 1) if column else labels
            else:
                y_true = np.eye(classes, dtype="float32")[labels]
            batches.append((y_true, scores, _weights(rng, n) if weighted else None))
        reset_after = int(rng.integers(0, len(batches) - 1)) if rng.random() < 0.4 else None
        form = ("integer labels" + (" (batch, 1)" if column else "")) if sparse else "one-hot labels"
        _feed(ctx, f"TopKAccuracy(k={k}, sparse={sparse}), {classes} classes, {form}"
              + (", whole-number scores" if ties else ""),
              lambda k=k, s=sparse: sub.TopKAccuracy(k=k, sparse=s), batches, reset_after)


@check(points=2, compare=SAME, forbid=BINARY_BUILTINS, reference="oracle")
def binary_random_streams(sub, ctx):
    "BinaryPrecision and BinaryRecall on random streams: random thresholds, shapes, weights, resets."
    rng = ctx.rng
    for name in ("BinaryPrecision", "BinaryRecall") * 3:
        threshold = int(rng.integers(1, 8)) / 8
        column, weighted = bool(rng.random() < 0.5), bool(rng.random() < 0.6)
        batches = []
        for n in rng.integers(1, 15, size=int(rng.integers(2, 5))):
            y_true = rng.integers(0, 2, size=n).astype("float32")
            y_pred = (rng.integers(0, 9, size=n) / 8).astype("float32")
            if column:
                y_true, y_pred = y_true.reshape(-1, 1), y_pred.reshape(-1, 1)
            batches.append((y_true, y_pred, _weights(rng, n) if weighted else None))
        reset_after = int(rng.integers(0, len(batches) - 1)) if rng.random() < 0.4 else None
        shape = "(batch, 1)" if column else "(batch,)"
        _feed(ctx, f"{name}(threshold={threshold}), inputs of shape {shape}",
              lambda c=getattr(sub, name), t=threshold: c(threshold=t), batches, reset_after)


@check(points=2, compare=SAME, forbid=TOPK_BUILTINS | BINARY_BUILTINS, reference="oracle")
def random_model_evaluate(sub, ctx):
    "All three metrics as weighted_metrics of a random model: two evaluate() calls with sample_weight."
    import keras
    import numpy as np

    rng = ctx.rng
    classes, features = int(rng.integers(3, 9)), int(rng.integers(2, 7))
    k, batch = int(rng.integers(1, classes)), int(rng.integers(5, 17))
    n = int(rng.integers(20, 41))
    x = rng.normal(size=(n, features)).astype("float32")
    labels = rng.integers(0, classes, size=n)
    weight = rng.uniform(0.0, 2.0, size=n).astype("float32")
    inputs = keras.Input((features,))
    scores = keras.layers.Dense(classes, activation="softmax", name="scores")(inputs)
    positive = keras.layers.Dense(1, activation="sigmoid", name="positive")(inputs)
    model = keras.Model(inputs, {"scores": scores, "positive": positive})
    for layer in model.layers[1:]:
        layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()])
    y = {"scores": labels, "positive": (labels % 2).astype("float32").reshape(-1, 1)}
    held = {}

    def evaluate(part):
        gate()
        if "compiled" not in held:
            model.compile(loss={"scores": "sparse_categorical_crossentropy", "positive": "binary_crossentropy"},
                          weighted_metrics={"scores": [sub.TopKAccuracy(k=k, sparse=True, name="topk")],
                                            "positive": [sub.BinaryPrecision(threshold=0.5, name="precision"),
                                                         sub.BinaryRecall(threshold=0.5, name="recall")]},
                          run_eagerly=True, jit_compile=False)
            held["compiled"] = True
        rows = slice(0, n // 2) if part == 0 else slice(n // 2, n)
        logs = model.evaluate(x[rows], {key: v[rows] for key, v in y.items()}, sample_weight=weight[rows],
                              batch_size=batch, verbose=0, return_dict=True)
        wanted = {key: v for key, v in logs.items() if key.endswith(("topk", "precision", "recall"))}
        if len(wanted) != 3:
            raise KeyError(f"expected topk, precision and recall in the logs, got {sorted(logs)}")
        return wanted

    def feeds():
        out = {key: np.asarray(v) for key, v in model(x).items()}
        return [("topk", sub.TopKAccuracy(k=k, sparse=True, name="topk"), y["scores"], out["scores"], weight),
                ("precision", sub.BinaryPrecision(threshold=0.5, name="precision"), y["positive"], out["positive"],
                 weight),
                ("recall", sub.BinaryRecall(threshold=0.5, name="recall"), y["positive"], out["positive"], weight)]

    what = (f"a model with a {classes}-class softmax head (TopKAccuracy(k={k}, sparse=True)) and a sigmoid "
            f"head (BinaryPrecision, BinaryRecall), {n} samples, batch_size={batch}")
    gate = _compiled_step(ctx, f"{what}, with sample_weight", n, feeds)
    ctx.case(f"{what}: evaluate() on the first half, with sample_weight", evaluate, 0)
    ctx.case(f"{what}: evaluate() again on the second half (metrics must have been reset)", evaluate, 1)
