"""Chapter 3 with ops.where for the counts, the student's own names (summary, count_params)
for local values, and a print when the module loads."""

import keras
from keras import ops

print("metrics module loaded")


class TopKAccuracy(keras.metrics.Metric):
    def __init__(self, k=5, sparse=False, name="top_k_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.k = k
        self.sparse = sparse
        self.state = [self.add_variable(shape=(), initializer="zeros", name=n) for n in ("hits", "weights")]

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.convert_to_tensor(y_pred)
        if not self.sparse:
            y_true = ops.argmax(y_true, axis=-1)
        y_true = ops.reshape(ops.cast(y_true, "int32"), (-1, 1))
        summary = ops.take_along_axis(y_pred, y_true, axis=-1)
        count_params = ops.sum(ops.where(y_pred > summary, 1.0, 0.0), axis=-1)
        hit = ops.where(count_params < self.k, 1.0, 0.0)
        if sample_weight is not None:
            weight = ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
        else:
            weight = ops.ones_like(hit)
        self.state[0].assign_add(ops.sum(hit * weight))
        self.state[1].assign_add(ops.sum(weight))

    def result(self):
        return ops.divide_no_nan(self.state[0], self.state[1])

    def reset_state(self):
        for variable in self.state:
            variable.assign(0.0)

    def get_config(self):
        summary = super().get_config()
        summary.update({"k": self.k, "sparse": self.sparse})
        return summary


class BinaryPrecision(keras.metrics.Metric):
    def __init__(self, threshold=0.5, name="binary_precision", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.tp = self.add_variable(shape=(), initializer="zeros", name="true_positives")
        self.pp = self.add_variable(shape=(), initializer="zeros", name="predicted_positives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.reshape(ops.cast(y_true, "float32"), (-1,))
        weight = ops.ones_like(y_true) if sample_weight is None else ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
        predicted = ops.reshape(ops.where(y_pred > self.threshold, 1.0, 0.0), (-1,))
        self.tp.assign_add(ops.sum(ops.where(y_true > 0.5, predicted, 0.0) * weight))
        self.pp.assign_add(ops.sum(predicted * weight))

    def result(self):
        return ops.divide_no_nan(self.tp, self.pp)

    def reset_state(self):
        self.tp.assign(0.0)
        self.pp.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


class BinaryRecall(keras.metrics.Metric):
    def __init__(self, threshold=0.5, name="binary_recall", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.tp = self.add_variable(shape=(), initializer="zeros", name="true_positives")
        self.ap = self.add_variable(shape=(), initializer="zeros", name="actual_positives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.reshape(ops.cast(y_true, "float32"), (-1,))
        weight = ops.ones_like(y_true) if sample_weight is None else ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
        predicted = ops.reshape(ops.where(y_pred > self.threshold, 1.0, 0.0), (-1,))
        self.tp.assign_add(ops.sum(y_true * predicted * weight))
        self.ap.assign_add(ops.sum(y_true * weight))

    def result(self):
        return ops.divide_no_nan(self.tp, self.ap)

    def reset_state(self):
        self.tp.assign(0.0)
        self.ap.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}
