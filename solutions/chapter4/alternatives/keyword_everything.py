"""Chapter 4 with every argument spelled out (mode="min", monitor="val_loss"), Keras'
regulariser classes, a separate ReLU layer in the Dropout network, and integer-valued
initialiser arguments (mean=0)."""

import keras


def early_stopping(patience, min_delta):
    return keras.callbacks.EarlyStopping(monitor="val_loss", mode="min", patience=patience,
                                         min_delta=min_delta, restore_best_weights=True, verbose=0)


def reduce_lr(factor, patience, min_lr):
    return keras.callbacks.ReduceLROnPlateau(monitor="val_loss", mode="min", factor=factor,
                                             patience=patience, min_lr=min_lr, verbose=0)


def csv_logger(filename):
    return keras.callbacks.CSVLogger(filename=filename, separator=";", append=True)


def event_logger(events):
    def train_begin(logs):
        events.append("train_begin")

    def epoch_begin(epoch, logs):
        events.append(f"epoch_begin {epoch}")

    def batch_end(batch, logs):
        events.append(f"batch_end {batch} loss={logs['loss']:.2f}")

    def epoch_end(epoch, logs):
        events.append(f"epoch_end {epoch} val_loss={logs['val_loss']:.2f}")

    def train_end(logs):
        events.append("train_end")

    return keras.callbacks.LambdaCallback(on_train_begin=train_begin, on_epoch_begin=epoch_begin,
                                          on_train_batch_end=batch_end, on_epoch_end=epoch_end,
                                          on_train_end=train_end)


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
        if logs["loss"] < self.threshold and self.stopped_epoch is None:
            self.stopped_epoch = epoch
            self.model.stop_training = True


def regularised_dense(units, kernel_l2, bias_l1):
    return keras.layers.Dense(units, activation="relu", kernel_regularizer=keras.regularizers.L2(kernel_l2),
                              bias_regularizer=keras.regularizers.L1(bias_l1))


def dropout_mlp(n_features, hidden, rate):
    return keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(hidden),
        keras.layers.ReLU(),
        keras.layers.Dropout(rate=rate),
        keras.layers.Dense(1),
    ])


def batch_norm(momentum, epsilon, axis, gamma, beta_stddev):
    return keras.layers.BatchNormalization(
        axis=axis, momentum=momentum, epsilon=epsilon,
        gamma_initializer=keras.initializers.Constant(value=gamma),
        beta_initializer=keras.initializers.RandomNormal(mean=0, stddev=beta_stddev),
    )
