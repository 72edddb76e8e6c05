"""Reference solution of chapter 3, written as a student should: Metric subclasses whose state
lives in Keras variables and whose arithmetic is keras.ops (it runs inside compiled steps)."""

import keras
from keras import ops


class TopKAccuracy(keras.metrics.Metric):
    """Share of samples whose true class is among the k highest scores (ties count as in)."""

    def __init__(self, k=5, sparse=False, name="top_k_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.k = k
        self.sparse = sparse
        self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
        self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.convert_to_tensor(y_pred, dtype=self.dtype)
        classes = ops.shape(y_pred)[-1]
        y_pred = ops.reshape(y_pred, (-1, classes))
        if self.sparse:
            labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        else:
            labels = ops.argmax(ops.reshape(y_true, (-1, classes)), axis=-1)
        true_score = ops.take_along_axis(y_pred, ops.expand_dims(labels, -1), axis=-1)
        higher = ops.sum(ops.cast(ops.greater(y_pred, true_score), "int32"), axis=-1)
        hit = ops.cast(higher < self.k, self.dtype)
        if sample_weight is None:
            weight = ops.ones_like(hit)
        else:
            weight = ops.reshape(ops.cast(sample_weight, self.dtype), (-1,))
        self.hits.assign_add(ops.sum(hit * weight))
        self.seen.assign_add(ops.sum(weight))

    def result(self):
        return ops.divide_no_nan(self.hits, self.seen)

    def reset_state(self):
        self.hits.assign(0.0)
        self.seen.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "k": self.k, "sparse": self.sparse}


def _binary(y_true, y_pred, sample_weight, threshold, dtype):
    """Flat 0/1 float tensors: actual positives, predicted positives, and the weights."""
    actual = ops.cast(ops.not_equal(ops.reshape(y_true, (-1,)), 0), dtype)
    predicted = ops.cast(ops.greater(ops.reshape(ops.cast(y_pred, dtype), (-1,)), threshold), dtype)
    if sample_weight is None:
        weight = ops.ones_like(actual)
    else:
        weight = ops.reshape(ops.cast(sample_weight, dtype), (-1,))
    return actual, predicted, weight


class BinaryPrecision(keras.metrics.Metric):
    """Of the samples predicted positive (score > threshold), the weighted share truly positive."""

    def __init__(self, threshold=0.5, name="binary_precision", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="tp")
        self.false_positives = self.add_variable(shape=(), initializer="zeros", name="fp")

    def update_state(self, y_true, y_pred, sample_weight=None):
        actual, predicted, weight = _binary(y_true, y_pred, sample_weight, self.threshold, self.dtype)
        self.true_positives.assign_add(ops.sum(weight * actual * predicted))
        self.false_positives.assign_add(ops.sum(weight * (1.0 - actual) * predicted))

    def result(self):
        return ops.divide_no_nan(self.true_positives, self.true_positives + self.false_positives)

    def reset_state(self):
        self.true_positives.assign(0.0)
        self.false_positives.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


class BinaryRecall(keras.metrics.Metric):
    """Of the truly positive samples, the weighted share predicted positive (score > threshold)."""

    def __init__(self, threshold=0.5, name="binary_recall", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.found = self.add_variable(shape=(), initializer="zeros", name="tp")
        self.missed = self.add_variable(shape=(), initializer="zeros", name="fn")

    def update_state(self, y_true, y_pred, sample_weight=None):
        actual, predicted, weight = _binary(y_true, y_pred, sample_weight, self.threshold, self.dtype)
        self.found.assign_add(ops.sum(weight * actual * predicted))
        self.missed.assign_add(ops.sum(weight * actual * (1.0 - predicted)))

    def result(self):
        return ops.divide_no_nan(self.found, self.found + self.missed)

    def reset_state(self):
        self.found.assign(0.0)
        self.missed.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}
