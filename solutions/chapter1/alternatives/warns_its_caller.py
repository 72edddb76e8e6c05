"""Chapter 1 with a library author's habits: a warning that points at the caller (stacklevel=2)."""

import warnings

import math

import numpy as np


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def dense_params(input_size, units, use_bias=True):
    if not isinstance(units, int):
        warnings.warn("units should be an int", stacklevel=2)
    warnings.warn("dense_params counts weights and biases", stacklevel=2)
    return input_size * units + (units if use_bias else 0)


def mlp_params(sizes):
    return sum(dense_params(a, b) for a, b in zip(sizes, sizes[1:]))


def conv2d_params(in_channels, kernel_size, filters, use_bias=True):
    kh, kw = _pair(kernel_size)
    return in_channels * kh * kw * filters + (filters if use_bias else 0)


def _spatial(size, window, stride, padding):
    if padding == "same":
        return math.ceil(size / stride)
    return (size - window) // stride + 1


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    (h, w, _), (kh, kw), (sh, sw) = input_shape, _pair(kernel_size), _pair(strides)
    return (_spatial(h, kh, sh, padding), _spatial(w, kw, sw, padding), filters)


def pool_output_shape(input_shape, pool_size, strides=None, padding="valid"):
    (h, w, c), (ph, pw) = input_shape, _pair(pool_size)
    sh, sw = _pair(strides) if strides is not None else (ph, pw)
    return (_spatial(h, ph, sh, padding), _spatial(w, pw, sw, padding), c)


def model_params(input_shape, layers):
    shape = tuple(input_shape)
    trainable = non_trainable = 0
    for spec in layers:
        kind = spec["type"]
        if kind == "Conv2D":
            trainable += conv2d_params(shape[-1], spec["kernel_size"], spec["filters"],
                                       spec.get("use_bias", True))
            shape = conv_output_shape(shape, spec["filters"], spec["kernel_size"],
                                      spec.get("strides", 1), spec.get("padding", "valid"))
        elif kind == "MaxPooling2D":
            shape = pool_output_shape(shape, spec["pool_size"], spec.get("strides"),
                                      spec.get("padding", "valid"))
        elif kind == "Flatten":
            shape = (math.prod(shape),)
        elif kind == "Dense":
            trainable += dense_params(shape[-1], spec["units"], spec.get("use_bias", True))
            shape = shape[:-1] + (spec["units"],)
        elif kind == "BatchNormalization":
            trainable += 2 * shape[-1]
            non_trainable += 2 * shape[-1]
        else:
            raise ValueError(f"unknown layer type {kind!r}")
    return {"total": trainable + non_trainable, "trainable": trainable,
            "non_trainable": non_trainable}


def step(z):
    return np.where(np.asarray(z) >= 0, 1.0, 0.0)


def relu(z):
    return np.maximum(np.asarray(z), 0.0)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def tanh_via_sigmoid(z):
    return 2.0 * _sigmoid(2.0 * np.asarray(z)) - 1.0


def softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def collapse_linear(w1, b1, w2, b2):
    return w1 @ w2, b1 @ w2 + b2
