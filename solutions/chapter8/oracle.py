"""TensorFlow's own answers for chapter 8: every by-hand function is judged against autodiff.

Each function has the signature of the exercise's and answers with `tf.GradientTape`, Keras
layers, Keras losses and Keras optimizers, so a check agrees with TensorFlow, not with another
hand-written formula.
"""

import keras
import numpy as np
import tensorflow as tf


def _elementwise_grad(fn, z):
    z = tf.Variable(np.asarray(z, dtype="float32"))
    with tf.GradientTape() as tape:
        out = fn(z)
    return tape.gradient(out, z)  # d(sum)/dz_i = f'(z_i) for an elementwise f


def sigmoid(z):
    return keras.activations.sigmoid(tf.constant(np.asarray(z, dtype="float32")))


def relu_grad(z):
    return _elementwise_grad(tf.nn.relu, z)


def tanh_grad(z):
    return _elementwise_grad(tf.math.tanh, z)


def sigmoid_grad(z):
    return _elementwise_grad(tf.math.sigmoid, z)


def _model(layers, hidden, output):
    n_in = np.asarray(layers[0][0]).shape[0]
    dense = [keras.layers.Dense(np.asarray(w).shape[1],
                                activation=output if i == len(layers) - 1 else hidden)
             for i, (w, _) in enumerate(layers)]
    model = keras.Sequential([keras.Input(shape=(n_in,)), *dense])
    for layer, (w, b) in zip(dense, layers):
        layer.set_weights([np.asarray(w, "float32"), np.asarray(b, "float32")])
    return model


def forward(layers, x, hidden="relu", output="linear"):
    return _model(layers, hidden, output)(np.asarray(x, "float32"))


def mse_loss(y_pred, y):
    return keras.losses.MeanSquaredError()(np.asarray(y, "float32"), np.asarray(y_pred, "float32"))


def backward(layers, x, y, hidden="relu", output="linear"):
    model = _model(layers, hidden, output)
    with tf.GradientTape() as tape:
        loss = keras.losses.MeanSquaredError()(np.asarray(y, "float32"), model(np.asarray(x, "float32")))
    grads = tape.gradient(loss, model.trainable_variables)
    return [(grads[i], grads[i + 1]) for i in range(0, len(grads), 2)]


def sgd_step(layers, grads, learning_rate):
    variables = [tf.Variable(np.asarray(v, "float32")) for pair in layers for v in pair]
    gradients = [tf.constant(np.asarray(g, "float32")) for pair in grads for g in pair]
    keras.optimizers.SGD(learning_rate=learning_rate).apply_gradients(zip(gradients, variables))
    return [(variables[i], variables[i + 1]) for i in range(0, len(variables), 2)]
