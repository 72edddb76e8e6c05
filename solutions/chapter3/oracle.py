"""Keras' own metrics behind the exercise's class names: the reference chapter 3 is judged against.

Each class has the constructor of the exercise's and answers with the matching `keras.metrics`
built-in (TopKCategoricalAccuracy / SparseTopKCategoricalAccuracy, Precision, Recall with one
threshold), so a check agrees with Keras, not with another implementation.
"""

import keras


class _Delegate(keras.metrics.Metric):
    """A Metric that forwards to a built-in one; its variables are tracked as its own."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.inner.update_state(y_true, y_pred, sample_weight=sample_weight)

    def result(self):
        return self.inner.result()

    def reset_state(self):
        self.inner.reset_state()


class TopKAccuracy(_Delegate):
    def __init__(self, k=5, sparse=False, name="top_k_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.k, self.sparse = k, sparse
        kind = keras.metrics.SparseTopKCategoricalAccuracy if sparse else keras.metrics.TopKCategoricalAccuracy
        self.inner = kind(k=k, name=name, dtype=self.dtype)

    def get_config(self):
        return {**super().get_config(), "k": self.k, "sparse": self.sparse}


class BinaryPrecision(_Delegate):
    def __init__(self, threshold=0.5, name="binary_precision", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.inner = keras.metrics.Precision(thresholds=threshold, name=name, dtype=self.dtype)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


class BinaryRecall(_Delegate):
    def __init__(self, threshold=0.5, name="binary_recall", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.inner = keras.metrics.Recall(thresholds=threshold, name=name, dtype=self.dtype)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}
