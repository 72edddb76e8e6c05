"""Public checks of chapter 4: callbacks in a real fit, regularisers, Dropout, BatchNormalization.

Callbacks are judged by what they do in a real `model.fit`: the model is a tiny Keras model
whose training step and validation step report losses the grader scripts, so the grader knows
exactly when EarlyStopping must stop, when ReduceLROnPlateau must cut the learning rate, and
what a CSV file or a hook must see. Its only weight counts training steps, so the weights
EarlyStopping restores tell which epoch they came from. Initialisers are judged by what they draw
(a Keras class, its config dict or a function of the student's alike, numbers as numbers), and a
network by the layers that hold weights or drop units (a separate ReLU layer changes nothing).
"""

from grader.checks import ChapterSpec, check
from grader.judges import close, exact

CHAPTER = ChapterSpec(
    title="Validation, regularisation and callbacks",
    module="training",
    summary="Configure EarlyStopping, ReduceLROnPlateau, CSVLogger and LambdaCallback, write "
    "your own callbacks, and build layers with weight penalties, Dropout and a customised "
    "BatchNormalization.",
)


def _lr(model):
    """The optimizer's learning rate, to 6 significant digits (float32 0.2 reads 0.2)."""
    return float(f"{float(model.optimizer.learning_rate.numpy()):.6g}")


_SCRIPTED = {}  # the scripted model and its data, made by the first scripted fit of a run


def _scripted_model():
    """The model every scripted fit shares, made once per run: making and compiling a Keras
    model costs more than a scripted fit, and `_scripted_fit` sets back all a fit changes.

    Its fit is Keras' own loop, callbacks, History and evaluate-per-epoch; what it leaves out
    costs time and shows no callback anything: a step reads no batch (its losses are scripted),
    the loss is averaged in float32 as keras.metrics.Mean does (the numbers a real fit logs,
    0.8 as 0.800000011920929), and the validation pass is Keras' evaluate without its data
    iterator (the same hooks, in the same order, with the same logs).
    """
    if _SCRIPTED:
        return _SCRIPTED["model"], _SCRIPTED["data"]
    import keras
    import numpy as np
    import tensorflow as tf
    from keras.src.utils.python_utils import pythonify_logs

    script = {}

    class Scripted(keras.Model):
        def __init__(self):
            super().__init__()
            # The only weight: training steps taken when the weights were saved.
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

        @property
        def metrics(self):
            return []

        def reset_metrics(self):
            # kept in `script`: an attribute of a Keras model costs its tracking at every set
            script["sum"], script["seen"] = np.float32(0), np.float32(0)

        def _mean(self, loss):
            """The running mean of the epoch's losses, as keras.metrics.Mean computes it."""
            script["sum"] += np.float32(loss)
            script["seen"] += np.float32(1)
            return {"loss": script["sum"] / script["seen"]}

        def call(self, x):
            return x

        def make_train_function(self, force=False):
            def train_function(iterator):
                logs = self._mean(script["train"][script["steps run"]])
                script["steps run"] += 1
                self.count.assign_add(1.0)
                return logs

            self.train_function = train_function

        def make_test_function(self, force=False):
            def test_function(iterator):
                if iterator is not None:  # an evaluate() of a callback's own reads its batch
                    next(iterator)
                return self._mean(script["val"][script["steps run"] // script["steps"] - 1])

            self.test_function = test_function

        def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                     steps=None, callbacks=None, return_dict=False, **kwargs):
            """Keras 3's evaluate as fit calls it (its CallbackList, `validation_steps`
            steps), line for line, less the data iterator it makes each epoch; called by
            anyone else, Keras' own."""
            if not kwargs.pop("_use_cached_eval_dataset", False):
                return super().evaluate(x, y, batch_size, verbose, sample_weight, steps, callbacks,
                                        return_dict, **kwargs)
            self.make_test_function()
            self.stop_evaluating = False
            callbacks.on_test_begin()
            logs = {}
            self.reset_metrics()
            for step in range(steps):
                callbacks.on_test_batch_begin(step)
                logs = self.test_function(None)
                callbacks.on_test_batch_end(step, logs)
                if self.stop_evaluating:
                    break
            logs = pythonify_logs(self._get_metrics_result_or_logs(logs))
            callbacks.on_test_end(logs)
            return logs

        def script(self, train, val, steps):
            """Losses for the next fit, from the first step on, with the weights and the
            learning rate (1.0) of a fresh model; the script counts the steps run."""
            script.update({"train": train, "val": val, "steps": steps, "steps run": 0})
            self.reset_metrics()
            self.count.assign(0.0)
            self.optimizer.learning_rate = 1.0
            return script

    model = Scripted()
    model.compile(optimizer=keras.optimizers.SGD(1.0), run_eagerly=True)
    # One endless dataset: Keras keeps its iterator across epochs (fast on a small CPU).
    data = tf.data.Dataset.from_tensors((np.zeros((1, 1), "float32"),) * 2).repeat()
    _SCRIPTED.update(model=model, data=data)
    return model, data


def _scripted_fit(callbacks, train, val, steps=1):
    """fit() a model whose losses are scripted: `train[i]` is the loss of training step i,
    `val[e]` the validation loss after epoch e; at most len(val) epochs of `steps` steps.

    Returns what happened: epochs run, training steps run, the epoch whose weights the model
    ends with, the learning rate in each epoch and after the last, and the history.
    """
    import keras

    model, data = _scripted_model()
    run = model.script(train, val, steps)
    lrs = []
    watch = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: lrs.append(_lr(model)))
    history = model.fit(data, steps_per_epoch=steps, epochs=len(val), validation_data=data,
                        validation_steps=1, shuffle=False, callbacks=[watch, *callbacks], verbose=0)
    lrs.append(_lr(model))
    return {"epochs run": len(history.epoch), "training steps run": run["steps run"],
            "weights are from epoch": int(model.count.numpy()) // steps - 1,
            "learning rate per epoch, then final": lrs, "history": history.history}


def _falling(n, start=5.0):
    """Training losses that improve at every step: a callback watching them never waits."""
    return [start * 0.9 ** i for i in range(n)]


def _show(values):
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def _early_stop(sub, patience, min_delta, val):
    """The epochs a fit with the student's EarlyStopping runs, and the epoch its weights are from."""
    out = _scripted_fit([sub.early_stopping(patience, min_delta)], _falling(len(val)), val)
    return {k: out[k] for k in ("epochs run", "weights are from epoch")}


def _lr_schedule(sub, factor, patience, min_lr, val):
    """The learning rate in every epoch of a fit with the student's ReduceLROnPlateau, then after."""
    out = _scripted_fit([sub.reduce_lr(factor, patience, min_lr)], _falling(len(val)), val)
    return out["learning rate per epoch, then final"]


EARLY_STOPPING = [  # patience, min_delta, validation losses
    (2, 0.0, [1.0, 0.9, 0.95, 0.8, 0.85, 0.86, 0.87, 0.5, 0.4, 0.3]),
    (1, 0.05, [1.0, 0.97, 0.96, 0.9, 0.8, 0.79, 0.78, 0.7]),
    (3, 0.01, [2.0, 1.5, 1.6, 1.495, 1.7, 1.2, 1.3, 1.25, 1.21, 1.4, 1.0]),
    (2, 0.0, [3.0, 2.0, 1.0, 0.9, 0.8, 0.7]),
]


@check(points=3, compare=exact())
def early_stopping_stops(sub, ctx):
    "EarlyStopping on val_loss: the epoch training stops at and the weights it restores."

    for patience, min_delta, val in EARLY_STOPPING:
        ctx.case(f"early_stopping(patience={patience}, min_delta={min_delta}) with val_loss "
                 f"{_show(val)}", _early_stop, sub, patience, min_delta, val)


REDUCE_LR = [  # factor, patience, min_lr, validation losses; the optimizer starts at 1.0
    (0.5, 2, 0.1, [1.0, 1.0, 1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]),
    (0.2, 1, 0.01, [2.0, 3.0, 1.0, 1.0, 1.0, 1.0]),
    (0.3, 3, 0.0, [1.0, 1.1, 1.2, 1.3, 0.5, 0.6, 0.7, 0.8, 0.9]),
]


@check(points=3, compare=close(rtol=1e-6, atol=1e-9))
def reduce_lr_schedule(sub, ctx):
    "ReduceLROnPlateau on val_loss: the learning rate in every epoch (starting from 1.0)."

    for factor, patience, min_lr, val in REDUCE_LR:
        ctx.case(f"reduce_lr(factor={factor}, patience={patience}, min_lr={min_lr}) with val_loss "
                 f"{_show(val)}: learning rate per epoch, then final", _lr_schedule, sub, factor,
                 patience, min_lr, val)


def _lines(path):
    with open(path) as f:
        return f.read().splitlines()


@check(points=2, compare=exact())
def csv_log_lines(sub, ctx):
    "CSVLogger: the lines of the file after two fits (semicolons, appended)."
    import os

    def two_fits():
        if os.path.exists("history.csv"):
            os.remove("history.csv")
        _scripted_fit([sub.csv_logger("history.csv")], [4.0, 3.0, 2.5, 2.0], [3.5, 2.25], steps=2)
        _scripted_fit([sub.csv_logger("history.csv")], [1.5, 1.0], [0.75], steps=2)
        return _lines("history.csv")

    def after_old_log():
        with open("old.csv", "w") as f:
            f.write("epoch;loss;val_loss\n0;9.0;8.0\n")
        _scripted_fit([sub.csv_logger("old.csv")], [2.0, 1.0], [1.5, 0.5])
        return _lines("old.csv")

    ctx.case("lines of history.csv after fit(2 epochs) then fit(1 epoch), each with "
             "csv_logger('history.csv')", two_fits)
    ctx.case("lines of old.csv, which held 'epoch;loss;val_loss' and '0;9.0;8.0', after "
             "fit(2 epochs) with csv_logger('old.csv')", after_old_log)


@check(points=2, compare=exact())
def lambda_hooks(sub, ctx):
    "LambdaCallback: the hooks called, in order, with their epoch, batch and losses."

    def run(epochs, steps, train, val):
        events = []
        _scripted_fit([sub.event_logger(events)], train, val[:epochs], steps=steps)
        return events

    ctx.case("events of fit(2 epochs of 2 batches)", run, 2, 2, [0.5, 0.25, 1.5, 0.75], [0.625, 0.375])
    ctx.case("events of fit(3 epochs of 1 batch)", run, 3, 1, [3.0, 2.0, 1.0], [2.5, 1.75, 2.125])


@check(points=2, compare=close(rtol=1e-6, atol=1e-9))
def loss_history(sub, ctx):
    "LossHistory: per-batch training losses and per-epoch validation losses, reset at each fit."

    def run():
        history = sub.LossHistory()
        seen = {"right after LossHistory(), before any fit": {
            "batch_losses": list(getattr(history, "batch_losses", ["missing"])),
            "epoch_val_losses": list(getattr(history, "epoch_val_losses", ["missing"]))}}
        _scripted_fit([history], [3.0, 2.0, 1.0, 2.5, 1.5, 0.5], [2.0, 1.25], steps=3)
        seen["first fit (2 epochs of 3 batches)"] = {
            "batch_losses": list(history.batch_losses), "epoch_val_losses": list(history.epoch_val_losses)}
        _scripted_fit([history], [0.8, 0.4], [0.3], steps=2)
        seen["second fit (1 epoch of 2 batches), same instance"] = {
            "batch_losses": list(history.batch_losses), "epoch_val_losses": list(history.epoch_val_losses)}
        return seen

    ctx.case("LossHistory() in two fits", run)


STOP_TRAIN = [4.0, 4.0, 3.0, 3.0, 3.0, 1.0, 1.0, 1.0, 0.5, 0.5]  # epoch means: 4, 3, 2, 1, 0.5


@check(points=2, compare=exact())
def stop_at_loss(sub, ctx):
    "StopAtLoss: stops at the end of the first epoch whose training loss is below the threshold."

    def run(threshold):
        stopper = sub.StopAtLoss(threshold)
        out = _scripted_fit([stopper], STOP_TRAIN, [5.0, 0.1, 0.1, 0.1, 0.1], steps=2)
        return {"epochs run": out["epochs run"], "training steps run": out["training steps run"],
                "stopped_epoch": stopper.stopped_epoch}

    for threshold in (2.5, 2.0, 0.2):
        ctx.case(f"StopAtLoss({threshold}) with training losses per batch {_show(STOP_TRAIN)} "
                 "(2 batches an epoch) and val_loss [5, 0.1, 0.1, 0.1, 0.1]", run, threshold)


def _transplant(ctx, model, scale=1.0):
    """Give every weight grader-chosen values, in order, so outputs do not depend on init."""
    for w in model.weights:
        w.assign((ctx.rng.normal(size=tuple(w.shape)) * scale).astype("float32"))


def _penalty_case(sub, ctx, n_in, units, kernel_l2, bias_l1):
    import keras
    import numpy as np

    x = ctx.rng.normal(size=(8, n_in)).astype("float32")
    y = ctx.rng.normal(size=(8, units)).astype("float32")

    def run():
        model = keras.Sequential([keras.Input(shape=(n_in,)), sub.regularised_dense(units, kernel_l2, bias_l1)])
        _transplant(ctx, model)
        output = model(x)
        penalty = float(sum(float(np.asarray(l)) for l in model.losses))
        model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
        # Keras' test step on the one batch evaluate() would make of the 8 rows, without the
        # data pipeline evaluate() builds for it: the same loss, in a fifth of the time.
        return {"output": output, "sum of model.losses": penalty,
                "loss Keras evaluates on the batch (mse + penalty)": model.test_on_batch(x, y)}

    ctx.case(f"regularised_dense({units}, kernel_l2={kernel_l2}, bias_l1={bias_l1}) on {n_in} "
             "features, with grader weights", run)


@check(points=2, compare=close(rtol=1e-5, atol=1e-6))
def regularisation_penalty(sub, ctx):
    "Dense with an L2 kernel and L1 bias penalty: model.losses and the loss Keras evaluates."
    for n_in, units, kernel_l2, bias_l1 in [(3, 4, 0.01, 0.5), (5, 2, 0.1, 0.002), (2, 6, 0.003, 0.03)]:
        _penalty_case(sub, ctx, n_in, units, kernel_l2, bias_l1)


@check(points=2, compare=close(rtol=1e-5, atol=1e-6))
def dropout_behaviour(sub, ctx):
    "Dropout: between the Dense layers, inference outputs equal the no-dropout network, training drops `rate`."
    import keras
    import numpy as np

    def run(n_features, hidden, rate):
        model = sub.dropout_mlp(n_features, hidden, rate)
        _transplant(ctx, model)
        x = ctx.rng.normal(size=(6, n_features)).astype("float32")
        inference = np.asarray(model(x, training=False))
        again = np.asarray(model(x, training=False))
        drops = [l for l in model.layers if isinstance(l, keras.layers.Dropout)]
        ones = np.ones((200, 100), "float32")
        dropped = np.asarray(drops[0](ones, training=True)) if drops else ones
        return {
            "layers with weights or dropout, in order":
                [type(l).__name__ for l in model.layers if l.weights or isinstance(l, keras.layers.Dropout)],
            "model(x, training=False)": inference,
            "model(x, training=False) twice gives the same": bool(np.array_equal(inference, again)),
            "model(x, training=True) differs from training=False":
                not np.allclose(np.asarray(model(x, training=True)), inference),
            "share of units dropped in training (1 decimal)": round(float((dropped == 0).mean()), 1),
            "kept units scaled by": round(float(dropped[dropped != 0].mean()), 4),
        }

    for n_features, hidden, rate in [(4, 8, 0.5), (3, 16, 0.2)]:
        ctx.case(f"dropout_mlp({n_features}, {hidden}, rate={rate}) with grader weights", run,
                 n_features, hidden, rate)


DRAWS = 40_000  # values drawn from an initialiser to judge its distribution


def _drawn(initializer, scale):
    """What an initialiser draws, as numbers: 40,000 values drawn the way Keras draws a weight
    (`initializer(shape, dtype=...)`), so a Keras class, its name or a function of the student's
    are judged alike. Statistics are in units of `scale` (the standard deviation asked for)."""
    import numpy as np

    w = np.asarray(initializer((DRAWS,), dtype="float32"), dtype="float64")
    std = w.std()
    return {"smallest": w.min(), "largest": w.max(), "mean / stddev asked": w.mean() / scale,
            "std / stddev asked": std / scale,
            "share within 2 std of the mean": float(np.mean(np.abs(w - w.mean()) <= 2 * std)) if std else 1.0}


# How far a statistic of drawn values may stray from the reference's: several standard errors of
# 40,000 draws; a truncated normal (std 0.88, share 1.0) or a uniform (share 1.0) stays outside.
DRAWN_TOLERANCE = {"mean / stddev asked": 0.03, "std / stddev asked": 0.02,
                   "share within 2 std of the mean": 0.006}


def _is_drawn(value):
    return isinstance(value, dict) and "std / stddev asked" in value


def _drawn_or_close(expected, got):
    """Statistics of random draws (a dict value made by `_drawn`) within DRAWN_TOLERANCE, the
    extremes left out (they wander); everything else close(rtol=1e-6, atol=1e-7), numbers as
    numbers."""
    same = close(rtol=1e-6, atol=1e-7)
    if not (isinstance(expected, dict) and isinstance(got, dict)):
        return same(expected, got)
    for key, want in expected.items():
        if _is_drawn(want):
            have = got.get(key)
            for stat, tol in DRAWN_TOLERANCE.items():
                value = have.get(stat) if isinstance(have, dict) else None
                if not isinstance(value, (int, float)) or not abs(value - want[stat]) <= tol:
                    return f"expected {stat} {want[stat]:.4g} (+/- {tol:g}) in {key}, got {value!r:.8}"
    rest = [key for key, want in expected.items() if not _is_drawn(want)]
    return same({k: expected[k] for k in rest}, {k: got[k] for k in rest if k in got})


BATCH_NORM = [  # momentum, epsilon, axis, gamma, beta_stddev, input shape (no batch axis)
    (0.95, 0.005, -1, 0.9, 0.05, (4, 3)),
    (0.8, 0.01, 1, 1.5, 0.1, (4, 3)),
]


def _bn_label(momentum, epsilon, axis, gamma, beta_stddev, shape):
    return f"batch_norm(momentum={momentum}, epsilon={epsilon}, axis={axis}, gamma={gamma}, " \
           f"beta_stddev={beta_stddev}) on inputs of shape {shape}"


@check(points=2, compare=_drawn_or_close)
def batch_norm_config(sub, ctx):
    "BatchNormalization: momentum, epsilon, what its initialisers draw, trainable and moving weights."
    import keras

    def run(momentum, epsilon, axis, gamma, beta_stddev, shape):
        layer = sub.batch_norm(momentum, epsilon, axis, gamma, beta_stddev)
        keras.Sequential([keras.Input(shape=shape), layer])
        config = layer.get_config()
        return {
            "momentum": config["momentum"], "epsilon": config["epsilon"],
            "gamma initialiser draws (smallest, largest)":
                [_drawn(layer.gamma_initializer, 1.0)[k] for k in ("smallest", "largest")],
            "beta initialiser draws": _drawn(layer.beta_initializer, beta_stddev),
            "trainable weights (name, shape)": [[w.name, list(w.shape)] for w in layer.trainable_weights],
            "non-trainable weights (name, shape)": [[w.name, list(w.shape)] for w in layer.non_trainable_weights],
            "gamma after building": layer.gamma,
        }

    for spec in BATCH_NORM:
        ctx.case(_bn_label(*spec), run, *spec)


def _train(model, x, y, batch, epochs):
    """What fit(x, y, batch_size=batch, epochs=epochs, shuffle=False) does to the weights, to
    the bit: Keras' train step (the compiled loss, the model's penalties, the gradient, the
    optimizer's update) on the same batches in the same order, without the data pipeline,
    callbacks and loss metric around it, which cost more than the steps."""
    import tensorflow as tf

    for _ in range(epochs):
        for start in range(0, len(x), batch):
            xb, yb = x[start:start + batch], y[start:start + batch]
            with tf.GradientTape() as tape:
                loss = model.compute_loss(x=xb, y=yb, y_pred=model(xb, training=True), training=True)
            if weights := model.trainable_weights:  # as Keras: no update where nothing trains
                model.optimizer.apply(tape.gradient(loss, weights), weights)


def _bn_training(sub, ctx, momentum, epsilon, axis, gamma, beta_stddev, shape):
    import keras
    import numpy as np

    def run():
        layer = sub.batch_norm(momentum, epsilon, axis, gamma, beta_stddev)
        model = keras.Sequential([keras.Input(shape=shape), layer])
        layer.beta.assign(ctx.rng.normal(size=tuple(layer.beta.shape)).astype("float32") * beta_stddev)
        offset = ctx.rng.normal(size=shape) * 3
        spread = ctx.rng.uniform(0.5, 4.0, size=shape)
        x = (offset + spread * ctx.rng.normal(size=(24, *shape))).astype("float32")
        y = ctx.rng.normal(size=(24, *shape)).astype("float32")
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", run_eagerly=True)
        _train(model, x, y, batch=8, epochs=2)
        x_new = (offset + spread * ctx.rng.normal(size=(5, *shape))).astype("float32")
        return {"moving_mean": layer.moving_mean, "moving_variance": layer.moving_variance,
                "model(new data, training=False)": model(x_new, training=False)}

    ctx.case(_bn_label(momentum, epsilon, axis, gamma, beta_stddev, shape)
             + ", after 2 epochs of 3 training steps (batches of 8 in order) on grader data", run)


@check(points=2, compare=close(rtol=1e-4, atol=1e-5))
def batch_norm_training(sub, ctx):
    "BatchNormalization in Keras training steps: moving mean and variance after 6 steps, then inference."
    for spec in BATCH_NORM:
        _bn_training(sub, ctx, *spec)
