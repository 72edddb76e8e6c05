"""Keras' own answers for chapter 1: the reference every chapter 1 check is judged against.

Each function has the signature of the exercise's, and answers by building real layers and
models and asking them, so a check agrees with Keras, not with another formula.
"""

import keras
import numpy as np


def _count(input_shape, *layers):
    """A real Sequential model on `input_shape` (no batch axis)."""
    return keras.Sequential([keras.Input(shape=input_shape), *layers])


def dense_params(input_size, units, use_bias=True):
    return _count((input_size,), keras.layers.Dense(units, use_bias=use_bias)).count_params()


def mlp_params(sizes):
    return _count((sizes[0],), *[keras.layers.Dense(n) for n in sizes[1:]]).count_params()


def conv2d_params(in_channels, kernel_size, filters, use_bias=True):
    layer = keras.layers.Conv2D(filters, kernel_size, use_bias=use_bias)
    return _count((None, None, in_channels), layer).count_params()


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    layer = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding)
    return layer.compute_output_shape((None, *input_shape))[1:]


def pool_output_shape(input_shape, pool_size, strides=None, padding="valid"):
    layer = keras.layers.MaxPooling2D(pool_size, strides=strides, padding=padding)
    return layer.compute_output_shape((None, *input_shape))[1:]


def model_params(input_shape, layers):
    built = [getattr(keras.layers, s["type"])(**{k: v for k, v in s.items() if k != "type"})
             for s in layers]
    model = _count(tuple(input_shape), *built)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return {"total": model.count_params(), "trainable": trainable, "non_trainable": non_trainable}


def step(z):
    return keras.ops.cast(keras.ops.greater_equal(z, 0.0), "float32")


def relu(z):
    return keras.activations.relu(z)


def tanh_via_sigmoid(z):
    return keras.activations.tanh(z)


def softmax(z):
    z = keras.ops.convert_to_tensor(z)
    if len(z.shape) == 0:  # Keras' softmax wants an axis to normalise over
        return keras.ops.squeeze(keras.activations.softmax(keras.ops.reshape(z, (1,))))
    return keras.activations.softmax(z, axis=-1)


def collapse_linear(w1, b1, w2, b2):
    """Ask the two-layer model itself: its output at 0 is the bias, at the unit vectors the
    kernel's rows plus the bias."""
    model = keras.Sequential([keras.Input(shape=(w1.shape[0],)),
                              keras.layers.Dense(w1.shape[1]), keras.layers.Dense(w2.shape[1])])
    model.layers[0].set_weights([w1, b1])
    model.layers[1].set_weights([w2, b2])
    probe = np.vstack([np.zeros((1, w1.shape[0])), np.eye(w1.shape[0])]).astype("float32")
    out = model.predict(probe, verbose=0)
    return out[1:] - out[0], out[0]
