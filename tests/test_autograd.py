"""Autograd engine: accumulation, shared nodes, deep graphs, no_grad, detach, leaves, errors."""
from __future__ import annotations

import numpy as np
import pytest

import course_lib


def test_backward_of_deep_chain_of_100000_ops_does_not_recurse():
    x = course_lib.tensor(1.0, dtype=course_lib.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0  # 100,000 recorded ops, each with derivative 1
    y.backward()
    assert x.grad.item() == 1.0


def test_shared_node_used_twice_gets_both_contributions():
    a = course_lib.tensor([1.0, -2.0], requires_grad=True)
    b = a + a
    c = b + b
    c.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [4.0, 4.0])


def test_diamond_graph_sums_both_paths():
    x = course_lib.tensor(3.0, dtype=course_lib.float64, requires_grad=True)
    y = x * x  # dy/dx = 2x
    z = y * x + y  # z = x^3 + x^2, dz/dx = 3x^2 + 2x
    z.backward()
    assert x.grad.item() == pytest.approx(3 * 9 + 2 * 3)


def test_gradients_accumulate_across_backward_calls():
    w = course_lib.tensor([1.0, 2.0], requires_grad=True)
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [6.0, 6.0])
    w.grad = None
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])


def test_backward_on_non_scalar_without_gradient_raises_torch_error():
    x = course_lib.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()


def test_backward_with_explicit_gradient_on_non_scalar():
    x = course_lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).backward(course_lib.tensor([1.0, 0.5, 0.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 0.0])


def test_backward_gradient_of_wrong_shape_names_both_shapes():
    x = course_lib.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\[2\].*\[3\]"):
        (x * 2).backward(course_lib.ones(2))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        course_lib.ones(2).sum().backward()


def test_broadcast_gradient_has_the_input_shape():
    a = course_lib.ones(3, 1, requires_grad=True)
    b = course_lib.ones(4, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_array_equal(a.grad.numpy(), np.full((3, 1), 4.0))
    np.testing.assert_array_equal(b.grad.numpy(), np.full(4, 3.0))


def test_no_grad_stops_recording_and_works_as_decorator():
    x = course_lib.ones(2, requires_grad=True)
    with course_lib.no_grad():
        y = x * 2
        assert not course_lib.is_grad_enabled()
    assert course_lib.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None

    @course_lib.no_grad()
    def double(t):
        return t * 2

    assert double(x).grad_fn is None


def test_detach_shares_storage_and_cuts_the_graph():
    x = course_lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None
    d = x.detach()
    d.numpy()[0] = 10.0  # same storage, as in torch
    assert x.detach().numpy()[0] == 10.0


def test_is_leaf_and_grad_fn_names():
    x = course_lib.tensor([1.0, 2.0], requires_grad=True)
    c = course_lib.tensor([1.0, 2.0])
    assert x.is_leaf and c.is_leaf and x.grad_fn is None
    y = x * c
    assert not y.is_leaf
    assert y.grad_fn.name() == "MulBackward0"
    assert (y + 1).grad_fn.name() == "AddBackward0"
    assert y.sum().grad_fn.name() == "SumBackward0"
    assert y.exp().grad_fn.name() == "ExpBackward0"
    assert (c * 2).grad_fn is None  # nothing requires grad: a leaf


def test_requires_grad_only_for_floating_point():
    with pytest.raises(RuntimeError, match="floating point"):
        course_lib.tensor([1, 2]).requires_grad_()
    t = course_lib.tensor([1.0]).requires_grad_()
    assert t.requires_grad


def test_in_place_on_leaf_that_requires_grad_raises():
    w = course_lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="in-place"):
        w[0] = 3.0
    with course_lib.no_grad():
        w.sub_(0.5)
        w[1] = 3.0
    np.testing.assert_array_equal(w.detach().numpy(), [0.5, 3.0])


def test_float32_gradients_stay_float32():
    w = course_lib.ones(3, requires_grad=True)
    (w * course_lib.tensor([1.0, 2.0, 3.0], dtype=course_lib.float64)).sum().backward()
    assert w.grad.dtype == course_lib.float32


def test_grad_of_intermediate_is_not_kept():
    x = course_lib.ones(2, requires_grad=True)
    y = x * 2
    y.sum().backward()
    assert y.grad is None and x.grad is not None


def test_dtype_conversion_is_differentiated_back_into_the_source_dtype():
    x = course_lib.tensor([1.0, 2.0], dtype=course_lib.float64, requires_grad=True)
    y = x.float()
    assert y.dtype == course_lib.float32 and y.grad_fn.name() == "ToCopyBackward0"
    (y * 3).sum().backward()
    assert x.grad.dtype == course_lib.float64
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
