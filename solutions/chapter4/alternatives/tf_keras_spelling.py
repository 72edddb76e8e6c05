"""Chapter 4 written with tf.keras (the same Keras in TensorFlow 2.16+), regularisers by
their lowercase functions, and a self-test under __main__."""

import tensorflow as tf


def early_stopping(patience, min_delta):
    callback = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta,
                                                restore_best_weights=True)
    return callback


def reduce_lr(factor, patience, min_lr):
    return tf.keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=factor, patience=patience, min_lr=min_lr)


def csv_logger(filename):
    return tf.keras.callbacks.CSVLogger(filename, separator=";", append=True)


def event_logger(events):
    log = events.append
    return tf.keras.callbacks.LambdaCallback(
        on_train_begin=lambda logs: log("train_begin"),
        on_epoch_begin=lambda epoch, logs: log(f"epoch_begin {epoch}"),
        on_train_batch_end=lambda batch, logs: log(f"batch_end {batch} loss={logs['loss']:.2f}"),
        on_epoch_end=lambda epoch, logs: log(f"epoch_end {epoch} val_loss={logs['val_loss']:.2f}"),
        on_train_end=lambda logs: log("train_end"))


class LossHistory(tf.keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batch_losses = list()
        self.epoch_val_losses = list()

    def on_train_begin(self, logs=None):
        self.batch_losses, self.epoch_val_losses = [], []

    def on_train_batch_end(self, batch, logs=None):
        self.batch_losses += [float(logs["loss"])]

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_val_losses += [float(logs["val_loss"])]


class StopAtLoss(tf.keras.callbacks.Callback):
    def __init__(self, threshold):
        super().__init__()
        self.threshold = threshold
        self.stopped_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        if self.stopped_epoch is not None:
            return
        if logs["loss"] < self.threshold:
            self.stopped_epoch = epoch
            self.model.stop_training = True


def regularised_dense(units, kernel_l2, bias_l1):
    return tf.keras.layers.Dense(units, activation="relu", kernel_regularizer=tf.keras.regularizers.l2(kernel_l2),
                                 bias_regularizer=tf.keras.regularizers.l1(bias_l1))


def dropout_mlp(n_features, hidden, rate):
    return tf.keras.Sequential([tf.keras.Input(shape=(n_features,)),
                                tf.keras.layers.Dense(hidden, activation="relu"),
                                tf.keras.layers.Dropout(rate),
                                tf.keras.layers.Dense(1)])


def batch_norm(momentum, epsilon, axis, gamma, beta_stddev):
    return tf.keras.layers.BatchNormalization(
        axis=axis, momentum=momentum, epsilon=epsilon,
        gamma_initializer=tf.keras.initializers.Constant(gamma),
        beta_initializer=tf.keras.initializers.RandomNormal(stddev=beta_stddev))


if __name__ == "__main__":
    layer = batch_norm(0.9, 1e-3, -1, 1.5, 0.1)
    print(layer.get_config())
    print(dropout_mlp(4, 8, 0.5).summary())
