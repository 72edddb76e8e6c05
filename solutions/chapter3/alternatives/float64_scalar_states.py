"""Several scalar states in float64 via add_variable(dtype=...), keras.ops, top_k thresholding."""
import keras
from keras import ops


class TopKAccuracy(keras.metrics.Metric):
    def __init__(self, k=5, sparse=False, name="top_k_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.k = int(k)
        self.sparse = bool(sparse)
        self.hits = self.add_variable(shape=(), initializer="zeros", name="hits", dtype="float64")
        self.seen = self.add_variable(shape=(), initializer="zeros", name="seen", dtype="float64")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.cast(y_pred, "float64")
        if self.sparse:
            idx = ops.cast(ops.reshape(y_true, (-1, 1)), "int32")
        else:
            idx = ops.expand_dims(ops.cast(ops.argmax(y_true, axis=-1), "int32"), -1)
        true_score = ops.take_along_axis(y_pred, idx, axis=1)          # (batch, 1)
        k = min(self.k, y_pred.shape[-1]) if y_pred.shape[-1] is not None else self.k
        kth = ops.top_k(y_pred, k=k, sorted=True)[0][:, -1:]            # k-th highest, (batch, 1)
        hit = ops.cast(ops.greater_equal(true_score, kth), "float64")[:, 0]
        if sample_weight is not None:
            weight = ops.reshape(ops.cast(sample_weight, "float64"), (-1,))
        else:
            weight = ops.ones_like(hit)
        self.hits.assign_add(ops.sum(hit * weight))
        self.seen.assign_add(ops.sum(weight))

    def result(self):
        return ops.cast(ops.divide_no_nan(self.hits, self.seen), "float32")

    def reset_state(self):
        self.hits.assign(0.0)
        self.seen.assign(0.0)

    def get_config(self):
        base = super().get_config()
        base.update(k=self.k, sparse=self.sparse)
        return base


class BinaryPrecision(keras.metrics.Metric):
    def __init__(self, threshold=0.5, name="binary_precision", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.tp = self.add_variable(shape=(), initializer="zeros", name="tp", dtype="float64")
        self.fp = self.add_variable(shape=(), initializer="zeros", name="fp", dtype="float64")

    def update_state(self, y_true, y_pred, sample_weight=None):
        t = ops.reshape(ops.cast(y_true, "float64"), (-1,))
        p = ops.cast(ops.greater(ops.reshape(y_pred, (-1,)), self.threshold), "float64")
        w = ops.ones_like(t) if sample_weight is None else ops.reshape(ops.cast(sample_weight, "float64"), (-1,))
        self.tp.assign_add(ops.sum(t * p * w))
        self.fp.assign_add(ops.sum((1 - t) * p * w))

    def result(self):
        return ops.cast(ops.divide_no_nan(self.tp, self.tp + self.fp), "float32")

    def reset_state(self):
        for v in (self.tp, self.fp):
            v.assign(ops.zeros((), dtype="float64"))

    def get_config(self):
        return dict(super().get_config(), threshold=self.threshold)


class BinaryRecall(keras.metrics.Metric):
    def __init__(self, threshold=0.5, name="binary_recall", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.tp = self.add_variable(shape=(), initializer="zeros", name="tp", dtype="float64")
        self.fn = self.add_variable(shape=(), initializer="zeros", name="fn", dtype="float64")

    def update_state(self, y_true, y_pred, sample_weight=None):
        t = ops.reshape(ops.cast(y_true, "float64"), (-1,))
        p = ops.cast(ops.greater(ops.reshape(y_pred, (-1,)), self.threshold), "float64")
        w = ops.ones_like(t) if sample_weight is None else ops.reshape(ops.cast(sample_weight, "float64"), (-1,))
        self.tp.assign_add(ops.sum(t * p * w))
        self.fn.assign_add(ops.sum(t * (1 - p) * w))

    def result(self):
        return ops.cast(ops.divide_no_nan(self.tp, self.tp + self.fn), "float32")

    def reset_state(self):
        for v in (self.tp, self.fn):
            v.assign(ops.zeros((), dtype="float64"))

    def get_config(self):
        return dict(super().get_config(), threshold=self.threshold)
