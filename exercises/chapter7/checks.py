"""Public checks of chapter 7: Grad-CAM on small CNNs.

The probe builds each CNN itself and transplants deterministic weights (drawn from ctx.rng) into
it, so the student's run and the reference's run look at the very same network. Layer names are
chosen to mislead a search by name: the last Conv2D is never called "conv...", and a Dense layer
is.
"""

import numpy as np

from grader.checks import ChapterSpec, check
from grader.judges import Compare, close, exact

CHAPTER = ChapterSpec(
    title="Interpretability with Grad-CAM",
    module="gradcam",
    summary="Find the last convolutional layer, build the gradient model, compute Grad-CAM "
    "heatmaps with tf.GradientTape and blend them over the image.",
)

# (name, input shape, [(layer kind, argument)...], classes): "c" Conv2D filters, "p" max-pool 2,
# "g" global average pooling, "f" flatten, "d" Dense units. The last Conv2D is named "features".
# In D a pooling layer follows it, so the last layer with a 4-D output is not the last conv layer.
ARCHS = {
    "A": ((12, 12, 3), ["c4", "p", "c6", "g", "d8"], 3),
    "B": ((16, 16, 1), ["c4", "c6", "p", "c8", "f", "d6"], 5),
    "C": ((10, 14, 3), ["c5", "p", "c4", "f"], 4),
    "D": ((12, 12, 3), ["c4", "c6", "p", "f", "d5"], 3),
}
# With every weight positive, each pixel of the map is evidence for every class: the map has no
# zero, so dividing by its maximum and stretching it to [0, 1] (min-max) give different maps.
POSITIVE = {"P": ((10, 10, 3), ["c3", "c4", "g"], 3)}


def _heatmap_compare(rtol: float, atol: float) -> Compare:
    """Pixel by pixel within the tolerances; where the class has no positive evidence at all,
    the reference's division by a zero maximum leaves NaN (0/0) everywhere, and a map of zeros
    (a division guarded against zero) says the same thing."""
    pixels = close(rtol=rtol, atol=atol)

    def compare(expected, got):
        want, have = _as_array(expected), _as_array(got)
        if want is not None and have is not None and want.shape == have.shape and want.size \
                and np.isnan(want).all() and (np.isnan(have) | (have == 0)).all():
            return None
        return pixels(expected, got)

    return compare


def _as_array(value):
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


HEATMAP = _heatmap_compare(rtol=1e-4, atol=1e-4)


_NETWORKS = {}  # (architecture, sequential) -> the model built for it in this process


def _build(arch, rng, sequential=False, positive=False):
    """A small CNN with weights drawn from `rng` (made positive with `positive`); returns
    (model, name of its last Conv2D).

    Building a Keras model costs more than the cases run on it, so the network of an
    architecture is built once per process and shared by the checks that use it; every call
    gives all of its weights fresh values from `rng`, the same ones a new model would get."""
    key = (repr(arch), sequential)
    if key not in _NETWORKS:
        _NETWORKS[key] = _network(arch, sequential)
    model = _NETWORKS[key]
    for layer in model.layers:
        shapes = [tuple(w.shape) for w in layer.weights]
        if shapes:
            kernel = rng.normal(scale=0.6, size=shapes[0])
            kernel = np.abs(kernel) if positive else kernel
            bias = rng.uniform(0.0, 0.1, size=shapes[1])
            layer.set_weights([kernel.astype("float32"), bias.astype("float32")])
    return model, "features"


def _network(arch, sequential):
    """The Keras model of `arch`, its weights as Keras initialises them."""
    import keras

    shape, spec, classes = arch
    convs = [i for i, s in enumerate(spec) if s[0] == "c"]
    layers = []
    for i, s in enumerate(spec):
        if s[0] == "c":
            name = "features" if i == convs[-1] else f"block{i + 1}"
            layers.append(keras.layers.Conv2D(int(s[1:]), 3, padding="same", activation="relu", name=name))
        elif s == "p":
            layers.append(keras.layers.MaxPooling2D(2, name=f"pool{i + 1}"))
        elif s == "g":
            layers.append(keras.layers.GlobalAveragePooling2D(name="gap"))
        elif s == "f":
            layers.append(keras.layers.Flatten(name="flat"))
        else:
            layers.append(keras.layers.Dense(int(s[1:]), activation="relu", name=f"conv_head{i + 1}"))
    layers.append(keras.layers.Dense(classes, name="conv_logits"))  # names that say "conv" on purpose
    if sequential:
        model = keras.Sequential([keras.Input(shape)] + layers)
    else:
        inputs = keras.Input(shape)
        x = inputs
        for layer in layers:
            x = layer(x)
        model = keras.Model(inputs, x)
    return model


def _image(shape, rng):
    return rng.uniform(0.0, 1.0, size=(1,) + tuple(shape)).astype("float32")


def _describe(key, arch):
    shape, _, classes = arch
    return f"<CNN {key}: input {shape}, {classes} classes>"


@check(points=1, compare=exact())
def last_conv_layer(sub, ctx):
    "last_conv_layer_name finds the last Conv2D by its type, not by its name."
    for key, arch in ARCHS.items():
        model, _ = _build(arch, ctx.rng, sequential=(key == "B"))
        ctx.case(f"last_conv_layer_name({_describe(key, arch)})", sub.last_conv_layer_name, model)


@check(points=1, compare=close(rtol=1e-4, atol=1e-5))
def gradient_model(sub, ctx):
    "gradcam_model returns a model with two outputs: the conv layer's activations and the predictions."
    for key, arch in ARCHS.items():
        model, conv = _build(arch, ctx.rng)
        img = _image(arch[0], ctx.rng)
        label = f"gradcam_model({_describe(key, arch)}, {conv!r})"

        def observe(model=model, conv=conv, img=img):
            import warnings

            with warnings.catch_warnings():  # a model built on model.inputs (a list) fed one array is fine
                warnings.simplefilter("ignore")
                outs = sub.gradcam_model(model, conv)(img)
            outs = list(outs)
            return {"number of outputs": len(outs),
                    "shapes": [list(o.shape) for o in outs],
                    "activations": outs[0], "predictions": outs[-1]}

        ctx.case(label, observe)


def heatmap_cases(sub, ctx, archs, per_model=1, positive=()):
    """Heatmaps of random images, for the argmax class and for another given class; the models
    named in `positive` get positive weights only. Each student's call builds a model of its
    own (their gradcam_model), the cost of a case: one image per model already shows every
    mistake the checks know, each CNN adding its own (pooling after the conv layer, Flatten or
    global pooling, positive weights)."""
    for key, arch in archs.items():
        model, conv = _build(arch, ctx.rng, positive=key in positive)
        for n in range(per_model):
            img = _image(arch[0], ctx.rng)
            shown = img[0].copy()  # as drawn, whatever the call does to its argument
            ctx.case(f"make_gradcam_heatmap(<image {n + 1}>, {_describe(key, arch)}, {conv!r})",
                     sub.make_gradcam_heatmap, img, model, conv)
            ctx.show_over(shown)
            predicted = int(np.argmax(model(img)[0]))  # explain a class other than the predicted one
            cls = (predicted + 1 + int(ctx.rng.integers(0, arch[2] - 1))) % arch[2]
            ctx.case(f"make_gradcam_heatmap(<image {n + 1}>, {_describe(key, arch)}, {conv!r}, pred_index={cls})",
                     sub.make_gradcam_heatmap, img, model, conv, pred_index=cls)
            ctx.show_over(shown)


@check(points=3, compare=HEATMAP, picture=True)
def heatmap(sub, ctx):
    "make_gradcam_heatmap: per-pixel agreement with the reference heatmap."
    heatmap_cases(sub, ctx, {**ARCHS, **POSITIVE}, positive=POSITIVE)


@check(points=1, compare=close(rtol=0, atol=1e-4))
def heatmap_shape_and_range(sub, ctx):
    "The heatmap is a 2-D map of the conv layer's size, divided by its maximum: values in [0, 1], maximum 1."
    for key, arch in {**ARCHS, **POSITIVE}.items():
        model, conv = _build(arch, ctx.rng, positive=key in POSITIVE)
        img = _image(arch[0], ctx.rng)

        def observe(img=img, model=model, conv=conv):
            # a class without positive evidence leaves 0/0 (NaN) or, guarded, zeros: the same
            h = np.nan_to_num(np.asarray(sub.make_gradcam_heatmap(img, model, conv), dtype="float64"))
            return {"shape": list(h.shape), "smallest": float(h.min()), "largest": float(h.max())}

        ctx.case(f"make_gradcam_heatmap(<image>, {_describe(key, arch)}, {conv!r})", observe)


@check(points=1, compare=close(rtol=1e-4, atol=1e-4))
def overlay_blend(sub, ctx):
    "overlay resizes the heatmap to the image (bilinear) and blends it with weight alpha."
    for (H, W, h, w), alpha in [((8, 8, 4, 4), 0.4), ((12, 10, 3, 5), 0.5), ((9, 15, 9, 15), 0.25)]:
        img = ctx.rng.uniform(0, 1, size=(H, W, 3)).astype("float32")
        heat = ctx.rng.uniform(0, 1, size=(h, w)).astype("float32")
        ctx.case(f"overlay(<image ({H}, {W}, 3)>, <heatmap ({h}, {w})>, alpha={alpha})",
                 sub.overlay, img, heat, alpha)
