"""Feedback pictures: the PNG of a student's map beside the reference's, read back pixel by pixel."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from grader.pictures import GAP, MIN_SIDE, write_comparison


def read_png(path: Path) -> np.ndarray:
    """Decode an 8-bit RGB, non-interlaced PNG whose rows use filter 0 (what the grader writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        chunks[kind] = chunks.get(kind, b"") + data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour_type) == (8, 2)
    raw = zlib.decompress(chunks[b"IDAT"])
    rows = [raw[y * (3 * width + 1) : (y + 1) * (3 * width + 1)] for y in range(height)]
    assert all(r[0] == 0 for r in rows)
    return np.array([np.frombuffer(r[1:], np.uint8).reshape(width, 3) for r in rows])


def test_student_map_left_reference_right(tmp_path) -> None:
    student = np.zeros((4, 4))
    student[0, 0] = 1.0  # hot top-left
    reference = np.zeros((4, 4))
    reference[3, 3] = 1.0  # hot bottom-right
    path = write_comparison(student.tolist(), reference.tolist(), tmp_path / "heatmap.png")
    image = read_png(path)
    side = 4 * (-(-MIN_SIDE // 4))
    assert image.shape == (side, 2 * side + GAP, 3)
    red, blue = [128, 0, 0], [0, 0, 128]  # the ends of the jet colour map
    assert image[0, 0].tolist() == red and image[side - 1, side - 1].tolist() == blue
    assert image[0, side + GAP].tolist() == blue and image[side - 1, -1].tolist() == red
    assert (image[:, side : side + GAP] == 255).all(), "a white gap between the two maps"


def test_no_picture_for_what_is_not_a_map(tmp_path) -> None:
    assert write_comparison([1.0, 2.0], [[1.0]], tmp_path / "a.png") is None
    assert write_comparison([[float("nan")]], [[1.0]], tmp_path / "b.png") is None
    assert not list(tmp_path.iterdir())
