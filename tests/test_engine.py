"""The engine's parts on their own: judges, event parsing, course discovery,
result totals. None of these needs TensorFlow."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from grader.checks import ProbeContext
from grader.course import Course, find_course
from grader.errors import BadInput
from grader.grading import DEFAULT_SEED, parse_events
from grader.judges import close, exact, judge_cases
from grader.models import MAX_LINE, Case, CheckResult, Environment, Observation, SubmissionResult
from grader.submission import read_submission, syntax_error
from grader.validate import Mutant, judge_mutant

from conftest import ROOT


def test_exact_names_the_difference_in_shapes() -> None:
    assert exact()([None, 30, 30, 16], [None, 30, 30, 16]) is None
    assert exact()([None, 30, 30, 16], [None, 28, 28, 16]) == "expected (None, 30, 30, 16), got (None, 28, 28, 16)"
    assert exact()([4], [3]) == "expected (4,), got (3,)"  # a tuple of one, as Python writes it


def test_close_reports_shape_then_first_differing_value() -> None:
    want = [[0.0, 1.0, 2.0]] * 4
    assert close()(want, [[0.0, 1.0]] * 4) == "expected shape (4, 3), got shape (4, 2)"
    got = [[0.0, 1.0, 2.0]] * 3 + [[0.0, 1.5, 2.0]]
    assert close()(want, got) == "1 of 12 values differ; first at index (3, 1): expected 1, got 1.5"
    assert close(rtol=0.5)(want, got) is None


def test_close_walks_dicts_and_types() -> None:
    assert close()({"total": 5, "trainable": 3}, {"total": 5, "trainable": 4}) == "expected 3 in trainable, got 4"
    assert close()({"total": 5}, {}) == "missing key(s) total"
    assert exact()(["a", ["b", 2]], ["a", ["b", 3]]) == "expected 2 in item [1][1], got 3"
    assert exact()(5, "5") == "expected 5, got '5'"
    assert exact()(True, 1) == "expected True, got 1"


def _obs(*cases: Case, error: str | None = None) -> Observation:
    return Observation(check="c", cases=list(cases), error=error)


def test_partial_credit_is_the_share_of_matching_cases() -> None:
    ref = _obs(Case(label="f(1)", value=1), Case(label="f(2)", value=2))
    share, status, feedback = judge_cases(_obs(Case(label="f(1)", value=1), Case(label="f(2)", value=3)), ref, exact(), True)
    assert (share, status, feedback) == (0.5, "partial", ["1 of 2 cases passed", "f(2): expected 2, got 3"])
    assert judge_cases(_obs(Case(label="f(1)", value=1)), ref, exact(), False)[:2] == (0.0, "failed")


def test_cases_that_all_raise_are_told_once_per_error() -> None:
    """A stub raises the same few errors in every case: one line per error, not one per case;
    where some case ran, each failure keeps its label."""
    ref = _obs(*(Case(label=f"f({i})", value=i) for i in range(4)))
    init, other = "NotImplementedError: A.__init__", "NotImplementedError: B.__init__"
    one = _obs(*(Case(label=f"f({i})", error=init) for i in range(4)))
    assert judge_cases(one, ref, exact(), True)[2] == [f"all 4 cases raised {init}"]
    two = _obs(*(Case(label=f"f({i})", error=init if i < 3 else other) for i in range(4)))
    assert judge_cases(two, ref, exact(), True)[2] == [f"3 of 4 cases raised {init}", f"1 of 4 cases raised {other}"]
    mixed = _obs(Case(label="f(0)", value=0), *(Case(label=f"f({i})", error=init) for i in range(1, 4)))
    assert judge_cases(mixed, ref, exact(), True)[2] == ["1 of 4 cases passed", *[f"f({i}) raised {init}" for i in range(1, 4)]]


def test_a_broken_reference_is_an_error_not_a_student_failure() -> None:
    share, status, feedback = judge_cases(_obs(), _obs(error="boom"), exact(), True)
    assert status == "error" and "the grader's error, not your code's" in feedback[0] and "boom" in feedback[0]


def test_lines_without_the_job_token_are_forged_and_never_trusted() -> None:
    """The submission shares the probe's process and can write on its channel (say, the
    recorded expected observations, at import): only lines starting with the job's token count."""
    good = "tok " + _obs(Case(label="f(1)", value=1)).model_dump_json()
    forged = _obs(Case(label="f(1)", value=2)).model_dump_json()
    seen = parse_events("\n".join([forged, "other " + forged, good]), "tok")
    assert seen.forged == 2 and seen.malformed == 0
    assert seen.observations["c"].cases[0].value == 1


def test_malformed_events_are_counted_and_the_first_observation_wins() -> None:
    good = _obs(Case(label="f(1)", value=1)).model_dump_json()
    later = _obs(Case(label="f(1)", value=2)).model_dump_json()
    lines = [good, "not json", json.dumps({"kind": "observation", "check": 3}), later, '{"kind": "started", "check": "d"}']
    seen = parse_events("\n".join(f"tok {line}" for line in lines), "tok")
    assert seen.malformed == 2 and seen.forged == 0
    assert seen.observations["c"].cases[0].value == 1
    assert seen.last_started == "d"


def test_a_syntax_error_is_one_line() -> None:
    assert syntax_error("def f(:\n") == "SyntaxError on line 1: invalid syntax"


def test_submission_paths(tmp_path) -> None:
    with pytest.raises(BadInput, match="no such file"):
        read_submission(tmp_path / "missing.py", "fundamentals.py")
    with pytest.raises(BadInput, match="has no fundamentals.py"):
        read_submission(tmp_path, "fundamentals.py")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(BadInput, match="not a Python file"):
        read_submission(tmp_path / "notes.txt", "fundamentals.py")
    (tmp_path / "bad.py").write_bytes(b"\xff\xfe")
    with pytest.raises(BadInput, match="cannot read"):
        read_submission(tmp_path / "bad.py", "fundamentals.py")
    os.mkfifo(tmp_path / "pipe.py")  # reading it would wait forever
    with pytest.raises(BadInput, match="is not a regular file or a folder"):
        read_submission(tmp_path / "pipe.py", "fundamentals.py")
    (tmp_path / "gone.py").symlink_to(tmp_path / "nowhere.py")
    with pytest.raises(BadInput, match="is a link to nothing"):
        read_submission(tmp_path / "gone.py", "fundamentals.py")


def test_unknown_chapter_suggests_the_closest() -> None:
    with pytest.raises(BadInput, match="Did you mean chapter1"):
        Course(ROOT).chapter("chaptr1")


def test_course_is_found_from_a_subfolder(monkeypatch) -> None:
    monkeypatch.delenv("TF_GRADER_COURSE", raising=False)
    assert find_course(ROOT / "exercises" / "chapter1").root == ROOT
    monkeypatch.setenv("TF_GRADER_COURSE", "/nonexistent")
    with pytest.raises(BadInput, match="holds no exercises"):
        find_course()


def test_result_totals_are_derived_from_checks() -> None:
    check = CheckResult(name="a", description="", points=2, score=1.5, hidden=False, status="partial")
    result = SubmissionResult.model_validate(
        {"chapter": "c", "submission": "s", "status": "completed", "checks": [check.model_dump()],
         "environment": Environment(seed=1).model_dump(), "score": 99}
    )
    assert (result.score, result.max_score) == (1.5, 2.0)
    assert SubmissionResult.model_validate_json(result.model_dump_json()) == result


def test_every_chapter_declares_itself_and_its_checks() -> None:
    for chapter in Course(ROOT).chapters.values():
        assert chapter.spec.title and chapter.checks
        assert (chapter.exercise_dir / chapter.module_file).is_file()
        assert all(c.points > 0 and c.description for c in chapter.checks)


def test_non_finite_values_survive_the_channel() -> None:
    """A student's nan must reach the judge as nan ("got nan"), not as null ("got None")."""
    sent = _obs(Case(label="f()", value=float("nan")), Case(label="g()", value=[1.0, float("inf")]))
    seen = parse_events(f"tok {sent.model_dump_json()}", "tok").observations["c"]
    assert exact()(0.0, seen.cases[0].value) == "expected 0, got nan"
    assert seen.cases[1].value == [1.0, float("inf")]


def test_hidden_checks_can_import_helpers_from_public_checks() -> None:
    from grader.checks import checks_in, load_check_modules

    public = "from grader.checks import check\n\ndef helper():\n    return 41\n"
    hidden = ("from checks import helper\nfrom grader.checks import check\n\n"
              "@check(points=1)\ndef answer(sub, ctx):\n    'The answer.'\n    ctx.record('x', helper() + 1)\n")
    modules = load_check_modules({"checks": (public, "checks.py"), "hidden_checks": (hidden, "hidden_checks.py")})
    assert [c.name for c in checks_in(modules["hidden_checks"], hidden=True)] == ["answer"]
    assert "checks" not in __import__("sys").modules, "loading leaves no trace in sys.modules"


def test_a_label_drawn_twice_stays_two_cases() -> None:
    """Random sizes can repeat a label (chapter 1's collapse_linear did under --seed 3, and the
    reference then failed its own check): repeats are numbered, so each case keeps its match."""
    ctx = ProbeContext(check="c", seed=3)
    ctx.case("f(2)", lambda: 1)
    ctx.case("f(2)", lambda: 2)
    ctx.record("f(2)", 3)
    assert [(c.label, c.value) for c in ctx.cases] == [("f(2)", 1), ("f(2) #2", 2), ("f(2) #3", 3)]
    share, status, _ = judge_cases(Observation(check="c", cases=ctx.cases),
                                   Observation(check="c", cases=ctx.cases), exact(), partial=True)
    assert (share, status) == (1.0, "passed")


def test_planted_mistakes_are_pinned_at_the_default_seed_only() -> None:
    """Which checks a mutant loses, in what words, is written for the default seed's inputs;
    under another seed it must only lose points."""
    def result(a_score: float, b_score: float) -> SubmissionResult:
        checks = [CheckResult(name=n, description="", points=1, score=s, hidden=False,
                              status="passed" if s == 1 else "failed", feedback=[] if s == 1 else ["wrong"])
                  for n, s in (("a", a_score), ("b", b_score))]
        return SubmissionResult(chapter="c", submission="m", status="completed", checks=checks,
                                environment=Environment(seed=1))
    mutant = Mutant(description="", replace=[("x", "y")], loses=["a"], feedback="wrong")
    assert judge_mutant(result(0, 1), mutant, DEFAULT_SEED) is None
    assert judge_mutant(result(0, 0), mutant, DEFAULT_SEED).startswith("also lost points on b")
    assert judge_mutant(result(1, 0), mutant, DEFAULT_SEED) == "should lose points on a but did not"
    assert judge_mutant(result(1, 0), mutant, 3) is None
    assert judge_mutant(result(1, 1), mutant, 3) == "lost no points"


def test_an_error_message_keeps_its_reason() -> None:
    """Keras's "Exception encountered when calling L.call()" gives way to the reason it wraps,
    and a value printed over several lines does not cut off the reason after it."""
    import keras
    import tensorflow as tf

    from grader.checks import describe

    class Broken(keras.layers.Layer):
        def call(self, x):  # noqa: ANN001, ANN202
            raise ValueError("the scale went wrong")

    with pytest.raises(ValueError) as called:
        Broken()(np.zeros((2, 3), "float32"))
    assert describe(called.value) == "ValueError: the scale went wrong (when calling Broken.call())"
    with pytest.raises(ValueError) as built:
        keras.Sequential([keras.Input((3,)), Broken()])
    assert describe(built.value).endswith("Error encountered: the scale went wrong (when calling Broken.call())")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6)])
    with pytest.raises(ValueError) as watched, tf.GradientTape() as tape:
        tape.watch(model.trainable_variables)
    line = describe(watched.value)
    assert "\n" not in line and line.endswith("of type 'Variable', not tf.Tensor or tf.Variable or ExtensionType.")
    assert len(line) < 450


def test_forged_events_cannot_carry_megabytes_of_text() -> None:
    """A submission that writes its own events (it found the token) bypasses whatever the child
    caps: texts are cut again as events are parsed, start and end kept."""
    huge = "<" + "A" * (1 << 20) + ">"
    events = [{"kind": "observation", "check": "step", "error": huge, "cases": [{"label": huge, "error": huge}]},
              {"kind": "imported", "module": "m", "error": huge}, {"kind": "tampered", "what": huge}]
    raw = "".join(f"tok {json.dumps(e)}\n" for e in events)
    seen = parse_events(raw, "tok")
    assert seen.forged == seen.malformed == 0
    texts = [seen.observations["step"].error, seen.observations["step"].cases[0].label,
             seen.observations["step"].cases[0].error, seen.import_errors["m"], seen.tampered[0].what]
    assert all(len(t) <= MAX_LINE and t.startswith("<AAA") and t.endswith("AAA>") and " ... " in t for t in texts)


def test_a_result_keeps_64_kib_whatever_its_feedback_holds() -> None:
    """Each line, each check's lines, the notes and the printed output are capped, and together
    fit a budget measured as JSON escapes them (a control character takes 6 bytes, an emoji
    12): short lines stay whole, and a copy made with model_copy is capped as well."""
    nasty = ["x" * (1 << 20), "\x00" * 5000, "\U0001F600" * 5000, "&<" * 5000]
    checks = [CheckResult(name=f"c{i}", description="", points=1, score=0, hidden=False, status="failed",
                          feedback=["a short line", *nasty * 50]) for i in range(30)]
    checks[0] = checks[0].model_copy(update={"feedback": nasty * 100})  # not validated: a copy
    result = SubmissionResult(chapter="c", submission="s", status="completed", checks=checks,
                              messages=["a note", *nasty * 50], output_tail="\x00\U0001F600" * (1 << 16),
                              environment=Environment(seed=1))
    assert len(json.dumps(result.model_dump(mode="json"))) <= 64 << 10
    assert all(len(c.feedback) <= 10 and c.feedback[-1].endswith("more lines") for c in result.checks)
    assert result.checks[1].feedback[0] == "a short line" and result.messages[0] == "a note"
    assert result.output_tail.endswith("\x00\U0001F600")
    assert SubmissionResult.model_validate_json(result.model_dump_json()) == result, "capping again changes nothing"


def test_a_value_holding_a_line_separator_is_one_event() -> None:
    """A returned string with U+2028 in it stays in its line: str.splitlines would split there
    and flag the submission for writing lines of its own."""
    event = Observation(check="step", cases=[Case(label="step(0)", value="not\u2028implemented\u0085")])
    seen = parse_events(f"tok {event.model_dump_json()}\n", "tok")
    assert seen.forged == 0 and seen.malformed == 0
    assert seen.observations["step"].cases[0].value == "not\u2028implemented\u0085"


def test_a_printed_line_number_of_any_length_is_translated_or_left() -> None:
    """Printed text may say 'fundamentals.py, line 99999...' with thousands of digits: that is no
    line of the notebook, and no reason for the grader to fail."""
    from grader.notebook import translate

    lines = ((1, 1), (1, 2), (2, 1))
    assert translate("fundamentals.py, line 3: x", "fundamentals.py", lines) == "code cell 2, line 1: x"
    huge = "fundamentals.py, line " + "9" * 5000
    assert translate(huge, "fundamentals.py", lines) == huge


def test_lists_of_different_lengths_say_where_they_part() -> None:
    """A CSVLogger that overwrote its file: the student reads which line is missing."""
    compare = exact()
    assert compare(["epoch;loss", "0;4.0", "1;3.0", "0;1.5"], ["epoch;loss", "0;1.5"]) == (
        "expected 4 items, got 2; item 1: expected '0;4.0', got '0;1.5'")
    assert compare(["a", "b", "c"], ["a", "b"]) == "expected 3 items, got 2; the first missing: 'c'"
    assert compare(["a"], ["a", "z"]) == "expected 1 items, got 2; the first extra: 'z'"
