"""Chapter 3: a sample is a hit when its true score reaches the k-th largest score (ops.top_k
gives the sorted scores; equal to 'fewer than k strictly greater'). Precision and recall share
one class with a flag."""

import keras
from keras import ops


class TopKAccuracy(keras.metrics.Metric):
    def __init__(self, k=5, sparse=False, name="top_k_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.k = k
        self.sparse = sparse
        self.weighted_hits = self.add_variable(shape=(), initializer="zeros", name="weighted_hits")
        self.weighted_total = self.add_variable(shape=(), initializer="zeros", name="weighted_total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.cast(y_pred, "float32")
        labels = ops.reshape(ops.cast(y_true, "int32"), (-1,)) if self.sparse else ops.argmax(y_true, axis=1)
        true_score = ops.squeeze(ops.take_along_axis(y_pred, ops.reshape(labels, (-1, 1)), axis=1), axis=1)
        kth = ops.top_k(y_pred, k=self.k, sorted=True)[0][:, -1]
        hit = ops.cast(ops.greater_equal(true_score, kth), "float32")
        w = ops.ones_like(hit) if sample_weight is None else ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
        self.weighted_hits.assign(self.weighted_hits + ops.sum(hit * w))
        self.weighted_total.assign(self.weighted_total + ops.sum(w))

    def result(self):
        return ops.divide_no_nan(self.weighted_hits, self.weighted_total)

    def reset_state(self):
        self.weighted_hits.assign(0.0)
        self.weighted_total.assign(0.0)

    def get_config(self):
        config = super().get_config()
        config["k"] = self.k
        config["sparse"] = self.sparse
        return config


class _ThresholdMetric(keras.metrics.Metric):
    recall = False

    def __init__(self, threshold, name, **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.numerator = self.add_variable(shape=(), initializer="zeros", name="numerator")
        self.denominator = self.add_variable(shape=(), initializer="zeros", name="denominator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        actual = ops.reshape(ops.cast(y_true, "float32"), (-1,))
        predicted = ops.reshape(ops.cast(ops.greater(y_pred, self.threshold), "float32"), (-1,))
        w = ops.ones_like(actual) if sample_weight is None else ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
        self.numerator.assign_add(ops.sum(actual * predicted * w))
        self.denominator.assign_add(ops.sum((actual if self.recall else predicted) * w))

    def result(self):
        return ops.divide_no_nan(self.numerator, self.denominator)

    def reset_state(self):
        self.numerator.assign(0.0)
        self.denominator.assign(0.0)

    def get_config(self):
        config = super().get_config()
        config.update(threshold=self.threshold)
        return config


class BinaryPrecision(_ThresholdMetric):
    def __init__(self, threshold=0.5, name="binary_precision", **kwargs):
        super().__init__(threshold=threshold, name=name, **kwargs)


class BinaryRecall(_ThresholdMetric):
    recall = True

    def __init__(self, threshold=0.5, name="binary_recall", **kwargs):
        super().__init__(threshold=threshold, name=name, **kwargs)
