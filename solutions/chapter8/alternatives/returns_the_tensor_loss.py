"""Activation dicts, lists of arrays returned as tuples, np.float64 loss, zip reversed,
train_step using optimizer.apply (Keras 3) and float loss."""
import math
from functools import reduce

import numpy as np


def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def relu_grad(z):
    return (np.asarray(z) > 0).astype(np.float64)


def tanh_grad(z):
    return 1.0 - np.tanh(z) ** 2


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1 - s)


_ACT = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh, "sigmoid": sigmoid, "linear": lambda z: z}
_GRAD = {"relu": relu_grad, "tanh": tanh_grad, "sigmoid": sigmoid_grad, "linear": np.ones_like}


def _acts(n, hidden, output):
    return [hidden] * (n - 1) + [output]


def forward(layers, x, hidden="relu", output="linear"):
    return reduce(lambda a, la: _ACT[la[1]](a @ la[0][0] + la[0][1]),
                  zip(layers, _acts(len(layers), hidden, output)), np.asarray(x))


def mse_loss(y_pred, y):
    return float(np.mean(np.square(np.subtract(y_pred, y))))


def backward(layers, x, y, hidden="relu", output="linear"):
    acts = _acts(len(layers), hidden, output)
    inputs, zs = [], []
    a = np.asarray(x)
    for (W, b), act in zip(layers, acts):
        inputs.append(a)
        z = a @ W + b
        zs.append(z)
        a = _ACT[act](z)
    delta = 2.0 * (a - y) / a.size
    grads = []
    for i in reversed(range(len(layers))):
        dz = delta * _GRAD[acts[i]](zs[i])
        grads.append((inputs[i].T @ dz, dz.sum(axis=0)))
        delta = dz @ layers[i][0].T
    return grads[::-1]


def sgd_step(layers, grads, learning_rate):
    return [(W - learning_rate * dW, b - learning_rate * db) for (W, b), (dW, db) in zip(layers, grads)]


def train_step(model, optimizer, x, y, loss_fn):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply(grads, model.trainable_variables)
    return loss
