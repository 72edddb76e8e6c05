"""Chapter 5 - Saving and loading: reference solution."""

import os

import keras


def best_weights_checkpoint(folder):
    """ModelCheckpoint: weights only, into folder/epochNN.weights.h5, when val_loss improves."""
    return keras.callbacks.ModelCheckpoint(
        os.path.join(folder, "epoch{epoch:02d}.weights.h5"),
        monitor="val_loss",
        mode="min",
        save_best_only=True,
        save_weights_only=True,
    )


def best_model_checkpoint(filepath):
    """ModelCheckpoint: the whole model, to one .keras file, when val_accuracy improves."""
    return keras.callbacks.ModelCheckpoint(
        filepath,
        monitor="val_accuracy",
        mode="max",
        save_best_only=True,
        save_weights_only=False,
    )


@keras.saving.register_keras_serializable(package="persistence")
class Affine(keras.layers.Layer):
    """A Dense layer without activation whose output is multiplied by a fixed `scale`."""

    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale = scale

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return self.scale * (inputs @ self.kernel + self.bias)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "scale": self.scale})
        return config


def save_model(model, filepath):
    """Save the whole model (architecture, weights, optimizer) in the .keras format."""
    model.save(filepath)


def load_saved_model(filepath):
    """Load a whole model saved by save_model, custom Affine layers included."""
    return keras.models.load_model(filepath, custom_objects={"Affine": Affine})


def transfer_weights(trained, fresh, filepath):
    """Save the weights of `trained` to `filepath` (.weights.h5), load them into `fresh`."""
    trained.save_weights(filepath)
    fresh.load_weights(filepath)
    return fresh
