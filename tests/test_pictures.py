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


def test_gradcam_feedback_picture_shows_the_students_map_beside_the_reference(session, course, tmp_path) -> None:
    """A Grad-CAM mistake (no ReLU) gets a PNG named in its feedback: the reference's map on the
    right, pixel for pixel, and the student's different map on the left."""
    from grader.pictures import colour, shared_range
    from grader.submission import Submission
    from grader.validate import load_mutant, mutate

    chapter = course.chapter("chapter7")
    solution = (chapter.solution_dir / chapter.module_file).read_text()
    source = mutate(solution, load_mutant(chapter.solution_dir / "mutants" / "no_relu.json"), "no_relu")
    result = session.grade(chapter, Submission("no_relu", source), pictures=tmp_path)
    heatmap = next(c for c in result.checks if c.name == "heatmap")
    path = tmp_path / "heatmap.png"
    assert heatmap.score < heatmap.points and heatmap.pictures == [str(path)]
    assert any(str(path) in line and "yours left" in line for line in heatmap.feedback)

    check = chapter.find(["heatmap"])[0]
    reference = session.reference(chapter)["heatmap"]
    student_cases = {c.label: c.value for c in _observed(session, chapter, source)}
    ref_case = next(r for r in reference.cases if check.compare(r.value, student_cases[r.label]))
    ref_map, my_map = np.asarray(ref_case.value), np.asarray(student_cases[ref_case.label])
    assert my_map.min() < 0, "without the ReLU the student's map goes negative"
    scale = -(-MIN_SIDE // max(ref_map.shape))
    image = read_png(path)
    h, w = ref_map.shape[0] * scale, ref_map.shape[1] * scale
    assert image.shape == (h, 2 * w + GAP, 3)
    low, high = shared_range(my_map, ref_map)
    blow_up = np.ones((scale, scale))
    assert (image[:, w + GAP :] == colour(np.kron((ref_map - low) / (high - low), blow_up))).all()
    assert (image[:, :w] == colour(np.kron((my_map - low) / (high - low), blow_up))).all()
    assert not (image[:, :w] == image[:, w + GAP :]).all(), "the difference is visible"


def _observed(session, chapter, source):
    """The student's heatmap cases, observed the way grading observes them."""
    from grader.grading import observe
    from grader.models import ProbeCall

    seen, _ = observe(session.worker, {chapter.module_file: source}, chapter,
                      [ProbeCall(check="heatmap", module=chapter.spec.module)], session.seed, session.limits)
    return seen.observations["heatmap"].cases
