"""Chapter 3: top-k by the true class's score (take_along_axis) against a strict count of
greater scores; precision and recall from boolean masks cast to floats."""

import keras
from keras import ops


def _flat(x, dtype="float32"):
    return ops.reshape(ops.cast(x, dtype), (-1,))


class TopKAccuracy(keras.metrics.Metric):
    def __init__(self, k=5, sparse=False, name="top_k_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.k = k
        self.sparse = sparse
        self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.cast(y_pred, "float32")
        if self.sparse:
            labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        else:
            labels = ops.argmax(y_true, axis=-1)
        true_score = ops.take_along_axis(y_pred, ops.expand_dims(labels, -1), axis=-1)
        greater = ops.sum(ops.cast(ops.greater(y_pred, true_score), "float32"), axis=-1)
        hit = ops.cast(ops.less(greater, self.k), "float32")
        weight = ops.ones_like(hit) if sample_weight is None else _flat(sample_weight)
        self.hits.assign_add(ops.sum(hit * weight))
        self.count.assign_add(ops.sum(weight))

    def result(self):
        return ops.divide_no_nan(self.hits, self.count)

    def reset_state(self):
        self.hits.assign(0.0)
        self.count.assign(0.0)

    def get_config(self):
        config = super().get_config()
        config.update({"k": self.k, "sparse": self.sparse})
        return config


class _Binary(keras.metrics.Metric):
    def __init__(self, threshold, name, **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.tp = self.add_variable(shape=(), initializer="zeros", name="tp")
        self.other = self.add_variable(shape=(), initializer="zeros", name="other")

    def _counts(self, truth, positive, weight):
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        truth = _flat(y_true)
        positive = ops.cast(ops.greater(_flat(y_pred), self.threshold), "float32")
        weight = ops.ones_like(truth) if sample_weight is None else _flat(sample_weight)
        tp, other = self._counts(truth, positive, weight)
        self.tp.assign_add(tp)
        self.other.assign_add(other)

    def result(self):
        return ops.divide_no_nan(self.tp, self.tp + self.other)

    def reset_state(self):
        for v in self.variables:
            v.assign(ops.zeros_like(v))

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


class BinaryPrecision(_Binary):
    def __init__(self, threshold=0.5, name="binary_precision", **kwargs):
        super().__init__(threshold, name, **kwargs)

    def _counts(self, truth, positive, weight):
        return ops.sum(truth * positive * weight), ops.sum((1 - truth) * positive * weight)


class BinaryRecall(_Binary):
    def __init__(self, threshold=0.5, name="binary_recall", **kwargs):
        super().__init__(threshold, name, **kwargs)

    def _counts(self, truth, positive, weight):
        return ops.sum(truth * positive * weight), ops.sum(truth * (1 - positive) * weight)
