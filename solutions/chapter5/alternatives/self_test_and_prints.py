"""Chapter 5 with debug prints, a top-level experiment (a round trip in a temporary folder) and a
self-test under __main__."""

import os
import tempfile

import keras
import numpy as np


def best_weights_checkpoint(folder):
    print("weights checkpoint into", folder)
    return keras.callbacks.ModelCheckpoint(os.path.join(folder, "epoch{epoch:02d}.weights.h5"),
                                           monitor="val_loss", mode="min", save_best_only=True,
                                           save_weights_only=True, verbose=1)


def best_model_checkpoint(filepath):
    print("model checkpoint to", filepath)
    return keras.callbacks.ModelCheckpoint(filepath, monitor="val_accuracy", mode="max",
                                           save_best_only=True, verbose=1)


@keras.saving.register_keras_serializable(package="my_course", name="Affine")
class Affine(keras.layers.Layer):
    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale = scale

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="he_normal",
                                      name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return (keras.ops.dot(inputs, self.kernel) + self.bias) * self.scale

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "scale": self.scale})
        return config


def save_model(model, filepath):
    print("saving to", filepath)
    model.save(filepath)


def load_saved_model(filepath):
    model = keras.models.load_model(filepath, custom_objects={"Affine": Affine})
    print("loaded", model.name)
    return model


def transfer_weights(trained, fresh, filepath):
    trained.save_weights(filepath)
    fresh.load_weights(filepath)
    print("transferred", len(fresh.weights), "weights")
    return fresh


with tempfile.TemporaryDirectory() as _tmp:
    _m = keras.Sequential([keras.Input((3,)), Affine(2, scale=0.5)])
    save_model(_m, os.path.join(_tmp, "demo.keras"))
    print("experiment:", load_saved_model(os.path.join(_tmp, "demo.keras")).layers[0].scale)


if __name__ == "__main__":
    x = np.random.rand(8, 3).astype("float32")
    m = keras.Sequential([keras.Input((3,)), Affine(4, scale=2.0), keras.layers.Dense(1)])
    m.compile("adam", "mse")
    m.fit(x, x[:, :1], validation_data=(x, x[:, :1]), epochs=3,
          callbacks=[best_weights_checkpoint("ckpt")])
