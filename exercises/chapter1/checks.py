"""Public checks of chapter 1: parameter counts, output shapes, activations, linear collapse.

Reference behaviour is Keras itself (`solutions/chapter1/oracle.py` builds real layers and
models), so every expected number below is what `count_params()`, `compute_output_shape()` and
`keras.activations` say, not a formula copied from the solution.
"""

from grader.checks import ChapterSpec, check
from grader.judges import close, exact

CHAPTER = ChapterSpec(
    title="Fundamentals: parameters, shapes and activations",
    module="fundamentals",
    summary="Count parameters of Dense and Conv2D layers and whole models, predict output "
    "shapes, write activation functions, and see why stacked linear layers collapse.",
)

# The stub's rule: count by hand, without asking Keras (and tanh_via_sigmoid without any tanh).
NO_KERAS_COUNTING = {
    "keras.Model.count_params": "counts with Keras; this exercise asks you to count by hand",
    "keras.Model.summary": "counts with Keras; this exercise asks you to count by hand",
    "keras.layers.Layer.compute_output_shape":
        "asks Keras for the shape; this exercise asks you to work it out by hand",
}
NO_TANH = {api: "is a ready-made tanh; this exercise asks you to build it from the sigmoid"
           for api in ("numpy.tanh", "math.tanh", "cmath.tanh", "tensorflow.math.tanh", "keras.activations.tanh",
                       "keras.ops.tanh", "torch.tanh", "jax.numpy.tanh")}


def _shape(rng, rank=1, low=1, high=6):
    return tuple(int(n) for n in rng.integers(low, high, size=rank))


@check(points=1, compare=exact(), forbid=NO_KERAS_COUNTING, reference="oracle")
def dense_params(sub, ctx):
    "Parameters of one Dense layer: input_size * units weights plus units biases."
    cases = [(3, 32, True), (32, 10, True), (64, 1, True), (7, 5, False)]
    cases += [(int(ctx.rng.integers(1, 300)), int(ctx.rng.integers(1, 300)), True) for _ in range(2)]
    for n_in, units, bias in cases:
        ctx.case(f"dense_params({n_in}, {units}, use_bias={bias})", sub.dense_params, n_in, units, use_bias=bias)


@check(points=1, compare=exact(), forbid=NO_KERAS_COUNTING, reference="oracle")
def mlp_params(sub, ctx):
    "Parameters of a stack of Dense layers given the layer sizes, input first."
    cases = [[3, 5, 2], [50, 100, 1, 100, 50], [784, 64, 10]]
    cases += [[int(n) for n in ctx.rng.integers(1, 200, size=ctx.rng.integers(2, 6))] for _ in range(2)]
    for sizes in cases:
        ctx.case(f"mlp_params({sizes})", sub.mlp_params, list(sizes))


@check(points=1, compare=exact(), forbid=NO_KERAS_COUNTING, reference="oracle")
def conv2d_params(sub, ctx):
    "Parameters of a Conv2D layer: in_channels * kh * kw * filters weights plus filters biases."
    cases = [(1, 2, 3, True), (3, 2, 1, True), (3, 3, 16, True), (8, (3, 5), 4, True), (16, 3, 32, False)]
    for _ in range(2):
        k = (int(ctx.rng.integers(1, 6)), int(ctx.rng.integers(1, 6)))
        cases.append((int(ctx.rng.integers(1, 64)), k, int(ctx.rng.integers(1, 64)), True))
    for channels, kernel, filters, bias in cases:
        label = f"conv2d_params({channels}, kernel_size={kernel}, filters={filters}, use_bias={bias})"
        ctx.case(label, sub.conv2d_params, channels, kernel, filters, use_bias=bias)


@check(points=2, compare=exact(), forbid=NO_KERAS_COUNTING, reference="oracle")
def conv_output_shape(sub, ctx):
    "Output shape (height, width, filters) of a Conv2D layer, for valid and same padding and strides."
    cases = [((32, 32, 3), 16, 3, 1, "valid"), ((28, 28, 1), 8, 5, 1, "same"),
             ((28, 28, 1), 8, 3, 2, "valid"), ((9, 9, 3), 4, 3, 2, "same"), ((10, 7, 2), 6, (3, 2), (2, 1), "valid")]
    for _ in range(3):
        h, w = (int(n) for n in ctx.rng.integers(8, 40, size=2))
        k, s = int(ctx.rng.integers(1, 6)), int(ctx.rng.integers(1, 4))
        cases.append(((h, w, int(ctx.rng.integers(1, 5))), int(ctx.rng.integers(1, 33)), k, s,
                      str(ctx.rng.choice(["valid", "same"]))))
    for shape, filters, kernel, strides, padding in cases:
        label = (f"conv_output_shape({shape}, filters={filters}, kernel_size={kernel}, "
                 f"strides={strides}, padding={padding!r})")
        ctx.case(label, sub.conv_output_shape, shape, filters, kernel, strides=strides, padding=padding)


@check(points=1, compare=exact(), forbid=NO_KERAS_COUNTING, reference="oracle")
def pool_output_shape(sub, ctx):
    "Output shape of MaxPooling2D: strides default to the pool size."
    cases = [((30, 30, 16), 3, None, "valid"), ((28, 28, 8), 2, None, "valid"), ((7, 7, 4), 2, None, "same"),
             ((15, 15, 3), 3, 2, "valid"), ((15, 12, 3), (2, 3), None, "valid")]
    for _ in range(2):
        shape = (int(ctx.rng.integers(6, 40)), int(ctx.rng.integers(6, 40)), int(ctx.rng.integers(1, 9)))
        cases.append((shape, int(ctx.rng.integers(2, 5)), None, str(ctx.rng.choice(["valid", "same"]))))
    for shape, pool, strides, padding in cases:
        label = f"pool_output_shape({shape}, pool_size={pool}, strides={strides}, padding={padding!r})"
        ctx.case(label, sub.pool_output_shape, shape, pool, strides=strides, padding=padding)


NOTES_MODEL = [
    {"type": "Conv2D", "filters": 16, "kernel_size": 3},
    {"type": "MaxPooling2D", "pool_size": 3},
    {"type": "Flatten"},
    {"type": "Dense", "units": 64},
    {"type": "Dense", "units": 10},
]
NORMALISED_MLP = [
    {"type": "Dense", "units": 32, "use_bias": False},
    {"type": "BatchNormalization"},
    {"type": "Dense", "units": 16},
    {"type": "BatchNormalization"},
    {"type": "Dense", "units": 3},
]
SMALL_CNN = [
    {"type": "Conv2D", "filters": 8, "kernel_size": 3, "padding": "same", "use_bias": False},
    {"type": "BatchNormalization"},
    {"type": "MaxPooling2D", "pool_size": 2},
    {"type": "Conv2D", "filters": 16, "kernel_size": 3, "strides": 2},
    {"type": "Flatten"},
    {"type": "Dense", "units": 10},
]
OVERLAPPING_POOL = [
    {"type": "Conv2D", "filters": 4, "kernel_size": 3, "padding": "same"},
    {"type": "MaxPooling2D", "pool_size": 3, "strides": 2, "padding": "same"},
    {"type": "Flatten"},
    {"type": "Dense", "units": 5},
]


@check(points=2, compare=exact(), forbid=NO_KERAS_COUNTING, reference="oracle")
def model_params(sub, ctx):
    "Total, trainable and non-trainable parameters of a Sequential model given as layer specs."
    for shape, layers, name in [((32, 32, 3), NOTES_MODEL, "the notes' CNN"),
                                ((20,), NORMALISED_MLP, "an MLP with BatchNormalization"),
                                ((16, 16, 3), SMALL_CNN, "a CNN with BatchNormalization"),
                                ((20, 20, 3), OVERLAPPING_POOL, "a CNN whose pooling has its own strides and padding")]:
        ctx.case(f"model_params({shape}, <{name}>)", sub.model_params, shape, [dict(l) for l in layers])


def _activation_inputs(ctx, scalar=True):
    if scalar:  # elementwise functions take a lone number too; softmax needs an axis
        yield "z=0.0", 0.0
    yield "z=[-2, -0.5, 0, 0.5, 2]", [-2.0, -0.5, 0.0, 0.5, 2.0]
    for _ in range(2):
        shape = _shape(ctx.rng, rank=2, low=2, high=7)
        yield f"z of shape {shape}", (ctx.rng.normal(size=shape) * 3).astype("float32")


def _activation_check(name, scalar=True):
    def probe(sub, ctx):
        import numpy as np

        for label, z in _activation_inputs(ctx, scalar):
            ctx.case(f"{name}({label})", getattr(sub, name), np.asarray(z, dtype="float32"))

    return probe


@check(points=1, compare=close(), reference="oracle")
def step(sub, ctx):
    "The threshold logic unit's step function: 1 where z >= 0, else 0."
    _activation_check("step")(sub, ctx)


@check(points=1, compare=close(), reference="oracle")
def relu(sub, ctx):
    "ReLU, max(z, 0), elementwise."
    _activation_check("relu")(sub, ctx)


@check(points=1, compare=close(rtol=1e-5, atol=1e-6), forbid=NO_TANH, reference="oracle")
def tanh_via_sigmoid(sub, ctx):
    "tanh written with the sigmoid only: 2 * sigmoid(2z) - 1 (no tanh function allowed)."
    _activation_check("tanh_via_sigmoid")(sub, ctx)


@check(points=1, compare=close(rtol=1e-5, atol=1e-6), reference="oracle")
def softmax(sub, ctx):
    "Softmax over the last axis: positive values that sum to 1."
    _activation_check("softmax", scalar=False)(sub, ctx)


@check(points=2, compare=close(rtol=1e-4, atol=1e-5), reference="oracle",
       gpu_compare=close(rtol=5e-3, atol=5e-3))  # the oracle's matmuls run in TF32 on a GPU
def collapse_linear(sub, ctx):
    "Two Dense layers without activation are one: return its kernel and bias."
    for _ in range(3):
        n_in, hidden, n_out = (int(n) for n in ctx.rng.integers(1, 7, size=3))
        w1 = ctx.rng.normal(size=(n_in, hidden)).astype("float32")
        b1 = ctx.rng.normal(size=hidden).astype("float32")
        w2 = ctx.rng.normal(size=(hidden, n_out)).astype("float32")
        b2 = ctx.rng.normal(size=n_out).astype("float32")
        label = f"collapse_linear(w1 {w1.shape}, b1 {b1.shape}, w2 {w2.shape}, b2 {b2.shape})"
        ctx.case(label, sub.collapse_linear, w1, b1, w2, b2)
