"""Returns, raises and prints huge values: a megabyte string, a dict with a huge key, 100,000
items, an exception with a megabyte message, a class with a huge name, code compiled under a huge
file name, and printed output of control characters and emoji (which JSON escapes 6 to 12 times
over). Each may be judged, never copied whole into the result."""
import os

import numpy as np

MEGABYTE = 1 << 20
PRINTED = 1 << 18  # per call: the run prints megabytes, within its file-size limit


def dense_params(input_size, units, use_bias=True):
    print("v" * PRINTED)
    return "x" * MEGABYTE


def mlp_params(sizes):
    return {"k" * MEGABYTE: 1}


def conv2d_params(in_channels, kernel_size, filters, use_bias=True):
    print("\U0001F600" * PRINTED)
    return list(range(100_000))


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid"):
    raise ValueError("m" * MEGABYTE + repr(input_shape))


def pool_output_shape(input_shape, pool_size, strides=None, padding="valid"):
    raise type("E" * MEGABYTE + str(pool_size), (Exception,), {})("a huge class name")


def model_params(input_shape, layers):
    return {"total": ["t" * 1000] * 100, "trainable": None, "non_trainable": "n" * MEGABYTE}


def step(z):
    code = compile(f"raise ValueError({z.shape!r})", os.path.join(os.getcwd(), "f" * MEGABYTE), "exec")
    exec(code)


def relu(z):
    print("\x00" * PRINTED)
    raise ValueError("\x00" * 3000 + repr(z.shape))


def tanh_via_sigmoid(z):
    raise ValueError("&<" * MEGABYTE + repr(z.shape))


def softmax(z):
    return np.zeros((300, 300))


def collapse_linear(w1, b1, w2, b2):
    print("\x1b[2K\r\U0001F600\x00" * PRINTED)
    raise ValueError("\U0001F600" * MEGABYTE + repr(w1.shape))
