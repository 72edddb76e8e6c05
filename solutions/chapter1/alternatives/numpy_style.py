"""Chapter 1 with NumPy everywhere, tuples for shapes and numpy integers for counts."""
import numpy as np

np.set_printoptions(precision=3)
print("loading my fundamentals")


def dense_params(input_size, units, use_bias=True):
    weights = np.int64(input_size) * np.int64(units)
    biases = np.int64(units) * int(bool(use_bias))
    return weights + biases


def mlp_params(sizes):
    sizes = np.asarray(sizes)
    return int(np.sum(sizes[:-1] * sizes[1:] + sizes[1:]))


def conv2d_params(in_channels, kernel_size, filters, use_bias=True):
    kernel = np.broadcast_to(np.asarray(kernel_size), (2,))
    return int(np.prod(kernel)) * in_channels * filters + int(use_bias) * filters


def _out(size, window, stride, padding):
    size, window, stride = np.asarray(size), np.asarray(window), np.asarray(stride)
    if padding == "same":
        return -(-size // stride)
    return (size - window) // stride + 1


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    hw = _out(np.asarray(input_shape[:2]), np.broadcast_to(kernel_size, (2,)), np.broadcast_to(strides, (2,)), padding)
    return (int(hw[0]), int(hw[1]), int(filters))


def pool_output_shape(input_shape, pool_size, strides=None, padding="valid"):
    strides = pool_size if strides is None else strides
    hw = _out(np.asarray(input_shape[:2]), np.broadcast_to(pool_size, (2,)), np.broadcast_to(strides, (2,)), padding)
    return tuple(int(v) for v in hw) + (int(input_shape[2]),)


def model_params(input_shape, layers):
    shape = tuple(input_shape)
    totals = np.zeros(2, dtype=np.int64)  # trainable, non-trainable
    for spec in layers:
        t = spec["type"]
        if t == "Conv2D":
            totals[0] += conv2d_params(shape[-1], spec["kernel_size"], spec["filters"], spec.get("use_bias", True))
            shape = conv_output_shape(shape, spec["filters"], spec["kernel_size"],
                                      strides=spec.get("strides", 1), padding=spec.get("padding", "valid"))
        elif t == "MaxPooling2D":
            shape = pool_output_shape(shape, spec["pool_size"], spec.get("strides"), spec.get("padding", "valid"))
        elif t == "Flatten":
            shape = (int(np.prod(shape)),)
        elif t == "Dense":
            totals[0] += dense_params(shape[-1], spec["units"], spec.get("use_bias", True))
            shape = shape[:-1] + (spec["units"],)
        elif t == "BatchNormalization":
            totals += [2 * shape[-1], 2 * shape[-1]]
    return {"total": totals.sum(), "trainable": totals[0], "non_trainable": totals[1]}


def step(z):
    return (np.asarray(z) >= 0).astype(np.float32)


def relu(z):
    return np.maximum(z, 0.0)


def tanh_via_sigmoid(z):
    def sigmoid(x):
        return 1.0 / (1.0 + np.exp(-x))

    return 2.0 * sigmoid(2.0 * np.asarray(z)) - 1.0


def softmax(z):
    z = np.asarray(z)
    exps = np.exp(z - z.max(axis=-1, keepdims=True))
    return exps / exps.sum(axis=-1, keepdims=True)


def collapse_linear(w1, b1, w2, b2):
    return w1 @ w2, b1 @ w2 + b2


# a top-level experiment
print("ten inputs into a 4-unit layer:", dense_params(10, 4))
print(softmax(np.array([1.0, 2.0, 3.0])))
