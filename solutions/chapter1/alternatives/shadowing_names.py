"""Chapter 1 with local variables named like Keras methods (summary, count_params, tanh): they
are the student's own names, not Keras' (this one needs the source rules to tell them apart)."""
import numpy as np


def dense_params(input_size, units, use_bias=True):
    count_params = input_size * units + (units if use_bias else 0)
    return count_params


def mlp_params(sizes):
    summary = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        summary.append(dense_params(fan_in, fan_out))
    return sum(summary)


def conv2d_params(in_channels, kernel_size, filters, use_bias=True):
    kh, kw = (kernel_size, kernel_size) if np.isscalar(kernel_size) else kernel_size
    return kh * kw * in_channels * filters + filters * use_bias


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    kernel = np.resize(kernel_size, 2)
    stride = np.resize(strides, 2)
    size = np.array(input_shape[:2])
    if padding == "same":
        out = np.ceil(size / stride).astype(int)
    else:
        out = np.floor((size - kernel) / stride).astype(int) + 1
    return (*out.tolist(), filters)


def pool_output_shape(input_shape, pool_size, strides=None, padding="valid"):
    out = conv_output_shape(input_shape, input_shape[2], pool_size, pool_size if strides is None else strides, padding)
    return out


def model_params(input_shape, layers):
    summary = {"total": 0, "trainable": 0, "non_trainable": 0}
    shape = input_shape
    for spec in layers:
        if spec["type"] == "Dense":
            count_params = dense_params(shape[-1], spec["units"], spec.get("use_bias", True))
            summary["trainable"] += count_params
            shape = (spec["units"],)
        elif spec["type"] == "Conv2D":
            summary["trainable"] += conv2d_params(shape[-1], spec["kernel_size"], spec["filters"], spec.get("use_bias", True))
            shape = conv_output_shape(shape, spec["filters"], spec["kernel_size"], spec.get("strides", 1),
                                      spec.get("padding", "valid"))
        elif spec["type"] == "MaxPooling2D":
            shape = pool_output_shape(shape, spec["pool_size"], spec.get("strides"), spec.get("padding", "valid"))
        elif spec["type"] == "Flatten":
            shape = (int(np.prod(shape)),)
        elif spec["type"] == "BatchNormalization":
            summary["trainable"] += 2 * shape[-1]
            summary["non_trainable"] += 2 * shape[-1]
    summary["total"] = summary["trainable"] + summary["non_trainable"]
    return summary


def step(z):
    return np.heaviside(z, 1.0)


def relu(z):
    return np.clip(z, 0, None)


def tanh_via_sigmoid(z):
    tanh = 2 / (1 + np.exp(-2 * z)) - 1
    return tanh


def softmax(z):
    exps = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return exps / exps.sum(axis=-1, keepdims=True)


def collapse_linear(w1, b1, w2, b2):
    return np.dot(w1, w2), np.dot(b1, w2) + b2
