"""Chapter 5 - Saving and loading: checkpoints, weights files, whole models, custom layers.

Fill in every function and the methods of `Affine` below, then run `grade chapter5`.

Keras 3 file names matter: a weights-only file must end in `.weights.h5`, a whole model in
`.keras`. The grader fits tiny models with your callbacks in a scratch folder, lists the files
they leave there, and restores fresh models from them to see which epoch they came from.
"""

import os

import keras


def best_weights_checkpoint(folder):
    """Return a `keras.callbacks.ModelCheckpoint` that, during `fit`, saves the model's WEIGHTS
    only (not the whole model) into `folder`, one file per save named
    `epochNN.weights.h5` (the epoch number, 1-based, on two digits: `epoch03.weights.h5`; use
    the `{epoch:02d}` placeholder of the file path), and saves only when the validation loss
    (`val_loss`) reaches a new lowest value.

    Example: validation losses 3, 2, 2.5, 1 leave epoch01, epoch02 and epoch04 files.
    """
    raise NotImplementedError("best_weights_checkpoint")


def best_model_checkpoint(filepath):
    """Return a `keras.callbacks.ModelCheckpoint` that saves the WHOLE model (architecture and
    weights, loadable with `keras.models.load_model`) to `filepath` (it ends in `.keras`; each
    save overwrites the file) whenever the validation accuracy (`val_accuracy`) reaches a new
    highest value. Tell the callback explicitly that higher is better: the grader's model
    reports a custom accuracy Keras cannot classify on its own.
    """
    raise NotImplementedError("best_model_checkpoint")


class Affine(keras.layers.Layer):
    """A custom layer: `scale * (inputs @ kernel + bias)`.

    `Affine(units, scale=1.0, **kwargs)`: `units` output features; `scale` a fixed Python float
    (not trained). Create in `build` a weight `kernel` of shape (input features, units) and a
    weight `bias` of shape (units,) initialised to zeros, in that order.
    A model using this layer must survive `model.save(...)` then `keras.models.load_model(...)`
    with the same units, scale and weights: give the layer a `get_config` that includes every
    argument of `__init__`, and make Keras able to find the class when loading (register it
    with `@keras.saving.register_keras_serializable(...)` or pass `custom_objects=`).
    """

    def __init__(self, units, scale=1.0, **kwargs):
        raise NotImplementedError("Affine.__init__")

    def build(self, input_shape):
        raise NotImplementedError("Affine.build")

    def call(self, inputs):
        raise NotImplementedError("Affine.call")

    def get_config(self):
        raise NotImplementedError("Affine.get_config")


def save_model(model, filepath):
    """Save the whole `model` (architecture, weights and optimizer) to `filepath`, which ends
    in `.keras`. Return nothing."""
    raise NotImplementedError("save_model")


def load_saved_model(filepath):
    """Load and return the model that `save_model` wrote to `filepath`. The model may contain
    `Affine` layers."""
    raise NotImplementedError("load_saved_model")


def transfer_weights(trained, fresh, filepath):
    """Save the weights (only) of the model `trained` to `filepath` (ends in `.weights.h5`),
    load that file into `fresh` (a model of the same architecture with other weights) and
    return `fresh`."""
    raise NotImplementedError("transfer_weights")
