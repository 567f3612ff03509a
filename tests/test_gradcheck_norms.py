"""Property tests: ``F.batch_norm``, ``F.layer_norm`` and the two layers pass ``gradcheck``.

Random shapes (bounded: at most 4 per side) and float64 values; each normalised group is
kept away from zero spread (standard deviation at least 0.1), where ``1/sqrt(var + eps)``
is so steep that central differences stop being accurate.
"""
from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import course_lib
from course_lib import gradcheck, nn
from course_lib.nn import functional as F

SETTINGS = settings(max_examples=25, deadline=None)


def values(shape, low=-2.0, high=2.0):
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high, allow_nan=False))


def leaf(array):
    return course_lib.tensor(array, dtype=course_lib.float64, requires_grad=True)


def spread_enough(x: np.ndarray, axes: tuple[int, ...]) -> bool:
    return bool(np.all(x.std(axis=axes) > 0.1))


@st.composite
def batch_norm_case(draw):
    """``(x, weight, bias)`` with ``x`` of shape (N, C) or (N, C, L), at least 2 values per channel."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    shape = (n, c) if draw(st.booleans()) else (n, c, draw(st.integers(1, 3)))
    assume(n * int(np.prod(shape[2:])) >= 2)
    x = draw(values(shape))
    assume(spread_enough(x, tuple(i for i in range(x.ndim) if i != 1)))
    return x, draw(values((c,), -1.5, 1.5)), draw(values((c,)))


@SETTINGS
@given(batch_norm_case())
def test_batch_norm_training_passes_gradcheck(case):
    x, w, b = case
    assert gradcheck(lambda t, wt, bt: F.batch_norm(t, None, None, wt, bt, training=True), (leaf(x), leaf(w), leaf(b)))
    assert gradcheck(lambda t: F.batch_norm(t, None, None, training=True, eps=1e-3), (leaf(x),))


@SETTINGS
@given(batch_norm_case(), st.data())
def test_batch_norm_eval_passes_gradcheck(case, data):
    x, w, b = case
    c = x.shape[1]
    mean = course_lib.tensor(data.draw(values((c,))), dtype=course_lib.float64)
    var = course_lib.tensor(data.draw(values((c,), 0.2, 3.0)), dtype=course_lib.float64)
    assert gradcheck(lambda t, wt, bt: F.batch_norm(t, mean, var, wt, bt), (leaf(x), leaf(w), leaf(b)))


@SETTINGS
@given(batch_norm_case(), st.sampled_from([0.1, None]))
def test_batchnorm1d_module_passes_gradcheck_in_training(case, momentum):
    x, w, b = case
    bn = nn.BatchNorm1d(x.shape[1], momentum=momentum).double()
    with course_lib.no_grad():
        bn.weight.copy_(course_lib.tensor(w))
        bn.bias.copy_(course_lib.tensor(b))
    # gradcheck calls bn many times; every call only updates the buffers, never the output.
    assert gradcheck(bn, (leaf(x),))
    assert gradcheck(lambda wt: F.batch_norm(leaf(x), None, None, wt, None, training=True), (leaf(w),))


@st.composite
def layer_norm_case(draw):
    """``(x, normalized_shape, weight, bias)``: the last 1 to ndim dimensions of a random shape."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    k = draw(st.integers(1, len(shape)))
    normalized = shape[len(shape) - k:]
    assume(int(np.prod(normalized)) >= 2)
    x = draw(values(shape))
    assume(spread_enough(x, tuple(range(len(shape) - k, len(shape)))))
    return x, normalized, draw(values(normalized, -1.5, 1.5)), draw(values(normalized))


@SETTINGS
@given(layer_norm_case())
def test_layer_norm_passes_gradcheck(case):
    x, normalized, w, b = case
    assert gradcheck(lambda t, wt, bt: F.layer_norm(t, normalized, wt, bt), (leaf(x), leaf(w), leaf(b)))
    assert gradcheck(lambda t, wt: F.layer_norm(t, list(normalized), wt), (leaf(x), leaf(w)))
    assert gradcheck(lambda t: F.layer_norm(t, normalized, eps=1e-3), (leaf(x),))


@SETTINGS
@given(layer_norm_case())
def test_layernorm_module_passes_gradcheck(case):
    x, normalized, w, b = case
    ln = nn.LayerNorm(normalized).double()
    with course_lib.no_grad():
        ln.weight.copy_(course_lib.tensor(w))
        ln.bias.copy_(course_lib.tensor(b))
    assert gradcheck(ln, (leaf(x),))


def test_gradcheck_catches_a_wrong_norm_backward(monkeypatch):
    """The check can fail: dropping the mean terms of the batch-statistics backward is caught."""
    from course_lib.nn import _norms

    real = _norms._affine_op

    def without_stat_terms(name, input, weight, bias, x_hat, invstd, stat_axes, param_shape):
        return real(name, input, weight, bias, x_hat, invstd, None, param_shape)

    monkeypatch.setattr(_norms, "_affine_op", without_stat_terms)
    x = leaf(np.array([[0.5, -1.0], [2.0, 0.3], [-0.7, 1.1]]))
    assert not gradcheck(lambda t: F.layer_norm(t, (2,)), (x,), raise_exception=False)
    assert not gradcheck(lambda t: F.batch_norm(t, None, None, training=True), (x,), raise_exception=False)
