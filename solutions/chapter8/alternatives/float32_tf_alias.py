"""Chapter 8 importing TensorFlow under another alias inside train_step, using np.einsum, and a
backward that reuses forward for each layer; top-level experiment at import."""

import numpy as np


def sigmoid(z):
    return np.reciprocal(1.0 + np.exp(np.negative(z)))


def relu_grad(z):
    return np.heaviside(z, 0.0)


def tanh_grad(z):
    return 1.0 - np.tanh(z) ** 2


def sigmoid_grad(z):
    s = sigmoid(z)
    return s - s * s


def _f(kind, z):
    return np.maximum(z, 0) if kind == "relu" else np.tanh(z) if kind == "tanh" else sigmoid(z) if kind == "sigmoid" else z


def _df(kind, z):
    return relu_grad(z) if kind == "relu" else tanh_grad(z) if kind == "tanh" else sigmoid_grad(z) if kind == "sigmoid" else np.ones_like(z)


def forward(layers, x, hidden="relu", output="linear"):
    for k, (W, b) in enumerate(layers):
        x = _f(output if k + 1 == len(layers) else hidden, np.einsum("ni,io->no", x, W) + b)
    return x


def mse_loss(y_pred, y):
    d = (y_pred - y).ravel()
    return float(d @ d / d.shape[0])


def backward(layers, x, y, hidden="relu", output="linear"):
    kinds = [hidden] * (len(layers) - 1) + [output]
    a_list, z_list = [x], []
    for (W, b), kind in zip(layers, kinds):
        z_list.append(np.einsum("ni,io->no", a_list[-1], W) + b)
        a_list.append(_f(kind, z_list[-1]))
    g = 2.0 * (a_list[-1] - y) / y.size
    grads = []
    for k in range(len(layers) - 1, -1, -1):
        d = g * _df(kinds[k], z_list[k])
        grads = [(np.einsum("ni,no->io", a_list[k], d), d.sum(0))] + grads
        g = np.einsum("no,io->ni", d, layers[k][0])
    return grads


def sgd_step(layers, grads, learning_rate):
    return list(map(lambda lg: (lg[0][0] - learning_rate * lg[1][0], lg[0][1] - learning_rate * lg[1][1]),
                    zip(layers, grads)))


def train_step(model, optimizer, x, y, loss_fn):
    import tensorflow as tensorflow_lib

    with tensorflow_lib.GradientTape() as tape:
        y_hat = model(x, training=True)
        value = loss_fn(y, y_hat)
    optimizer.apply_gradients(zip(tape.gradient(value, model.trainable_variables), model.trainable_variables))
    return value


_rng = np.random.default_rng(1)
_net = [(_rng.normal(size=(2, 3)), np.zeros(3)), (_rng.normal(size=(3, 1)), np.zeros(1))]
print("experiment: loss", mse_loss(forward(_net, np.ones((4, 2))), np.zeros((4, 1))))
