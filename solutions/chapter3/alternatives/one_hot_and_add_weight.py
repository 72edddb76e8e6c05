"""Chapter 3 with add_weight for the state, the true score picked with a one-hot mask, and
sample weights defaulting to ones. A self-test runs under __main__."""

import keras
import numpy as np
from keras import ops


class TopKAccuracy(keras.metrics.Metric):
    def __init__(self, k=5, sparse=False, name="top_k_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.k = int(k)
        self.sparse = bool(sparse)
        self.correct = self.add_weight(name="correct", shape=(), initializer="zeros")
        self.seen = self.add_weight(name="seen", shape=(), initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        scores = ops.convert_to_tensor(y_pred, dtype="float32")
        classes = ops.shape(scores)[-1]
        if self.sparse:
            mask = ops.one_hot(ops.reshape(ops.cast(y_true, "int32"), [-1]), classes)
        else:
            mask = ops.one_hot(ops.argmax(y_true, axis=-1), classes)
        own = ops.sum(scores * mask, axis=-1, keepdims=True)
        better = ops.count_nonzero(ops.greater(scores, own), axis=-1)
        hit = ops.cast(better < self.k, "float32")
        if sample_weight is None:
            sample_weight = ops.ones_like(hit)
        sample_weight = ops.reshape(ops.cast(sample_weight, "float32"), [-1])
        self.correct.assign_add(ops.sum(hit * sample_weight))
        self.seen.assign_add(ops.sum(sample_weight))

    def result(self):
        return ops.divide_no_nan(self.correct, self.seen)

    def reset_state(self):
        self.correct.assign(0)
        self.seen.assign(0)

    def get_config(self):
        base = super().get_config()
        return dict(base, k=self.k, sparse=self.sparse)


class BinaryPrecision(keras.metrics.Metric):
    def __init__(self, threshold=0.5, name="binary_precision", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.true_positives = self.add_weight(name="tp", shape=(), initializer="zeros")
        self.false_positives = self.add_weight(name="fp", shape=(), initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.reshape(ops.cast(y_true, "float32"), [-1])
        predicted = ops.cast(ops.reshape(y_pred, [-1]) > self.threshold, "float32")
        w = ops.ones_like(y_true) if sample_weight is None else ops.reshape(ops.cast(sample_weight, "float32"), [-1])
        self.true_positives.assign_add(ops.sum(w * predicted * y_true))
        self.false_positives.assign_add(ops.sum(w * predicted * (1.0 - y_true)))

    def result(self):
        return ops.divide_no_nan(self.true_positives, self.true_positives + self.false_positives)

    def reset_state(self):
        self.true_positives.assign(0.0)
        self.false_positives.assign(0.0)

    def get_config(self):
        config = super().get_config()
        config["threshold"] = self.threshold
        return config


class BinaryRecall(keras.metrics.Metric):
    def __init__(self, threshold=0.5, name="binary_recall", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.true_positives = self.add_weight(name="tp", shape=(), initializer="zeros")
        self.false_negatives = self.add_weight(name="fn", shape=(), initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.reshape(ops.cast(y_true, "float32"), [-1])
        predicted = ops.cast(ops.reshape(y_pred, [-1]) > self.threshold, "float32")
        w = ops.ones_like(y_true) if sample_weight is None else ops.reshape(ops.cast(sample_weight, "float32"), [-1])
        self.true_positives.assign_add(ops.sum(w * predicted * y_true))
        self.false_negatives.assign_add(ops.sum(w * (1.0 - predicted) * y_true))

    def result(self):
        return ops.divide_no_nan(self.true_positives, self.true_positives + self.false_negatives)

    def reset_state(self):
        self.true_positives.assign(0.0)
        self.false_negatives.assign(0.0)

    def get_config(self):
        config = super().get_config()
        config["threshold"] = self.threshold
        return config


if __name__ == "__main__":
    m = TopKAccuracy(k=1)
    m.update_state(np.eye(2)[[1, 1]], np.array([[0.1, 0.9], [0.8, 0.2]]))
    print("expect 0.5:", float(m.result()))
