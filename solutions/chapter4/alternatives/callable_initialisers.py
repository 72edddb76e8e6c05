"""Chapter 4 with initialisers written as functions (Keras calls them with a shape and a
dtype), the l1/l2 functions, L1L2 for one penalty each, and an Activation layer before Dropout."""

import keras
from keras import ops


def early_stopping(patience, min_delta):
    return keras.callbacks.EarlyStopping("val_loss", min_delta, patience, restore_best_weights=True)


def reduce_lr(factor, patience, min_lr):
    return keras.callbacks.ReduceLROnPlateau("val_loss", factor, patience, min_lr=min_lr)


def csv_logger(filename):
    return keras.callbacks.CSVLogger(filename, ";", True)


def event_logger(events):
    return keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: events.append("epoch_begin %d" % epoch),
        on_train_batch_end=lambda batch, logs: events.append("batch_end %d loss=%.2f" % (batch, logs["loss"])),
        on_epoch_end=lambda epoch, logs: events.append("epoch_end %d val_loss=%.2f" % (epoch, logs["val_loss"])),
        on_train_end=lambda logs: events.append("train_end"),
    )


class LossHistory(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batch_losses, self.epoch_val_losses = [], []

    def on_train_begin(self, logs=None):
        self.batch_losses.clear()
        self.epoch_val_losses.clear()

    def on_train_batch_end(self, batch, logs=None):
        self.batch_losses.append(logs.get("loss"))

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_val_losses.append(logs.get("val_loss"))


class StopAtLoss(keras.callbacks.Callback):
    def __init__(self, threshold):
        super().__init__()
        self.threshold = float(threshold)
        self.stopped_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if logs.get("loss", float("inf")) < self.threshold:
            self.model.stop_training = True
            if self.stopped_epoch is None:
                self.stopped_epoch = epoch


def regularised_dense(units, kernel_l2, bias_l1):
    return keras.layers.Dense(units, activation=keras.activations.relu,
                              kernel_regularizer=keras.regularizers.L1L2(l2=kernel_l2),
                              bias_regularizer=keras.regularizers.L1L2(l1=bias_l1))


def dropout_mlp(n_features, hidden, rate):
    model = keras.Sequential()
    model.add(keras.Input(shape=(n_features,)))
    model.add(keras.layers.Dense(hidden))
    model.add(keras.layers.Activation("relu"))
    model.add(keras.layers.Dropout(rate))
    model.add(keras.layers.Dense(1, activation=None))
    return model


def batch_norm(momentum, epsilon, axis, gamma, beta_stddev):
    def gamma_init(shape, dtype=None):
        return ops.full(shape, gamma, dtype=dtype)

    def beta_init(shape, dtype=None):
        return keras.random.normal(shape, mean=0.0, stddev=beta_stddev, dtype=dtype)

    return keras.layers.BatchNormalization(axis=axis, momentum=momentum, epsilon=epsilon,
                                           gamma_initializer=gamma_init, beta_initializer=beta_init)
