"""Chapter 8 in plain Python loops and the math module: lists of lists for the matrices,
converted to NumPy arrays only at the end; the gradient step builds new lists element by element."""

import math

import numpy as np


def _map(fn, z):
    z = np.asarray(z, dtype=float)
    return np.array([fn(v) for v in z.ravel()], dtype=float).reshape(z.shape)


def _sig(v):
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


def sigmoid(z):
    return _map(_sig, z)


def relu_grad(z):
    return _map(lambda v: 1.0 if v > 0 else 0.0, z)


def tanh_grad(z):
    return _map(lambda v: 1.0 - math.tanh(v) ** 2, z)


def sigmoid_grad(z):
    return _map(lambda v: _sig(v) * (1.0 - _sig(v)), z)


def _act(kind, v):
    if kind == "relu":
        return max(v, 0.0)
    if kind == "tanh":
        return math.tanh(v)
    if kind == "sigmoid":
        return _sig(v)
    return v


def _dact(kind, v):
    if kind == "relu":
        return 1.0 if v > 0 else 0.0
    if kind == "tanh":
        return 1.0 - math.tanh(v) ** 2
    if kind == "sigmoid":
        return _sig(v) * (1.0 - _sig(v))
    return 1.0


def _dense(a, W, b):
    """z = a @ W + b with lists: a is n x i, W is i x o."""
    W, b = np.asarray(W, float).tolist(), np.asarray(b, float).tolist()
    return [[sum(row[i] * W[i][j] for i in range(len(row))) + b[j] for j in range(len(b))] for row in a]


def _kinds(layers, hidden, output):
    return [hidden] * (len(layers) - 1) + [output]


def forward(layers, x, hidden="relu", output="linear"):
    a = np.asarray(x, float).tolist()
    for (W, b), kind in zip(layers, _kinds(layers, hidden, output)):
        a = [[_act(kind, v) for v in row] for row in _dense(a, W, b)]
    return np.array(a)


def mse_loss(y_pred, y):
    p, t = np.asarray(y_pred, float).ravel().tolist(), np.asarray(y, float).ravel().tolist()
    return sum((u - v) ** 2 for u, v in zip(p, t)) / len(p)


def backward(layers, x, y, hidden="relu", output="linear"):
    kinds = _kinds(layers, hidden, output)
    a = np.asarray(x, float).tolist()
    inputs, zs = [], []
    for (W, b), kind in zip(layers, kinds):
        inputs.append(a)
        z = _dense(a, W, b)
        zs.append(z)
        a = [[_act(kind, v) for v in row] for row in z]
    target = np.asarray(y, float).tolist()
    count = len(target) * len(target[0])
    grad = [[2.0 * (p - t) / count for p, t in zip(pr, tr)] for pr, tr in zip(a, target)]
    result = []
    for k in reversed(range(len(layers))):
        W = np.asarray(layers[k][0], float).tolist()
        delta = [[g * _dact(kinds[k], v) for g, v in zip(gr, zr)] for gr, zr in zip(grad, zs[k])]
        n_in, n_out = len(W), len(W[0])
        dW = [[sum(inputs[k][s][i] * delta[s][j] for s in range(len(delta))) for j in range(n_out)]
              for i in range(n_in)]
        db = [sum(delta[s][j] for s in range(len(delta))) for j in range(n_out)]
        result.insert(0, (np.array(dW), np.array(db)))
        grad = [[sum(delta[s][j] * W[i][j] for j in range(n_out)) for i in range(n_in)]
                for s in range(len(delta))]
    return result


def sgd_step(layers, grads, learning_rate):
    out = []
    for (W, b), (dW, db) in zip(layers, grads):
        W_list = [[w - learning_rate * g for w, g in zip(wr, gr)]
                  for wr, gr in zip(np.asarray(W).tolist(), np.asarray(dW).tolist())]
        b_list = [v - learning_rate * g for v, g in zip(np.asarray(b).tolist(), np.asarray(db).tolist())]
        out.append((np.array(W_list), np.array(b_list)))
    return out


def train_step(model, optimizer, x, y, loss_fn):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        out = model(x, training=True)
        loss = loss_fn(y, out)
    variables = model.trainable_variables
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss
