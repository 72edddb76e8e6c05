"""Hidden checks of chapter 1: fresh random specifications the student has never seen."""

from checks import NO_KERAS_COUNTING as FORBID
from grader.checks import check
from grader.judges import close, exact


def _random_cnn(rng):
    """A random valid CNN spec: convs and pools while the image is large enough, then dense."""
    h = int(rng.integers(12, 40))
    shape = (h, h, int(rng.integers(1, 5)))
    layers, size = [], h
    for _ in range(int(rng.integers(1, 4))):
        kernel, stride = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        padding = str(rng.choice(["valid", "same"]))
        layers.append({"type": "Conv2D", "filters": int(rng.integers(1, 17)), "kernel_size": kernel,
                       "strides": stride, "padding": padding, "use_bias": bool(rng.random() < 0.8)})
        size = -(-size // stride) if padding == "same" else (size - kernel) // stride + 1
        if rng.random() < 0.4:
            layers.append({"type": "BatchNormalization"})
        if size >= 4 and rng.random() < 0.5:
            layers.append({"type": "MaxPooling2D", "pool_size": 2})
            size //= 2
        if size < 4:
            break
    layers.append({"type": "Flatten"})
    for _ in range(int(rng.integers(1, 3))):
        layers.append({"type": "Dense", "units": int(rng.integers(1, 65))})
    return shape, layers


@check(points=2, compare=exact(), forbid=FORBID, reference="oracle")
def model_params_random(sub, ctx):
    "Parameter counts of random CNNs and MLPs."
    for i in range(4):
        shape, layers = _random_cnn(ctx.rng)
        ctx.case(f"model_params({shape}, <random model {i + 1}: {len(layers)} layers>)",
                 sub.model_params, shape, layers)


@check(points=2, compare=exact(), forbid=FORBID, reference="oracle")
def shapes_random(sub, ctx):
    "Conv2D and pooling output shapes with random kernels, strides and padding."
    for _ in range(6):
        shape = (int(ctx.rng.integers(5, 60)), int(ctx.rng.integers(5, 60)), int(ctx.rng.integers(1, 8)))
        kernel = (int(ctx.rng.integers(1, 6)), int(ctx.rng.integers(1, 6)))
        strides = (int(ctx.rng.integers(1, 4)), int(ctx.rng.integers(1, 4)))
        padding = str(ctx.rng.choice(["valid", "same"]))
        ctx.case(f"conv_output_shape({shape}, 7, {kernel}, strides={strides}, padding={padding!r})",
                 sub.conv_output_shape, shape, 7, kernel, strides=strides, padding=padding)
        ctx.case(f"pool_output_shape({shape}, {kernel}, strides={strides}, padding={padding!r})",
                 sub.pool_output_shape, shape, kernel, strides=strides, padding=padding)


@check(points=2, compare=close(rtol=1e-5, atol=1e-6), reference="oracle")
def softmax_large_logits(sub, ctx):
    "Softmax stays finite for large logits (subtract the maximum first)."
    import numpy as np

    for scale in (100.0, 1000.0):
        z = (ctx.rng.normal(size=(3, 5)) * scale).astype("float32")
        ctx.case(f"softmax(z of shape (3, 5) with logits around {scale:g})", sub.softmax, z)
    ctx.case("softmax([1000, 1001, 1002])", sub.softmax, np.array([1000.0, 1001.0, 1002.0], "float32"))
