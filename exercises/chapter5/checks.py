"""Public checks of chapter 5: checkpoints, weights files, whole models and a custom layer.

Checkpoints are judged by what they do in a real `model.fit`: the model is a tiny Keras model
whose validation loss and accuracy the grader scripts, so it knows which epochs are "best".
Its only weight counts the training steps taken, so restoring a fresh model from a file tells
which epoch the file came from. Files are listed by name, sorted, in a fresh scratch folder.
"""

from grader.checks import ChapterSpec, check
from grader.judges import close, exact

CHAPTER = ChapterSpec(
    title="Saving and loading models",
    module="persistence",
    summary="Configure ModelCheckpoint to keep the best weights or the best whole model, save "
    "and load weights and .keras models, and write a custom layer that survives a round trip.",
)


def _scripted(val_loss, val_acc):
    """A fresh model class whose fit reports the scripted validation loss / accuracy of each
    epoch (one training step per epoch); its weight `count` is the epoch number after fit."""
    import keras

    done = {"steps": 0}

    class Scripted(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

        def call(self, x):
            return x * self.count

        def train_step(self, data):
            """The epoch's one step: its logs are the epoch's training loss and accuracy (the
            model has no metrics to average them, so fit takes the step's logs as they are)."""
            epoch = done["steps"]
            done["steps"] += 1
            self.count.assign_add(1.0)
            # training loss always falls, training accuracy always rises: a callback watching
            # them (instead of the validation values) saves at every epoch
            return {"loss": 10.0 - epoch, "accuracy": 0.01 * epoch}

        def evaluate(self, *args, return_dict=False, **kwargs):
            """fit's validation pass at the end of each epoch: the scripted values, without
            running a test loop over the data (most of an epoch's cost); fit still adds them to
            the epoch's logs as val_loss / val_accuracy before any callback sees them."""
            epoch = done["steps"] - 1
            logs = {"loss": float(val_loss[epoch]), "accuracy": float(val_acc[epoch])}
            return logs if return_dict else list(logs.values())

    return Scripted


def _scripted_fit(callbacks, val_loss, val_acc):
    """fit() a scripted model for len(val_loss) epochs with `callbacks`; returns its class."""
    import keras
    import numpy as np
    import tensorflow as tf

    cls = _scripted(val_loss, val_acc)
    model = cls()
    model(np.zeros((1, 1), "float32"))
    model.compile(optimizer=keras.optimizers.SGD(1.0), run_eagerly=True)
    # without autotuning, making and dropping an iterator takes ~1 ms instead of ~7 ms of
    # waiting for tf.data's tuning thread
    options = tf.data.Options()
    options.autotune.enabled = False
    data = tf.data.Dataset.from_tensors((np.zeros((1, 1), "float32"),) * 2).repeat().with_options(options)
    model.fit(data, steps_per_epoch=1, epochs=len(val_loss), validation_data=data,
              validation_steps=1, shuffle=False, callbacks=list(callbacks), verbose=0)
    return cls


def _epoch_of(model):
    return int(model.count.numpy())


def _files(folder):
    """Every file under `folder`, relative, sorted."""
    import os

    found = []
    for root, _, names in os.walk(folder):
        found += [os.path.relpath(os.path.join(root, n), folder) for n in names]
    return sorted(found)


def _fresh_folder(name):
    import os
    import shutil

    shutil.rmtree(name, ignore_errors=True)
    os.makedirs(name)
    return name


def _show(values):
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def run_weights_checkpoint(sub, folder, val_loss):
    """Fit with the student's best_weights_checkpoint(folder); the files left and, for each
    weights file, the epoch a fresh model restored from it comes from."""
    import os

    import numpy as np

    _fresh_folder(folder)
    cls = _scripted_fit([sub.best_weights_checkpoint(folder)], val_loss, [0.5] * len(val_loss))
    files = _files(folder)
    restored = {}
    model = cls()  # one fresh model for every file: each load sets its one weight again
    model(np.zeros((1, 1), "float32"))
    for name in files:
        model.load_weights(os.path.join(folder, name))
        restored[name] = _epoch_of(model)
    return {"epochs saved": sorted(restored.values()),
            "files": files, "epoch restored from each file": restored}


WEIGHT_SCHEDULES = [
    [3.0, 2.0, 2.5, 1.0, 1.5],
    [1.0, 2.0, 3.0, 4.0],
    [5.0, 4.0, 4.0, 3.5, 3.0, 3.2],
]


@check(points=3, compare=exact())
def best_weights_checkpoint(sub, ctx):
    "ModelCheckpoint keeping the weights of every new lowest val_loss, one epochNN.weights.h5 each."
    for i, val_loss in enumerate(WEIGHT_SCHEDULES):
        folder = f"weights_run{i + 1}"
        ctx.case(f"best_weights_checkpoint({folder!r}) in a fit with val_loss {_show(val_loss)}",
                 run_weights_checkpoint, sub, folder, val_loss)


def run_model_checkpoint(sub, folder, val_acc):
    """Fit with the student's best_model_checkpoint(folder/best.keras); the files left and the
    epoch of the model `keras.models.load_model` restores from the file."""
    import os

    import keras

    _fresh_folder(folder)
    path = os.path.join(folder, "best.keras")
    # val_loss falls all the time: a checkpoint watching it would keep the last epoch
    val_loss = [10.0 - e for e in range(len(val_acc))]
    cls = _scripted_fit([sub.best_model_checkpoint(path)], val_loss, val_acc)
    files = _files(folder)
    model = keras.models.load_model(path, custom_objects={"Scripted": cls}, compile=False)
    return {"files": files, "restored model is from epoch": _epoch_of(model)}


MODEL_SCHEDULES = [
    [0.2, 0.6, 0.5, 0.7, 0.65],
    [0.9, 0.5, 0.6, 0.7],
]


@check(points=2, compare=exact())
def best_model_checkpoint(sub, ctx):
    "ModelCheckpoint keeping the whole model of the highest val_accuracy in one .keras file."
    for i, val_acc in enumerate(MODEL_SCHEDULES):
        folder = f"model_run{i + 1}"
        ctx.case(f"best_model_checkpoint('{folder}/best.keras') in a fit with val_accuracy "
                 f"{_show(val_acc)}", run_model_checkpoint, sub, folder, val_acc)


def transplant(model, rng):
    """Give every weight of `model` deterministic values drawn from `rng`, in order."""
    for var in model.weights:
        var.assign(rng.normal(size=tuple(var.shape)).astype("float32"))


def affine_model(sub, n_in, units, scale):
    """Input(n_in) -> Affine(units, scale) -> Dense(2): a small model with the student's layer."""
    import keras

    return keras.Sequential([keras.Input((n_in,)), sub.Affine(units, scale=scale, name="affine"),
                             keras.layers.Dense(2, name="head")])


@check(points=1, compare=close(rtol=1e-5, atol=1e-5))
def affine_layer(sub, ctx):
    "The Affine layer computes scale * (x @ kernel + bias) with weights kernel, bias (zeros at first)."
    for n_in, units, scale in [(3, 2, 1.0), (4, 3, 0.5), (2, 5, -2.0)]:
        x = ctx.rng.normal(size=(4, n_in)).astype("float32")
        kernel = ctx.rng.normal(size=(n_in, units)).astype("float32")
        bias = ctx.rng.normal(size=(units,)).astype("float32")

        def run(n_in=n_in, units=units, scale=scale, x=x, kernel=kernel, bias=bias):
            layer = sub.Affine(units, scale=scale)
            layer.build((None, n_in))
            shapes = [list(w.shape) for w in layer.weights]
            initial = layer.get_weights()  # the task sets the bias's initial values: zeros
            layer.set_weights([kernel, bias])
            return {"weight shapes": shapes,
                    "bias right after build": initial[1] if len(initial) > 1 else None,
                    "output": layer(x)}

        ctx.case(f"Affine({units}, scale={scale}) on x of shape {x.shape}", run)


def run_roundtrip(sub, folder, n_in, units, scale, rng):
    """Save a trained-looking model with the student's save_model, load it back with their
    load_saved_model: the files, the restored Affine's config, and both models' predictions."""
    import os

    _fresh_folder(folder)
    model = affine_model(sub, n_in, units, scale)
    transplant(model, rng)
    x = rng.normal(size=(5, n_in)).astype("float32")
    sub.save_model(model, os.path.join(folder, "model.keras"))
    restored = sub.load_saved_model(os.path.join(folder, "model.keras"))
    # found by its class: a config without the layer's name (the task asks for __init__'s
    # arguments, units and scale) loads it back under another name, and that is no mistake
    layer = next((each for each in restored.layers if type(each).__name__ == "Affine"), None)
    if layer is None:
        layer = restored.get_layer("affine")  # raises, naming the layers there are
    config = layer.get_config()
    return {"files": _files(folder),
            "restored layer": {"class": type(layer).__name__, "units": config.get("units"),
                               "scale": config.get("scale")},
            "predictions before saving": model(x),
            "predictions of the restored model": restored(x)}


@check(points=2, compare=close(rtol=1e-5, atol=1e-5))
def model_roundtrip(sub, ctx):
    "save_model then load_saved_model: a model with an Affine layer predicts the same after loading."
    for i, (n_in, units, scale) in enumerate([(3, 4, 0.5), (2, 3, -1.5)]):
        folder = f"roundtrip{i + 1}"
        ctx.case(f"save_model/load_saved_model of Input({n_in}) -> Affine({units}, scale={scale}) "
                 f"-> Dense(2) in {folder!r}", run_roundtrip, sub, folder, n_in, units, scale, ctx.rng)


@check(points=1, compare=close(rtol=1e-6, atol=1e-6))
def weights_transfer(sub, ctx):
    "transfer_weights: a fresh model predicts like the trained one after loading its weights file."
    import keras

    def build():
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                                 keras.layers.Dense(1)])

    trained, fresh = build(), build()
    transplant(trained, ctx.rng)
    transplant(fresh, ctx.rng)
    x = ctx.rng.normal(size=(6, 3)).astype("float32")
    folder = _fresh_folder("transfer")

    def run():
        before = trained(x)
        back = sub.transfer_weights(trained, fresh, f"{folder}/trained.weights.h5")
        return {"files": _files(folder), "returned the fresh model": back is fresh,
                "predictions of the trained model": before,
                "predictions of the returned model": back(x)}

    ctx.case("transfer_weights(trained, fresh, 'transfer/trained.weights.h5')", run)
