"""Chapter 2: the subclassed MLP applies its activations with tf.nn in call(), Dense layers
without activation; keras.layers.concatenate / add functions for the merges."""

import keras
import numpy as np
import tensorflow as tf


def build_sequential(n_features, n_classes):
    return keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(32, activation=tf.nn.relu),
        keras.layers.Dense(16, activation=keras.activations.relu),
        keras.layers.Dense(n_classes, activation=tf.nn.softmax),
    ])


def build_functional(n_features, n_classes):
    inputs = keras.Input(shape=(n_features,))
    h = keras.layers.Dense(32, activation="relu", name="hidden_1")(inputs)
    h = keras.layers.Dense(16, activation="relu", name="hidden_2")(h)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="probabilities")(h)
    return keras.Model(inputs, outputs, name="the_network")


class MLP(keras.Model):
    def __init__(self, n_classes, **kwargs):
        super().__init__(**kwargs)
        self.n_classes = n_classes
        self.dense_layers = [keras.layers.Dense(32), keras.layers.Dense(16), keras.layers.Dense(n_classes)]

    def call(self, inputs):
        x = tf.nn.relu(self.dense_layers[0](inputs))
        x = tf.nn.relu(self.dense_layers[1](x))
        return tf.nn.softmax(self.dense_layers[2](x))


def build_two_branch(n_features, units, merge):
    x = keras.Input(shape=(n_features,))
    a = keras.layers.Dense(units, activation="relu")(x)
    b = keras.layers.Dense(units, activation="relu")(keras.layers.Dense(2 * units, activation="relu")(x))
    merged = keras.layers.concatenate([a, b]) if merge == "concat" else keras.layers.add([a, b])
    return keras.Model(inputs=x, outputs=merged)


def scaled_normal(shape, dtype=None):
    fan_in = np.prod(shape[:-1])
    return tf.random.normal(shape, mean=0.0, stddev=tf.sqrt(2.0 / float(fan_in)), dtype=dtype or tf.float32)


def seeded_dense(units, seed):
    return keras.layers.Dense(units, activation=None, kernel_initializer=keras.initializers.glorot_uniform(seed=seed),
                              bias_initializer=keras.initializers.Zeros())


def compile_classifier(model, y_train, last_activation, learning_rate):
    if len(y_train.shape) == 2:
        loss = keras.losses.CategoricalCrossentropy(from_logits=(last_activation == "linear"))
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=(last_activation == "linear"))
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
    model.compile(optimizer, loss, metrics=["accuracy"])
    return model


def fit_and_evaluate(model, x_train, y_train, x_test, y_test, epochs, batch_size):
    h = model.fit(x=x_train, y=y_train, batch_size=batch_size, epochs=epochs, verbose=0, shuffle=False)
    loss, acc = model.evaluate(x=x_test, y=y_test, verbose=0)
    return dict(loss=list(h.history["loss"]), accuracy=list(h.history["accuracy"]), test_loss=float(loss),
                test_accuracy=float(acc))
