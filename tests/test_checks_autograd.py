"""Tests of course_lib.checks.autograd: mul/matmul/sum backward and unbroadcast."""
import pytest

import course_lib
from course_lib.checks import ExerciseError
from course_lib.checks.autograd import (
    check_matmul_backward,
    check_mul_backward,
    check_sum_backward,
    check_unbroadcast,
)


def _stub(*args):
    raise NotImplementedError("Exercise 02.1: complete `mul_backward`, then run the check below.")


def sum_backward(x, grad, dim=None, keepdim=False):
    if dim is not None and not keepdim:
        grad = grad.unsqueeze(dim)
    return grad * course_lib.ones_like(x)


def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(dim=0)
    for dim, size in enumerate(shape):
        if size == 1 and grad.shape[dim] != 1:
            grad = grad.sum(dim=dim, keepdim=True)
    return grad


def test_check_mul_backward_accepts_reference(capsys):
    check_mul_backward(lambda a, b, grad: (b * grad, a * grad))
    assert "mul_backward: 3 cases match" in capsys.readouterr().out


def test_check_mul_backward_stub_says_not_done():
    with pytest.raises(ExerciseError, match=r"Exercise 02\.1 is not done yet: complete `mul_backward`"):
        check_mul_backward(_stub)


def test_check_mul_backward_names_a_times_grad():
    expected = ("the gradient of `a * b` with respect to `a` should be `b * grad`; "
                "yours looks like `a * grad`")
    with pytest.raises(ExerciseError, match=expected.replace("*", r"\*")):
        check_mul_backward(lambda a, b, grad: (a * grad, b * grad))


def test_check_mul_backward_names_plain_a():
    with pytest.raises(ExerciseError, match="yours looks like `a`"):
        check_mul_backward(lambda a, b, grad: (a, b))


def test_check_mul_backward_names_forgotten_grad():
    with pytest.raises(ExerciseError, match="You forgot to multiply by `grad`"):
        check_mul_backward(lambda a, b, grad: (b, a))


def test_check_mul_backward_names_wrong_grad_b():
    with pytest.raises(ExerciseError, match="with respect to `b` should be `a \\* grad`; yours looks like `b \\* grad`"):
        check_mul_backward(lambda a, b, grad: (b * grad, b * grad))


def test_check_matmul_backward_accepts_reference(capsys):
    check_matmul_backward(lambda A, B, grad: (grad @ B.T, A.T @ grad))
    assert "matmul_backward: 4 cases match" in capsys.readouterr().out


def test_check_matmul_backward_stub_says_not_done():
    with pytest.raises(ExerciseError, match="not done yet"):
        check_matmul_backward(_stub)


def test_check_matmul_backward_names_missing_transpose_of_b():
    with pytest.raises(ExerciseError, match="yours looks like `grad @ B` \\(a missing transpose\\)"):
        check_matmul_backward(lambda A, B, grad: (grad @ B, A.T @ grad))


def test_check_matmul_backward_names_missing_transpose_of_a():
    with pytest.raises(ExerciseError, match="yours looks like `A @ grad`"):
        check_matmul_backward(lambda A, B, grad: (grad @ B.T, A @ grad))


def test_check_matmul_backward_names_swapped_results():
    with pytest.raises(ExerciseError, match="swapped"):
        check_matmul_backward(lambda A, B, grad: (A.T @ grad, grad @ B.T))


def test_check_sum_backward_accepts_reference(capsys):
    check_sum_backward(sum_backward)
    assert "sum_backward: 5 cases match" in capsys.readouterr().out


def test_check_sum_backward_stub_says_not_done():
    with pytest.raises(ExerciseError, match="not done yet"):
        check_sum_backward(_stub)


def test_check_sum_backward_names_missing_unsqueeze():
    with pytest.raises(ExerciseError, match=r"wrong dimension.*grad\.unsqueeze\(1\)"):
        check_sum_backward(lambda x, grad, dim=None, keepdim=False: grad * course_lib.ones_like(x))


def test_check_sum_backward_names_grad_returned_unchanged():
    with pytest.raises(ExerciseError, match="you returned grad unchanged"):
        check_sum_backward(lambda x, grad, dim=None, keepdim=False: grad if dim is not None else sum_backward(x, grad))


def test_check_sum_backward_names_mean_instead_of_sum():
    def mean_backward(x, grad, dim=None, keepdim=False):
        count = x.numel() if dim is None else x.shape[dim]
        return sum_backward(x, grad, dim, keepdim) / count

    with pytest.raises(ExerciseError, match="backward of mean"):
        check_sum_backward(mean_backward)


def test_check_unbroadcast_accepts_reference(capsys):
    check_unbroadcast(unbroadcast)
    assert "unbroadcast: 6 cases match" in capsys.readouterr().out


def test_check_unbroadcast_stub_says_not_done():
    with pytest.raises(ExerciseError, match="not done yet"):
        check_unbroadcast(_stub)


def test_check_unbroadcast_names_forgotten_size_one_dims():
    def leading_only(grad, shape):
        while grad.ndim > len(shape):
            grad = grad.sum(dim=0)
        return grad

    with pytest.raises(ExerciseError, match="not over the dimensions where `shape` has size 1"):
        check_unbroadcast(leading_only)


def test_check_unbroadcast_names_forgotten_keepdim():
    def no_keepdim(grad, shape):
        while grad.ndim > len(shape):
            grad = grad.sum(dim=0)
        for dim in reversed(range(len(shape))):
            if shape[dim] == 1 and grad.shape[dim] != 1:
                grad = grad.sum(dim=dim)
        return grad

    with pytest.raises(ExerciseError, match="without keepdim=True"):
        check_unbroadcast(no_keepdim)


def test_check_unbroadcast_names_average_instead_of_sum():
    def averaged(grad, shape):
        n = grad.numel() // max(course_lib.zeros(*shape).numel(), 1)
        return unbroadcast(grad, shape) / n

    with pytest.raises(ExerciseError, match="you averaged the copies"):
        check_unbroadcast(averaged)


def test_autograd_references_agree_with_live_torch():
    torch = pytest.importorskip("torch")
    import numpy as np

    from course_lib.checks.autograd import (
        reference_matmul_backward,
        reference_sum_backward,
        reference_unbroadcast,
    )

    gen = np.random.default_rng(0)
    A, B, g = (gen.normal(size=s).astype(np.float32) for s in [(2, 3), (3, 4), (2, 4)])
    tA, tB = torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)
    (tA @ tB).backward(torch.tensor(g))
    grad_A, grad_B = reference_matmul_backward(course_lib.tensor(A), course_lib.tensor(B), course_lib.tensor(g))
    np.testing.assert_allclose(grad_A.numpy(), tA.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad_B.numpy(), tB.grad.numpy(), rtol=1e-5, atol=1e-6)

    x, gs = gen.normal(size=(2, 3, 4)).astype(np.float32), gen.normal(size=(2, 4)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    tx.sum(dim=-2).backward(torch.tensor(gs))
    got = reference_sum_backward(course_lib.tensor(x), course_lib.tensor(gs), -2, False)
    np.testing.assert_allclose(got.numpy(), tx.grad.numpy(), rtol=1e-6)

    grad = gen.normal(size=(2, 3, 4)).astype(np.float32)
    tb = torch.zeros(3, 1, requires_grad=True)
    (tb + torch.zeros(2, 3, 4)).backward(torch.tensor(grad))
    got = reference_unbroadcast(course_lib.tensor(grad), (3, 1))
    np.testing.assert_allclose(got.numpy(), tb.grad.numpy(), rtol=1e-5, atol=1e-6)
