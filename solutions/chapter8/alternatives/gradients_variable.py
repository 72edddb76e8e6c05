"""Chapter 8 with ordinary variables called `gradients` and `tanh` (a student's names, not APIs).
Scores full marks only once the ban rules tell a variable from an API."""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def relu_grad(z):
    return (np.asarray(z) > 0).astype(float)


def tanh_grad(z):
    tanh = np.tanh(z)
    return 1.0 - tanh ** 2


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1.0 - s)


def _apply(kind, z):
    if kind == "relu":
        return np.maximum(z, 0.0)
    if kind == "tanh":
        return np.tanh(z)
    if kind == "sigmoid":
        return sigmoid(z)
    return z


def _slope(kind, z):
    return {"relu": relu_grad, "tanh": tanh_grad, "sigmoid": sigmoid_grad}.get(kind, np.ones_like)(z)


def forward(layers, x, hidden="relu", output="linear"):
    a = x
    for i, (W, b) in enumerate(layers):
        a = _apply(output if i == len(layers) - 1 else hidden, a @ W + b)
    return a


def mse_loss(y_pred, y):
    return float(np.mean((np.asarray(y_pred) - np.asarray(y)) ** 2))


def backward(layers, x, y, hidden="relu", output="linear"):
    kinds = [hidden] * (len(layers) - 1) + [output]
    activations, pre = [np.asarray(x, float)], []
    for (W, b), kind in zip(layers, kinds):
        pre.append(activations[-1] @ W + b)
        activations.append(_apply(kind, pre[-1]))
    gradients = []
    delta = 2.0 * (activations[-1] - y) / np.size(y) * _slope(kinds[-1], pre[-1])
    for i in reversed(range(len(layers))):
        gradients.append((activations[i].T @ delta, delta.sum(axis=0)))
        if i:
            delta = (delta @ layers[i][0].T) * _slope(kinds[i - 1], pre[i - 1])
    gradients.reverse()
    return gradients


def sgd_step(layers, grads, learning_rate):
    return [(W - learning_rate * dW, b - learning_rate * db) for (W, b), (dW, db) in zip(layers, grads)]


def train_step(model, optimizer, x, y, loss_fn):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss
