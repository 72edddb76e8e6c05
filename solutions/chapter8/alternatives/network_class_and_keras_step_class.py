"""Chapter 8 - OO: a NumPy Network and a KerasStep class, both with forward/backward methods."""

import numpy as np


class Network:
    """A stack of (W, b) layers with a hidden and an output activation."""

    def __init__(self, layers, hidden="relu", output="linear"):
        self.layers = [(np.asarray(W), np.asarray(b)) for W, b in layers]
        self.hidden = hidden
        self.output = output

    def kind(self, i):
        return self.output if i == len(self.layers) - 1 else self.hidden

    def forward(self, x, keep=False):
        a, kept = np.asarray(x), []
        for i, (W, b) in enumerate(self.layers):
            z = a @ W + b
            kept.append((a, z))
            a = apply(z, self.kind(i))
        return (a, kept) if keep else a

    def backward(self, x, y):
        out, kept = self.forward(x, keep=True)
        g = 2.0 * (out - y) / out.size
        grads = []
        for i in range(len(self.layers) - 1, -1, -1):
            a, z = kept[i]
            g = g * grad(z, self.kind(i))
            grads.append([a.T @ g, g.sum(axis=0)])
            g = g @ self.layers[i][0].T
        grads.reverse()
        return grads


class KerasStep:
    """The same two passes on a Keras model, with TensorFlow's autodiff (used by train_step only)."""

    def __init__(self, model, optimizer, loss_fn):
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = loss_fn

    def forward(self, x, y):
        import tensorflow as tf

        self.tape = tf.GradientTape()
        with self.tape:
            self.loss = self.loss_fn(y, self.model(x, training=True))
        return self.loss

    def backward(self):
        variables = self.model.trainable_variables
        gradients = self.tape.gradient(self.loss, variables)
        self.optimizer.apply_gradients(zip(gradients, variables))


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def relu_grad(z):
    return np.greater(z, 0).astype(z.dtype if hasattr(z, "dtype") else float)


def tanh_grad(z):
    return 1.0 - np.tanh(z) ** 2


def sigmoid_grad(z):
    return sigmoid(z) * (1.0 - sigmoid(z))


def apply(z, kind):
    if kind == "relu":
        return z * (z > 0)
    if kind == "tanh":
        return np.tanh(z)
    if kind == "sigmoid":
        return sigmoid(z)
    return z


def grad(z, kind):
    return {"relu": relu_grad, "tanh": tanh_grad, "sigmoid": sigmoid_grad}.get(kind, np.ones_like)(z)


def forward(layers, x, hidden="relu", output="linear"):
    return Network(layers, hidden, output).forward(x)


def mse_loss(y_pred, y):
    return np.float32(np.mean((y_pred - y) ** 2))


def backward(layers, x, y, hidden="relu", output="linear"):
    return Network(layers, hidden, output).backward(x, y)


def sgd_step(layers, grads, learning_rate):
    return [[W - learning_rate * dW, b - learning_rate * db] for (W, b), (dW, db) in zip(layers, grads)]


def train_step(model, optimizer, x, y, loss_fn):
    step = KerasStep(model, optimizer, loss_fn)
    loss = step.forward(x, y)
    step.backward()
    return loss
