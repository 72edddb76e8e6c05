"""Chapter 5 without registering the layer: load_model gets custom_objects. f-string paths, the
default mode for a loss, tf.matmul in the layer, keras.saving functions."""

import keras
import tensorflow as tf


def best_weights_checkpoint(folder):
    return keras.callbacks.ModelCheckpoint(
        filepath=f"{folder}/epoch{{epoch:02d}}.weights.h5",
        monitor="val_loss",
        save_best_only=True,
        save_weights_only=True,
    )


def best_model_checkpoint(filepath):
    return keras.callbacks.ModelCheckpoint(filepath=filepath, monitor="val_accuracy", mode="max",
                                           save_best_only=True)


class Affine(keras.layers.Layer):
    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale = scale

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", trainable=True)
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros",
                                    trainable=True)
        super().build(input_shape)

    def call(self, inputs):
        return self.scale * (tf.matmul(inputs, self.kernel) + self.bias)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "scale": self.scale}


def save_model(model, filepath):
    keras.saving.save_model(model, filepath)


def load_saved_model(filepath):
    return keras.saving.load_model(filepath, custom_objects={"Affine": Affine})


def transfer_weights(trained, fresh, filepath):
    trained.save_weights(filepath)
    fresh.load_weights(filepath)
    return fresh
