"""Tests of course_lib.checks.start: the warm-up checker of lesson 00."""
import pytest

import course_lib
from course_lib.checks import ExerciseError
from course_lib.checks.start import check_mean_of


def _stub(x):
    raise NotImplementedError("Exercise 00.1: complete `mean_of`, then run the check below.")


def test_check_mean_of_accepts_reference(capsys):
    check_mean_of(lambda x: x.sum() / x.numel())
    assert "mean_of: 4 cases match" in capsys.readouterr().out


def test_check_mean_of_stub_says_not_done():
    with pytest.raises(ExerciseError, match=r"Exercise 00\.1 is not done yet: complete `mean_of`"):
        check_mean_of(_stub)


def test_check_mean_of_names_sum_instead_of_mean():
    with pytest.raises(ExerciseError, match="you returned the sum"):
        check_mean_of(lambda x: x.sum())


def test_check_mean_of_names_len_instead_of_numel():
    with pytest.raises(ExerciseError, match=r"divided by len\(x\) = 2, the number of ROWS"):
        check_mean_of(lambda x: x.sum() / len(x))


def test_check_mean_of_names_column_means():
    with pytest.raises(ExerciseError, match="averaged each column"):
        check_mean_of(lambda x: x.mean(dim=0) if x.ndim > 1 else x.mean())


def test_check_mean_of_names_python_number_instead_of_tensor():
    with pytest.raises(ExerciseError, match=r"not a tensor \(did you call \.item\(\)"):
        check_mean_of(lambda x: x.sum().item() / x.numel())


def test_check_mean_of_names_division_without_sum():
    with pytest.raises(ExerciseError, match="did not add them up first"):
        check_mean_of(lambda x: x / x.numel())


def test_check_mean_of_names_dividing_by_numel_minus_one():
    with pytest.raises(ExerciseError, match=r"likely mistake: you divided by x\.numel\(\) - 1"):
        check_mean_of(lambda x: x.sum() / (x.numel() - 1) if x.numel() > 1 else x.sum())


def test_check_mean_of_names_row_means():
    with pytest.raises(ExerciseError, match=r"likely mistake: you averaged each row \(dim=-1\)"):
        check_mean_of(lambda x: x.mean(dim=-1) if x.ndim > 1 else x.mean())


def test_check_mean_of_names_the_last_dimension_instead_of_numel():
    with pytest.raises(ExerciseError, match=r"likely mistake: you divided by x\.shape\[-1\] = 3, the size of the LAST"):
        check_mean_of(lambda x: x.sum() / x.shape[-1])


def test_check_mean_of_does_not_say_no_division_to_a_division_by_ndim():
    # On the first case, a vector, x.ndim is 1: dividing by it returns the sum.
    with pytest.raises(ExerciseError, match=r"or divided it by x\.ndim = x\.dim\(\) = 1, the number of DIMENSIONS"):
        check_mean_of(lambda x: x.sum() / x.dim())


def test_check_mean_of_rejects_dividing_the_callers_tensor_in_place():
    def in_place(x):
        return x.div_(x.numel()).sum()

    with pytest.raises(ExerciseError, match=r"changed its arguments in place(?s:.*)x.div_"):
        check_mean_of(in_place)


def test_check_mean_of_accepts_a_loop_over_the_elements(capsys):
    def loop(x):
        total = course_lib.tensor(0.0)
        for value in x.reshape(-1):
            total = total + value
        return total / x.numel()

    check_mean_of(loop)
    assert "mean_of: 4 cases match" in capsys.readouterr().out
