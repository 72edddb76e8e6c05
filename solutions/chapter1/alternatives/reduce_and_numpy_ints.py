"""NumPy everywhere, numpy ints returned, functools.reduce, np arrays for shapes."""
from functools import reduce

import numpy as np


def dense_params(input_size, units, use_bias=True):
    return np.int64(input_size) * units + units * int(bool(use_bias))


def mlp_params(sizes):
    pairs = zip(sizes[:-1], sizes[1:])
    return reduce(lambda acc, p: acc + dense_params(*p), pairs, np.int64(0))


def conv2d_params(in_channels, kernel_size, filters, use_bias=True):
    k = np.broadcast_to(np.asarray(kernel_size), (2,))
    return np.prod(k) * in_channels * filters + (filters if use_bias else 0)


def _spatial(hw, k, s, padding):
    hw, k, s = np.asarray(hw), np.broadcast_to(k, (2,)), np.broadcast_to(s, (2,))
    if padding.lower() == "same":
        return -(-hw // s)
    return (hw - k) // s + 1


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    hw = _spatial(input_shape[:2], kernel_size, strides, padding)
    return tuple(np.append(hw, filters))


def pool_output_shape(input_shape, pool_size, strides=None, padding="valid"):
    hw = _spatial(input_shape[:2], pool_size, pool_size if strides is None else strides, padding)
    return tuple(np.append(hw, input_shape[2]))


def model_params(input_shape, layers):
    shape = tuple(input_shape)
    counts = np.zeros(2, dtype=np.int64)  # trainable, non-trainable
    for spec in layers:
        spec = dict(spec)
        kind = spec.pop("type")
        if kind == "Conv2D":
            counts[0] += conv2d_params(shape[-1], spec["kernel_size"], spec["filters"], spec.get("use_bias", True))
            shape = conv_output_shape(shape, **spec) if "use_bias" not in spec else conv_output_shape(
                shape, spec["filters"], spec["kernel_size"], spec.get("strides", 1), spec.get("padding", "valid"))
        elif kind == "MaxPooling2D":
            shape = pool_output_shape(shape, **spec)
        elif kind == "Flatten":
            shape = (np.prod(shape),)
        elif kind == "Dense":
            counts[0] += dense_params(shape[-1], spec["units"], spec.get("use_bias", True))
            shape = shape[:-1] + (spec["units"],)
        elif kind == "BatchNormalization":
            counts += 2 * shape[-1]
    return {"total": counts.sum(), "trainable": counts[0], "non_trainable": counts[1]}


def step(z):
    return np.heaviside(z, 1.0)


def relu(z):
    return np.maximum(z, 0)


def tanh_via_sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    sig = np.exp(-np.logaddexp(0.0, -2.0 * z))  # stable sigmoid(2z)
    return 2.0 * sig - 1.0


def softmax(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def collapse_linear(w1, b1, w2, b2):
    w = np.dot(w1, w2)
    b = np.dot(b1, w2) + b2
    return w, b
