"""Chapter 1: collapse with einsum, softmax through log-sum-exp, counts via a shape walk that
returns plain ints. A docstring at the top and a __main__ block with debug prints."""
import math

import numpy as np


def dense_params(input_size, units, use_bias=True):
    """weights + biases"""
    return units * (input_size + int(use_bias))


def mlp_params(sizes):
    total = 0
    previous = sizes[0]
    for width in sizes[1:]:
        total += dense_params(previous, width, use_bias=True)
        previous = width
    return total


def conv2d_params(in_channels, kernel_size, filters, use_bias=True):
    area = kernel_size * kernel_size if isinstance(kernel_size, int) else kernel_size[0] * kernel_size[1]
    return filters * (area * in_channels + int(use_bias))


def _spatial(n, k, s, padding):
    if padding == "valid":
        return math.floor((n - k) / s) + 1
    if padding == "same":
        return math.ceil(n / s)
    raise ValueError(padding)


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    (kh, kw) = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    (sh, sw) = (strides, strides) if isinstance(strides, int) else strides
    return (_spatial(input_shape[0], kh, sh, padding), _spatial(input_shape[1], kw, sw, padding), filters)


def pool_output_shape(input_shape, pool_size, strides=None, padding="valid"):
    if strides is None:
        strides = pool_size
    h, w, _ = conv_output_shape(input_shape, 0, pool_size, strides, padding)
    return (h, w, input_shape[-1])


def model_params(input_shape, layers):
    trainable, non_trainable = 0, 0
    shape = tuple(input_shape)
    for layer in layers:
        kind = layer["type"]
        if kind == "Conv2D":
            trainable += conv2d_params(shape[-1], layer["kernel_size"], layer["filters"], layer.get("use_bias", True))
            shape = conv_output_shape(shape, layer["filters"], layer["kernel_size"], layer.get("strides", 1),
                                      layer.get("padding", "valid"))
        elif kind == "MaxPooling2D":
            shape = pool_output_shape(shape, layer["pool_size"], layer.get("strides", None), layer.get("padding", "valid"))
        elif kind == "Flatten":
            shape = (math.prod(shape),)
        elif kind == "Dense":
            trainable += dense_params(shape[-1], layer["units"], layer.get("use_bias", True))
            shape = (*shape[:-1], layer["units"])
        elif kind == "BatchNormalization":
            features = shape[-1]
            trainable += 2 * features
            non_trainable += 2 * features
    return dict(total=trainable + non_trainable, trainable=trainable, non_trainable=non_trainable)


def step(z):
    out = np.zeros_like(z, dtype=float)
    out[np.asarray(z) >= 0] = 1.0
    return out


def relu(z):
    return z * (z > 0)


def tanh_via_sigmoid(z):
    return 2.0 / (1.0 + np.exp(-2.0 * z)) - 1.0


def softmax(z):
    z = np.asarray(z, dtype=np.float64)
    m = z.max(axis=-1, keepdims=True)
    log_sum = m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    return np.exp(z - log_sum)


def collapse_linear(w1, b1, w2, b2):
    w = np.einsum("ij,jk->ik", w1, w2)
    b = np.einsum("j,jk->k", b1, w2) + b2
    return w, b


if __name__ == "__main__":
    print("debug:", model_params((32, 32, 3), [{"type": "Conv2D", "filters": 16, "kernel_size": 3},
                                               {"type": "Flatten"}, {"type": "Dense", "units": 10}]))
    print(softmax(np.array([[1000.0, 1001.0]])))
