"""Chapter 2: losses named by their functions (keras.losses.sparse_categorical_crossentropy with
from_logits through a small wrapper), a Sequential made from a list, and a self-test."""

import functools

import keras
import numpy as np

print("models.py loaded")


def build_sequential(n_features, n_classes):
    layers = [keras.Input(shape=(n_features,))]
    for width in (32, 16):
        layers.append(keras.layers.Dense(width, activation="relu"))
    layers.append(keras.layers.Dense(n_classes, activation="softmax"))
    return keras.Sequential(layers)


def build_functional(n_features, n_classes):
    inputs = keras.Input(shape=(n_features,))
    tensor = inputs
    for width in (32, 16):
        tensor = keras.layers.Dense(width, activation="relu")(tensor)
    outputs = keras.layers.Dense(n_classes, activation="softmax")(tensor)
    return keras.Model(inputs=inputs, outputs=outputs)


class MLP(keras.Model):
    def __init__(self, n_classes, **kwargs):
        super().__init__(**kwargs)
        self.first = keras.layers.Dense(32, activation="relu")
        self.second = keras.layers.Dense(16, activation="relu")
        self.last = keras.layers.Dense(n_classes, activation="softmax")

    def call(self, inputs):
        return self.last(self.second(self.first(inputs)))


def build_two_branch(n_features, units, merge):
    inputs = keras.Input(shape=(n_features,))
    shallow = keras.layers.Dense(units, activation="relu")(inputs)
    deep = keras.layers.Dense(2 * units, activation="relu")(inputs)
    deep = keras.layers.Dense(units, activation="relu")(deep)
    merger = {"concat": keras.layers.Concatenate(axis=-1), "sum": keras.layers.Add()}[merge]
    return keras.Model(inputs=inputs, outputs=merger([shallow, deep]))


def scaled_normal(shape, dtype=None):
    fan_in = int(np.prod(shape[:-1]))
    if dtype is None:
        dtype = "float32"
    return keras.random.normal(shape=shape, mean=0.0, stddev=np.sqrt(2 / fan_in), dtype=dtype)


def seeded_dense(units, seed):
    init = keras.initializers.GlorotUniform(seed)
    return keras.layers.Dense(units=units, kernel_initializer=init, bias_initializer="zeros")


def compile_classifier(model, y_train, last_activation, learning_rate):
    integer_labels = y_train.ndim == 1
    base = (keras.losses.sparse_categorical_crossentropy if integer_labels
            else keras.losses.categorical_crossentropy)
    loss = functools.partial(base, from_logits=last_activation == "linear")
    loss.__name__ = "crossentropy"
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=loss, metrics=["accuracy"])
    return model


def fit_and_evaluate(model, x_train, y_train, x_test, y_test, epochs, batch_size):
    logs = model.fit(x_train, y_train, batch_size, epochs, verbose=0, shuffle=False).history
    test = model.evaluate(x_test, y_test, verbose=0)
    result = {"loss": logs["loss"], "accuracy": logs["accuracy"]}
    result["test_loss"], result["test_accuracy"] = test
    return result


if __name__ == "__main__":
    m = build_sequential(4, 3)
    m.summary()
    print(scaled_normal((3, 3, 8, 4)).shape)
