"""course_lib.gradcheck itself: it passes correct gradients and catches wrong ones."""
from __future__ import annotations

import numpy as np
import pytest

import course_lib
from course_lib import gradcheck
from course_lib.autograd import record
from course_lib.gradcheck import GradcheckError


def wrong_square(x):
    """x**2 with a backward that forgets the factor 2."""
    return record(course_lib.Tensor(x._data**2), "WrongBackward", (x,), lambda g: (g * x._data,))


def test_gradcheck_passes_a_correct_function_of_several_inputs():
    a = course_lib.randn(2, 3, dtype=course_lib.float64, requires_grad=True)
    b = course_lib.randn(3, dtype=course_lib.float64, requires_grad=True)
    assert gradcheck(lambda x, y: (x * y).tanh().sum(0), (a, b)) is True


def test_gradcheck_error_names_input_element_and_both_values():
    const = course_lib.ones(2, dtype=course_lib.float64)
    x = course_lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=course_lib.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match=r"with respect to input 1, element \(0, 0\)[\s\S]*numerical: 2\.0\d*[\s\S]*analytical: 1\.0") as info:
        gradcheck(lambda c, t: wrong_square(t) * c, (const, x))
    assert isinstance(info.value, RuntimeError)


def test_gradcheck_can_return_false_instead_of_raising():
    x = course_lib.tensor([1.5], dtype=course_lib.float64, requires_grad=True)
    assert gradcheck(wrong_square, x, raise_exception=False) is False


def test_gradcheck_runs_in_float64_and_leaves_inputs_alone():
    x = course_lib.tensor([0.3, -1.2], requires_grad=True)  # float32
    assert gradcheck(lambda t: (t**3).sum(), (x,))
    assert x.grad is None and x.dtype == course_lib.float32


def test_gradcheck_handles_tuple_outputs():
    x = course_lib.randn(3, dtype=course_lib.float64, requires_grad=True)
    assert gradcheck(lambda t: (t.exp(), t.sum()), x)


def test_gradcheck_requires_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires_grad=True"):
        gradcheck(lambda t: t * 2, (course_lib.ones(2),))


def test_gradcheck_tolerances_follow_atol_plus_rtol():
    x = course_lib.tensor([1.0], dtype=course_lib.float64, requires_grad=True)

    def slightly_off(t):
        return record(course_lib.Tensor(t._data * 3), "Off", (t,), lambda g: (g * 3.01,))

    assert not gradcheck(slightly_off, x, raise_exception=False)
    assert gradcheck(slightly_off, x, rtol=1e-3, atol=1e-2)
    np.testing.assert_equal(x.grad, None)
