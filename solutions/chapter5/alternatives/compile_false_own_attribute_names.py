import os

import keras
from keras import ops


def best_weights_checkpoint(folder):
    return keras.callbacks.ModelCheckpoint(f"{folder}{os.sep}epoch{{epoch:02d}}.weights.h5",
                                           monitor="val_loss", save_best_only=True,
                                           save_weights_only=True, mode="min")


def best_model_checkpoint(filepath):
    return keras.callbacks.ModelCheckpoint(filepath, monitor="val_accuracy", verbose=0,
                                           save_best_only=True, mode="max")


@keras.saving.register_keras_serializable()
class Affine(keras.layers.Layer):
    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale = scale

    def build(self, input_shape):
        self.w = self.add_weight(name="kernel", shape=(input_shape[-1], self.units))
        self.b = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return ops.multiply(self.scale, ops.add(ops.dot(inputs, self.w), self.b))

    def get_config(self):
        cfg = super().get_config()
        cfg["units"] = self.units
        cfg["scale"] = self.scale
        return cfg


def save_model(model, filepath):
    model.save(filepath)


def load_saved_model(filepath):
    return keras.models.load_model(filepath, compile=False)


def transfer_weights(trained, fresh, filepath):
    trained.save_weights(filepath)
    fresh.load_weights(filepath)
    return fresh
