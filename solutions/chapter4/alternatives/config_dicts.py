"""Chapter 4 configured from dictionaries: initialisers given as Keras config dicts, keyword
arguments gathered first, a seeded Dropout, and a self-test under __main__."""

import keras


def early_stopping(patience, min_delta):
    settings = {"monitor": "val_loss", "patience": patience, "min_delta": min_delta, "restore_best_weights": True}
    return keras.callbacks.EarlyStopping(**settings)


def reduce_lr(factor, patience, min_lr):
    settings = {"monitor": "val_loss", "factor": factor, "patience": patience, "min_lr": min_lr}
    return keras.callbacks.ReduceLROnPlateau(**settings)


def csv_logger(filename):
    return keras.callbacks.CSVLogger(**{"filename": filename, "separator": ";", "append": True})


def event_logger(events):
    hooks = {
        "on_train_begin": lambda logs: events.append("train_begin"),
        "on_epoch_begin": lambda epoch, logs: events.append(f"epoch_begin {epoch}"),
        "on_train_batch_end": lambda batch, logs: events.append(f"batch_end {batch} loss={logs['loss']:.2f}"),
        "on_epoch_end": lambda epoch, logs: events.append(f"epoch_end {epoch} val_loss={logs['val_loss']:.2f}"),
        "on_train_end": lambda logs: events.append("train_end"),
    }
    return keras.callbacks.LambdaCallback(**hooks)


class LossHistory(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batch_losses = []
        self.epoch_val_losses = []

    def on_train_begin(self, logs=None):
        del self.batch_losses[:]
        del self.epoch_val_losses[:]

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        self.batch_losses.append(float(logs["loss"]))

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epoch_val_losses.append(float(logs["val_loss"]))


class StopAtLoss(keras.callbacks.Callback):
    def __init__(self, threshold):
        super().__init__()
        self.threshold = threshold
        self.stopped_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        if self.stopped_epoch is None and float((logs or {})["loss"]) < self.threshold:
            self.stopped_epoch = int(epoch)
            self.model.stop_training = True


def regularised_dense(units, kernel_l2, bias_l1):
    return keras.layers.Dense(units=units, activation="relu",
                              kernel_regularizer={"class_name": "L2", "config": {"l2": kernel_l2}},
                              bias_regularizer={"class_name": "L1", "config": {"l1": bias_l1}})


def dropout_mlp(n_features, hidden, rate):
    return keras.Sequential([keras.Input(shape=(n_features,)),
                             keras.layers.Dense(hidden, activation=keras.activations.relu),
                             keras.layers.Dropout(rate, seed=1),
                             keras.layers.Dense(1, activation="linear")])


def batch_norm(momentum, epsilon, axis, gamma, beta_stddev):
    return keras.layers.BatchNormalization(
        axis=axis, momentum=momentum, epsilon=epsilon,
        gamma_initializer={"class_name": "Constant", "config": {"value": gamma}},
        beta_initializer={"class_name": "RandomNormal", "config": {"mean": 0, "stddev": beta_stddev}})


if __name__ == "__main__":
    print(batch_norm(0.9, 0.001, -1, 1.0, 0.05).get_config())
