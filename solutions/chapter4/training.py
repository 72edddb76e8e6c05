"""Reference solution of chapter 4, written as a student should: Keras callbacks and layers."""

import keras


def early_stopping(patience, min_delta):
    return keras.callbacks.EarlyStopping(monitor="val_loss", mode="min", patience=patience,
                                         min_delta=min_delta, restore_best_weights=True)


def reduce_lr(factor, patience, min_lr):
    return keras.callbacks.ReduceLROnPlateau(monitor="val_loss", mode="min", factor=factor,
                                             patience=patience, min_lr=min_lr)


def csv_logger(filename):
    return keras.callbacks.CSVLogger(filename, separator=";", append=True)


def event_logger(events):
    return keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: events.append(f"epoch_begin {epoch}"),
        on_train_batch_end=lambda batch, logs: events.append(f"batch_end {batch} loss={logs['loss']:.2f}"),
        on_epoch_end=lambda epoch, logs: events.append(f"epoch_end {epoch} val_loss={logs['val_loss']:.2f}"),
        on_train_end=lambda logs: events.append("train_end"),
    )


class LossHistory(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batch_losses = []
        self.epoch_val_losses = []

    def on_train_begin(self, logs=None):
        self.batch_losses = []
        self.epoch_val_losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.batch_losses.append(float(logs["loss"]))

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_val_losses.append(float(logs["val_loss"]))


class StopAtLoss(keras.callbacks.Callback):
    def __init__(self, threshold):
        super().__init__()
        self.threshold = threshold
        self.stopped_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        if logs["loss"] < self.threshold:
            self.model.stop_training = True
            self.stopped_epoch = epoch


def regularised_dense(units, kernel_l2, bias_l1):
    return keras.layers.Dense(units, activation="relu",
                              kernel_regularizer=keras.regularizers.l2(kernel_l2),
                              bias_regularizer=keras.regularizers.l1(bias_l1))


def dropout_mlp(n_features, hidden, rate):
    return keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(hidden, activation="relu"),
        keras.layers.Dropout(rate),
        keras.layers.Dense(1),
    ])


def batch_norm(momentum, epsilon, axis, gamma, beta_stddev):
    return keras.layers.BatchNormalization(
        axis=axis, momentum=momentum, epsilon=epsilon,
        gamma_initializer=keras.initializers.Constant(gamma),
        beta_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=beta_stddev),
    )
