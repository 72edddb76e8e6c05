"""Hidden checks of chapter 2: fresh sizes, data, learning rates, shapes and seeds.

Shared helpers come from the public checks (exercises/chapter2/checks.py).
"""

from checks import (
    KERAS_NORMAL_INITIALIZERS, _builds, _classifier, _fit_and_evaluate_case, _fit_compiled, _inputs, _observe_model,
    _stats_or_close, _weight_stats,
)
from grader.checks import check
from grader.judges import close


@check(points=2, compare=close(rtol=1e-5, atol=1e-6))
def builds_random_sizes(sub, ctx):
    "The three builds of the network for input and class counts you have not seen."
    base = int(ctx.rng.integers(2**31))
    for _ in range(2):
        n_features, n_classes = int(ctx.rng.integers(2, 13)), int(ctx.rng.integers(2, 10))
        x = _inputs(ctx, 5, n_features)
        for label, build in _builds(sub, n_features, n_classes).values():
            _observe_model(ctx, label, build, x, base, shapes=False, kind=False)


@check(points=1, compare=close(rtol=1e-5, atol=1e-6))
def two_branch_random(sub, ctx):
    "The two-branch model for sizes you have not seen."
    base = int(ctx.rng.integers(2**31))
    units = int(ctx.rng.integers(2, 9))
    n_features = int(ctx.rng.choice([n for n in range(2, 12) if n != 2 * units]))
    x = _inputs(ctx, 5, n_features)
    for merge in ["concat", "sum"]:
        _observe_model(ctx, f"build_two_branch({n_features}, {units}, {merge!r})",
                       lambda: sub.build_two_branch(n_features, units, merge), x, base, shapes=False, kind=False)


@check(points=2, compare=close(rtol=1e-4, atol=1e-5))
def compile_random(sub, ctx):
    "compile_classifier on fresh data, class counts and learning rates."
    import numpy as np

    base = int(ctx.rng.integers(2**31))
    n_classes, n_features = int(ctx.rng.integers(2, 7)), int(ctx.rng.integers(3, 9))
    learning_rate = float(ctx.rng.choice([0.05, 0.2]))
    x = _inputs(ctx, 48, n_features)
    labels = ctx.rng.integers(0, n_classes, size=48)
    for kind, y, last in [("one-hot", np.eye(n_classes, dtype="float32")[labels], "linear"),
                          ("integer", labels, "softmax")]:
        label = (f"compile_classifier(model with a {last} last layer, {kind} labels of shape "
                 f"{y.shape}, learning_rate={learning_rate}), then train_on_batch on 3 batches of 16")
        ctx.case(label, _fit_compiled, sub, x, y, last, learning_rate, base, n_classes=n_classes)


@check(points=1, compare=close(rtol=1e-4, atol=1e-5))
def fit_random(sub, ctx):
    "fit_and_evaluate with other data, epochs and batch size."
    base = int(ctx.rng.integers(2**31))
    epochs, batch_size = int(ctx.rng.integers(2, 5)), int(ctx.rng.choice([8, 12]))
    _fit_and_evaluate_case(sub, ctx, base, 24, 12, 4, 4, epochs=epochs, batch_size=batch_size)


@check(points=1, compare=_stats_or_close,
       forbid=KERAS_NORMAL_INITIALIZERS, graded=["scaled_normal"], reference="oracle")
def initializers_random(sub, ctx):
    "scaled_normal on a fresh Conv2D kernel shape; seeded_dense with a fresh seed."
    import numpy as np

    k = int(ctx.rng.integers(1, 6))
    in_channels = int(ctx.rng.integers(4, 33))
    filters = int(np.ceil(60000 / (k * k * in_channels)))  # about 60,000 weights
    shape = (k, k, in_channels, filters)
    ctx.case(f"scaled_normal({shape})",
             lambda: _weight_stats(sub.scaled_normal(shape), k * k * in_channels))
    seed, units, n_in = int(ctx.rng.integers(10**6)), int(ctx.rng.integers(2, 50)), int(ctx.rng.integers(2, 50))

    def kernel():
        layer = sub.seeded_dense(units, seed)
        layer.build((None, n_in))
        return layer.kernel

    ctx.case(f"seeded_dense({units}, seed={seed}) built on {n_in} inputs: kernel", kernel)
