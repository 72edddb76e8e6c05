"""Chapter 1 in a functional style: comprehensions, a dispatch table of layer handlers."""
from functools import reduce
from operator import mul

import numpy as np


def dense_params(input_size, units, use_bias=True):
    return input_size * units + use_bias * units


def mlp_params(sizes):
    return sum([dense_params(i, o) for i, o in zip(sizes, sizes[1:])])


def _two(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def conv2d_params(in_channels, kernel_size, filters, use_bias=True):
    return reduce(mul, _two(kernel_size), 1) * in_channels * filters + (filters if use_bias else 0)


def _shape(hw, window, stride, padding):
    return [-(-n // s) if padding == "same" else (n - k) // s + 1 for n, k, s in zip(hw, window, stride)]


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    return tuple(_shape(input_shape[:2], _two(kernel_size), _two(strides), padding) + [filters])


def pool_output_shape(input_shape, pool_size, strides=None, padding="valid"):
    return tuple(_shape(input_shape[:2], _two(pool_size), _two(pool_size if strides is None else strides), padding)
                 + [input_shape[2]])


def _conv(shape, spec):
    count = conv2d_params(shape[-1], spec["kernel_size"], spec["filters"], spec.get("use_bias", True))
    out = conv_output_shape(shape, spec["filters"], spec["kernel_size"], spec.get("strides", 1), spec.get("padding", "valid"))
    return out, count, 0


HANDLERS = {
    "Conv2D": _conv,
    "MaxPooling2D": lambda shape, spec: (pool_output_shape(shape, spec["pool_size"], spec.get("strides"),
                                                           spec.get("padding", "valid")), 0, 0),
    "Flatten": lambda shape, spec: ((reduce(mul, shape, 1),), 0, 0),
    "Dense": lambda shape, spec: ((spec["units"],), dense_params(shape[-1], spec["units"], spec.get("use_bias", True)), 0),
    "BatchNormalization": lambda shape, spec: (shape, 2 * shape[-1], 2 * shape[-1]),
}


def model_params(input_shape, layers):
    shape, trainable, fixed = tuple(input_shape), 0, 0
    for spec in layers:
        shape, t, f = HANDLERS[spec["type"]](shape, spec)
        trainable, fixed = trainable + t, fixed + f
    return {"trainable": trainable, "non_trainable": fixed, "total": trainable + fixed}


def step(z):
    return np.where(np.asarray(z, dtype=float) < 0, 0.0, 1.0)


def relu(z):
    z = np.asarray(z)
    return np.where(z > 0, z, np.zeros_like(z))


def tanh_via_sigmoid(z):
    sig = lambda x: np.reciprocal(1 + np.exp(-x))  # noqa: E731
    return 2 * sig(2 * z) - 1


def softmax(z):
    shifted = np.asarray(z) - np.amax(z, axis=-1, keepdims=True)
    return np.exp(shifted) / np.exp(shifted).sum(-1, keepdims=True)


def collapse_linear(w1, b1, w2, b2):
    w = np.array([[sum(w1[i, j] * w2[j, k] for j in range(w1.shape[1])) for k in range(w2.shape[1])]
                  for i in range(w1.shape[0])], dtype=np.float64)
    b = np.array([sum(b1[j] * w2[j, k] for j in range(len(b1))) + b2[k] for k in range(len(b2))])
    return w, b
