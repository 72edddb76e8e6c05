"""State held in inner keras.metrics.Sum metrics; reset delegates; config via explicit dict."""
import keras
from keras import ops


class TopKAccuracy(keras.metrics.Metric):
    def __init__(self, k=5, sparse=False, name="top_k_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.k = k
        self.sparse = sparse
        self._hits = keras.metrics.Sum(name="hits")
        self._weights = keras.metrics.Sum(name="weights")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.convert_to_tensor(y_pred)
        if self.sparse:
            label = ops.cast(ops.reshape(y_true, (-1, 1)), "int32")
        else:
            label = ops.cast(ops.argmax(y_true, axis=-1, keepdims=True), "int32")
        true_score = ops.take_along_axis(y_pred, label, axis=-1)
        hit = ops.cast(ops.sum(ops.cast(y_pred > true_score, "int32"), axis=-1) < self.k, "float32")
        w = ops.ones_like(hit) if sample_weight is None else ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
        self._hits.update_state(hit * w)
        self._weights.update_state(w)

    def result(self):
        return ops.divide_no_nan(self._hits.result(), self._weights.result())

    def reset_state(self):
        self._hits.reset_state()
        self._weights.reset_state()

    def get_config(self):
        config = super().get_config()
        config["k"] = self.k
        config["sparse"] = self.sparse
        return config


class BinaryPrecision(keras.metrics.Metric):
    def __init__(self, threshold=0.5, name="binary_precision", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self._tp = keras.metrics.Sum(name="tp")
        self._pp = keras.metrics.Sum(name="pp")

    def update_state(self, y_true, y_pred, sample_weight=None):
        t = ops.reshape(ops.cast(y_true, "float32"), (-1,))
        p = ops.cast(ops.reshape(y_pred, (-1,)) > self.threshold, "float32")
        w = ops.ones_like(t) if sample_weight is None else ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
        self._tp.update_state(t * p * w)
        self._pp.update_state(p * w)

    def result(self):
        return ops.divide_no_nan(self._tp.result(), self._pp.result())

    def reset_state(self):
        self._tp.reset_state()
        self._pp.reset_state()

    def get_config(self):
        config = super().get_config()
        config["threshold"] = self.threshold
        return config


class BinaryRecall(keras.metrics.Metric):
    def __init__(self, threshold=0.5, name="binary_recall", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self._tp = keras.metrics.Sum(name="tp")
        self._ap = keras.metrics.Sum(name="ap")

    def update_state(self, y_true, y_pred, sample_weight=None):
        t = ops.reshape(ops.cast(y_true, "float32"), (-1,))
        p = ops.cast(ops.reshape(y_pred, (-1,)) > self.threshold, "float32")
        w = ops.ones_like(t) if sample_weight is None else ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
        self._tp.update_state(t * p * w)
        self._ap.update_state(t * w)

    def result(self):
        return ops.divide_no_nan(self._tp.result(), self._ap.result())

    def reset_state(self):
        self._tp.reset_state()
        self._ap.reset_state()

    def get_config(self):
        config = super().get_config()
        config["threshold"] = self.threshold
        return config
