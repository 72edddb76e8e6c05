"""Chapter 2 with local variables named summary and count_params (the student's own names),
string losses, and a Functional model with a named input."""

import keras
import numpy as np


def build_sequential(n_features, n_classes):
    summary = keras.Sequential(name="network")
    summary.add(keras.Input(shape=(n_features,), name="features"))
    summary.add(keras.layers.Dense(32, activation="relu"))
    summary.add(keras.layers.Dense(16, activation="relu"))
    summary.add(keras.layers.Dense(n_classes, activation="softmax"))
    return summary


def build_functional(n_features, n_classes):
    inputs = keras.Input(shape=(n_features,), name="features")
    hidden = keras.layers.Dense(32, activation="relu")(inputs)
    hidden = keras.layers.Dense(16, activation="relu")(hidden)
    probabilities = keras.layers.Dense(n_classes, activation="softmax")(hidden)
    return keras.Model(inputs=inputs, outputs=probabilities)


class MLP(keras.Model):
    def __init__(self, n_classes, **kwargs):
        super().__init__(**kwargs)
        self.stack = keras.Sequential([keras.layers.Dense(32, activation="relu"),
                                       keras.layers.Dense(16, activation="relu"),
                                       keras.layers.Dense(n_classes, activation="softmax")])

    def call(self, inputs):
        return self.stack(inputs)


def build_two_branch(n_features, units, merge):
    inputs = keras.Input(shape=(n_features,))
    shallow = keras.layers.Dense(units, activation="relu", name="shallow")(inputs)
    deep = keras.layers.Dense(units * 2, activation="relu", name="deep_1")(inputs)
    deep = keras.layers.Dense(units, activation="relu", name="deep_2")(deep)
    if merge == "sum":
        merged = keras.layers.Add(name="sum")([shallow, deep])
    else:
        merged = keras.layers.Concatenate(name="concat")([shallow, deep])
    return keras.Model(inputs=inputs, outputs=merged)


def scaled_normal(shape, dtype=None):
    count_params = int(np.prod(shape[:-1]))
    return keras.random.normal(shape, stddev=np.sqrt(2.0 / count_params), dtype=dtype)


def seeded_dense(units, seed):
    return keras.layers.Dense(units, kernel_initializer=keras.initializers.GlorotUniform(seed=seed))


def compile_classifier(model, y_train, last_activation, learning_rate):
    one_hot = np.ndim(y_train) == 2
    if last_activation == "softmax":
        loss = "categorical_crossentropy" if one_hot else "sparse_categorical_crossentropy"
    else:
        loss = (keras.losses.CategoricalCrossentropy(from_logits=True) if one_hot
                else keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.compile(loss=loss, optimizer=keras.optimizers.SGD(learning_rate), metrics=["accuracy"])
    return model


def fit_and_evaluate(model, x_train, y_train, x_test, y_test, epochs, batch_size):
    summary = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0)
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
    return {"loss": summary.history["loss"], "accuracy": summary.history["accuracy"],
            "test_loss": test_loss, "test_accuracy": test_accuracy}
