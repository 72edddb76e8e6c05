"""Chapter 5 loading inside keras.saving.custom_object_scope, the layer distributing the scale
over kernel and bias, and a ModelCheckpoint subclass that says when it saves."""

import keras


class LoudCheckpoint(keras.callbacks.ModelCheckpoint):
    def on_epoch_end(self, epoch, logs=None):
        print(f"epoch {epoch + 1}: {logs}")
        super().on_epoch_end(epoch, logs)


def best_weights_checkpoint(folder):
    return LoudCheckpoint(folder + "/epoch{epoch:02d}.weights.h5", monitor="val_loss", mode="min",
                          save_best_only=True, save_weights_only=True)


def best_model_checkpoint(filepath):
    return LoudCheckpoint(filepath, monitor="val_accuracy", mode="max", save_best_only=True)


class Affine(keras.layers.Layer):
    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.scale = units, scale

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=[input_shape[-1], self.units], name="kernel")
        self.bias = self.add_weight(shape=[self.units], initializer="zeros", name="bias")

    def call(self, inputs):
        return inputs @ (self.scale * self.kernel) + self.scale * self.bias

    def get_config(self):
        base = super().get_config()
        base.update(units=self.units, scale=self.scale)
        return base


def save_model(model, filepath):
    model.save(filepath)


def load_saved_model(filepath):
    with keras.saving.custom_object_scope({"Affine": Affine}):
        return keras.models.load_model(filepath)


def transfer_weights(trained, fresh, filepath):
    trained.save_weights(filepath)
    fresh.load_weights(filepath)
    return fresh
