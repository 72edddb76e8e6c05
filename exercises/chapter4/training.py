"""Chapter 4 - Validation, regularisation and callbacks.

Fill in every function and class below, then run `grade chapter4`.

The grader runs each callback you return in a real `model.fit(...)` whose training and
validation losses it scripts, and judges what happens: the epoch at which training stops, the
learning rate in every epoch, the lines of the CSV file, the order of the hooks called. Layers
and models you return are built, given known weights and run (or trained) on grader data.

Use Keras 3 (`import keras`; `tf.keras` is the same thing in TensorFlow 2.16+).
"""

import keras


# ----------------------------------------------------------------------------------------------
# Built-in callbacks
# ----------------------------------------------------------------------------------------------


def early_stopping(patience, min_delta):
    """Return a `keras.callbacks.EarlyStopping` that:

    - watches the validation loss (`"val_loss"`), where lower is better;
    - counts an epoch as an improvement only if the validation loss drops by more than
      `min_delta` below the best value so far;
    - stops training after `patience` epochs in a row without improvement;
    - at the end of training puts back the weights of the best epoch.
    """
    raise NotImplementedError("early_stopping")


def reduce_lr(factor, patience, min_lr):
    """Return a `keras.callbacks.ReduceLROnPlateau` that watches the validation loss (lower is
    better) and, after `patience` epochs in a row without improvement, multiplies the
    optimizer's learning rate by `factor`, never going below `min_lr`.
    Leave `min_delta` and `cooldown` at their defaults.
    """
    raise NotImplementedError("reduce_lr")


def csv_logger(filename):
    """Return a `keras.callbacks.CSVLogger` that writes one line per epoch to `filename`,
    separating the columns with semicolons (";"), and that APPENDS to the file when it already
    exists (so a second `fit` continues the same log instead of overwriting it)."""
    raise NotImplementedError("csv_logger")


def event_logger(events):
    """Return a `keras.callbacks.LambdaCallback` that appends one string to the list `events`
    (append to the list you are given, do not make a new one) at each of these moments:

    - when training begins:                 "train_begin"
    - when an epoch begins:                 f"epoch_begin {epoch}"
    - when a training batch ends:           f"batch_end {batch} loss={logs['loss']:.2f}"
    - when an epoch ends:                   f"epoch_end {epoch} val_loss={logs['val_loss']:.2f}"
    - when training ends:                   "train_end"

    `epoch` and `batch` are the numbers Keras passes (they start at 0).
    Example for 1 epoch of 2 batches: ["train_begin", "epoch_begin 0", "batch_end 0 loss=0.50",
    "batch_end 1 loss=0.40", "epoch_end 0 val_loss=0.70", "train_end"].
    """
    raise NotImplementedError("event_logger")


# ----------------------------------------------------------------------------------------------
# Your own callbacks: subclass keras.callbacks.Callback
# ----------------------------------------------------------------------------------------------


class LossHistory(keras.callbacks.Callback):
    """Records losses during `fit`, in two lists of floats:

    - `self.batch_losses`: `logs["loss"]` at the end of every training batch;
    - `self.epoch_val_losses`: `logs["val_loss"]` at the end of every epoch.

    Both lists exist right after `LossHistory()` and are emptied at the beginning of every
    `fit` (so one instance can be reused: after a second `fit` they hold only that fit's losses).
    """

    def __init__(self):
        super().__init__()
        raise NotImplementedError("LossHistory.__init__")

    def on_train_begin(self, logs=None):
        raise NotImplementedError("LossHistory.on_train_begin")

    def on_train_batch_end(self, batch, logs=None):
        raise NotImplementedError("LossHistory.on_train_batch_end")

    def on_epoch_end(self, epoch, logs=None):
        raise NotImplementedError("LossHistory.on_epoch_end")


class StopAtLoss(keras.callbacks.Callback):
    """Stops training at the end of the first epoch whose TRAINING loss (`logs["loss"]`) is
    strictly below `threshold` (set `self.model.stop_training = True`).

    `self.stopped_epoch` is None until then, and afterwards the number of the epoch that
    stopped training (0 for the first epoch). The check happens at the end of epochs only,
    never in the middle of one.
    """

    def __init__(self, threshold):
        super().__init__()
        raise NotImplementedError("StopAtLoss.__init__")

    def on_epoch_end(self, epoch, logs=None):
        raise NotImplementedError("StopAtLoss.on_epoch_end")


# ----------------------------------------------------------------------------------------------
# Regularisation and normalisation layers
# ----------------------------------------------------------------------------------------------


def regularised_dense(units, kernel_l2, bias_l1):
    """Return a `keras.layers.Dense` layer with `units` units and a ReLU activation whose
    kernel has an L2 penalty of factor `kernel_l2` and whose bias has an L1 penalty of factor
    `bias_l1` (the penalties Keras adds to the loss: kernel_l2 * sum(kernel**2) and
    bias_l1 * sum(|bias|)). No other regulariser."""
    raise NotImplementedError("regularised_dense")


def dropout_mlp(n_features, hidden, rate):
    """Return a `keras.Sequential` model for inputs of `n_features` features:
    `keras.Input`, then a Dense layer of `hidden` units with ReLU, then Dropout that drops a
    fraction `rate` of the hidden units during training, then a Dense layer of 1 unit with
    no activation."""
    raise NotImplementedError("dropout_mlp")


def batch_norm(momentum, epsilon, axis, gamma, beta_stddev):
    """Return a `keras.layers.BatchNormalization` layer that normalises along `axis`, uses
    `momentum` for its moving mean and variance and `epsilon` for numerical stability, whose
    scale (gamma) starts at the constant `gamma` and whose offset (beta) starts from a normal
    distribution with mean 0 and standard deviation `beta_stddev`."""
    raise NotImplementedError("batch_norm")
