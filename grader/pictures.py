"""Pictures for feedback: a student's 2-D map (a Grad-CAM heatmap, say) beside the reference's,
and where they differ, each titled, on one colour scale with one colour bar.

Drawn outside the sandbox from the observations, with matplotlib's Agg canvas (no display, no
pyplot state shared with anything else). When the probe recorded the input image, each map is
drawn over it, as Grad-CAM is read.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

PANEL_INCHES = 3.2
DPI = 100


def as_map(value: Any) -> np.ndarray | None:
    """The value as a finite 2-D float array, or None if it is not one."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    if array.ndim != 2 or array.size == 0 or not np.isfinite(array).all():
        return None
    return array


def as_image(value: Any) -> np.ndarray | None:
    """The value as an image to draw under the maps ((h, w), (h, w, 1) or (h, w, 3), scaled
    to [0, 1]), or None."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] != 3) or not np.isfinite(array).all():
        return None
    low, high = float(array.min()), float(array.max())
    return (array - low) / (high - low) if high > low else np.zeros_like(array)


def preload() -> None:
    """Import what drawing needs (matplotlib: ~0.5 s), for a caller with time to spare: `grade
    chapterN` does it on a thread while its worker imports TensorFlow."""
    import matplotlib.cm  # noqa: F401
    import matplotlib.colors  # noqa: F401
    import matplotlib.figure  # noqa: F401


def shared_range(*maps: np.ndarray) -> tuple[float, float]:
    """[0, 1] widened to every value shown, so negatives or values past 1 stay visible."""
    return min(0.0, *(float(m.min()) for m in maps)), max(1.0, *(float(m.max()) for m in maps))


def comparison_figure(student: np.ndarray, reference: np.ndarray, *, image: np.ndarray | None = None,
                      title: str = ""):  # noqa: ANN201  (a matplotlib Figure, imported lazily)
    """The figure: [the input], your map, the reference's (each over the input, in grey, so that
    the map's colours read), and |yours - reference| alone, on one scale and one colour bar."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    scale = Normalize(*shared_range(student, reference))
    panels = [("your heatmap", student, True), ("reference heatmap", reference, True)]
    if student.shape == reference.shape:
        difference = np.abs(student - reference)
        panels.append((f"where they differ: |yours - reference|\n(largest {difference.max():.3g})", difference, False))
    count = len(panels) + (image is not None)
    figure = Figure(figsize=(PANEL_INCHES * count + 0.8, PANEL_INCHES + 0.6), dpi=DPI, layout="constrained")
    axes = figure.subplots(1, count, squeeze=False)[0]
    if image is not None:
        axes[0].imshow(image, cmap="gray" if image.ndim == 2 else None)
        axes[0].set_title("input image")
        under = 0.25 + 0.5 * (image if image.ndim == 2 else image @ np.array([0.299, 0.587, 0.114]))
        extent = (-0.5, image.shape[1] - 0.5, image.shape[0] - 0.5, -0.5)
    for ax, (name, values, over) in zip(axes[count - len(panels):], panels):
        if image is not None and over:  # the map stretched over the image, as Grad-CAM is read
            ax.imshow(under, cmap="gray", vmin=0.0, vmax=1.0)
            ax.imshow(values, cmap="jet", norm=scale, alpha=0.6, extent=extent, interpolation="nearest")
        else:
            ax.imshow(values, cmap="jet", norm=scale, interpolation="nearest")
        ax.set_title(name)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    figure.colorbar(ScalarMappable(norm=scale, cmap="jet"), ax=list(axes), shrink=0.85, label="heatmap value")
    if title:
        figure.suptitle(title, fontsize="medium")
    return figure


def write_comparison(student: Any, reference: Any, path: Path, *, image: Any = None, title: str = "") -> Path | None:
    """Write the PNG if both values are 2-D maps; the path written, or None. `image`: the input
    the maps explain, drawn under them when given; `title`: the case shown."""
    mine, theirs = as_map(student), as_map(reference)
    if mine is None or theirs is None:
        return None
    figure = comparison_figure(mine, theirs, image=as_image(image) if image is not None else None, title=title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path
