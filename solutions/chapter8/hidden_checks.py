"""Hidden checks of chapter 8: deeper random networks, fresh batches and another optimizer."""

from checks import BY_HAND, FLOAT32, TRAIN_STEP_ONLY, _batch, _layers, _network_cases, _run_train_steps
from grader.checks import check


@check(points=3, compare=FLOAT32, forbid=BY_HAND, allow_in=TRAIN_STEP_ONLY, reference="oracle")
def backward_random(sub, ctx):
    "Gradients of deeper random networks on fresh batches, against tf.GradientTape."
    for sizes, n, hidden, output in _network_cases(ctx.rng, 4, deep=True)[2:]:
        layers = _layers(ctx.rng, sizes)
        x, y = _batch(ctx.rng, n, sizes[0], sizes[-1])
        ctx.case(f"backward(<random layers {sizes}>, batch of {n}, hidden={hidden!r}, output={output!r})",
                 sub.backward, layers, x, y, hidden=hidden, output=output)


@check(points=1, compare=FLOAT32, forbid=BY_HAND, allow_in=TRAIN_STEP_ONLY, reference="oracle")
def relu_grad_at_zero(sub, ctx):
    "The ReLU derivative is 0 at z = 0, as TensorFlow takes it."
    import numpy as np

    z = np.zeros((2, 3), dtype="float32")
    z[0, 1] = float(ctx.rng.uniform(0.1, 1.0))
    ctx.case("relu_grad(zeros of shape (2, 3) with one positive value)", sub.relu_grad, z)


@check(points=2, compare=FLOAT32)
def train_step_adam(sub, ctx):
    "train_step with Adam and a mean-absolute-error loss: any optimizer, any loss."
    _run_train_steps(sub, ctx, "Adam", "MAE")
