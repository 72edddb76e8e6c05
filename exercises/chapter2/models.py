"""Chapter 2 - Building, compiling and training models.

Fill in every function and method below, then run `grade chapter2`.

THE NETWORK of the first three exercises, built three different ways. It classifies vectors of
`n_features` numbers into `n_classes` classes:

    input of shape (n_features,)
    -> Dense(32, activation="relu")
    -> Dense(16, activation="relu")
    -> Dense(n_classes, activation="softmax")

The grader copies its own weights into your model before comparing outputs, so any correct
build gives exactly the reference predictions; a wrong width or activation does not.
"""

import keras
import numpy as np


def build_sequential(n_features, n_classes):
    """Return THE NETWORK as a `keras.Sequential` model, starting with
    `keras.Input(shape=(n_features,))`."""
    raise NotImplementedError("build_sequential")


def build_functional(n_features, n_classes):
    """Return THE NETWORK built with the Functional API: start from
    `inputs = keras.Input(shape=(n_features,))`, call each layer on the previous tensor, and
    return `keras.Model(inputs=inputs, outputs=outputs)`. Do not use keras.Sequential here."""
    raise NotImplementedError("build_functional")


class MLP(keras.Model):
    """THE NETWORK as a subclass of `keras.Model`. The grader creates it with `MLP(n_classes)`
    and calls it on a batch of shape (batch, n_features): the input size is only known then,
    and Keras works it out for you."""

    def __init__(self, n_classes, **kwargs):
        """Call `super().__init__(**kwargs)` first, then create the three Dense layers of THE
        NETWORK and keep them as attributes of `self`."""
        raise NotImplementedError("MLP.__init__")

    def call(self, inputs):
        """Pass `inputs` through the three layers in order and return the class probabilities."""
        raise NotImplementedError("MLP.call")


def build_two_branch(n_features, units, merge):
    """A Functional model with two branches fed by the same input of shape (n_features,):

        shallow branch: Dense(units, activation="relu")
        deep branch:    Dense(2 * units, activation="relu") -> Dense(units, activation="relu")

    merged at the end, and the merged tensor is the model's output (no layer after it):
    - merge == "concat": `keras.layers.Concatenate()([shallow, deep])`, shallow branch first;
      the output has 2 * units features;
    - merge == "sum": `keras.layers.Add()([shallow, deep])`; the output has units features.
    Return `keras.Model(inputs=..., outputs=...)`.
    """
    raise NotImplementedError("build_two_branch")


def scaled_normal(shape, dtype=None):
    """A custom weight initialiser, usable as `Dense(64, kernel_initializer=scaled_normal)`:
    Keras calls it with the shape of the weight and a dtype.

    Return a tensor of `shape` and `dtype` drawn from a normal distribution (not a truncated
    one) with mean 0 and standard deviation sqrt(2 / fan_in), where fan_in is the product of
    all dimensions of `shape` but the last: shape[0] for a Dense kernel (inputs, units), and
    kernel_height * kernel_width * in_channels for a Conv2D kernel. Use `keras.random.normal`,
    which accepts `mean`, `stddev` and `dtype` (dtype None means float32). Write it yourself:
    Keras' ready-made VarianceScaling, HeNormal and RandomNormal are not allowed in this file.
    """
    raise NotImplementedError("scaled_normal")


def seeded_dense(units, seed):
    """Return a Dense layer of `units` neurons (no activation) whose weights start the way
    Keras starts them by default: the kernel from the Glorot uniform initialiser and the bias
    at zero. Make the kernel reproducible: give the initialiser the `seed`, so the same seed
    always gives the same kernel."""
    raise NotImplementedError("seeded_dense")


def compile_classifier(model, y_train, last_activation, learning_rate):
    """Compile a classifier `model` for training on the labels `y_train` (a NumPy array).

    - optimizer: `keras.optimizers.SGD(learning_rate=learning_rate)`;
    - loss: crossentropy that matches the labels. Integer class labels have shape (samples,);
      one-hot labels have shape (samples, classes). Pick the loss from `y_train`;
    - `last_activation` is "softmax" when the model's last layer outputs probabilities and
      "linear" when it outputs raw scores (logits): tell the loss which one it gets;
    - metrics: accuracy only (`metrics=["accuracy"]`).
    Return the model.
    """
    raise NotImplementedError("compile_classifier")


def fit_and_evaluate(model, x_train, y_train, x_test, y_test, epochs, batch_size):
    """Train an already compiled `model` (loss plus one metric, "accuracy") on the training
    data for `epochs` epochs of `batch_size` samples, WITHOUT shuffling the samples between
    epochs and without printing progress, then evaluate it on the test data. Return a dict:

        {"loss": [training loss of each epoch], "accuracy": [training accuracy of each epoch],
         "test_loss": loss on the test data, "test_accuracy": accuracy on the test data}
    """
    raise NotImplementedError("fit_and_evaluate")
