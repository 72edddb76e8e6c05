"""Public checks of chapter 6: CNN layer shapes and parameters, feature-map models, and
training a small CNN on generated images.

Models are judged by what they do: the probe builds the student's model, reads every layer's
real output shape and parameter count, copies the same deterministic weights into it as into the
reference model (a weight's values depend only on its shape) and compares predictions on the
same images. Training is judged by whether a fixed-seed fit reaches the stated accuracy, never
by the raw accuracy.
"""

from grader.checks import ChapterSpec, check
from grader.judges import close

CHAPTER = ChapterSpec(
    title="CNNs for vision",
    module="cnn",
    summary="Build CNNs that match a table of output shapes and parameter counts, expose "
    "intermediate feature maps with a new keras.Model, and train a small CNN to tell "
    "horizontal bars from vertical bars.",
)

OUTPUTS = close(rtol=1e-4, atol=1e-5)
OUTPUTS_GPU = close(rtol=5e-3, atol=5e-3)  # TF32 convolutions on a GPU


def _transplant(model, base=6):
    """Give every weight values that depend only on `base` and the weight's shape."""
    import numpy as np

    for weight in model.weights:
        shape = tuple(int(d) for d in weight.shape)
        rng = np.random.default_rng([base, len(shape), *shape])
        fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 10
        weight.assign((rng.normal(size=shape) / np.sqrt(fan_in)).astype("float32"))


def _table(model):
    """Per-layer (class, output shape, parameters) like model.summary(), plus the total."""
    rows = []
    for layer in model.layers:
        shape = layer.output.shape
        rows.append(f"{type(layer).__name__} -> {tuple(shape)}, {layer.count_params()} params")
    return {"layers": rows, "total params": int(model.count_params())}


def _conv_names(model):
    import keras

    return [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def _judge_model(ctx, name, build, images, conv_names=False):
    """Record the summary table of a built model and its outputs after a weight transplant;
    with `conv_names`, also the names of its Conv2D layers (where the task names them)."""
    import numpy as np

    built = []
    ctx.case(f"{name}: builds", lambda: (built.append(build()), "ok")[1])
    if not built:
        return
    model = built[0]
    ctx.case(f"{name}: summary table", _table, model)
    if conv_names:
        ctx.case(f"{name}: names of the Conv2D layers", _conv_names, model)

    def outputs():
        _transplant(model)
        return np.asarray(model(images, training=False))

    ctx.case(f"{name}: outputs on {images.shape[0]} images after a weight transplant", outputs)


def _images(ctx, n, shape):
    return ctx.rng.uniform(0.0, 1.0, size=(n, *shape)).astype("float32")


@check(points=2, compare=OUTPUTS, gpu_compare=OUTPUTS_GPU)
def notes_cnn(sub, ctx):
    "The course notes' CNN: layer output shapes, parameters (103,562 in all) and outputs."
    _judge_model(ctx, "build_notes_cnn()", sub.build_notes_cnn, _images(ctx, 4, (32, 32, 3)))


@check(points=2, compare=OUTPUTS, gpu_compare=OUTPUTS_GPU)
def small_cnn(sub, ctx):
    "The two-conv CNN of the table: shapes, parameters and outputs for two input sizes."
    for shape, n_classes in [((28, 28, 1), 10), ((32, 32, 3), 4)]:
        _judge_model(ctx, f"build_small_cnn({shape}, {n_classes})",
                     lambda: sub.build_small_cnn(shape, n_classes), _images(ctx, 3, shape), conv_names=True)


def _probe_model(input_shape, functional=False):
    """A fixed CNN with three named conv layers and other layers between them, Sequential or
    (the task allows both) Functional."""
    import keras

    layers = [
        keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="block1_conv"),
        keras.layers.MaxPooling2D(2, name="block1_pool"),
        keras.layers.Conv2D(6, 3, activation="relu", name="block2_conv"),
        keras.layers.Conv2D(5, 2, strides=2, name="block3_conv"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(3, activation="softmax", name="head"),
    ]
    if not functional:
        return keras.Sequential([keras.Input(shape=input_shape), *layers])
    inputs = x = keras.Input(shape=input_shape)
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x)


def _feature_maps(sub, ctx, model, names, images, label):
    import warnings

    import keras
    import numpy as np

    def run():
        fm = sub.feature_map_model(model, names) if names is not None else sub.feature_map_model(model)
        with warnings.catch_warnings():  # model.inputs (a list) fed one array is fine
            warnings.simplefilter("ignore")
            out = fm(images, training=False)
        # Keras returns one tensor for a one-output model even when its outputs were given as a
        # list: the list the task asks for shows in the model's declared output
        out = out if isinstance(out, (list, tuple)) else [out]
        own = [layer for layer in fm.layers if not isinstance(layer, keras.layers.InputLayer)]
        return {"outputs declared as a list": isinstance(fm.output, (list, tuple)),
                "reuses the model's layers": all(any(layer is mine for mine in model.layers) for layer in own),
                "shapes": [tuple(np.asarray(o).shape) for o in out],
                "maps": [np.asarray(o) for o in out]}

    ctx.case(label, run)


@check(points=2, compare=OUTPUTS, gpu_compare=OUTPUTS_GPU)
def feature_maps(sub, ctx):
    "A keras.Model sharing the input that returns the chosen conv layers' feature maps."
    model = _probe_model((10, 10, 2))
    _transplant(model)
    images = _images(ctx, 2, (10, 10, 2))
    for names in (["block2_conv"], ["block3_conv", "block1_conv"], None):
        shown = "all conv layers" if names is None else names
        _feature_maps(sub, ctx, model, names, images,
                      f"feature_map_model(<3-conv CNN on (10, 10, 2)>, {shown}) on 2 images")


def make_bars(rng, n, size=12):
    """n images of one bright horizontal bar (label 0) or vertical bar (label 1), with noise."""
    import numpy as np

    x = rng.uniform(0.0, 0.3, size=(n, size, size, 1)).astype("float32")
    y = rng.integers(0, 2, size=n)
    where = rng.integers(1, size - 1, size=n)
    for i in range(n):
        if y[i] == 0:
            x[i, where[i], :, 0] += 0.7
        else:
            x[i, :, where[i], 0] += 0.7
    return x, y.astype("int64")


ONE_PER_IMAGE = "(4, 2) or (4, 1)"


def _build_for_fit(model, x, y):
    """Create the optimizer's and the compiled metrics' variables before fit, as Keras itself
    does under a distribution strategy; otherwise fit creates them while tracing its training
    step and must trace it twice (~0.1 s). The same variables either way, so the same training;
    where this fails, fit builds them as it always does."""
    try:
        model._symbolic_build(data_batch=(x, y, None))
    except Exception:
        pass


def train_bars(sub, ctx, n_train=256, n_val=128, epochs=5, target=0.9, size=12):
    """Fit the student's compiled model with a fixed seed; record reaching the target and shapes."""
    import keras
    import numpy as np

    x, y = make_bars(ctx.rng, n_train, size)
    xv, yv = make_bars(ctx.rng, n_val, size)
    built = []
    ctx.case(f"build_bars_classifier(({size}, {size}, 1)) builds",
             lambda: (built.append(sub.build_bars_classifier((size, size, 1))), "ok")[1])
    if not built:
        return
    model = built[0]

    def predict(images):
        """What model.predict gives, without the tf.function and tf.data pipeline it builds
        afresh for every model (~0.1 s each time): these few images fit in one batch."""
        return np.asarray(model(images, training=False))

    def output_shape():  # the task allows either output: judge which one, not the shape's text
        shape = tuple(predict(xv[:4]).shape)
        return ONE_PER_IMAGE if shape in ((4, 2), (4, 1)) else f"shape {shape}"

    ctx.case("model output for 4 images: 2 units or 1 unit per image", output_shape)

    def probabilities():  # a linear output can pass the accuracy bar on a lucky seed; the task says not
        p = predict(xv[:4])
        summed = p.shape[-1] == 1 or np.allclose(p.sum(axis=-1), 1.0, atol=1e-4)
        return "probabilities" if ((p >= 0) & (p <= 1)).all() and summed else "not probabilities"

    ctx.case("outputs for 4 images (softmax rows summing to 1, or one sigmoid unit in [0, 1])", probabilities)

    def fit():
        _build_for_fit(model, x[:32], y[:32])
        keras.utils.set_random_seed(ctx.seed)
        model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
        p = predict(xv)
        guess = (p[:, 0] > 0.5).astype(int) if p.shape[-1] == 1 else p.argmax(axis=-1)
        accuracy = float((guess == yv).mean())
        return f"reached >= {target}" if accuracy >= target else f"stayed below {target}"

    ctx.case(f"validation accuracy after fit(epochs={epochs}, batch_size=32) on {n_train} images",
             fit)


@check(points=3, compare=OUTPUTS, partial=False)
def bars_training(sub, ctx):
    "A compiled CNN that learns horizontal vs vertical bars to 0.9 validation accuracy in 5 epochs."
    train_bars(sub, ctx)
