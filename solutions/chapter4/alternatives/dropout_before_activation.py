"""Chapter 4: Dropout placed right after the Dense layer and ReLU after it (ReLU and Dropout
commute: the same network), a Functional model in a Sequential wrapper's place is NOT used since
the task asks for keras.Sequential. Debug prints inside the callbacks."""

import keras

DEBUG = False


def early_stopping(patience, min_delta):
    return keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta,
                                         mode="auto", restore_best_weights=True, start_from_epoch=0)


def reduce_lr(factor, patience, min_lr):
    return keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=factor, patience=patience, min_lr=min_lr,
                                             mode="auto")


def csv_logger(filename):
    return keras.callbacks.CSVLogger(filename, append=True, separator=";")


def event_logger(events):
    def record(text):
        if DEBUG:
            print("event:", text)
        events.append(text)

    return keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs=None: record("train_begin"),
        on_epoch_begin=lambda epoch, logs=None: record("epoch_begin {}".format(epoch)),
        on_train_batch_end=lambda batch, logs=None: record("batch_end {} loss={:.2f}".format(batch, logs["loss"])),
        on_epoch_end=lambda epoch, logs=None: record("epoch_end {} val_loss={:.2f}".format(epoch, logs["val_loss"])),
        on_train_end=lambda logs=None: record("train_end"))


class LossHistory(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self._reset()

    def _reset(self):
        self.batch_losses = []
        self.epoch_val_losses = []

    def on_train_begin(self, logs=None):
        self._reset()

    def on_train_batch_end(self, batch, logs=None):
        self.batch_losses.append(float(logs["loss"]))

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_val_losses.append(float(logs["val_loss"]))
        print(f"epoch {epoch}: val_loss {logs['val_loss']:.3f}")


class StopAtLoss(keras.callbacks.Callback):
    def __init__(self, threshold):
        super().__init__()
        self.threshold = threshold
        self.stopped_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        below = logs["loss"] < self.threshold
        if below:
            self.stopped_epoch = epoch
        self.model.stop_training = self.model.stop_training or below


def regularised_dense(units, kernel_l2, bias_l1):
    layer = keras.layers.Dense(units, activation="relu",
                               kernel_regularizer=keras.regularizers.l2(kernel_l2),
                               bias_regularizer=keras.regularizers.l1(bias_l1))
    return layer


def dropout_mlp(n_features, hidden, rate):
    return keras.Sequential([keras.Input((n_features,)), keras.layers.Dense(hidden), keras.layers.Dropout(rate),
                             keras.layers.ReLU(), keras.layers.Dense(1)])


def batch_norm(momentum, epsilon, axis, gamma, beta_stddev):
    gamma_init = keras.initializers.Constant(float(gamma))
    beta_init = keras.initializers.RandomNormal(0.0, beta_stddev)
    return keras.layers.BatchNormalization(axis, momentum, epsilon, beta_initializer=beta_init,
                                           gamma_initializer=gamma_init)
