"""Chapter 5: get_config with just units and scale (no base config) - borderline."""

import os

import keras


def best_weights_checkpoint(folder):
    return keras.callbacks.ModelCheckpoint(os.path.join(folder, "epoch{epoch:02d}.weights.h5"),
                                           save_weights_only=True, save_best_only=True,
                                           monitor="val_loss", mode="min")


def best_model_checkpoint(filepath):
    return keras.callbacks.ModelCheckpoint(filepath, save_best_only=True,
                                           monitor="val_accuracy", mode="max")


@keras.saving.register_keras_serializable()
class Affine(keras.layers.Layer):
    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale = float(scale)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return self.scale * (inputs @ self.kernel + self.bias)

    def get_config(self):
        # the two arguments of __init__
        config = {"units": self.units, "scale": self.scale}
        return config


def save_model(model, filepath):
    model.save(filepath)


def load_saved_model(filepath):
    return keras.models.load_model(filepath)


def transfer_weights(trained, fresh, filepath):
    trained.save_weights(filepath)
    fresh.load_weights(filepath)
    return fresh
