"""Tensor basics: creation, dtypes and torch's promotion, shape ops, indexing, reductions, errors."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import course_lib


# ---------------------------------------------------------------- creation and dtypes
def test_python_floats_default_to_float32_and_ints_to_int64():
    assert course_lib.tensor([1.0, 2.0]).dtype == course_lib.float32
    assert course_lib.tensor([1, 2]).dtype == course_lib.int64
    assert course_lib.tensor([True]).dtype == course_lib.bool
    assert course_lib.zeros(2, 3).dtype == course_lib.float32
    assert course_lib.ones((2,), dtype=course_lib.float64).dtype == course_lib.float64
    assert course_lib.tensor(np.float64(1.5)).dtype == course_lib.float64  # numpy keeps its dtype


def test_creation_functions_shapes_and_values():
    assert course_lib.zeros(2, 3).shape == (2, 3)
    assert course_lib.full((2,), 7.0).tolist() == [7.0, 7.0]
    assert course_lib.arange(4).tolist() == [0, 1, 2, 3]
    assert course_lib.arange(0, 1, 0.25).dtype == course_lib.float32
    np.testing.assert_allclose(course_lib.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    assert course_lib.zeros_like(course_lib.ones(2, 2)).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_manual_seed_makes_random_functions_repeatable():
    course_lib.manual_seed(3)
    first = (course_lib.randn(3).tolist(), course_lib.rand(2).tolist(), course_lib.randint(0, 5, (4,)).tolist())
    course_lib.manual_seed(3)
    second = (course_lib.randn(3).tolist(), course_lib.rand(2).tolist(), course_lib.randint(0, 5, (4,)).tolist())
    assert first == second


def test_numbers_on_either_side_keep_the_tensor_dtype():
    t = course_lib.tensor([1.0, 2.0])
    for result in (t + 1, 1 + t, t * 2.5, 2.5 * t, 1 - t, t / 3, 3 / t, t**2, 2**t, -t):
        assert result.dtype == course_lib.float32
    assert (course_lib.tensor([1, 2]) * 0.5).dtype == course_lib.float32
    assert (course_lib.tensor([1, 2]) / 2).dtype == course_lib.float32
    np.testing.assert_allclose((1 - t).numpy(), [0.0, -1.0])
    np.testing.assert_allclose((3 / t).numpy(), [3.0, 1.5])


def test_float32_with_float64_tensor_promotes_to_float64_as_torch():
    a = course_lib.ones(3)
    b = course_lib.ones(3, dtype=course_lib.float64)
    assert (a + b).dtype == course_lib.float64
    assert (b * a).dtype == course_lib.float64
    assert course_lib.maximum(a, b).dtype == course_lib.float64


def test_matmul_with_mixed_dtypes_raises_like_torch():
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: float != double"):
        course_lib.ones(2, 3) @ course_lib.ones(3, 2, dtype=course_lib.float64)


def test_comparisons_give_bool_tensors_without_grad():
    x = course_lib.tensor([1.0, -1.0], requires_grad=True)
    mask = x > 0
    assert mask.dtype == course_lib.bool and not mask.requires_grad
    assert mask.tolist() == [True, False]


def test_repr_matches_torch_style():
    assert repr(course_lib.tensor([[-1.5, 2.0], [3.0, 4.0]])) == "tensor([[-1.5000,  2.0000],\n        [ 3.0000,  4.0000]])"
    assert repr(course_lib.tensor([1.0, 2.0], dtype=course_lib.float64)) == "tensor([1., 2.], dtype=course_lib.float64)"
    assert repr(course_lib.tensor(2.0, requires_grad=True)) == "tensor(2., requires_grad=True)"
    assert repr(course_lib.tensor(2.0, requires_grad=True) * 2) == "tensor(4., grad_fn=<MulBackward0>)"


def test_item_numpy_and_tolist():
    t = course_lib.tensor([[1.0, 2.0]])
    assert t.sum().item() == 3.0 and isinstance(t.sum().item(), float)
    assert isinstance(t.numpy(), np.ndarray)
    with pytest.raises(RuntimeError, match=r"Use tensor\.detach\(\)\.numpy\(\) instead"):
        course_lib.ones(2, requires_grad=True).numpy()
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        t.item()


# ---------------------------------------------------------------- broadcasting errors
def test_shape_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(4\).*\(2, 3\) and \(4,\)"):
        course_lib.ones(2, 3) + course_lib.ones(4)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x2\)"):
        course_lib.ones(2, 3) @ course_lib.ones(4, 2)


# ---------------------------------------------------------------- reductions
def test_max_with_dim_returns_namedtuple_of_values_and_indices():
    t = course_lib.tensor([[1.0, 5.0], [3.0, 2.0]])
    result = course_lib.max(t, 1)
    values, indices = result
    assert result.values.tolist() == [5.0, 3.0] and result.indices.tolist() == [1, 0]
    assert values.tolist() == [5.0, 3.0] and indices.dtype == course_lib.int64
    assert t.min(0, keepdim=True).values.shape == (1, 2)
    assert t.max().item() == 5.0
    assert course_lib.max(t, course_lib.zeros(2, 2) + 2).tolist() == [[2.0, 5.0], [3.0, 2.0]]
    assert "return_types.max(" in repr(result)


def test_argmax_flattened_and_along_dim():
    t = course_lib.tensor([[1.0, 5.0], [7.0, 2.0]])
    assert t.argmax().item() == 2
    assert t.argmax(dim=1).tolist() == [1, 0]
    assert t.argmax(dim=0, keepdim=True).shape == (1, 2)


def test_max_tie_shares_gradient_evenly_as_torch():
    x = course_lib.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.5, 0.5])


def test_var_and_std_default_to_bessel_correction():
    data = np.array([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]])
    t = course_lib.tensor(data, dtype=course_lib.float64)
    np.testing.assert_allclose(t.var().item(), data.var(ddof=1))
    np.testing.assert_allclose(t.std(1).numpy(), data.std(axis=1, ddof=1))
    np.testing.assert_allclose(t.var(1, unbiased=False).numpy(), data.var(axis=1))
    np.testing.assert_allclose(t.std(0, correction=0).numpy(), data.std(axis=0))


def test_var_of_one_element_warns_and_gives_nan():
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert math.isnan(course_lib.tensor([1.0]).var().item())


def test_sum_of_ints_is_int64_and_mean_of_ints_raises():
    assert course_lib.tensor([True, True]).sum().dtype == course_lib.int64
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype"):
        course_lib.tensor([1, 2]).mean()


def test_bad_dim_raises_index_error_with_range():
    with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 2"):
        course_lib.ones(2, 3).sum(2)


# ---------------------------------------------------------------- shape ops
def test_shape_ops_shapes():
    t = course_lib.zeros(2, 3, 4)
    assert t.reshape(6, -1).shape == (6, 4)
    assert t.view(-1).shape == (24,)
    assert t.flatten().shape == (24,) and t.flatten(1).shape == (2, 12)
    assert t.transpose(0, 2).shape == (4, 3, 2)
    assert t.permute(2, 0, 1).shape == (4, 2, 3)
    assert t.T.shape == (4, 3, 2)
    assert t.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert course_lib.zeros(1, 3, 1).squeeze().shape == (3,)
    assert course_lib.zeros(1, 3, 1).squeeze(0).shape == (3, 1)
    assert course_lib.zeros(2, 3).squeeze(0).shape == (2, 3)  # not of size 1: unchanged, as torch


def test_reshape_to_wrong_size_raises_torch_error():
    with pytest.raises(RuntimeError, match=r"shape '\[5, 3\]' is invalid for input of size 12"):
        course_lib.zeros(3, 4).reshape(5, 3)


def test_permute_errors():
    with pytest.raises(RuntimeError, match="duplicate dims are not allowed"):
        course_lib.zeros(2, 3).permute(0, 0)


# ---------------------------------------------------------------- indexing, joining
def test_indexing_forms_and_values():
    data = np.arange(12.0).reshape(3, 4)
    t = course_lib.tensor(data)
    np.testing.assert_array_equal(t[0].numpy(), data[0])
    np.testing.assert_array_equal(t[:, 1:3].numpy(), data[:, 1:3])
    np.testing.assert_array_equal(t[course_lib.tensor([2, 0, 2])].numpy(), data[[2, 0, 2]])
    np.testing.assert_array_equal(t[t > 5].numpy(), data[data > 5])
    assert t[1, 2].item() == 6.0


def test_repeated_index_gradients_accumulate():
    x = course_lib.zeros(3, requires_grad=True)
    x[course_lib.tensor([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_index_out_of_range_uses_torch_words():
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        course_lib.zeros(3)[5]


def test_stack_and_cat_values_and_errors():
    a, b = course_lib.tensor([1.0, 2.0]), course_lib.tensor([3.0, 4.0])
    assert course_lib.stack([a, b]).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert course_lib.stack([a, b], dim=1).tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert course_lib.cat([a, b]).tolist() == [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 and \[3\] at entry 1"):
        course_lib.stack([a, course_lib.ones(3)])
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0"):
        course_lib.cat([course_lib.ones(2, 2), course_lib.ones(2, 3)])
    with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
        course_lib.cat([])


# ---------------------------------------------------------------- elementwise
def test_elementwise_values_match_numpy():
    data = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    t = course_lib.tensor(data, dtype=course_lib.float64)
    np.testing.assert_allclose(course_lib.relu(t).numpy(), np.maximum(data, 0))
    np.testing.assert_allclose(t.clamp(-1, 1).numpy(), np.clip(data, -1, 1))
    np.testing.assert_allclose(t.abs().numpy(), np.abs(data))
    np.testing.assert_allclose(t.sigmoid().numpy(), 1 / (1 + np.exp(-data)))
    np.testing.assert_allclose(course_lib.where(t > 0, t, 0.0).numpy(), np.where(data > 0, data, 0.0))


def test_sigmoid_of_huge_values_does_not_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = course_lib.tensor([-1000.0, 1000.0]).sigmoid()
    assert out.tolist() == [0.0, 1.0]


def test_in_place_ops_for_optimizers_under_no_grad():
    p = course_lib.ones(3, requires_grad=True)
    with course_lib.no_grad():
        p.mul_(2).add_(course_lib.ones(3), alpha=0.5).addcmul_(course_lib.ones(3), course_lib.ones(3), value=2)
        p.clamp_(max=4.0)
    np.testing.assert_allclose(p.detach().numpy(), [4.0, 4.0, 4.0])


def test_ties_in_max_argmax_and_maximum_match_torch_live():
    torch = pytest.importorskip("torch")
    data = [[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 1.0, 2.0]]
    results = []
    for lib in (course_lib, torch):
        t = lib.tensor(data, requires_grad=True)
        values, indices = t.max(1)
        values.sum().backward()
        u = lib.tensor(data, requires_grad=True)
        lib.maximum(u, lib.tensor(2.0)).sum().backward()
        v = lib.tensor(data, requires_grad=True)
        v.max().backward()
        results.append((indices.tolist(), t.argmax(1).tolist(), t.min(1).indices.tolist(), t.grad.tolist(), u.grad.tolist(), v.grad.tolist()))
    assert results[0] == results[1]


def test_tensor_copies_a_numpy_array_but_from_numpy_shares_it():
    array = np.array([1.0, 2.0])
    copied, shared = course_lib.tensor(array), course_lib.from_numpy(array)
    array[0] = 5.0
    assert copied.tolist() == [1.0, 2.0]
    assert shared.tolist() == [5.0, 2.0]
    assert copied.dtype == course_lib.float64


def test_augmented_assignment_updates_the_parameter_in_place():
    p = course_lib.tensor([1.0, 2.0], requires_grad=True)
    alias = p
    (p * p).sum().backward()
    with course_lib.no_grad():
        p -= 0.5 * p.grad
        p *= 2.0
    assert p is alias and p.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        p += 1.0


def test_del_grad_sets_it_to_none_as_in_torch():
    p = course_lib.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    del p.grad
    assert p.grad is None
    (p * p).sum().backward()  # and the next backward starts from nothing
    assert p.grad.tolist() == [2.0, 4.0]


def test_nbytes_counts_the_elements_bytes():
    assert course_lib.zeros(3, 4).nbytes == 48  # float32
    assert course_lib.tensor([1, 2]).nbytes == 16  # int64
    assert course_lib.zeros(2, dtype=course_lib.float64).nbytes == 16


def test_tensor_has_slots_only():
    """``__slots__`` without ``__dict__``: a tensor's attributes are the ones it declares."""
    t = course_lib.tensor([1.0, 2.0])
    assert not hasattr(t, "__dict__")
    with pytest.raises(AttributeError):
        t.label = "x"
