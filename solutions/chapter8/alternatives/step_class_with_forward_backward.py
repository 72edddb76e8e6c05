"""Chapter 8 - procedural NumPy functions; train_step uses a small class whose methods are
named forward/backward (they never run from the NumPy functions)."""

import numpy as np


def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), elementwise; returns an array of z's shape."""
    return 1.0 / (1.0 + np.exp(-z))


def relu_grad(z):
    """Derivative of ReLU at z, elementwise: 1 where z > 0, else 0 (also 0 at z = 0 exactly,
    the convention TensorFlow uses)."""
    return (np.asarray(z) > 0).astype(np.float32)


def tanh_grad(z):
    """Derivative of tanh at z, elementwise: 1 - tanh(z)**2."""
    return 1.0 - np.tanh(z) ** 2


def sigmoid_grad(z):
    """Derivative of the sigmoid at z, elementwise: sigmoid(z) * (1 - sigmoid(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def _act(z, name):
    if name == "relu":
        return np.maximum(z, 0)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return sigmoid(z)
    if name == "linear":
        return z
    raise ValueError(name)


def _act_grad(z, name):
    if name == "relu":
        return relu_grad(z)
    if name == "tanh":
        return tanh_grad(z)
    if name == "sigmoid":
        return sigmoid_grad(z)
    if name == "linear":
        return np.ones_like(z)
    raise ValueError(name)


def forward(layers, x, hidden="relu", output="linear"):
    """Output of the network on batch `x`, shape (n, outputs)."""
    a = x
    for i, (W, b) in enumerate(layers):
        z = a @ W + b
        a = _act(z, output if i == len(layers) - 1 else hidden)
    return a


def mse_loss(y_pred, y):
    """Mean squared error as a float, as keras.losses.MeanSquaredError computes it."""
    return float(np.mean((y_pred - y) ** 2))


def backward(layers, x, y, hidden="relu", output="linear"):
    """Gradients of mse_loss(forward(...), y) with respect to every weight."""
    inputs, zs = [], []
    a = x
    for i, (W, b) in enumerate(layers):
        inputs.append(a)
        z = a @ W + b
        zs.append(z)
        a = _act(z, output if i == len(layers) - 1 else hidden)
    grad_a = 2.0 * (a - y) / a.size
    grads = []
    for i in reversed(range(len(layers))):
        name = output if i == len(layers) - 1 else hidden
        dz = grad_a * _act_grad(zs[i], name)
        dW = inputs[i].T @ dz
        db = dz.sum(axis=0)
        grads.append((dW, db))
        grad_a = dz @ layers[i][0].T
    return grads[::-1]


def sgd_step(layers, grads, learning_rate):
    """One step of plain gradient descent: a new list of new (W, b) pairs."""
    return [(W - learning_rate * dW, b - learning_rate * db)
            for (W, b), (dW, db) in zip(layers, grads)]


class KerasPasses:
    """train_step's two passes on a Keras model: forward under a tape, backward by autodiff."""

    def __init__(self, model, loss_fn):
        self.model = model
        self.loss_fn = loss_fn

    def forward(self, x, y):
        import tensorflow as tf

        with tf.GradientTape() as self.tape:
            self.loss = self.loss_fn(y, self.model(x, training=True))
        return self.loss

    def backward(self):
        return self.tape.gradient(self.loss, self.model.trainable_variables)


def train_step(model, optimizer, x, y, loss_fn):
    """One custom training step on a Keras model, with tf.GradientTape."""
    passes = KerasPasses(model, loss_fn)
    loss = passes.forward(x, y)
    optimizer.apply_gradients(zip(passes.backward(), model.trainable_variables))
    return loss
