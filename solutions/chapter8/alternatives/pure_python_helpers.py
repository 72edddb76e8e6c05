"""Chapter 8 with activations written with np.frompyfunc-free math on arrays, copies made before
updating (np.copy then -=), a self-test under __main__ and debug prints."""

import numpy as np


def sigmoid(z):
    z = np.array(z, dtype=np.float64)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def relu_grad(z):
    g = np.zeros_like(np.asarray(z, dtype=np.float64))
    g[np.asarray(z) > 0] = 1.0
    return g


def tanh_grad(z):
    return 1.0 - np.square(np.tanh(z))


def sigmoid_grad(z):
    return sigmoid(z) * (1.0 - sigmoid(z))


def forward(layers, x, hidden="relu", output="linear"):
    a = np.array(x, dtype=np.float64)
    last = len(layers) - 1
    for i, (W, b) in enumerate(layers):
        z = np.dot(a, W) + b
        kind = output if i == last else hidden
        if kind == "relu":
            a = np.maximum(z, 0)
        elif kind == "tanh":
            a = np.tanh(z)
        elif kind == "sigmoid":
            a = sigmoid(z)
        else:
            a = z
    return a


def mse_loss(y_pred, y):
    return np.mean(np.square(np.asarray(y_pred) - np.asarray(y))).item()


def backward(layers, x, y, hidden="relu", output="linear"):
    cache = []
    a = np.array(x, dtype=np.float64)
    for i, (W, b) in enumerate(layers):
        z = np.dot(a, W) + b
        kind = output if i == len(layers) - 1 else hidden
        cache.append((a, z, kind))
        a = forward([(W, b)], a, hidden=kind, output=kind)
    print("debug: loss", mse_loss(a, y))
    n_elements = np.size(y)
    upstream = (a - y) * 2 / n_elements
    out = []
    for (W, b), (a_in, z, kind) in zip(layers[::-1], cache[::-1]):
        if kind == "relu":
            upstream = upstream * relu_grad(z)
        elif kind == "tanh":
            upstream = upstream * tanh_grad(z)
        elif kind == "sigmoid":
            upstream = upstream * sigmoid_grad(z)
        out.insert(0, (np.dot(a_in.T, upstream), np.sum(upstream, axis=0)))
        upstream = np.dot(upstream, np.transpose(W))
    return out


def sgd_step(layers, grads, learning_rate):
    updated = []
    for (W, b), (dW, db) in zip(layers, grads):
        W_new, b_new = np.copy(W), np.copy(b)
        W_new -= learning_rate * dW
        b_new -= learning_rate * db
        updated.append((W_new, b_new))
    return updated


def train_step(model, optimizer, x, y, loss_fn):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss_value = loss_fn(y, logits)
    grads = tape.gradient(loss_value, model.trainable_variables)
    optimizer.apply_gradients(list(zip(grads, model.trainable_variables)))
    return loss_value


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    net = [(rng.normal(size=(3, 4)), np.zeros(4)), (rng.normal(size=(4, 2)), np.zeros(2))]
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    # numerical check of one weight
    eps = 1e-6
    g = backward(net, x, y)
    plus = [(W.copy(), b.copy()) for W, b in net]
    plus[0][0][0, 0] += eps
    num = (mse_loss(forward(plus, x), y) - mse_loss(forward(net, x), y)) / eps
    print("analytic", g[0][0][0, 0], "numeric", num)
