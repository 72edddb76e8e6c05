"""Chapter 3 keeping each metric's totals in ONE state variable of shape (2,), a docstring per
class, and helper functions at module level."""

import keras
from keras import ops


def _weights(sample_weight, like):
    if sample_weight is None:
        return ops.ones_like(like)
    return ops.reshape(ops.cast(sample_weight, "float32"), (-1,))


class TopKAccuracy(keras.metrics.Metric):
    """Top-k accuracy; ties count in the student's favour."""

    def __init__(self, k=5, sparse=False, name="top_k_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.k = k
        self.sparse = sparse
        self.totals = self.add_variable(shape=(2,), initializer="zeros", name="totals")  # hits, samples

    def update_state(self, y_true, y_pred, sample_weight=None):
        scores = ops.cast(y_pred, "float32")
        if self.sparse:
            target = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        else:
            target = ops.cast(ops.argmax(ops.cast(y_true, "float32"), axis=-1), "int32")
        picked = ops.take_along_axis(scores, target[:, None], axis=-1)
        rank = ops.sum(ops.cast(scores > picked, "int32"), axis=-1)
        hit = ops.cast(rank < self.k, "float32")
        w = _weights(sample_weight, hit)
        self.totals.assign_add(ops.stack([ops.sum(hit * w), ops.sum(w)]))

    def result(self):
        return ops.divide_no_nan(self.totals[0], self.totals[1])

    def reset_state(self):
        self.totals.assign(ops.zeros((2,)))

    def get_config(self):
        config = super().get_config()
        config.update({"k": self.k, "sparse": self.sparse})
        return config


class BinaryPrecision(keras.metrics.Metric):
    """TP / (TP + FP) at a strict threshold."""

    def __init__(self, threshold=0.5, name="binary_precision", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.counts = self.add_variable(shape=(2,), initializer="zeros", name="counts")  # tp, fp

    def update_state(self, y_true, y_pred, sample_weight=None):
        label = ops.reshape(ops.cast(y_true, "float32"), (-1,))
        positive = ops.cast(ops.reshape(ops.cast(y_pred, "float32"), (-1,)) > self.threshold, "float32")
        w = _weights(sample_weight, label)
        self.counts.assign_add(ops.stack([ops.sum(label * positive * w), ops.sum((1 - label) * positive * w)]))

    def result(self):
        return ops.divide_no_nan(self.counts[0], self.counts[0] + self.counts[1])

    def reset_state(self):
        self.counts.assign(ops.zeros((2,)))

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


class BinaryRecall(keras.metrics.Metric):
    """TP / (TP + FN) at a strict threshold."""

    def __init__(self, threshold=0.5, name="binary_recall", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.counts = self.add_variable(shape=(2,), initializer="zeros", name="counts")  # tp, fn

    def update_state(self, y_true, y_pred, sample_weight=None):
        label = ops.reshape(ops.cast(y_true, "float32"), (-1,))
        positive = ops.cast(ops.reshape(ops.cast(y_pred, "float32"), (-1,)) > self.threshold, "float32")
        w = _weights(sample_weight, label)
        self.counts.assign_add(ops.stack([ops.sum(label * positive * w), ops.sum(label * (1 - positive) * w)]))

    def result(self):
        return ops.divide_no_nan(self.counts[0], self.counts[0] + self.counts[1])

    def reset_state(self):
        self.counts.assign(ops.zeros((2,)))

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}
