"""Feedback pictures: the student's map, the reference's and where they differ, titled, on one
colour scale; written for a real Grad-CAM mistake and shown inline in the notebook."""

from __future__ import annotations

import pytest

import numpy as np

from grader.pictures import as_image, comparison_figure, write_comparison

pytestmark = pytest.mark.slow  # chapter 7's pictures through batches and kernels


def test_the_figure_titles_each_panel_and_shares_one_colour_bar() -> None:
    student = np.zeros((4, 4))
    student[0, 0] = 1.0  # hot top-left
    reference = np.zeros((4, 4))
    reference[3, 3] = 1.0  # hot bottom-right
    figure = comparison_figure(student, reference, title="make_gradcam_heatmap(<image 1>)")
    panels = [ax for ax in figure.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == [
        "your heatmap", "reference heatmap", "where they differ: |yours - reference|\n(largest 1)"]
    drawn = [np.asarray(ax.images[0].get_array()) for ax in panels]
    assert (drawn[0] == student).all() and (drawn[1] == reference).all() and (drawn[2] == np.abs(student - reference)).all()
    assert {ax.images[0].get_clim() for ax in panels} == {(0.0, 1.0)}  # one scale for all three
    assert len(figure.axes) == 4  # the three panels and one colour bar
    width, height = figure.get_size_inches() * figure.dpi
    assert width >= 900 and height >= 300, "big enough to read"


def test_the_maps_are_drawn_over_the_input_image_when_there_is_one(tmp_path) -> None:
    image = np.random.default_rng(0).uniform(0, 255, size=(12, 12, 3))
    figure = comparison_figure(np.ones((3, 3)) * 0.5, np.zeros((3, 3)), image=as_image(image))
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    assert titles[0] == "input image" and len(titles) == 4
    over = next(ax for ax in figure.axes if ax.get_title() == "your heatmap")
    assert len(over.images) == 2 and over.images[1].get_extent() == [-0.5, 11.5, 11.5, -0.5]
    path = write_comparison(np.ones((3, 3)).tolist(), np.zeros((3, 3)).tolist(), tmp_path / "p.png", image=image)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_picture_for_what_is_not_a_map(tmp_path) -> None:
    assert write_comparison([1.0, 2.0], [[1.0]], tmp_path / "a.png") is None
    assert write_comparison([[float("nan")]], [[1.0]], tmp_path / "b.png") is None
    assert not list(tmp_path.iterdir())


def test_gradcam_feedback_picture_shows_the_students_map_beside_the_reference(session, course, tmp_path) -> None:
    """A Grad-CAM mistake (no ReLU) gets a PNG named in its feedback, drawn on a scale that
    shows where the student's map goes negative."""
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
    my_map = np.asarray(student_cases[ref_case.label])
    assert my_map.min() < 0, "without the ReLU the student's map goes negative"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    figure = comparison_figure(my_map, np.asarray(ref_case.value))
    low, high = figure.axes[0].images[0].get_clim()
    assert low == my_map.min() < 0, "the scale reaches the student's negative values"

    # the failed case where the maps are furthest apart, drawn over the input image the probe
    # recorded: four panels side by side, the first the image
    failed = [r for r in reference.cases if r.label in heatmap.failed_cases]
    shown = max(failed, key=lambda r: np.nanmax(np.abs(np.asarray(student_cases[r.label]) - np.asarray(r.value))))
    assert np.asarray(shown.image).ndim == 3 and np.asarray(shown.image).shape[:2] == tuple(
        int(n) for n in shown.label.split("input (")[1].split(")")[0].split(", ")[:2])
    width, height = (int.from_bytes(path.read_bytes()[i:i + 4], "big") for i in (16, 20))
    assert width > 3.5 * height, (width, height)
    assert shown.label in next(line for line in heatmap.feedback if line.startswith("picture of "))


def test_the_input_image_is_shown_never_judged(session, course) -> None:
    """The image rides beside each case's value: a different image (a submission that scribbled
    over its argument, say) changes no score."""
    from grader.judges import judge_cases

    chapter = course.chapter("chapter7")
    check = chapter.find(["heatmap"])[0]
    reference = session.reference(chapter)["heatmap"]
    assert all(c.image is not None for c in reference.cases)
    scribbled = reference.model_copy(update={"cases": [c.model_copy(update={"image": [[0.0]]}) for c in reference.cases]})
    assert judge_cases(scribbled, reference, check.compare, True)[0] == 1.0


def _observed(session, chapter, source):
    """The student's heatmap cases, observed the way grading observes them."""
    from grader.grading import observe
    from grader.models import ProbeCall

    seen, _ = observe(session.worker, {chapter.module_file: source}, chapter,
                      [ProbeCall(check="heatmap", module=chapter.spec.module)], session.seed, session.limits)
    return seen.observations["heatmap"].cases


def test_notebook_check_shows_the_gradcam_picture_inline(course, tmp_path) -> None:
    """The same mistake checked from a notebook: the picture is inside the HTML, not a path."""
    from nbformat import v4

    from grader import notebook_check
    from grader.notebook import write_notebook
    from grader.validate import load_mutant, mutate

    chapter = course.chapter("chapter7")
    solution = (chapter.solution_dir / chapter.module_file).read_text()
    source = mutate(solution, load_mutant(chapter.solution_dir / "mutants" / "no_relu.json"), "no_relu")
    write_notebook(v4.new_notebook(cells=[v4.new_code_cell(source)]), tmp_path / "gradcam.ipynb")
    report = notebook_check("chapter7", "heatmap", notebook=tmp_path / "gradcam.ipynb", course=course.root)
    assert report.error is None and report.score < 3
    shown = report._repr_html_()
    assert shown.count('<img src="data:image/png;base64,') == 1 and "tfg-row tfg-" in shown
    assert "grade-pictures" not in shown


def test_when_every_failing_case_raised_no_agreeing_case_is_pictured(session, course, tmp_path) -> None:
    """The picture is of a case that failed; a case that raised has no map to draw, so there is
    no picture rather than one of a case the student got right."""
    from grader.locate import only
    from grader.submission import Submission

    chapter = course.chapter("chapter7")
    solution = (chapter.solution_dir / chapter.module_file).read_text()
    start = "def make_gradcam_heatmap(img, model, last_conv_layer_name, pred_index=None):\n"
    assert start in solution
    source = solution.replace(start, start + "    if pred_index is not None:\n        raise ValueError('only the top class')\n")
    result = session.grade(only(chapter, ["heatmap"]), Submission("raises", source), pictures=tmp_path)
    heatmap = next(c for c in result.checks if c.name == "heatmap")
    assert 0 < heatmap.score < heatmap.points and heatmap.failed_cases
    assert all("pred_index=" in label for label in heatmap.failed_cases)
    assert heatmap.pictures == [] and not (tmp_path / "heatmap.png").exists()
    assert not any(line.startswith("picture of ") for line in heatmap.feedback)


def test_a_batch_writes_each_students_picture_beside_their_feedback(tmp_path) -> None:
    """`grade batch chapter7`: a student's Grad-CAM mistake gets pictures/STUDENT/heatmap.png,
    named in their feedback file; a student who got it right gets the picture of a case too."""
    import subprocess
    import sys

    from grader.validate import load_mutant, mutate

    from conftest import ROOT

    solutions = ROOT / "solutions/chapter7"
    solution = (solutions / "gradcam.py").read_text()
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ann.py").write_text(mutate(solution, load_mutant(solutions / "mutants/no_relu.json"), "no_relu"))
    (subs / "bob.py").write_text(solution)
    run = subprocess.run([sys.executable, "-m", "grader.cli", "batch", "chapter7", str(subs), "--out",
                          str(tmp_path / "out"), "--jobs", "1"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    picture = tmp_path / "out/pictures/ann/heatmap.png"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "picture of make_gradcam_heatmap(" in (tmp_path / "out/feedback/ann.txt").read_text()
    assert (tmp_path / "out/pictures/bob/heatmap.png").is_file()
