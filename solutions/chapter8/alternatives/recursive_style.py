"""Chapter 8 with a recursive backward pass, the derivative of the sigmoid from its output,
np.vectorize for an activation, and Keras 3's optimizer.apply in train_step."""

import math

import numpy as np


def sigmoid(z):
    z = np.asarray(z, dtype=float)
    return np.exp(-np.logaddexp(0.0, -z))


def relu_grad(z):
    return np.vectorize(lambda v: 1.0 if v > 0 else 0.0, otypes=[float])(z)


def tanh_grad(z):
    return 1.0 / np.cosh(np.asarray(z, dtype=float)) ** 2


def sigmoid_grad(z):
    return np.exp(-z) / (1.0 + np.exp(-z)) ** 2


def _act(name, z):
    return {"relu": lambda: z * (z > 0), "tanh": lambda: np.tanh(z), "sigmoid": lambda: sigmoid(z)}.get(name, lambda: z)()


def _dact(name, z, a):
    if name == "relu":
        return relu_grad(z)
    if name == "tanh":
        return 1 - a ** 2
    if name == "sigmoid":
        return a * (1 - a)
    return 1.0


def forward(layers, x, hidden="relu", output="linear"):
    if not layers:
        return x
    (W, b), rest = layers[0], layers[1:]
    name = output if not rest else hidden
    return forward(rest, _act(name, x @ W + b), hidden, output) if rest else _act(name, x @ W + b)


def mse_loss(y_pred, y):
    diff = np.subtract(y_pred, y, dtype=float)
    return float(np.sum(diff * diff) / diff.size)


def _back(layers, a_in, y, hidden, output):
    """(gradient w.r.t. a_in, list of (dW, db)) for the remaining layers."""
    (W, b), rest = layers[0], layers[1:]
    name = hidden if rest else output
    z = a_in @ W + b
    a = _act(name, z)
    if rest:
        grad_a, tail = _back(rest, a, y, hidden, output)
    else:
        grad_a, tail = 2.0 * (a - y) / math.prod(np.shape(y)), []
    delta = grad_a * _dact(name, z, a)
    return delta @ W.T, [(a_in.T @ delta, delta.sum(0))] + tail


def backward(layers, x, y, hidden="relu", output="linear"):
    return _back(list(layers), np.asarray(x, float), np.asarray(y, float), hidden, output)[1]


def sgd_step(layers, grads, learning_rate):
    return [tuple(p - learning_rate * g for p, g in zip(pair, gpair)) for pair, gpair in zip(layers, grads)]


def train_step(model, optimizer, x, y, loss_fn):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply(grads, model.trainable_weights)
    return loss.numpy()
