"""Public checks of chapter 8: backpropagation by hand, judged against TensorFlow's autodiff.

The by-hand functions are judged against `solutions/chapter8/oracle.py`, which answers with
`tf.GradientTape`, Keras layers, losses and optimizers on the same weights and batch. The
`train_step` check runs the student's step and the reference's on the same transplanted model.
"""

from grader.checks import ChapterSpec, check
from grader.judges import close

CHAPTER = ChapterSpec(
    title="Backpropagation by hand",
    module="backprop",
    summary="Activation derivatives, the forward pass of a small MLP, its MSE loss and its "
    "gradients by the chain rule in NumPy, a gradient-descent step, and a custom training step "
    "with tf.GradientTape.",
)

# The by-hand functions are NumPy only; train_step, which must use tf.GradientTape, is exempt.
_NUMPY_ONLY = "every function but train_step is NumPy only"
BY_HAND = {
    "tensorflow.GradientTape": f"is autodiff; {_NUMPY_ONLY} (use the chain rule)",
    "tensorflow.gradients": f"is autodiff; {_NUMPY_ONLY} (use the chain rule)",
    "tensorflow": f"uses TensorFlow; {_NUMPY_ONLY}",
    "keras": f"uses Keras; {_NUMPY_ONLY}",
    "torch": f"uses PyTorch; {_NUMPY_ONLY}",
    "jax": f"uses JAX; {_NUMPY_ONLY}",
    "autograd": f"is autodiff; {_NUMPY_ONLY}",
}
TRAIN_STEP_ONLY = ["train_step"]
FLOAT32 = close(rtol=2e-4, atol=2e-5)


def _layers(rng, sizes):
    """Random (W, b) pairs for Dense layers of the given sizes, input size first."""
    return [(rng.normal(size=(n_in, n_out)).astype("float32") * 0.8,
             rng.normal(size=n_out).astype("float32") * 0.5)
            for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def _batch(rng, n, n_in, n_out):
    x = rng.normal(size=(n, n_in)).astype("float32")
    y = rng.normal(size=(n, n_out)).astype("float32")
    return x, y


def _network_cases(rng, count, deep=False):
    """(sizes, batch, hidden, output) tuples: some fixed, the rest random."""
    cases = [([3, 4, 2], 5, "relu", "linear"), ([2, 3, 1], 4, "tanh", "sigmoid")]
    for _ in range(count):
        depth = int(rng.integers(2, 5 if deep else 4))
        sizes = [int(n) for n in rng.integers(1, 7, size=depth + 1)]
        cases.append((sizes, int(rng.integers(2, 9)), str(rng.choice(["relu", "tanh"])),
                      str(rng.choice(["linear", "sigmoid"]))))
    return cases


def _activation_inputs(rng):
    yield "z=[-2, -0.5, 0, 0.5, 2]", [-2.0, -0.5, 0.0, 0.5, 2.0]
    z = (rng.normal(size=(3, 4)) * 2).astype("float32")
    z[1, 2] = 0.0
    yield "z of shape (3, 4) with a 0 at [1, 2]", z


@check(points=2, compare=FLOAT32, forbid=BY_HAND, allow_in=TRAIN_STEP_ONLY, reference="oracle")
def activation_grads(sub, ctx):
    "Derivatives of ReLU (0 at z <= 0), tanh and sigmoid, elementwise."
    import numpy as np

    for name in ("relu_grad", "tanh_grad", "sigmoid_grad", "sigmoid"):
        for label, z in _activation_inputs(ctx.rng):
            ctx.case(f"{name}({label})", getattr(sub, name), np.asarray(z, dtype="float32"))


@check(points=2, compare=FLOAT32, forbid=BY_HAND, allow_in=TRAIN_STEP_ONLY, reference="oracle")
def forward(sub, ctx):
    "Forward pass of an MLP given as (W, b) pairs, compared with a Keras model of the same weights."
    for sizes, n, hidden, output in _network_cases(ctx.rng, 2):
        layers = _layers(ctx.rng, sizes)
        x, _ = _batch(ctx.rng, n, sizes[0], sizes[-1])
        ctx.case(f"forward(<layers {sizes}>, x of shape {x.shape}, hidden={hidden!r}, output={output!r})",
                 sub.forward, layers, x, hidden=hidden, output=output)


@check(points=1, compare=FLOAT32, forbid=BY_HAND, allow_in=TRAIN_STEP_ONLY, reference="oracle")
def mse_loss(sub, ctx):
    "Mean squared error over every element, as keras.losses.MeanSquaredError computes it."
    for shape in [(4, 1), (5, 3), (2, 6)]:
        y_pred, y = _batch(ctx.rng, shape[0], shape[1], shape[1])
        ctx.case(f"mse_loss(y_pred of shape {shape}, y of shape {shape})", sub.mse_loss, y_pred, y)


@check(points=3, compare=FLOAT32, forbid=BY_HAND, allow_in=TRAIN_STEP_ONLY, reference="oracle")
def backward(sub, ctx):
    "Gradients of the MSE loss for every W and b, compared with tf.GradientTape on the same network."
    for sizes, n, hidden, output in _network_cases(ctx.rng, 2):
        layers = _layers(ctx.rng, sizes)
        x, y = _batch(ctx.rng, n, sizes[0], sizes[-1])
        ctx.case(f"backward(<layers {sizes}>, x of shape {x.shape}, y of shape {y.shape}, "
                 f"hidden={hidden!r}, output={output!r})",
                 sub.backward, layers, x, y, hidden=hidden, output=output)


def _step_leaving_its_inputs(step, layers, grads, lr):
    """The new layers `step` returns, and whether the caller's weights are as they were: the task
    asks for new pairs, so updating the arrays passed in is a mistake the values alone hide."""
    import numpy as np

    before = [[np.array(a, copy=True) for a in pair] for pair in layers]
    new = step(layers, grads, lr)
    same = all(np.array_equal(a, b) for pair, kept in zip(layers, before) for a, b in zip(pair, kept))
    return {"new layers": new, "layers passed in left unchanged": same}


@check(points=1, compare=FLOAT32, forbid=BY_HAND, allow_in=TRAIN_STEP_ONLY, reference="oracle")
def sgd_step(sub, ctx):
    "One plain gradient-descent step, compared with keras.optimizers.SGD; the layers passed in stay as they were."
    for sizes, lr in [([3, 4, 2], 0.1), ([2, 5, 3, 1], 0.01)]:
        layers = _layers(ctx.rng, sizes)
        grads = _layers(ctx.rng, sizes)
        ctx.case(f"sgd_step(<layers {sizes}>, <gradients>, learning_rate={lr})",
                 _step_leaving_its_inputs, sub.sgd_step, layers, grads, lr)


def _run_train_steps(sub, ctx, optimizer_name, loss_name, steps=3):
    """Build a small model with transplanted weights, run the student's train_step, record the
    returned losses and the weights after the steps."""
    import keras

    n_in, hidden, n_out, n = 4, 6, 2, 16
    model = keras.Sequential([keras.Input(shape=(n_in,)), keras.layers.Dense(hidden, activation="relu"),
                              keras.layers.Dense(n_out)])
    for layer, (w, b) in zip(model.layers, _layers(ctx.rng, [n_in, hidden, n_out])):
        layer.set_weights([w, b])
    x, y = _batch(ctx.rng, n, n_in, n_out)
    optimizer = {"SGD": lambda: keras.optimizers.SGD(learning_rate=0.1),
                 "Adam": lambda: keras.optimizers.Adam(learning_rate=0.05)}[optimizer_name]()
    loss_fn = {"MSE": keras.losses.MeanSquaredError, "MAE": keras.losses.MeanAbsoluteError,
               "binary crossentropy (from logits)": lambda: keras.losses.BinaryCrossentropy(from_logits=True),
               }[loss_name]()
    if loss_name.startswith("binary"):  # targets are probabilities; the outputs are logits
        y = ctx.rng.uniform(0.0, 1.0, size=y.shape).astype("float32")
    where = f"({optimizer_name}, {loss_name} loss, batch of {n})"
    for step in range(steps):
        ctx.case(f"loss returned by train_step call {step + 1} {where}",
                 sub.train_step, model, optimizer, x, y, loss_fn)
    for i, weight in enumerate(model.get_weights()):
        ctx.record(f"model weight {i} (shape {tuple(weight.shape)}) after {steps} train_step calls {where}",
                   weight)


@check(points=2, compare=FLOAT32)
def train_step(sub, ctx):
    "A custom training step with tf.GradientTape: returns the loss and updates the model's weights."
    _run_train_steps(sub, ctx, "SGD", "MSE")
    # a loss that is not symmetric in its arguments: loss_fn(model(x), y) is not loss_fn(y, model(x))
    _run_train_steps(sub, ctx, "SGD", "binary crossentropy (from logits)")
