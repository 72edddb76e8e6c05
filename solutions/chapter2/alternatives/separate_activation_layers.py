"""Chapter 2 with every activation as a layer of its own: Dense, then ReLU() or
Activation("softmax"). Same network, more layers."""

import keras
import numpy as np


def build_sequential(n_features, n_classes):
    model = keras.Sequential()
    model.add(keras.Input(shape=(n_features,)))
    model.add(keras.layers.Dense(32))
    model.add(keras.layers.ReLU())
    model.add(keras.layers.Dense(16))
    model.add(keras.layers.Activation("relu"))
    model.add(keras.layers.Dense(n_classes))
    model.add(keras.layers.Softmax())
    return model


def build_functional(n_features, n_classes):
    inputs = keras.Input(shape=(n_features,))
    x = keras.layers.Dense(32)(inputs)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Dense(16)(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Dense(n_classes)(x)
    outputs = keras.layers.Activation("softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


class MLP(keras.Model):
    def __init__(self, n_classes, **kwargs):
        super().__init__(**kwargs)
        self.hidden1 = keras.layers.Dense(32)
        self.act1 = keras.layers.ReLU()
        self.hidden2 = keras.layers.Dense(16)
        self.act2 = keras.layers.ReLU()
        self.out = keras.layers.Dense(n_classes)
        self.probs = keras.layers.Softmax()

    def call(self, inputs):
        x = self.act1(self.hidden1(inputs))
        x = self.act2(self.hidden2(x))
        return self.probs(self.out(x))


def build_two_branch(n_features, units, merge):
    inputs = keras.Input(shape=(n_features,))
    shallow = keras.layers.ReLU()(keras.layers.Dense(units)(inputs))
    deep = keras.layers.ReLU()(keras.layers.Dense(2 * units)(inputs))
    deep = keras.layers.ReLU()(keras.layers.Dense(units)(deep))
    if merge == "concat":
        outputs = keras.layers.Concatenate()([shallow, deep])
    elif merge == "sum":
        outputs = keras.layers.Add()([shallow, deep])
    else:
        raise ValueError(merge)
    return keras.Model(inputs=inputs, outputs=outputs)


def scaled_normal(shape, dtype=None):
    fan_in = 1
    for dim in shape[:-1]:
        fan_in *= dim
    return keras.random.normal(shape, mean=0, stddev=(2 / fan_in) ** 0.5, dtype=dtype)


def seeded_dense(units, seed):
    return keras.layers.Dense(units, kernel_initializer=keras.initializers.GlorotUniform(seed=seed))


def compile_classifier(model, y_train, last_activation, learning_rate):
    sparse = np.asarray(y_train).ndim == 1
    logits = last_activation != "softmax"
    loss = (keras.losses.SparseCategoricalCrossentropy(from_logits=logits) if sparse
            else keras.losses.CategoricalCrossentropy(from_logits=logits))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=loss, metrics=["accuracy"])
    return model


def fit_and_evaluate(model, x_train, y_train, x_test, y_test, epochs, batch_size):
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0)
    scores = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    return {"loss": history.history["loss"], "accuracy": history.history["accuracy"],
            "test_loss": scores["loss"], "test_accuracy": scores["accuracy"]}
