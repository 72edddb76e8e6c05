"""Chapter 1, object style: tiny layer-spec classes of my own that mirror Keras' vocabulary
(count_params / compute_output_shape), all arithmetic by hand - no Keras anywhere."""
import math
import numpy as np


def _pair(v):
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _length(n, k, s, padding):
    return math.ceil(n / s) if padding == "same" else (n - k) // s + 1


def dense_params(input_size, units, use_bias=True):
    return input_size * units + (units if use_bias else 0)


def mlp_params(sizes):
    return sum(dense_params(a, b) for a, b in zip(sizes, sizes[1:]))


def conv2d_params(in_channels, kernel_size, filters, use_bias=True):
    kh, kw = _pair(kernel_size)
    return kh * kw * in_channels * filters + (filters if use_bias else 0)


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    (kh, kw), (sh, sw) = _pair(kernel_size), _pair(strides)
    return (_length(input_shape[0], kh, sh, padding), _length(input_shape[1], kw, sw, padding), filters)


def pool_output_shape(input_shape, pool_size, strides=None, padding="valid"):
    (ph, pw) = _pair(pool_size)
    (sh, sw) = _pair(pool_size if strides is None else strides)
    return (_length(input_shape[0], ph, sh, padding), _length(input_shape[1], pw, sw, padding), input_shape[2])


class Spec:
    """My own mini layer description: how many weights, and what shape comes out."""

    non_trainable = 0

    def __init__(self, **config):
        self.config = config

    def count_params(self, shape):
        return 0

    def compute_output_shape(self, shape):
        return tuple(shape)


class ConvSpec(Spec):
    def count_params(self, shape):
        c = self.config
        return conv2d_params(shape[-1], c["kernel_size"], c["filters"], c.get("use_bias", True))

    def compute_output_shape(self, shape):
        c = self.config
        return conv_output_shape(shape, c["filters"], c["kernel_size"], c.get("strides", 1),
                                 c.get("padding", "valid"))


class PoolSpec(Spec):
    def compute_output_shape(self, shape):
        c = self.config
        return pool_output_shape(shape, c["pool_size"], c.get("strides"), c.get("padding", "valid"))


class FlattenSpec(Spec):
    def compute_output_shape(self, shape):
        return (math.prod(shape),)


class DenseSpec(Spec):
    def count_params(self, shape):
        return dense_params(shape[-1], self.config["units"], self.config.get("use_bias", True))

    def compute_output_shape(self, shape):
        return tuple(shape[:-1]) + (self.config["units"],)


class BatchNormSpec(Spec):
    def count_params(self, shape):
        return 4 * shape[-1]

    def frozen_params(self, shape):
        return 2 * shape[-1]


KINDS = {"Conv2D": ConvSpec, "MaxPooling2D": PoolSpec, "Flatten": FlattenSpec,
         "Dense": DenseSpec, "BatchNormalization": BatchNormSpec}


class Walker(Spec):
    """Walks a shape through my own specs. Inherits count_params from Spec (0 for itself)."""

    def __init__(self, input_shape, **config):
        super().__init__(**config)
        self.shape = tuple(input_shape)

    def walk(self, specs):
        total = self.count_params(self.shape)  # the walker itself holds no weights
        frozen = 0
        for spec in specs:
            obj = KINDS[spec["type"]](**{k: v for k, v in spec.items() if k != "type"})
            total += obj.count_params(self.shape)
            if spec["type"] == "BatchNormalization":
                frozen += obj.frozen_params(self.shape)
            self.shape = obj.compute_output_shape(self.shape)
        return total, frozen


def model_params(input_shape, layers):
    total, frozen = Walker(input_shape).walk(layers)
    return {"total": total, "trainable": total - frozen, "non_trainable": frozen}


def step(z):
    return np.where(np.asarray(z) >= 0, 1.0, 0.0)


def relu(z):
    return np.maximum(np.asarray(z), 0.0)


def tanh_via_sigmoid(z):
    sigmoid = lambda x: 1.0 / (1.0 + np.exp(-x))
    tanh = 2.0 * sigmoid(2.0 * np.asarray(z, dtype=float)) - 1.0
    return tanh


def softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def collapse_linear(w1, b1, w2, b2):
    return np.asarray(w1) @ np.asarray(w2), np.asarray(b1) @ np.asarray(w2) + np.asarray(b2)
