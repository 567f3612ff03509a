"""``course_lib.checks``: the helpers every lesson's exercise checks are built from."""
from __future__ import annotations

import textwrap

import numpy as np
import pytest

import course_lib
from course_lib.checks import (
    ExerciseError,
    allclose,
    assert_close,
    call_student,
    describe_difference,
    format_value,
    run_cases,
)
from course_lib.checks._core import first_match, not_finite

STUB_MESSAGE = "Exercise 02.3: complete `mul_backward`, then run the check below."
CASES = {
    "scalars": (2.0, 3.0, 1.0),
    "vectors": (np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([1.0, 0.5])),
}


def mul_backward_reference(a, b, grad):
    return b * grad, a * grad


def mul_backward_swapped(a, b, grad):
    return a * grad, b * grad


def mul_backward_stub(a, b, grad):
    raise NotImplementedError(STUB_MESSAGE)


def diagnose_mul(inputs, got, expected):
    if allclose(got[0], inputs["a"] * inputs["grad"]):
        return "the gradient of a*b with respect to a should be b*grad; yours looks like a*grad."
    return None


def test_run_cases_prints_one_line_on_success(capsys):
    run_cases("mul_backward", mul_backward_reference, mul_backward_reference, CASES)
    assert capsys.readouterr().out == "\u2713 mul_backward: 2 cases match the reference.\n"


def test_not_implemented_stub_gives_the_friendly_message():
    with pytest.raises(ExerciseError) as info:
        run_cases("mul_backward", mul_backward_stub, mul_backward_reference, CASES)
    assert str(info.value) == (
        "Exercise 02.3 is not done yet: complete `mul_backward` above, then run this cell again."
    )
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_call_student_without_stub_text_names_the_function():
    def step():
        raise NotImplementedError

    with pytest.raises(ExerciseError, match=r"`.*step` is not done yet"):
        call_student(step)
    assert call_student(lambda x: x + 1, 1) == 2


def test_wrong_answer_names_the_case_the_values_and_the_diagnosis():
    with pytest.raises(ExerciseError) as info:
        run_cases("mul_backward", mul_backward_swapped, mul_backward_reference, CASES, diagnose=diagnose_mul)
    message = str(info.value)
    assert message.splitlines()[0] == 'mul_backward gives a wrong answer on case "scalars" (1 of 2).'
    assert "  inputs:         a = 2.0, b = 3.0, grad = 1.0" in message
    assert "  your result:    (2.0, 3.0)" in message
    assert "  expected:       (3.0, 2.0)" in message
    assert "element 0: yours is 2.0, expected 3.0" in message
    assert "likely mistake: the gradient of a*b with respect to a should be b*grad" in message


def test_unlabelled_cases_are_numbered_and_a_failing_diagnosis_is_ignored():
    def broken_diagnosis(inputs, got, expected):
        raise KeyError("oops")

    cases = [(1.0, 1.0, 1.0), (2.0, 3.0, 1.0)]  # a swap is invisible on the first case
    with pytest.raises(ExerciseError) as info:
        run_cases("mul_backward", mul_backward_swapped, mul_backward_reference, cases, diagnose=broken_diagnosis)
    assert "on case 2 of 2." in str(info.value)
    assert "likely mistake" not in str(info.value)


def test_each_function_gets_its_own_copy_of_the_inputs(capsys):
    def scale_(x):  # changes its input in place
        x *= 2

    def student_scale_(x):
        x *= 3

    run_cases("scale_", scale_, scale_, [(np.ones(2),)], observe=lambda args, _: args[0])
    with pytest.raises(ExerciseError, match=r"at index \(0,\) yours is 3.0, expected 2.0"):
        run_cases("scale_", student_scale_, scale_, [(np.ones(2),)], observe=lambda args, _: args[0])


def test_a_student_bug_shows_their_line_and_the_case_first():
    def buggy(a, b, grad):
        return a.missing

    with pytest.raises(ExerciseError) as info:
        run_cases("mul_backward", buggy, mul_backward_reference, CASES)
    lines = str(info.value).splitlines()
    assert lines[0] == (
        "mul_backward on case \"scalars\" (1 of 2) raised AttributeError: 'float' object has no attribute 'missing'"
    )
    assert lines[1].startswith("  your code:      line ") and lines[1].endswith("in buggy: return a.missing")
    assert isinstance(info.value.__cause__, AttributeError)  # the full traceback stays reachable


def test_a_crash_inside_numpy_quotes_the_students_line_not_numpys():
    def reshapes_wrongly(a, b, grad):
        return np.reshape(np.arange(3.0), (2, 2))

    with pytest.raises(ExerciseError) as info:
        run_cases("mul_backward", reshapes_wrongly, mul_backward_reference, CASES)
    assert str(info.value).splitlines()[1].endswith(
        "in reshapes_wrongly: return np.reshape(np.arange(3.0), (2, 2))")


def test_format_value_shows_the_first_entries_of_a_long_dict_or_tuple():
    assert format_value({k: float(k) for k in range(10)}) == "{0: 0.0, 1: 1.0, 2: 2.0, 3: 3.0, 4: 4.0, 5: 5.0, ...}"
    assert format_value(tuple(np.ones(1) for _ in range(7))).endswith("[1.], ...)")
    assert format_value({"lr": 0.1}) == "{'lr': 0.1}"


def test_a_forgotten_return_is_not_called_nan():
    def forgets_return(a, b, grad):
        (b * grad, a * grad)

    with pytest.raises(ExerciseError) as info:
        run_cases("mul_backward", forgets_return, mul_backward_reference, CASES)
    assert "did you forget `return`?" in str(info.value) and "nan" not in str(info.value)
    assert not not_finite(None) and not_finite([1.0, np.inf]) and not not_finite(np.array([1, 2]))
    assert "square root of a negative number" in first_match(np.array([np.nan]), [])


def test_a_crash_gets_the_hint_of_its_table_row():
    def compares_with_in(a, b, grad):
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")

    with pytest.raises(ExerciseError, match=r"(?s)your code:.*likely mistake: `p in a_list`"):
        run_cases("mul_backward", compares_with_in, mul_backward_reference, CASES)


def test_the_docstring_example_prints_what_it_says(capsys):
    from course_lib.checks import _core

    doc = _core.__doc__
    example = doc[doc.index("    MUL_MISTAKES"):doc.index("which prints")]
    namespace = {"np": np, "run_cases": run_cases}
    exec(textwrap.dedent(example), namespace)
    namespace["check_mul_backward"](mul_backward_reference)
    assert capsys.readouterr().out == "\u2713 mul_backward: 2 cases match the reference.\n"
    with pytest.raises(ExerciseError) as info:
        namespace["check_mul_backward"](mul_backward_swapped)
    shown = doc[doc.index("    mul_backward gives"):doc.index("from a checker")].strip()
    assert str(info.value) == textwrap.dedent("    " + shown)


def test_a_function_that_changes_its_arguments_fails_when_purity_is_asked():
    def scales_in_place(x):
        x *= 2
        return x

    run_cases("double", lambda x: x * 2, lambda x: x * 2, [(np.ones(2),)], pure="return x * 2")
    with pytest.raises(ExerciseError, match=r"(?s)changed its arguments in place.*likely mistake: return x \* 2"):
        run_cases("double", scales_in_place, lambda x: x * 2, [(np.ones(2),)], pure="return x * 2")

    def clips_y(x, y):
        y[:] = 0
        return x + y

    with pytest.raises(ExerciseError, match=r"changed its arguments in place on case 1 of 1: y\."):
        run_cases("add", clips_y, lambda x, y: x, [(np.ones(2), np.zeros(2) + 1)], pure="leave y alone")


def test_run_cases_names_the_first_likely_mistake_of_the_table():
    mistakes = [("never", lambda a, b, grad: None), ("swapped", mul_backward_swapped)]
    with pytest.raises(ExerciseError, match="likely mistake: swapped"):
        run_cases("mul_backward", mul_backward_swapped, mul_backward_reference, CASES, mistakes=mistakes)


def test_describe_difference_names_both_shapes():
    got, expected = course_lib.tensor([1.0, 2.0, 3.0]), course_lib.tensor([[1.0], [2.0], [3.0]])
    assert describe_difference(got, expected) == "your result has shape (3,), expected (3, 1)"


def test_describe_difference_points_at_the_first_differing_element():
    expected = np.arange(6.0).reshape(2, 3)
    got = expected.copy()
    got[1, 0] += 0.5
    got[1, 2] += 1
    assert describe_difference(got, expected) == "at index (1, 0) yours is 3.5, expected 3.0 (2 of 6 elements differ)"


def test_describe_difference_uses_tolerances():
    expected = np.array([1.0, 1000.0])
    assert describe_difference(expected * (1 + 1e-7), expected) is None
    assert describe_difference(expected * (1 + 1e-3), expected) is not None
    assert describe_difference(expected * (1 + 1e-3), expected, rtol=1e-2) is None
    assert describe_difference(np.array([np.nan]), np.array([np.nan])) is None
    assert describe_difference(np.array([np.nan]), np.array([1.0])) is not None


def test_describe_difference_explains_none_and_wrong_types():
    assert describe_difference(None, np.ones(2)) == "your function returned None; did you forget `return`?"
    assert describe_difference(np.zeros(2), course_lib.zeros(2)) == (
        "your result is a numpy array, expected a course_lib Tensor"
    )
    assert describe_difference((1.0,), (1.0, 2.0)) == "your result has 1 value, expected 2"
    assert describe_difference({"step": 1}, {"step": 2}) == "element 'step': yours is 1, expected 2"
    assert describe_difference((1.0, None), (1.0, {})) == "element 1: yours is None, expected a dict"
    assert describe_difference(np.zeros(2), {"step": 1}) == (
        "your result is a numpy array, expected a dict with keys ['step']"
    )
    assert describe_difference([0.1, 0.2], [0.1, 0.2000001]) is None  # a list of numbers is one array
    labels = course_lib.tensor([1, 2])
    assert describe_difference(labels.float(), labels) == (
        f"your result has dtype {course_lib.float32}, expected {course_lib.int64}"
    )


def test_describe_difference_compares_strings_and_objects_by_equality():
    assert describe_difference("mean", "mean") is None
    assert describe_difference("sum", "mean") == "your result is 'sum', expected 'mean'"
    assert describe_difference(["a", "b"], ["a", "c"]) == "element 1: your result is 'b', expected 'c'"


def test_assert_close_message_says_what_and_the_hint():
    with pytest.raises(ExerciseError) as info:
        assert_close(
            np.array([0.5]), np.array([1.0]), what="the momentum buffer after step 2",
            inputs="momentum = 0.9", hint="did you apply dampening on the first step?",
        )
    lines = str(info.value).splitlines()
    assert lines[0] == "the momentum buffer after step 2 is wrong."
    assert "  inputs:         momentum = 0.9" in lines
    assert "  likely mistake: did you apply dampening on the first step?" in lines
    assert_close(course_lib.tensor([1.0]), course_lib.tensor([1.0]))  # no error when equal


def test_render_traceback_shows_only_the_short_coloured_message():
    error = ExerciseError("first line\n  second line")
    assert error._render_traceback_() == ["\x1b[1;31mExerciseError\x1b[0m: first line", "  second line"]


def test_format_value_is_short_and_rounded():
    assert format_value(2.0) == "2.0"
    assert format_value(np.float64(1 / 3)) == "0.3333"
    assert format_value(course_lib.tensor([1.0, 2.5])) == "tensor([1., 2.5])"
    assert format_value(np.arange(100.0)).count(" ") < 12  # long arrays are elided


def test_allclose_never_raises():
    assert allclose(np.ones(2), np.ones(2))
    assert not allclose(np.ones(2), np.ones(3))
    assert not allclose(object(), np.ones(2))


def test_format_value_writes_one_tuples_and_tensors_as_python_and_torch_do():
    from course_lib.checks import format_value

    assert format_value((3,)) == "(3,)"
    assert format_value((2, 3)) == "(2, 3)"
    assert format_value(course_lib.tensor([[1.0, 2.0], [3.0, 4.5]])) == "tensor([[1., 2.], [3., 4.5]])"
    assert format_value(np.array([1.0, 2.0])) == "[1. 2.]"


def test_describe_difference_shows_enough_digits_to_tell_values_apart():
    from course_lib.checks import describe_difference

    text = describe_difference(0.400000123, 0.4, rtol=1e-9, atol=0.0)
    assert "yours is 0.40000012, expected 0.4" in text  # not "0.4, expected 0.4"
    text = describe_difference(np.array([1.0, 0.70710678]), np.array([1.0, 0.70710778]), rtol=1e-9, atol=0.0)
    assert "0.70710678" in text and "0.70710778" in text


def test_the_lesson_markers_come_from_the_solution_notebooks():
    import conftest

    notebooks = sorted((conftest.ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    assert conftest.LESSON_NUMBERS == [path.name[:2] for path in notebooks] and len(notebooks) >= 12


def test_only_core_raises_exercise_errors():
    from pathlib import Path

    from course_lib.checks import _core

    folder = Path(_core.__file__).parent
    raising = [path.name for path in folder.glob("*.py") if "raise ExerciseError" in path.read_text()]
    assert raising == ["_core.py"]
