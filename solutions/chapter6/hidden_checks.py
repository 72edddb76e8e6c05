"""Hidden checks of chapter 6: fresh input sizes, class counts and layer choices."""

from checks import OUTPUTS, OUTPUTS_GPU, _feature_maps, _images, _judge_model, _probe_model, _transplant
from grader.checks import check


@check(points=2, compare=OUTPUTS, gpu_compare=OUTPUTS_GPU)
def small_cnn_random(sub, ctx):
    "The two-conv CNN on random image sizes, channels and class counts."
    for _ in range(3):
        shape = (int(ctx.rng.integers(12, 41)), int(ctx.rng.integers(12, 41)), int(ctx.rng.integers(1, 5)))
        n_classes = int(ctx.rng.integers(2, 12))
        _judge_model(ctx, f"build_small_cnn({shape}, {n_classes})",
                     lambda: sub.build_small_cnn(shape, n_classes), _images(ctx, 2, shape),
                     conv_names=True)


@check(points=2, compare=OUTPUTS, gpu_compare=OUTPUTS_GPU)
def feature_maps_random(sub, ctx):
    "Feature maps of randomly chosen conv layers, on a random image size, of Sequential and Functional models."
    size = int(ctx.rng.integers(9, 20))
    shape = (size, size, int(ctx.rng.integers(1, 4)))
    model = _probe_model(shape)
    _transplant(model, base=60)
    images = _images(ctx, 2, shape)
    convs = ["block1_conv", "block2_conv", "block3_conv"]
    for _ in range(2):
        k = int(ctx.rng.integers(1, 4))
        names = [str(n) for n in ctx.rng.permutation(convs)[:k]]
        _feature_maps(sub, ctx, model, names, images,
                      f"feature_map_model(<3-conv CNN on {shape}>, {names}) on 2 images")
    functional = _probe_model(shape, functional=True)  # the task allows a Functional model too
    _transplant(functional, base=60)
    names = [str(n) for n in ctx.rng.permutation(convs)[:2]]
    for chosen in (names, None):
        shown = "all conv layers" if chosen is None else chosen
        _feature_maps(sub, ctx, functional, chosen, images,
                      f"feature_map_model(<Functional 3-conv CNN on {shape}>, {shown}) on 2 images")
