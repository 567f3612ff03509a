"""nn.BatchNorm1d and nn.LayerNorm: buffers, modes, momentum, state_dict layout and torch's errors.

Numbers against torch are in tests/test_norm_reference.py; gradients in test_gradcheck_norms.py.
These tests need no torch (the expected values come from the formulas), except the ``_live`` ones.
"""
from __future__ import annotations

import numpy as np
import pytest

import course_lib
from course_lib import nn
from course_lib.nn import functional as F


def _x(*shape, seed=0):
    return course_lib.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=course_lib.float64)


# ---------------------------------------------------------------- BatchNorm1d: buffers and state
def test_batchnorm_buffers_and_state_dict_layout():
    bn = nn.BatchNorm1d(4)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert bn.num_batches_tracked.dtype == course_lib.int64 and bn.num_batches_tracked.shape == ()
    assert bn.running_mean.tolist() == [0.0] * 4 and bn.running_var.tolist() == [1.0] * 4
    assert bn.weight.tolist() == [1.0] * 4 and bn.bias.tolist() == [0.0] * 4


@pytest.mark.parametrize(("kwargs", "keys"), [
    ({"affine": False}, ["running_mean", "running_var", "num_batches_tracked"]),
    ({"track_running_stats": False}, ["weight", "bias"]),
    ({"bias": False}, ["weight", "running_mean", "running_var", "num_batches_tracked"]),
    ({"affine": False, "track_running_stats": False}, []),
])
def test_batchnorm_options_change_the_state_dict_keys(kwargs, keys):
    assert list(nn.BatchNorm1d(3, **kwargs).state_dict()) == keys


def test_batchnorm_train_normalises_with_batch_stats_and_updates_running_stats():
    x = _x(6, 3)
    bn = nn.BatchNorm1d(3, momentum=0.25).double()
    y = bn(x).detach().numpy()
    a = x.numpy()
    mean, var = a.mean(0), a.var(0)
    np.testing.assert_allclose(y, (a - mean) / np.sqrt(var + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.25 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.25 * a.var(0, ddof=1) + 0.75, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 1


def test_batchnorm_eval_uses_running_stats_and_changes_nothing():
    bn = nn.BatchNorm1d(3).double()
    bn(_x(5, 3))
    before = {k: v.numpy().copy() for k, v in bn.state_dict().items()}
    bn.eval()
    x = _x(1, 3, seed=1)  # one sample is fine in evaluation
    y = bn(x).detach().numpy()
    want = (x.numpy() - before["running_mean"]) / np.sqrt(before["running_var"] + 1e-5)
    np.testing.assert_allclose(y, want, rtol=1e-12)
    for key, value in bn.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key])


def test_batchnorm_momentum_none_is_a_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None).double()
    batches = [_x(4, 2, seed=s) for s in range(3)]
    for b in batches:
        bn(b)
    means = [b.numpy().mean(0) for b in batches]
    unbiased = [b.numpy().var(0, ddof=1) for b in batches]
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean(means, axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean(unbiased, axis=0), rtol=1e-12)
    assert bn.num_batches_tracked.item() == 3


def test_batchnorm_three_d_input_pools_batch_and_length():
    x = _x(3, 2, 5)
    bn = nn.BatchNorm1d(2, momentum=1.0).double()
    y = bn(x).detach().numpy()
    a = x.numpy()
    mean, var = a.mean((0, 2), keepdims=True), a.var((0, 2), keepdims=True)
    np.testing.assert_allclose(y, (a - mean) / np.sqrt(var + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), a.var((0, 2), ddof=1), rtol=1e-12)


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    x = _x(4, 3)
    bn = nn.BatchNorm1d(3, track_running_stats=False).double().eval()
    a = x.numpy()
    np.testing.assert_allclose(bn(x).detach().numpy(), (a - a.mean(0)) / np.sqrt(a.var(0) + 1e-5), rtol=1e-12)


def test_batchnorm_load_state_dict_and_double_move_buffers():
    source = nn.BatchNorm1d(3)
    source(course_lib.randn(8, 3))
    target = nn.BatchNorm1d(3)
    mean = target.running_mean
    target.load_state_dict(source.state_dict())
    assert target.running_mean is mean and target.num_batches_tracked.item() == 1
    np.testing.assert_array_equal(mean.numpy(), source.running_mean.numpy())
    target.double()
    assert target.running_var.dtype == course_lib.float64 and target.num_batches_tracked.dtype == course_lib.int64


def test_batchnorm_optimizer_sees_only_weight_and_bias():
    bn = nn.BatchNorm1d(3)
    assert [p.shape for p in bn.parameters()] == [(3,), (3,)]
    assert all(not b.requires_grad for b in bn.buffers())


def test_batchnorm_repr_like_torch():
    assert repr(nn.BatchNorm1d(3, momentum=None, affine=False)) == (
        "BatchNorm1d(3, eps=1e-05, momentum=None, affine=False, bias=False, track_running_stats=True)")


# ---------------------------------------------------------------- BatchNorm1d: errors
def test_batchnorm_one_value_per_channel_in_training_raises():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size course_lib.Size\(\[1, 3\]\)"):
        bn(course_lib.randn(1, 3))
    assert bn.num_batches_tracked.item() == 1  # torch counts the batch before checking it
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        bn(course_lib.randn(1, 3, 1))
    bn(course_lib.randn(1, 3, 2))  # two values per channel is enough
    bn.eval()
    bn(course_lib.randn(1, 3))


@pytest.mark.parametrize(("shape", "error", "words"), [
    ((4,), ValueError, r"expected 2D or 3D input \(got 1D input\)"),
    ((2, 3, 2, 2), ValueError, r"expected 2D or 3D input \(got 4D input\)"),
    ((4, 5), RuntimeError, "running_mean should contain 5 elements not 3"),
])
def test_batchnorm_bad_input_shape_raises_torch_error(shape, error, words):
    with pytest.raises(error, match=words):
        nn.BatchNorm1d(3)(course_lib.randn(*shape))


def test_batchnorm_dtype_errors():
    with pytest.raises(RuntimeError, match=r"mixed dtype \(CPU\): all inputs must share same datatype"):
        nn.BatchNorm1d(3)(course_lib.randn(4, 3, dtype=course_lib.float64))
    with pytest.raises(RuntimeError, match=r"mixed dtype \(CPU\): expect parameter to have scalar type of Float"):
        nn.BatchNorm1d(3).double()(course_lib.randn(4, 3))
    with pytest.raises(NotImplementedError, match="\"batch_norm\" not implemented for 'Long'"):
        nn.BatchNorm1d(3)(course_lib.zeros(4, 3, dtype=course_lib.int64))


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"running_mean": None, "running_var": None, "training": False}, RuntimeError,
     "running_mean must be defined in evaluation mode"),
    ({"running_mean": course_lib.zeros(3), "running_var": None, "training": True}, ValueError,
     "running_mean and running_var must either both be None or neither be None"),
    ({"running_mean": None, "running_var": None, "training": True, "eps": 0.0}, ValueError,
     "batch_norm eps must be positive during training, but got 0.0"),
    ({"running_mean": course_lib.zeros(3), "running_var": course_lib.ones(3), "eps": -1.0}, ValueError,
     "batch_norm eps must be non-negative, but got -1.0"),
    ({"running_mean": course_lib.zeros(3), "running_var": course_lib.ones(4)}, RuntimeError,
     "running_var should contain 3 elements not 4"),
    ({"running_mean": None, "running_var": None, "training": True, "weight": course_lib.ones(4)},
     RuntimeError, "weight should contain 3 elements not 4"),
    ({"running_mean": None, "running_var": None, "training": True, "bias": course_lib.ones(5)},
     RuntimeError, "bias should contain 3 elements not 5"),
])
def test_functional_batch_norm_errors(kwargs, error, words):
    with pytest.raises(error, match=words):
        F.batch_norm(course_lib.randn(4, 3), **kwargs)


def test_functional_batch_norm_takes_any_trailing_dims():
    x = _x(2, 3, 2, 2)
    a = x.numpy()
    y = F.batch_norm(x, None, None, training=True).numpy()
    mean, var = a.mean((0, 2, 3), keepdims=True), a.var((0, 2, 3), keepdims=True)
    np.testing.assert_allclose(y, (a - mean) / np.sqrt(var + 1e-5), rtol=1e-12)


# ---------------------------------------------------------------- LayerNorm
def test_layernorm_normalises_each_sample_over_the_last_dims():
    x = _x(2, 3, 4)
    ln = nn.LayerNorm((3, 4)).double()
    a = x.numpy()
    mean, var = a.mean((1, 2), keepdims=True), a.var((1, 2), keepdims=True)
    np.testing.assert_allclose(ln(x).detach().numpy(), (a - mean) / np.sqrt(var + 1e-5), rtol=1e-12)
    ln.eval()
    np.testing.assert_allclose(ln(x).detach().numpy(), (a - mean) / np.sqrt(var + 1e-5), rtol=1e-12)


@pytest.mark.parametrize(("kwargs", "keys"), [
    ({}, ["weight", "bias"]),
    ({"bias": False}, ["weight"]),
    ({"elementwise_affine": False}, []),
])
def test_layernorm_state_dict_keys(kwargs, keys):
    ln = nn.LayerNorm(5, **kwargs)
    assert list(ln.state_dict()) == keys and list(ln.buffers()) == []
    assert ln.normalized_shape == (5,)


def test_layernorm_repr_like_torch():
    assert repr(nn.LayerNorm([2, 3], bias=False)) == "LayerNorm((2, 3), eps=1e-05, elementwise_affine=True, bias=False)"


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: nn.LayerNorm((2, 3))(course_lib.randn(4, 3)), RuntimeError,
     r"Given normalized_shape=\[2, 3\], expected input with shape \[\*, 2, 3\], but got input of size\[4, 3\]"),
    (lambda: F.layer_norm(course_lib.randn(4, 3), (3,), weight=course_lib.ones(4)), RuntimeError,
     r"Expected weight to be of same shape as normalized_shape, but got weight of shape \[4\] and normalized_shape = \[3\]"),
    (lambda: F.layer_norm(course_lib.randn(4, 3), (3,), bias=course_lib.ones(4)), RuntimeError,
     r"Expected bias to be of same shape as normalized_shape"),
    (lambda: F.layer_norm(course_lib.randn(4, 3), 3), TypeError,
     r"layer_norm\(\): argument 'normalized_shape' \(position 2\) must be tuple of ints, not int"),
    (lambda: F.layer_norm(course_lib.randn(4, 3), ()), RuntimeError,
     "Expected normalized_shape to be at least 1-dimensional"),
    (lambda: nn.LayerNorm(3)(course_lib.randn(4, 3, dtype=course_lib.float64)), RuntimeError,
     r"mixed dtype \(CPU\): all inputs must share same datatype"),
    (lambda: F.layer_norm(course_lib.zeros(4, 3, dtype=course_lib.int64), (3,)), NotImplementedError,
     "\"LayerNormKernelImpl\" not implemented for 'Long'"),
], ids=["input-shape", "weight-shape", "bias-shape", "int-shape", "empty-shape", "mixed-dtype", "int-input"])
def test_layernorm_errors_use_torch_words(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_norm_errors_match_torch_live():
    """Same exception type and the same first words as torch, for each bad call above."""
    torch = pytest.importorskip("torch")
    calls = [
        lambda lib: lib.nn.BatchNorm1d(3)(lib.randn(1, 3)),
        lambda lib: lib.nn.BatchNorm1d(3)(lib.randn(4)),
        lambda lib: lib.nn.BatchNorm1d(3)(lib.randn(4, 5)),
        lambda lib: lib.nn.BatchNorm1d(3)(lib.randn(4, 3, dtype=lib.float64)),
        lambda lib: lib.nn.BatchNorm1d(3).double()(lib.randn(4, 3)),
        lambda lib: lib.nn.BatchNorm1d(3)(lib.zeros(4, 3, dtype=lib.int64)),
        lambda lib: lib.nn.functional.batch_norm(lib.randn(4, 3), None, None),
        lambda lib: lib.nn.functional.batch_norm(lib.randn(4, 3), lib.zeros(3), None, training=True),
        lambda lib: lib.nn.functional.batch_norm(lib.randn(4, 3), None, None, training=True, eps=0.0),
        lambda lib: lib.nn.functional.batch_norm(lib.randn(4, 3), lib.zeros(3), lib.ones(3), eps=-1.0),
        lambda lib: lib.nn.functional.batch_norm(lib.randn(4, 3), lib.zeros(3), lib.ones(3), bias=lib.ones(5)),
        lambda lib: lib.nn.LayerNorm((2, 3))(lib.randn(4, 3)),
        lambda lib: lib.nn.functional.layer_norm(lib.randn(4, 3), (3,), weight=lib.ones(4)),
        lambda lib: lib.nn.functional.layer_norm(lib.randn(4, 3), 3),
        lambda lib: lib.nn.functional.layer_norm(lib.randn(4, 3), ()),
        lambda lib: lib.nn.functional.layer_norm(lib.zeros(4, 3, dtype=lib.int64), (3,)),
    ]
    for i, call in enumerate(calls):
        raised = []
        for lib in (course_lib, torch):
            with pytest.raises(Exception) as info:
                call(lib)
            raised.append((type(info.value), str(info.value).split(". help:")[0].replace("torch.Size", "course_lib.Size")))
        assert raised[0][0] is raised[1][0], (i, raised)
        assert raised[0][1].startswith(raised[1][1]) or raised[1][1].startswith(raised[0][1]), (i, raised)


# ---------------------------------------------------------------- in a model
def _mlp(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.BatchNorm1d(3), lib.nn.ReLU(),
                             lib.nn.Linear(3, 2), lib.nn.LayerNorm(2))


MLP_KEYS = ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
            "1.num_batches_tracked", "3.weight", "3.bias", "4.weight", "4.bias"]


def test_state_dict_of_a_model_with_norm_layers_has_torchs_keys_in_order():
    model = _mlp(course_lib)
    assert list(model.state_dict()) == MLP_KEYS
    assert [n for n, _ in model.named_buffers()] == ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    model(course_lib.randn(5, 4))
    assert model[1].num_batches_tracked.item() == 1
    model.eval()
    model(course_lib.randn(1, 4))
    assert model[1].num_batches_tracked.item() == 1


def test_state_dict_of_a_model_with_norm_layers_matches_torch_live():
    torch = pytest.importorskip("torch")
    mine, theirs = _mlp(course_lib), _mlp(torch)
    assert list(mine.state_dict()) == list(theirs.state_dict()) == MLP_KEYS
    assert [str(v.dtype).split(".")[-1] for v in mine.state_dict().values()] == \
        [str(v.dtype).split(".")[-1] for v in theirs.state_dict().values()]
    assert repr(mine) == repr(theirs)


def test_batchnorm1d_is_a_batchnorm_for_update_bn():
    from course_lib.nn.batchnorm import _BatchNorm

    assert isinstance(nn.BatchNorm1d(2), _BatchNorm) and not isinstance(nn.LayerNorm(2), _BatchNorm)
