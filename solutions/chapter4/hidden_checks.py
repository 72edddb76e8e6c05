"""Hidden checks of chapter 4: fresh scripted losses, coefficients and configurations, on the
public checks' scripted-loss fit."""

from checks import _early_stop, _lr_schedule, _scripted_fit, _show, _train
from grader.checks import check
from grader.judges import close, exact


def _walk(rng, n, start=1.0):
    """Validation losses that wander: mostly down, sometimes up, sometimes flat."""
    values, v = [], start
    for _ in range(n):
        values.append(round(v, 3))
        v = max(0.05, v + float(rng.choice([-0.2, -0.1, -0.03, 0.0, 0.0, 0.05, 0.1])))
    return values


@check(points=2, compare=exact())
def early_stopping_random(sub, ctx):
    "EarlyStopping on random validation curves: stop epoch and restored weights."
    for _ in range(5):
        patience = int(ctx.rng.integers(1, 4))
        min_delta = float(ctx.rng.choice([0.0, 0.02, 0.05]))
        val = _walk(ctx.rng, 12)
        ctx.case(f"early_stopping(patience={patience}, min_delta={min_delta}) with val_loss "
                 f"{_show(val)}", _early_stop, sub, patience, min_delta, val)


@check(points=2, compare=close(rtol=1e-6, atol=1e-9))
def reduce_lr_random(sub, ctx):
    "ReduceLROnPlateau on random validation curves: the learning rate in every epoch."
    for _ in range(4):
        factor = float(ctx.rng.choice([0.1, 0.25, 0.5, 0.7]))
        patience = int(ctx.rng.integers(1, 4))
        min_lr = float(ctx.rng.choice([0.0, 0.02, 0.3]))
        val = _walk(ctx.rng, 12)
        ctx.case(f"reduce_lr(factor={factor}, patience={patience}, min_lr={min_lr}) with val_loss "
                 f"{_show(val)}: learning rate per epoch, then final", _lr_schedule, sub, factor,
                 patience, min_lr, val)


@check(points=2, compare=close(rtol=1e-6, atol=1e-9))
def callbacks_together(sub, ctx):
    "All callbacks in one fit: stop epoch, learning rates, CSV lines and recorded losses."

    def run(val, train):
        import os

        if os.path.exists("together.csv"):
            os.remove("together.csv")
        events = []
        history = sub.LossHistory()
        callbacks = [sub.reduce_lr(0.5, 1, 0.01), sub.early_stopping(3, 0.0),
                     sub.csv_logger("together.csv"), sub.event_logger(events), history, sub.StopAtLoss(-1.0)]
        out = _scripted_fit(callbacks, train, val, steps=2)
        with open("together.csv") as f:
            lines = f.read().splitlines()
        return {"epochs run": out["epochs run"], "weights are from epoch": out["weights are from epoch"],
                "learning rate per epoch, then final": out["learning rate per epoch, then final"],
                "csv lines": lines, "events": events, "batch_losses": history.batch_losses,
                "epoch_val_losses": history.epoch_val_losses}

    val = _walk(ctx.rng, 10, start=2.0)
    train = [round(float(v), 3) for v in ctx.rng.uniform(0.5, 3.0, size=20)]
    ctx.case(f"reduce_lr(0.5, 1, 0.01), early_stopping(3, 0.0), csv_logger, event_logger, "
             f"LossHistory() and StopAtLoss(-1) in one fit with val_loss {_show(val)}", run, val, train)


@check(points=1, compare=close(rtol=1e-5, atol=1e-6))
def regularisation_random(sub, ctx):
    "Weight penalties with random sizes and factors."
    import keras
    import numpy as np

    for _ in range(3):
        n_in, units = int(ctx.rng.integers(2, 7)), int(ctx.rng.integers(1, 7))
        kernel_l2 = float(ctx.rng.choice([0.001, 0.02, 0.3]))
        bias_l1 = float(ctx.rng.choice([0.004, 0.05, 0.6]))
        x = ctx.rng.normal(size=(5, n_in)).astype("float32")

        def run():
            model = keras.Sequential([keras.Input(shape=(n_in,)), sub.regularised_dense(units, kernel_l2, bias_l1)])
            for w in model.weights:
                w.assign(ctx.rng.normal(size=tuple(w.shape)).astype("float32"))
            model(x)
            return float(sum(float(np.asarray(l)) for l in model.losses))

        ctx.case(f"sum of model.losses for regularised_dense({units}, kernel_l2={kernel_l2}, "
                 f"bias_l1={bias_l1}) on {n_in} features, with grader weights", run)


@check(points=1, compare=close(rtol=1e-6, atol=1e-7))
def dropout_rates(sub, ctx):
    "Dropout with other rates: share of hidden units dropped in training, scale of those kept."
    import keras
    import numpy as np

    def run(rate):
        model = sub.dropout_mlp(5, 12, rate)
        drops = [l for l in model.layers if isinstance(l, keras.layers.Dropout)]
        ones = np.ones((200, 100), "float32")
        dropped = np.asarray(drops[0](ones, training=True)) if drops else ones
        return {"share of units dropped (1 decimal)": round(float((dropped == 0).mean()), 1),
                "kept units scaled by": round(float(dropped[dropped != 0].mean()), 4),
                "inference leaves units unchanged": bool(np.array_equal(
                    np.asarray(drops[0](ones, training=False)) if drops else ones, ones))}

    for rate in (0.1, 0.3, 0.7):
        ctx.case(f"dropout_mlp(5, 12, rate={rate})", run, rate)


@check(points=1, compare=close(rtol=1e-4, atol=1e-5))
def batch_norm_random(sub, ctx):
    "BatchNormalization with random momentum, epsilon and axis: moving statistics after training."
    import keras
    import numpy as np

    for _ in range(2):
        momentum = round(float(ctx.rng.uniform(0.5, 0.95)), 2)
        epsilon = float(ctx.rng.choice([0.0001, 0.01, 0.1]))
        axis = int(ctx.rng.choice([1, 2, -1]))
        shape = (3, 4, 2)
        gamma = round(float(ctx.rng.uniform(0.5, 2.0)), 2)

        def run():
            layer = sub.batch_norm(momentum, epsilon, axis, gamma, 0.05)
            model = keras.Sequential([keras.Input(shape=shape), layer])
            layer.beta.assign(np.zeros(tuple(layer.beta.shape), "float32"))
            x = (ctx.rng.normal(size=shape) * 2 + ctx.rng.uniform(0.5, 3, size=shape)
                 * ctx.rng.normal(size=(16, *shape))).astype("float32")
            model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", run_eagerly=True)
            _train(model, x, np.zeros_like(x), batch=4, epochs=1)
            return {"moving_mean": layer.moving_mean, "moving_variance": layer.moving_variance,
                    "model(x[:3], training=False)": model(x[:3], training=False)}

        ctx.case(f"batch_norm(momentum={momentum}, epsilon={epsilon}, axis={axis}, gamma={gamma}, "
                 f"beta_stddev=0.05) on inputs of shape {shape}, after 4 training steps (batches of 4)", run)
