"""Chapter 4 with the student's own variable names (summary, count_params), a regulariser
written as a keras.regularizers.Regularizer subclass, and a top-level experiment."""

import keras
from keras import ops


class L2Kernel(keras.regularizers.Regularizer):
    def __init__(self, factor):
        self.factor = factor

    def __call__(self, weights):
        return self.factor * ops.sum(ops.square(weights))

    def get_config(self):
        return {"factor": self.factor}


class L1Bias(keras.regularizers.Regularizer):
    def __init__(self, factor):
        self.factor = factor

    def __call__(self, weights):
        return self.factor * ops.sum(ops.abs(weights))

    def get_config(self):
        return {"factor": self.factor}


def early_stopping(patience, min_delta):
    summary = dict(monitor="val_loss", patience=patience, min_delta=min_delta, restore_best_weights=True)
    return keras.callbacks.EarlyStopping(**summary)


def reduce_lr(factor, patience, min_lr):
    return keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=factor, patience=patience, min_lr=min_lr)


def csv_logger(filename):
    return keras.callbacks.CSVLogger(filename, separator=";", append=True)


def event_logger(events):
    callback = keras.callbacks.LambdaCallback()
    callback.on_train_begin = lambda logs=None: events.append("train_begin")
    callback.on_epoch_begin = lambda epoch, logs=None: events.append(f"epoch_begin {epoch}")
    callback.on_train_batch_end = lambda batch, logs=None: events.append(f"batch_end {batch} loss={logs['loss']:.2f}")
    callback.on_epoch_end = lambda epoch, logs=None: events.append(f"epoch_end {epoch} val_loss={logs['val_loss']:.2f}")
    callback.on_train_end = lambda logs=None: events.append("train_end")
    return callback


class LossHistory(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batch_losses = []
        self.epoch_val_losses = []

    def on_train_begin(self, logs=None):
        self.batch_losses = []
        self.epoch_val_losses = []

    def on_train_batch_end(self, batch, logs=None):
        count_params = float(logs["loss"])
        self.batch_losses.append(count_params)

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_val_losses.append(float(logs["val_loss"]))


class StopAtLoss(keras.callbacks.Callback):
    def __init__(self, threshold):
        super().__init__()
        self.threshold = threshold
        self.stopped_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        if self.stopped_epoch is None and logs["loss"] < self.threshold:
            self.model.stop_training = True
            self.stopped_epoch = epoch


def regularised_dense(units, kernel_l2, bias_l1):
    return keras.layers.Dense(units, activation="relu", kernel_regularizer=L2Kernel(kernel_l2),
                              bias_regularizer=L1Bias(bias_l1))


def dropout_mlp(n_features, hidden, rate):
    summary = keras.Sequential(name="dropout_mlp")
    summary.add(keras.Input(shape=(n_features,)))
    summary.add(keras.layers.Dense(hidden, activation="relu"))
    summary.add(keras.layers.Dropout(rate))
    summary.add(keras.layers.Dense(1))
    return summary


def batch_norm(momentum, epsilon, axis, gamma, beta_stddev):
    return keras.layers.BatchNormalization(axis=axis, momentum=momentum, epsilon=epsilon,
                                           gamma_initializer=keras.initializers.Constant(gamma),
                                           beta_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=beta_stddev,
                                                                                            seed=42))


layer = batch_norm(0.9, 0.001, -1, 2.0, 0.1)
print("experiment:", layer.momentum, layer.epsilon)
