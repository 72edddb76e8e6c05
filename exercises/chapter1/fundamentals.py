"""Chapter 1 - Fundamentals: parameters, shapes and activations.

Fill in every function below, then run `grade chapter1`.

Rules: compute the answers yourself. Do not build Keras layers or models to count for you:
`count_params`, `compute_output_shape` and `summary` are not allowed in this file, and
`tanh_via_sigmoid` may not call any tanh function. NumPy is fine everywhere.
"""

import numpy as np


def dense_params(input_size, units, use_bias=True):
    """Number of parameters of a Dense layer with `units` neurons fed `input_size` features.

    Every input feeds every neuron through one weight; each neuron adds one bias (unless
    `use_bias` is False). Example: 3 inputs into 32 neurons -> 128.
    """
    raise NotImplementedError("dense_params")


def mlp_params(sizes):
    """Parameters of a stack of Dense layers. `sizes` lists the input size, then each layer's
    width: [3, 5, 2] is 3 inputs, a hidden layer of 5, an output layer of 2 (32 parameters)."""
    raise NotImplementedError("mlp_params")


def conv2d_params(in_channels, kernel_size, filters, use_bias=True):
    """Parameters of a Conv2D layer. `kernel_size` is an int (square) or a (height, width) pair.

    Each filter spans all input channels; each filter has one bias (unless `use_bias` is False).
    Example: 1 channel, 2x2 kernel, 3 filters -> 15.
    """
    raise NotImplementedError("conv2d_params")


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    """Output shape (height, width, filters) of a Conv2D layer on an input (height, width,
    channels). `kernel_size` and `strides` are ints or (height, width) pairs; `padding` is
    "valid" (no padding) or "same" (pad so that, with stride 1, the size is kept).
    Example: (32, 32, 3), 16 filters, 3x3 kernel, valid -> (30, 30, 16)."""
    raise NotImplementedError("conv_output_shape")


def pool_output_shape(input_shape, pool_size, strides=None, padding="valid"):
    """Output shape of MaxPooling2D on an input (height, width, channels). `strides` defaults
    to `pool_size`. Example: (30, 30, 16) pooled by 3 -> (10, 10, 16)."""
    raise NotImplementedError("pool_output_shape")


def model_params(input_shape, layers):
    """Parameters of a Sequential model, as {"total": ..., "trainable": ..., "non_trainable": ...}.

    `input_shape` excludes the batch axis. `layers` is a list of dicts, each with a "type" of
    "Conv2D" (filters, kernel_size, strides=1, padding="valid", use_bias=True),
    "MaxPooling2D" (pool_size, strides=None, padding="valid"), "Flatten",
    "Dense" (units, use_bias=True) or "BatchNormalization" (on the last axis: a trainable
    scale and offset, and a non-trainable moving mean and variance, per feature).
    Use the shape helpers above to follow the shape from layer to layer.
    """
    raise NotImplementedError("model_params")


def step(z):
    """The step function of a threshold logic unit: 1.0 where z >= 0, else 0.0 (a NumPy array
    of the shape of z)."""
    raise NotImplementedError("step")


def relu(z):
    """ReLU: z where z > 0, else 0, elementwise."""
    raise NotImplementedError("relu")


def tanh_via_sigmoid(z):
    """tanh(z) computed as 2 * sigmoid(2z) - 1, where sigmoid(x) = 1 / (1 + exp(-x))."""
    raise NotImplementedError("tanh_via_sigmoid")


def softmax(z):
    """Softmax over the last axis: exp(z) / sum(exp(z)). Make it safe for large z."""
    raise NotImplementedError("softmax")


def collapse_linear(w1, b1, w2, b2):
    """Two Dense layers without activation, y = (x @ w1 + b1) @ w2 + b2, are one Dense layer
    y = x @ w + b. Return (w, b) as NumPy arrays: this is why deep networks need nonlinearity."""
    raise NotImplementedError("collapse_linear")
