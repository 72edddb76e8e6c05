"""Chapter 1, written in plain Python where the task allows it (no NumPy for the counts and
shapes), with a self-test at the bottom."""

import math

import numpy as np


def _pair(value):
    if isinstance(value, int):
        return value, value
    return int(value[0]), int(value[1])


def dense_params(input_size, units, use_bias=True):
    count = input_size * units
    if use_bias:
        count = count + units
    return count


def mlp_params(sizes):
    count = 0
    for i in range(1, len(sizes)):
        count += dense_params(sizes[i - 1], sizes[i])
    return count


def conv2d_params(in_channels, kernel_size, filters, use_bias=True):
    kh, kw = _pair(kernel_size)
    return kh * kw * in_channels * filters + (filters if use_bias else 0)


def _side(size, kernel, stride, padding):
    if padding == "same":
        return math.ceil(size / stride)
    return (size - kernel) // stride + 1


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(strides)
    h, w = input_shape[0], input_shape[1]
    return [_side(h, kh, sh, padding), _side(w, kw, sw, padding), filters]


def pool_output_shape(input_shape, pool_size, strides=None, padding="valid"):
    if strides is None:
        strides = pool_size
    ph, pw = _pair(pool_size)
    sh, sw = _pair(strides)
    return [_side(input_shape[0], ph, sh, padding), _side(input_shape[1], pw, sw, padding), input_shape[2]]


def model_params(input_shape, layers):
    shape = list(input_shape)
    trainable = 0
    frozen = 0
    for layer in layers:
        kind = layer["type"]
        if kind == "Conv2D":
            trainable += conv2d_params(shape[-1], layer["kernel_size"], layer["filters"], layer.get("use_bias", True))
            shape = conv_output_shape(shape, layer["filters"], layer["kernel_size"], layer.get("strides", 1),
                                      layer.get("padding", "valid"))
        elif kind == "MaxPooling2D":
            shape = pool_output_shape(shape, layer["pool_size"], layer.get("strides"), layer.get("padding", "valid"))
        elif kind == "Flatten":
            shape = [math.prod(shape)]
        elif kind == "Dense":
            trainable += dense_params(shape[-1], layer["units"], layer.get("use_bias", True))
            shape = shape[:-1] + [layer["units"]]
        elif kind == "BatchNormalization":
            trainable += 2 * shape[-1]
            frozen += 2 * shape[-1]
        else:
            raise ValueError(f"unknown layer type {kind}")
    return {"total": trainable + frozen, "trainable": trainable, "non_trainable": frozen}


def step(z):
    z = np.asarray(z)
    return np.where(z >= 0, 1.0, 0.0)


def relu(z):
    return np.where(z > 0, z, 0)


def tanh_via_sigmoid(z):
    sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    return 2 * sigmoid(2 * z) - 1


def softmax(z):
    z = np.asarray(z, dtype=float)
    shifted = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def collapse_linear(w1, b1, w2, b2):
    w = np.matmul(w1, w2)
    b = np.matmul(b1, w2) + b2
    return w, b


if __name__ == "__main__":
    assert dense_params(3, 32) == 128
    assert mlp_params([3, 5, 2]) == 32
    assert conv2d_params(1, 2, 3) == 15
    print(conv_output_shape((32, 32, 3), 16, 3), pool_output_shape((30, 30, 16), 3))
