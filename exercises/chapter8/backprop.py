"""Chapter 8 - Backpropagation by hand.

Fill in every function below, then run `grade chapter8`.

A network is a list of layers, each a pair `(W, b)` of NumPy arrays: `W` has shape
(inputs, units) and `b` shape (units,), exactly like a Keras Dense kernel and bias, so a layer
computes `z = a @ W + b`. A batch `x` has shape (n, inputs); targets `y` have shape (n, outputs).

Rules: every function except `train_step` is NumPy only. TensorFlow, Keras and GradientTape may
not appear in them (the grader checks your source); import TensorFlow inside `train_step`. Your
answers are compared with TensorFlow's own autodiff on the same weights and batches, to float32
precision.
"""

import numpy as np


def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), elementwise; returns an array of z's shape."""
    raise NotImplementedError("sigmoid")


def relu_grad(z):
    """Derivative of ReLU at z, elementwise: 1 where z > 0, else 0 (also 0 at z = 0 exactly,
    the convention TensorFlow uses)."""
    raise NotImplementedError("relu_grad")


def tanh_grad(z):
    """Derivative of tanh at z, elementwise: 1 - tanh(z)**2."""
    raise NotImplementedError("tanh_grad")


def sigmoid_grad(z):
    """Derivative of the sigmoid at z, elementwise: sigmoid(z) * (1 - sigmoid(z))."""
    raise NotImplementedError("sigmoid_grad")


def forward(layers, x, hidden="relu", output="linear"):
    """Output of the network on batch `x`, shape (n, outputs).

    Every layer but the last applies the `hidden` activation ("relu" or "tanh"); the last layer
    applies `output` ("linear": none, or "sigmoid").
    """
    raise NotImplementedError("forward")


def mse_loss(y_pred, y):
    """Mean squared error as a float: the mean of (y_pred - y)**2 over every element (batch and
    outputs), as keras.losses.MeanSquaredError computes it."""
    raise NotImplementedError("mse_loss")


def backward(layers, x, y, hidden="relu", output="linear"):
    """Gradients of mse_loss(forward(layers, x, hidden, output), y) with respect to every weight.

    Returns a list with one pair `(dW, db)` per layer, in the order of `layers`, with the shapes
    of `W` and `b`. Use the chain rule: run the forward pass keeping each layer's input and `z`,
    start from the loss gradient with respect to the output (remember the loss is a mean over
    every element), and go back layer by layer through each activation's derivative.
    """
    raise NotImplementedError("backward")


def sgd_step(layers, grads, learning_rate):
    """One step of plain gradient descent: a new list of new `(W, b)` pairs, each weight moved by
    `learning_rate` times its gradient against the gradient's direction. `grads` is what
    `backward` returns. Leave the arrays of `layers` as they were (do not update them in
    place): the caller still holds them."""
    raise NotImplementedError("sgd_step")


def train_step(model, optimizer, x, y, loss_fn):
    """One custom training step on a Keras model, with tf.GradientTape: compute the loss
    `loss_fn(y, model(x, training=True))` under a tape, take its gradients with respect to
    `model.trainable_variables`, let `optimizer` apply them, and return the loss (a scalar).

    Import TensorFlow inside this function. Any optimizer and any Keras loss may be passed in.
    """
    raise NotImplementedError("train_step")
