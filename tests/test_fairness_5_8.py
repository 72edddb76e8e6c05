"""Chapters 5-8 judge what the code does in every form the task text allows, and see the mistakes
the text names. Each allowed style below once lost points it had earned (or is held to full marks
so it never does); each planted mistake below was once invisible to every check."""

from __future__ import annotations

import math

import pytest

from grader.course import Course
from grader.submission import Submission

from conftest import ROOT

pytestmark = pytest.mark.slow  # chapters 5 to 8 graded in styles of their own

COURSE = Course(ROOT)

# (chapter, alternative in solutions/chapterN/alternatives/, the style it stands for)
ALLOWED_STYLES = [
    ("chapter6", "one_sigmoid_unit", "bars classifier with one sigmoid unit (the task allows it)"),
    ("chapter6", "functional_bars", "Functional bars classifier, one sigmoid unit, BinaryCrossentropy"),
    ("chapter6", "separate_activations", "Dense, then ReLU()/Activation layers where the layers are free"),
    ("chapter6", "subclassed_bars", "subclassed model whose call uses tf.nn functions"),
    ("chapter7", "guarded_division", "heatmap division guarded against a zero maximum"),
]


def _grade(session, chapter_name: str, source: str, label: str):
    chapter = COURSE.chapter(chapter_name)
    return session.grade(chapter, Submission(label, source))


@pytest.mark.parametrize("chapter,name,style", ALLOWED_STYLES, ids=[f"{c}-{n}" for c, n, _ in ALLOWED_STYLES])
def test_allowed_style_scores_full_marks(chapter, name, style, session) -> None:
    source = (ROOT / "solutions" / chapter / "alternatives" / f"{name}.py").read_text()
    result = _grade(session, chapter, source, name)
    lost = {c.name: c.feedback for c in result.checks if c.score < c.points}
    assert not lost, f"{style}: {lost}"
    assert result.score == result.max_score > 0


def test_heatmap_without_positive_evidence_may_be_zeros() -> None:
    """Where the explained class has no positive evidence, the reference's division by a zero
    maximum leaves 0/0 (NaN) everywhere; a guarded division's zeros say the same thing. Any
    other map, or a map of the wrong size, still differs."""
    chapter = COURSE.chapter("chapter7")
    for check in chapter.find(["heatmap", "heatmap_random"]):
        nan = [[math.nan, math.nan], [math.nan, math.nan]]
        assert check.compare(nan, [[0.0, 0.0], [0.0, 0.0]]) is None
        assert check.compare(nan, nan) is None
        assert check.compare(nan, [[0.0, 1.0], [0.0, 0.0]]) is not None
        assert check.compare(nan, [[0.0, 0.0]]) is not None
        assert check.compare([[0.5, 1.0]], [[0.5, 1.0]]) is None
        assert check.compare([[0.5, 1.0]], [[0.0, 1.0]]) is not None


def _reference_with(chapter: str, *edits: tuple[str, str]) -> str:
    chapter_ = COURSE.chapter(chapter)
    source = (chapter_.solution_dir / chapter_.module_file).read_text()
    for old, new in edits:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


# (chapter, edits of the reference a student might make, {check: feedback it must give})
UNSEEN_BEFORE = {
    "chapter5": (
        [('initializer="zeros", name="bias"', 'initializer="ones", name="bias"')],
        {"affine_layer": "bias right after build"},
    ),
    "chapter6": (
        [(', name="conv2")', ")"),
         ("    return keras.Model(inputs=model.inputs, outputs=[layer.output for layer in layers])",
          "    clone = keras.models.clone_model(model)\n"
          "    clone.set_weights(model.get_weights())\n"
          "    outs = [clone.get_layer(layer.name).output for layer in layers]\n"
          "    return keras.Model(clone.inputs, outs if len(outs) > 1 else outs[0])")],
        {"small_cnn": "names of the Conv2D layers", "feature_maps": "outputs declared as a list"},
    ),
    "chapter7": (
        [("        if isinstance(layer, keras.layers.Conv2D):", "        if len(layer.output.shape) == 4:"),
         ("    heatmap = heatmap / tf.reduce_max(heatmap)\n",
          "    heatmap = (heatmap - tf.reduce_min(heatmap)) / (tf.reduce_max(heatmap) - tf.reduce_min(heatmap))\n")],
        {"last_conv_layer": "got 'pool", "heatmap_shape_and_range": "CNN P"},
    ),
    "chapter8": (
        [("        loss = loss_fn(y, y_pred)", "        loss = loss_fn(y_pred, y)"),
         ("def sgd_step(layers, grads, learning_rate):\n",
          "def sgd_step(layers, grads, learning_rate):\n"
          "    for (w, b), (dw, db) in zip(layers, grads):\n"
          "        w -= learning_rate * dw\n"
          "        b -= learning_rate * db\n"
          "    return layers\n")],
        {"train_step": "binary crossentropy (from logits)", "sgd_step": "layers passed in left unchanged"},
    ),
}


@pytest.mark.parametrize("chapter", list(UNSEEN_BEFORE))
def test_mistakes_the_task_names_lose_points(chapter, session) -> None:
    """Chapter 5: the bias's initial zeros. 6: the conv layers' names, a list of outputs even for
    one layer, the model's own layers reused. 7: the last Conv2D, not the last 4-D output (a
    pooling layer after it); division by the maximum, not min-max. 8: loss_fn(y, predictions)
    in that order (a loss that is not symmetric); the caller's layers left as they were."""
    edits, lost = UNSEEN_BEFORE[chapter]
    result = _grade(session, chapter, _reference_with(chapter, *edits), f"{chapter}-unseen")
    by_name = {c.name: c for c in result.checks}
    for name, feedback in lost.items():
        check = by_name[name]
        assert check.score < check.points, f"{name} kept its points"
        assert any(feedback in line for line in check.feedback), (name, check.feedback)
