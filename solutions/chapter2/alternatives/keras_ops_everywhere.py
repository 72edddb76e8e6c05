"""Chapter 2: a subclassed model with keras.ops activations, a Functional model built in a
loop, numpy-based label detection, and fit/evaluate on tf.data datasets."""

import keras
import numpy as np
import tensorflow as tf
from keras import ops


def build_sequential(n_features, n_classes):
    model = keras.Sequential([keras.Input(shape=(n_features,))])
    for units, act in [(32, "relu"), (16, "relu"), (n_classes, "softmax")]:
        model.add(keras.layers.Dense(units, activation=act))
    return model


def build_functional(n_features, n_classes):
    inputs = keras.Input(shape=(n_features,))
    outputs = inputs
    for units, act in [(32, "relu"), (16, "relu"), (n_classes, "softmax")]:
        outputs = keras.layers.Dense(units, activation=act)(outputs)
    return keras.Model(inputs=inputs, outputs=outputs)


class MLP(keras.Model):
    def __init__(self, n_classes, **kwargs):
        super().__init__(**kwargs)
        self.l1 = keras.layers.Dense(32)
        self.l2 = keras.layers.Dense(16)
        self.l3 = keras.layers.Dense(n_classes)

    def call(self, inputs):
        h = ops.relu(self.l1(inputs))
        h = ops.maximum(self.l2(h), 0.0)
        return ops.softmax(self.l3(h))


def build_two_branch(n_features, units, merge):
    inputs = keras.Input(shape=(n_features,))
    shallow = keras.layers.Dense(units, activation="relu")(inputs)
    deep = keras.layers.Dense(2 * units, activation="relu")(inputs)
    deep = keras.layers.Dense(units, activation="relu")(deep)
    layer = keras.layers.Concatenate() if merge == "concat" else keras.layers.Add()
    return keras.Model(inputs=inputs, outputs=layer([shallow, deep]))


def scaled_normal(shape, dtype=None):
    fan_in = 1.0
    for d in list(shape)[:-1]:
        fan_in = fan_in * d
    return keras.random.normal(tuple(shape), 0.0, (2.0 / fan_in) ** 0.5, dtype)


def seeded_dense(units, seed):
    return keras.layers.Dense(units, kernel_initializer=keras.initializers.GlorotUniform(seed=int(seed)),
                              bias_initializer="zeros", use_bias=True)


def compile_classifier(model, y_train, last_activation, learning_rate):
    logits = last_activation == "linear"
    if y_train.ndim == 1:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=logits)
    else:
        loss = keras.losses.CategoricalCrossentropy(from_logits=logits)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=loss,
                  metrics=["accuracy"])
    return model


def fit_and_evaluate(model, x_train, y_train, x_test, y_test, epochs, batch_size):
    train = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(batch_size)
    test = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(batch_size)
    history = model.fit(train, epochs=epochs, verbose=0)
    test_loss, test_accuracy = model.evaluate(test, verbose=0)
    return {"loss": history.history["loss"], "accuracy": history.history["accuracy"],
            "test_loss": test_loss, "test_accuracy": test_accuracy}
