"""Chapter 2: scaled_normal as a keras.initializers.Initializer subclass's logic in a function,
seeded_dense through VarianceScaling arguments of Glorot uniform, a Sequential whose hidden
layers use Activation layers after Dense, and an experiment at the top level."""

import math

import keras
import numpy as np
from keras import layers


def build_sequential(n_features, n_classes):
    return keras.Sequential([keras.Input(shape=(n_features,)),
                             layers.Dense(32), layers.Activation("relu"),
                             layers.Dense(16), layers.Activation(keras.activations.relu),
                             layers.Dense(n_classes, activation="softmax")])


def build_functional(n_features, n_classes):
    inputs = keras.Input(shape=(n_features,))
    x = layers.Activation("relu")(layers.Dense(32)(inputs))
    x = layers.Dense(16, activation="relu")(x)
    outputs = layers.Softmax(axis=-1)(layers.Dense(n_classes)(x))
    return keras.Model(inputs=inputs, outputs=outputs)


class MLP(keras.Model):
    def __init__(self, n_classes, **kwargs):
        super().__init__(**kwargs)
        self.d1 = layers.Dense(32, activation="relu")
        self.d2 = layers.Dense(16, activation="relu")
        self.d3 = layers.Dense(n_classes)

    def call(self, inputs):
        return keras.ops.softmax(self.d3(self.d2(self.d1(inputs))), axis=-1)


def build_two_branch(n_features, units, merge):
    inputs = keras.Input(shape=(n_features,))
    shallow = layers.Dense(units, activation="relu")(inputs)
    deep = layers.Dense(units, activation="relu")(layers.Dense(units * 2, activation="relu")(inputs))
    if merge == "concat":
        return keras.Model(inputs, layers.Concatenate()([shallow, deep]))
    return keras.Model(inputs, layers.Add()([shallow, deep]))


def scaled_normal(shape, dtype=None):
    fan_in = math.prod(shape[:-1])
    std = math.sqrt(2.0 / fan_in)
    return keras.random.normal(shape, mean=0.0, stddev=std, dtype=dtype if dtype is not None else "float32")


def seeded_dense(units, seed):
    kernel_init = keras.initializers.GlorotUniform(seed=seed)
    return layers.Dense(units, kernel_initializer=kernel_init, bias_initializer=keras.initializers.Constant(0.0))


def compile_classifier(model, y_train, last_activation, learning_rate):
    from_logits = {"softmax": False, "linear": True}[last_activation]
    if y_train.ndim > 1 and y_train.shape[-1] > 1:
        loss = keras.losses.CategoricalCrossentropy(from_logits=from_logits)
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=loss, metrics=["accuracy"])
    return model


def fit_and_evaluate(model, x_train, y_train, x_test, y_test, epochs, batch_size):
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0)
    evaluation = dict(zip(["test_loss", "test_accuracy"], model.evaluate(x_test, y_test, verbose=0)))
    return {"loss": history.history["loss"], "accuracy": history.history["accuracy"], **evaluation}


w = scaled_normal((200, 50))
print("experiment: std * sqrt(fan_in / 2) =", float(np.std(w)) * math.sqrt(100))
