"""Chapter 5 with the checkpoint built from keyword arguments in a dict, a layer whose weights are
made with keyword-only add_weight and an explicit dtype, keras.models.save_model, and
transfer_weights going through keras' own functions."""

import keras

_WEIGHTS = dict(monitor="val_loss", mode="min", save_best_only=True, save_weights_only=True)
_MODEL = dict(monitor="val_accuracy", mode="max", save_best_only=True, save_weights_only=False)


def best_weights_checkpoint(folder):
    return keras.callbacks.ModelCheckpoint(str(folder) + "/epoch{epoch:02d}.weights.h5", **_WEIGHTS)


def best_model_checkpoint(filepath):
    return keras.callbacks.ModelCheckpoint(filepath, **_MODEL)


@keras.saving.register_keras_serializable(package="chapter5")
class Affine(keras.layers.Layer):
    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale = scale

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(int(input_shape[-1]), self.units),
                                      initializer="glorot_uniform", dtype="float32")
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros",
                                    dtype="float32")
        self.built = True

    def call(self, inputs):
        z = keras.ops.matmul(inputs, self.kernel)
        z = z + self.bias
        return z * self.scale

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, scale=self.scale)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def save_model(model, filepath):
    keras.models.save_model(model, filepath)


def load_saved_model(filepath):
    return keras.models.load_model(filepath, custom_objects={"Affine": Affine}, compile=True)


def transfer_weights(trained, fresh, filepath):
    keras.Model.save_weights(trained, filepath)
    keras.Model.load_weights(fresh, filepath)
    return fresh
