"""Activations with TensorFlow/Keras/scipy helpers (none of them a tanh); padding by formula."""
import math

import numpy as np
import tensorflow as tf



def dense_params(input_size, units, use_bias=True):
    weights = input_size * units
    biases = units if use_bias else 0
    return weights + biases


def mlp_params(sizes):
    total = 0
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        total += dense_params(fan_in, fan_out)
    return total


def _as_pair(x):
    return (x, x) if np.isscalar(x) else tuple(x)


def conv2d_params(in_channels, kernel_size, filters, use_bias=True):
    kh, kw = _as_pair(kernel_size)
    return (kh * kw * in_channels + int(use_bias)) * filters


def _size(n, k, s, padding):
    if padding == "valid":
        return math.floor((n - k) / s) + 1
    out = math.ceil(n / s)
    pad = max((out - 1) * s + k - n, 0)
    return (n + pad - k) // s + 1


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    (kh, kw), (sh, sw) = _as_pair(kernel_size), _as_pair(strides)
    return (_size(input_shape[0], kh, sh, padding), _size(input_shape[1], kw, sw, padding), filters)


def pool_output_shape(input_shape, pool_size, strides=None, padding="valid"):
    (ph, pw) = _as_pair(pool_size)
    (sh, sw) = _as_pair(pool_size if strides is None else strides)
    return (_size(input_shape[0], ph, sh, padding), _size(input_shape[1], pw, sw, padding), input_shape[2])


def model_params(input_shape, layers):
    shape = tuple(input_shape)
    t = n = 0
    for layer in layers:
        kw = {key: v for key, v in layer.items() if key != "type"}
        if layer["type"] == "Conv2D":
            t += conv2d_params(shape[-1], kw["kernel_size"], kw["filters"], kw.get("use_bias", True))
            kw.pop("use_bias", None)
            shape = conv_output_shape(shape, **kw)
        elif layer["type"] == "MaxPooling2D":
            shape = pool_output_shape(shape, **kw)
        elif layer["type"] == "Flatten":
            shape = (int(np.prod(shape)),)
        elif layer["type"] == "Dense":
            t += dense_params(shape[-1], kw["units"], kw.get("use_bias", True))
            shape = (*shape[:-1], kw["units"])
        elif layer["type"] == "BatchNormalization":
            t += 2 * shape[-1]
            n += 2 * shape[-1]
    return dict(total=t + n, trainable=t, non_trainable=n)


def step(z):
    return (np.asarray(z) >= 0).astype(float)


def relu(z):
    return np.clip(z, 0, None)


def tanh_via_sigmoid(z):
    return 2 * tf.math.sigmoid(2 * tf.constant(z, tf.float64)) - 1


def softmax(z):
    z = np.asarray(z, dtype=float)
    return tf.nn.softmax(tf.constant(z), axis=-1)


def collapse_linear(w1, b1, w2, b2):
    w = np.einsum("ij,jk->ik", w1, w2)
    b = np.einsum("j,jk->k", b1, w2) + b2
    return w, b
