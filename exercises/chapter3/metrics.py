"""Chapter 3 - Custom metrics: state, streaming, weights, config.

Write three `keras.metrics.Metric` subclasses, then run `grade chapter3`.

A metric is a small state machine. Keras calls `update_state(y_true, y_pred, sample_weight)` once
per batch, `result()` whenever it wants the value so far (after each batch in fit, at the end of
evaluate), and `reset_state()` at the start of every epoch and of every evaluate(). So:

- keep the running totals in state variables made in `__init__` with
  `self.add_variable(shape=(), initializer="zeros", name=...)`, and update them with
  `variable.assign_add(...)` / `variable.assign(...)` - never in plain Python numbers or lists;
- `result()` divides the totals you accumulated over ALL samples seen since the last reset (not an
  average of per-batch averages: batches may have different sizes);
- `sample_weight` is None or one non-negative weight per sample, shape (batch,): a sample of weight
  w counts w times, in the numerator and in the denominator; weight 0 means "ignore";
- when nothing has been counted yet (the denominator is 0) `result()` returns 0.0, not nan
  (`keras.ops.divide_no_nan` does this);
- `get_config()` returns `super().get_config()` (name, dtype) plus every constructor argument
  of yours, so that `YourClass.from_config(metric.get_config())` rebuilds an identical metric;
- the methods run inside compiled training steps: write the arithmetic with `keras.ops`
  (e.g. `from keras import ops`: ops.cast, ops.reshape, ops.argmax, ops.sum, ops.greater,
  ops.take_along_axis, ops.divide_no_nan); no `.numpy()`, no Python `if` on tensor values.

Rules: write the logic yourself. Keras' own TopKCategoricalAccuracy,
SparseTopKCategoricalAccuracy, top_k_categorical_accuracy, in_top_k, Precision, Recall,
F1Score (and friends) may not appear in this file.
"""

import keras
from keras import ops


class TopKAccuracy(keras.metrics.Metric):
    """Top-k accuracy: the (weighted) share of samples whose true class is among the k classes
    with the highest scores.

    Constructor: `TopKAccuracy(k=5, sparse=False, name="top_k_accuracy", **kwargs)`; pass
    `name` and `**kwargs` on to `super().__init__`, keep `k` and `sparse` as attributes.

    `y_pred` has shape (batch, num_classes): any scores (probabilities, logits or whole numbers).
    With `sparse=False`, `y_true` is one-hot, shape (batch, num_classes): the true class is its
    argmax. With `sparse=True`, `y_true` holds the integer class, shape (batch,) or (batch, 1).

    A sample is a hit when fewer than k classes have a score strictly greater than the true
    class's score. So ties are in your favour: with k=2 and scores [0.5, 0.3, 0.3], classes 1 and
    2 are both in the top 2. Example: k=1, scores [[0.1, 0.9], [0.8, 0.2]], true classes [1, 1]
    -> 0.5.
    """

    def __init__(self, k=5, sparse=False, name="top_k_accuracy", **kwargs):
        raise NotImplementedError("TopKAccuracy.__init__")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add this batch's weighted hits and weighted sample count to the state."""
        raise NotImplementedError("TopKAccuracy.update_state")

    def result(self):
        """Weighted hits / weighted samples since the last reset (0.0 if none)."""
        raise NotImplementedError("TopKAccuracy.result")

    def reset_state(self):
        """Set every state variable back to 0."""
        raise NotImplementedError("TopKAccuracy.reset_state")

    def get_config(self):
        """super().get_config() plus "k" and "sparse"."""
        raise NotImplementedError("TopKAccuracy.get_config")


class BinaryPrecision(keras.metrics.Metric):
    """Precision of a binary classifier at a threshold: true positives / predicted positives.

    Constructor: `BinaryPrecision(threshold=0.5, name="binary_precision", **kwargs)`.

    `y_true` holds labels 0 or 1 and `y_pred` scores in [0, 1], both of shape (batch,) or
    (batch, 1). A sample is predicted positive when its score is strictly greater than
    `threshold` (a score equal to the threshold is negative). Count true positives (label 1,
    predicted positive) and false positives (label 0, predicted positive), each weighted by
    sample_weight; result() = TP / (TP + FP), or 0.0 while nothing was predicted positive.
    """

    def __init__(self, threshold=0.5, name="binary_precision", **kwargs):
        raise NotImplementedError("BinaryPrecision.__init__")

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError("BinaryPrecision.update_state")

    def result(self):
        raise NotImplementedError("BinaryPrecision.result")

    def reset_state(self):
        raise NotImplementedError("BinaryPrecision.reset_state")

    def get_config(self):
        """super().get_config() plus "threshold"."""
        raise NotImplementedError("BinaryPrecision.get_config")


class BinaryRecall(keras.metrics.Metric):
    """Recall of a binary classifier at a threshold: true positives / actual positives.

    Constructor: `BinaryRecall(threshold=0.5, name="binary_recall", **kwargs)`; inputs and the
    threshold rule as in BinaryPrecision. Count true positives and false negatives (label 1,
    predicted negative), weighted; result() = TP / (TP + FN), or 0.0 while no positive label
    was seen.
    """

    def __init__(self, threshold=0.5, name="binary_recall", **kwargs):
        raise NotImplementedError("BinaryRecall.__init__")

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError("BinaryRecall.update_state")

    def result(self):
        raise NotImplementedError("BinaryRecall.result")

    def reset_state(self):
        raise NotImplementedError("BinaryRecall.reset_state")

    def get_config(self):
        """super().get_config() plus "threshold"."""
        raise NotImplementedError("BinaryRecall.get_config")
