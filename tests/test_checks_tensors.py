"""Tests of course_lib.checks.tensors: broadcasting shapes, normalize_rows, mse_by_hand."""
import pytest

import course_lib
from course_lib.checks import ExerciseError
from course_lib.checks.tensors import check_broadcast_shape, check_mse_by_hand, check_normalize_rows


def _padded(a, b):
    n = max(len(a), len(b))
    return (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)


def broadcast_shape(a, b):
    """A correct solution, written independently of course_lib."""
    out = []
    for x, y in zip(*_padded(a, b)):
        if x != y and 1 not in (x, y):
            raise RuntimeError(f"sizes {x} and {y} do not broadcast")
        out.append(y if x == 1 else x)
    return tuple(out)


def _stub(*args):
    raise NotImplementedError("Exercise 01.2: complete `some_function`, then run the check below.")


def test_check_broadcast_shape_accepts_reference(capsys):
    check_broadcast_shape(broadcast_shape)
    assert "broadcast_shape: 11 pairs of shapes match" in capsys.readouterr().out


def test_check_broadcast_shape_stub_says_not_done():
    with pytest.raises(ExerciseError, match="Exercise 01.2 is not done yet"):
        check_broadcast_shape(_stub)


def test_check_broadcast_shape_names_left_alignment():
    def left(a, b):
        n = max(len(a), len(b))
        return broadcast_shape(tuple(a) + (1,) * (n - len(a)), tuple(b) + (1,) * (n - len(b)))

    with pytest.raises(ExerciseError, match="lined the shapes up from the LEFT"):
        check_broadcast_shape(left)


def test_check_broadcast_shape_names_missing_raise():
    def never_raises(a, b):
        return tuple(max(x, y) for x, y in zip(*_padded(a, b)))

    with pytest.raises(ExerciseError, match=r"(?s)your result:    \(2, 3\)\n  expected:       'raises RuntimeError'"
                                            r".*raise RuntimeError"):
        check_broadcast_shape(never_raises)


def test_check_broadcast_shape_names_size_one_rule():
    def no_stretch(a, b):
        a, b = _padded(a, b)
        if a != b:
            raise RuntimeError("different")
        return a

    with pytest.raises(ExerciseError, match="a size of 1 stretches"):
        check_broadcast_shape(no_stretch)


def test_check_broadcast_shape_asks_for_runtime_error_type():
    def value_error(a, b):
        try:
            return broadcast_shape(a, b)
        except RuntimeError as error:
            raise ValueError(str(error)) from None

    with pytest.raises(ExerciseError, match="raise RuntimeError, the type course_lib and torch use"):
        check_broadcast_shape(value_error)


def test_check_broadcast_shape_names_missing_padding():
    with pytest.raises(ExerciseError, match="as many dimensions as the LONGER shape"):
        check_broadcast_shape(lambda a, b: tuple(max(x, y) for x, y in zip(a[::-1], b[::-1]))[::-1])


def test_check_normalize_rows_accepts_reference(capsys):
    check_normalize_rows(lambda x: x / x.sum(dim=1, keepdim=True))
    assert "normalize_rows: 4 cases match" in capsys.readouterr().out


def test_check_normalize_rows_stub_says_not_done():
    with pytest.raises(ExerciseError, match="not done yet"):
        check_normalize_rows(_stub)


def test_check_normalize_rows_names_forgotten_keepdim_when_shapes_clash():
    with pytest.raises(ExerciseError, match="you forgot keepdim=True"):
        check_normalize_rows(lambda x: x / x.sum(dim=1))


def test_check_normalize_rows_names_forgotten_keepdim_on_square_input():
    # Reshape the (2, 3) case away so the first failure is the silent square one.
    def forgot_keepdim_quietly(x):
        if x.shape[0] == x.shape[1]:
            return x / x.sum(dim=1)
        return x / x.sum(dim=1, keepdim=True)

    with pytest.raises(ExerciseError, match="each COLUMN j was divided by the sum of ROW j"):
        check_normalize_rows(forgot_keepdim_quietly)


def test_check_normalize_rows_names_wrong_dim():
    with pytest.raises(ExerciseError, match="summed over dim=0"):
        check_normalize_rows(lambda x: x / x.sum(dim=0, keepdim=True))


def test_check_mse_by_hand_accepts_reference(capsys):
    check_mse_by_hand(lambda p, t: ((p.reshape(-1) - t.reshape(-1)) ** 2).mean())
    assert "mse_by_hand: 4 cases match" in capsys.readouterr().out


def test_check_mse_by_hand_stub_says_not_done():
    with pytest.raises(ExerciseError, match="not done yet"):
        check_mse_by_hand(_stub)


def test_check_mse_by_hand_names_broadcast_to_square_table():
    with pytest.raises(ExerciseError, match=r"broadcasts to \(5, 5\)"):
        check_mse_by_hand(lambda p, t: ((p - t) ** 2).mean())


def test_check_mse_by_hand_names_reshaping_only_pred():
    # The (3, 1) / (3, 1) case: pred.reshape(-1) is (3,), target stays (3, 1) -> (3, 3).
    with pytest.raises(ExerciseError, match=r"reshaped pred to \(N,\) but not target.*broadcasts to \(3, 3\)"):
        check_mse_by_hand(lambda p, t: ((p.reshape(-1) - t) ** 2).mean())


def test_check_mse_by_hand_names_sum_instead_of_mean():
    with pytest.raises(ExerciseError, match="you summed the squared errors"):
        check_mse_by_hand(lambda p, t: ((p.reshape(-1) - t.reshape(-1)) ** 2).sum())


def test_check_mse_by_hand_names_rmse():
    with pytest.raises(ExerciseError, match="square root"):
        check_mse_by_hand(lambda p, t: ((p.reshape(-1) - t.reshape(-1)) ** 2).mean().sqrt())


def test_check_mse_by_hand_rejects_result_cut_from_graph():
    def via_item(p, t):
        return course_lib.tensor(((p.reshape(-1) - t.reshape(-1)) ** 2).mean().item())

    with pytest.raises(ExerciseError, match="no grad_fn"):
        check_mse_by_hand(via_item)


def test_reference_broadcast_shape_agrees_with_live_torch():
    torch = pytest.importorskip("torch")
    from course_lib.checks.tensors import BROADCAST_CASES, reference_broadcast_shape

    for a, b in BROADCAST_CASES:
        try:
            expected = tuple(torch.broadcast_shapes(a, b))
        except RuntimeError:
            with pytest.raises(RuntimeError):
                reference_broadcast_shape(a, b)
        else:
            assert reference_broadcast_shape(a, b) == expected


def test_check_normalize_rows_rejects_changing_the_callers_tensor():
    def in_place(x):
        x /= x.sum(dim=1, keepdim=True)
        return x

    with pytest.raises(ExerciseError, match=r"(?s)changed its arguments in place"
                                            r".*`x /= \.\.\.` changes the caller's tensor"):
        check_normalize_rows(in_place)


def test_check_broadcast_shape_names_a_result_left_in_reverse_order():
    def from_the_right(a, b):  # walks the sizes from the right and forgets to reverse the result back
        out = []
        for x, y in zip(*(reversed(s) for s in _padded(a, b))):
            if x != y and 1 not in (x, y):
                raise RuntimeError(f"sizes {x} and {y} do not broadcast")
            out.append(y if x == 1 else x)
        return tuple(out)

    with pytest.raises(ExerciseError, match=r"(?s)your result: +\(4, 3\).*in reverse order"):
        check_broadcast_shape(from_the_right)


def test_check_mse_by_hand_names_a_plain_number_without_a_dict_in_the_difference():
    message = str(pytest.raises(ExerciseError, check_mse_by_hand,
                                lambda p, t: ((p.reshape(-1) - t.reshape(-1)) ** 2).mean().item()).value)
    assert "your result is a float, expected a course_lib Tensor" in message and "a dict with keys" not in message
    assert "the number is right but it is not a tensor" in message


def test_check_mse_by_hand_crash_in_numpy_does_not_send_the_student_to_detach():
    message = str(pytest.raises(ExerciseError, check_mse_by_hand,
                                lambda p, t: course_lib.tensor(((p.numpy() - t.numpy()) ** 2).mean())).value)
    assert "Can't call numpy()" in message and "tensor operations only" in message


def test_check_broadcast_shape_names_max_of_the_sizes_on_an_empty_dimension():
    def with_max(a_shape, b_shape):
        a, b = _padded(a_shape, b_shape)
        if any(x != y and 1 not in (x, y) for x, y in zip(a, b)):
            raise RuntimeError("shapes do not broadcast")
        return tuple(max(x, y) for x, y in zip(a, b))

    with pytest.raises(ExerciseError, match=r"(?s)\(2, 1\), b_shape = \(0,\).*even 0 \(an empty dimension\)"):
        check_broadcast_shape(with_max)


def test_check_broadcast_shape_accepts_a_loop_from_the_right(capsys):
    def from_the_right(a_shape, b_shape):
        shape = []
        for i in range(1, max(len(a_shape), len(b_shape)) + 1):
            x = a_shape[-i] if i <= len(a_shape) else 1
            y = b_shape[-i] if i <= len(b_shape) else 1
            if x != y and 1 not in (x, y):
                raise RuntimeError(f"{x} vs {y}")
            shape.insert(0, y if x == 1 else x)
        return tuple(shape)

    check_broadcast_shape(from_the_right)
    assert "11 pairs of shapes match" in capsys.readouterr().out


def test_check_broadcast_shape_rejects_a_list():
    with pytest.raises(ExerciseError, match=r"'the list \[3, 4\]', expected \(3, 4\)(?s:.*)return a tuple"):
        check_broadcast_shape(lambda a, b: list(broadcast_shape(a, b)))
