"""Pictures for feedback: a student's 2-D map (a Grad-CAM heatmap, say) beside the reference's.

Written outside the sandbox from the observations, as plain PNG (zlib only: no plotting library).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

MIN_SIDE = 96  # pixels: small maps are scaled up so a person can see them
GAP = 6


def as_map(value: Any) -> np.ndarray | None:
    """The value as a finite 2-D float array, or None if it is not one."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    if array.ndim != 2 or array.size == 0 or not np.isfinite(array).all():
        return None
    return array


def colour(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] (clipped) as RGB bytes, blue (0) through green to red (1)."""
    x = np.clip(values, 0.0, 1.0)[..., None]
    rgb = np.clip(1.5 - np.abs(4 * x - np.array([3.0, 2.0, 1.0])), 0.0, 1.0)
    return (rgb * 255).round().astype(np.uint8)


def png(pixels: np.ndarray) -> bytes:
    """An RGB uint8 array (h, w, 3) as PNG bytes."""
    height, width, _ = pixels.shape
    rows = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def shared_range(*maps: np.ndarray) -> tuple[float, float]:
    """[0, 1] widened to every value shown, so negatives or values past 1 stay visible."""
    return min(0.0, *(m.min() for m in maps)), max(1.0, *(m.max() for m in maps))


def side_by_side(student: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Student's map on the left, the reference's on the right, on one colour scale and one
    pixel size, with a white gap between."""
    scale = max(1, -(-MIN_SIDE // max(reference.shape)))
    low, high = shared_range(student, reference)

    def paint(values: np.ndarray) -> np.ndarray:
        return colour(np.kron((values - low) / (high - low), np.ones((scale, scale))))

    left, right = paint(student), paint(reference)
    height = max(left.shape[0], right.shape[0])
    canvas = np.full((height, left.shape[1] + GAP + right.shape[1], 3), 255, np.uint8)
    canvas[: left.shape[0], : left.shape[1]] = left
    canvas[: right.shape[0], left.shape[1] + GAP :] = right
    return canvas


def write_comparison(student: Any, reference: Any, path: Path) -> Path | None:
    """Write the PNG if both values are 2-D maps; the path written, or None."""
    mine, theirs = as_map(student), as_map(reference)
    if mine is None or theirs is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png(side_by_side(mine, theirs)))
    return path
