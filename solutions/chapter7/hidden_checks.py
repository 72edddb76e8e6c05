"""Hidden checks of chapter 7: fresh random CNNs, classes and images."""

from checks import HEATMAP, heatmap_cases
from grader.checks import check


def _random_archs(rng, count=3):
    archs = {}
    for n in range(count):
        size = int(rng.integers(8, 17))
        spec = [f"c{int(rng.integers(2, 7))}"]
        if rng.random() < 0.5:
            spec.append("p")
        spec.append(f"c{int(rng.integers(2, 7))}")
        if rng.random() < 0.5:  # a pooling layer after the last conv layer
            spec.append("p")
        spec.append(str(rng.choice(["g", "f"])))
        if rng.random() < 0.5:
            spec.append(f"d{int(rng.integers(3, 9))}")
        archs[f"R{n + 1}"] = ((size, size, int(rng.choice([1, 3]))), spec, int(rng.integers(2, 7)))
    return archs


@check(points=2, compare=HEATMAP, picture=True)
def heatmap_random(sub, ctx):
    "Grad-CAM heatmaps on random small CNNs, images and classes."
    heatmap_cases(sub, ctx, _random_archs(ctx.rng), per_model=1)
