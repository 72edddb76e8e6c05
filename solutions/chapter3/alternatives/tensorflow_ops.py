"""Chapter 3 written with TensorFlow's own ops (tf.gather with batch_dims, tf.math), which run
in Keras' compiled steps on the TensorFlow backend."""

import keras
import tensorflow as tf


class TopKAccuracy(keras.metrics.Metric):
    def __init__(self, k=5, sparse=False, name="top_k_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.k, self.sparse = k, sparse
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.weight_sum = self.add_variable(shape=(), initializer="zeros", name="weight_sum")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = tf.cast(y_pred, tf.float32)
        if self.sparse:
            labels = tf.reshape(tf.cast(y_true, tf.int32), [-1])
        else:
            labels = tf.argmax(y_true, axis=-1, output_type=tf.int32)
        true_scores = tf.gather(y_pred, labels, axis=1, batch_dims=1)
        above = tf.reduce_sum(tf.cast(y_pred > true_scores[:, None], tf.float32), axis=1)
        hits = tf.cast(above < self.k, tf.float32)
        if sample_weight is None:
            weights = tf.ones_like(hits)
        else:
            weights = tf.reshape(tf.cast(sample_weight, tf.float32), [-1])
        self.total.assign_add(tf.reduce_sum(hits * weights))
        self.weight_sum.assign_add(tf.reduce_sum(weights))

    def result(self):
        return tf.math.divide_no_nan(self.total, self.weight_sum)

    def reset_state(self):
        self.total.assign(0.0)
        self.weight_sum.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "k": self.k, "sparse": self.sparse}


def _binary_update(metric, y_true, y_pred, sample_weight):
    truth = tf.reshape(tf.cast(y_true, tf.float32), [-1])
    guess = tf.cast(tf.reshape(tf.cast(y_pred, tf.float32), [-1]) > metric.threshold, tf.float32)
    weights = tf.ones_like(truth) if sample_weight is None else tf.reshape(tf.cast(sample_weight, tf.float32), [-1])
    return truth, guess, weights


class BinaryPrecision(keras.metrics.Metric):
    def __init__(self, threshold=0.5, name="binary_precision", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.tp = self.add_variable(shape=(), initializer="zeros", name="tp")
        self.fp = self.add_variable(shape=(), initializer="zeros", name="fp")

    def update_state(self, y_true, y_pred, sample_weight=None):
        truth, guess, weights = _binary_update(self, y_true, y_pred, sample_weight)
        self.tp.assign_add(tf.reduce_sum(truth * guess * weights))
        self.fp.assign_add(tf.reduce_sum((1 - truth) * guess * weights))

    def result(self):
        return tf.math.divide_no_nan(self.tp, self.tp + self.fp)

    def reset_state(self):
        self.tp.assign(0.0)
        self.fp.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


class BinaryRecall(keras.metrics.Metric):
    def __init__(self, threshold=0.5, name="binary_recall", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.tp = self.add_variable(shape=(), initializer="zeros", name="tp")
        self.fn = self.add_variable(shape=(), initializer="zeros", name="fn")

    def update_state(self, y_true, y_pred, sample_weight=None):
        truth, guess, weights = _binary_update(self, y_true, y_pred, sample_weight)
        self.tp.assign_add(tf.reduce_sum(truth * guess * weights))
        self.fn.assign_add(tf.reduce_sum(truth * (1 - guess) * weights))

    def result(self):
        return tf.math.divide_no_nan(self.tp, self.tp + self.fn)

    def reset_state(self):
        self.tp.assign(0.0)
        self.fn.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}
