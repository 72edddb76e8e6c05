"""Hidden checks of chapter 5: fresh validation schedules and layer sizes."""

from checks import _show, run_roundtrip, run_weights_checkpoint
from grader.checks import check
from grader.judges import close, exact


@check(points=2, compare=exact())
def best_weights_random(sub, ctx):
    "best_weights_checkpoint on random validation-loss schedules."
    for i in range(2):
        n = int(ctx.rng.integers(4, 8))
        val_loss = [round(float(v), 2) for v in ctx.rng.uniform(0.5, 3.0, size=n)]
        folder = f"random_run{i + 1}"
        ctx.case(f"best_weights_checkpoint({folder!r}) in a fit with val_loss {_show(val_loss)}",
                 run_weights_checkpoint, sub, folder, val_loss)


@check(points=2, compare=close(rtol=1e-5, atol=1e-5))
def model_roundtrip_random(sub, ctx):
    "save_model/load_saved_model round trip with random sizes and scale."
    n_in, units = (int(n) for n in ctx.rng.integers(2, 6, size=2))
    scale = round(float(ctx.rng.uniform(-3.0, 3.0)), 3)
    ctx.case(f"save_model/load_saved_model of Input({n_in}) -> Affine({units}, scale={scale}) "
             f"-> Dense(2)", run_roundtrip, sub, "random_roundtrip", n_in, units, scale, ctx.rng)
