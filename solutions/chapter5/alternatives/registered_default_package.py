"""Chapter 5 with the layer registered under the default package, keras.ops for the maths,
the scale kept as a float, an initializers object, and os.path.join paths."""

import os

import keras
from keras import ops


def best_weights_checkpoint(folder):
    path = os.path.join(folder, "epoch{epoch:02d}.weights.h5")
    return keras.callbacks.ModelCheckpoint(path, monitor="val_loss", mode="min", save_best_only=True,
                                           save_weights_only=True, verbose=0)


def best_model_checkpoint(filepath):
    return keras.callbacks.ModelCheckpoint(filepath, "val_accuracy", save_best_only=True, mode="max",
                                           save_weights_only=False, save_freq="epoch")


@keras.saving.register_keras_serializable()
class Affine(keras.layers.Layer):
    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.scale = float(scale)

    def build(self, input_shape):
        n_in = input_shape[-1]
        self.w = self.add_weight(shape=(n_in, self.units), initializer=keras.initializers.RandomNormal(),
                                 name="kernel")
        self.b = self.add_weight(shape=(self.units,), initializer=keras.initializers.Zeros(), name="bias")

    def call(self, inputs):
        return ops.multiply(self.scale, ops.add(ops.matmul(inputs, self.w), self.b))

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        config["scale"] = self.scale
        return config


def save_model(model, filepath):
    model.save(filepath, overwrite=True)


def load_saved_model(filepath):
    return keras.models.load_model(filepath)


def transfer_weights(trained, fresh, filepath):
    trained.save_weights(filepath, overwrite=True)
    fresh.load_weights(filepath)
    return fresh
