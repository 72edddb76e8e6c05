"""Chapter 5 leaving mode at its default for the loss (Keras knows lower is better), pathlib
paths, and a layer written with tf.tensordot."""

from pathlib import Path

import keras
import tensorflow as tf


def best_weights_checkpoint(folder):
    return keras.callbacks.ModelCheckpoint(str(Path(folder) / "epoch{epoch:02d}.weights.h5"),
                                           save_best_only=True, save_weights_only=True)


def best_model_checkpoint(filepath):
    return keras.callbacks.ModelCheckpoint(str(filepath), monitor="val_accuracy", mode="max",
                                           save_best_only=True)


@keras.saving.register_keras_serializable(package="Custom")
class Affine(keras.layers.Layer):
    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale = scale

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                      name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer=keras.initializers.Constant(0.0),
                                    name="bias")

    def call(self, inputs):
        return self.scale * (tf.tensordot(inputs, self.kernel, axes=1) + self.bias)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "scale": self.scale})
        return config


def save_model(model, filepath):
    model.save(str(filepath))


def load_saved_model(filepath):
    return keras.models.load_model(filepath, custom_objects={"Affine": Affine})


def transfer_weights(trained, fresh, filepath):
    trained.save_weights(str(filepath))
    fresh.load_weights(str(filepath))
    return fresh
