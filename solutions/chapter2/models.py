"""Reference solution of chapter 2, written as a student should."""

import keras
import numpy as np


def build_sequential(n_features, n_classes):
    return keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(n_classes, activation="softmax"),
    ])


def build_functional(n_features, n_classes):
    inputs = keras.Input(shape=(n_features,))
    hidden = keras.layers.Dense(32, activation="relu")(inputs)
    hidden = keras.layers.Dense(16, activation="relu")(hidden)
    outputs = keras.layers.Dense(n_classes, activation="softmax")(hidden)
    return keras.Model(inputs=inputs, outputs=outputs)


class MLP(keras.Model):
    def __init__(self, n_classes, **kwargs):
        super().__init__(**kwargs)
        self.hidden1 = keras.layers.Dense(32, activation="relu")
        self.hidden2 = keras.layers.Dense(16, activation="relu")
        self.classifier = keras.layers.Dense(n_classes, activation="softmax")

    def call(self, inputs):
        return self.classifier(self.hidden2(self.hidden1(inputs)))


def build_two_branch(n_features, units, merge):
    inputs = keras.Input(shape=(n_features,))
    shallow = keras.layers.Dense(units, activation="relu")(inputs)
    deep = keras.layers.Dense(2 * units, activation="relu")(inputs)
    deep = keras.layers.Dense(units, activation="relu")(deep)
    if merge == "concat":
        merged = keras.layers.Concatenate()([shallow, deep])
    elif merge == "sum":
        merged = keras.layers.Add()([shallow, deep])
    else:
        raise ValueError(f"unknown merge {merge!r}")
    return keras.Model(inputs=inputs, outputs=merged)


def scaled_normal(shape, dtype=None):
    fan_in = int(np.prod(shape[:-1]))
    return keras.random.normal(shape, mean=0.0, stddev=np.sqrt(2.0 / fan_in), dtype=dtype)


def seeded_dense(units, seed):
    return keras.layers.Dense(
        units,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        bias_initializer="zeros",
    )


def compile_classifier(model, y_train, last_activation, learning_rate):
    from_logits = last_activation == "linear"
    if np.ndim(y_train) == 1:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    else:
        loss = keras.losses.CategoricalCrossentropy(from_logits=from_logits)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=loss,
                  metrics=["accuracy"])
    return model


def fit_and_evaluate(model, x_train, y_train, x_test, y_test, epochs, batch_size):
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size,
                        shuffle=False, verbose=0)
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    return {
        "loss": history.history["loss"],
        "accuracy": history.history["accuracy"],
        "test_loss": test_loss,
        "test_accuracy": test_accuracy,
    }
