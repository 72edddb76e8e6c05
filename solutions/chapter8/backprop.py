"""Chapter 8 - Backpropagation by hand (reference solution)."""

import numpy as np


def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-z))


def relu_grad(z):
    z = np.asarray(z, dtype=np.float64)
    return (z > 0).astype(np.float64)


def tanh_grad(z):
    return 1.0 - np.tanh(np.asarray(z, dtype=np.float64)) ** 2


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1.0 - s)


def _activate(z, name):
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return sigmoid(z)
    return z


def _derivative(z, name):
    if name == "relu":
        return relu_grad(z)
    if name == "tanh":
        return tanh_grad(z)
    if name == "sigmoid":
        return sigmoid_grad(z)
    return np.ones_like(z)


def _forward_cache(layers, x, hidden, output):
    a = np.asarray(x, dtype=np.float64)
    cache = []
    for i, (w, b) in enumerate(layers):
        z = a @ np.asarray(w, dtype=np.float64) + np.asarray(b, dtype=np.float64)
        name = output if i == len(layers) - 1 else hidden
        cache.append((a, z, name))
        a = _activate(z, name)
    return a, cache


def forward(layers, x, hidden="relu", output="linear"):
    return _forward_cache(layers, x, hidden, output)[0]


def mse_loss(y_pred, y):
    y_pred, y = np.asarray(y_pred, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.mean((y_pred - y) ** 2))


def backward(layers, x, y, hidden="relu", output="linear"):
    y_pred, cache = _forward_cache(layers, x, hidden, output)
    y = np.asarray(y, dtype=np.float64)
    grad_a = 2.0 * (y_pred - y) / y.size
    grads = []
    for (w, b), (a_in, z, name) in zip(reversed(layers), reversed(cache)):
        delta = grad_a * _derivative(z, name)
        dw = a_in.T @ delta
        db = delta.sum(axis=0)
        grads.append((dw, db))
        grad_a = delta @ np.asarray(w, dtype=np.float64).T
    return grads[::-1]


def sgd_step(layers, grads, learning_rate):
    return [(np.asarray(w) - learning_rate * np.asarray(dw), np.asarray(b) - learning_rate * np.asarray(db))
            for (w, b), (dw, db) in zip(layers, grads)]


def train_step(model, optimizer, x, y, loss_fn):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = loss_fn(y, y_pred)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
