"""Property tests: every differentiable op passes ``course_lib.gradcheck`` on random shapes.

Bounded strategies keep the suite fast: at most 3 dimensions of size at most 4, values in
float64 kept away from the points where an op is not differentiable (0 for relu/abs/log,
ties for max/maximum, the bounds of clamp) so central differences are meaningful.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import course_lib
from course_lib import gradcheck
from course_lib.nn import functional as F

SETTINGS = settings(max_examples=25, deadline=None)
SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def values(shape, low=-2.0, high=2.0):
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high, allow_nan=False))


def away_from_zero(shape):
    """Values in ±[0.1, 2]: no kink of relu/abs within the finite-difference step."""
    magnitudes = hnp.arrays(np.float64, shape, elements=st.floats(0.1, 2.0))
    signs = hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0]))
    return st.tuples(magnitudes, signs).map(lambda ms: ms[0] * ms[1])


def distinct(shape):
    """Values at least 1e-3 apart (no ties for max/min)."""
    return values(shape).filter(lambda a: a.size < 2 or np.min(np.diff(np.sort(a, axis=None))) > 1e-3)


def leaf(array):
    return course_lib.tensor(array, dtype=course_lib.float64, requires_grad=True)


def check(fn, *arrays):
    assert gradcheck(fn, tuple(leaf(a) for a in arrays))


# ---------------------------------------------------------------- elementwise
UNARY = {
    "exp": (lambda x: x.exp(), lambda s: values(s)),
    "log": (lambda x: course_lib.log(x), lambda s: values(s, 0.2, 3.0)),
    "tanh": (lambda x: x.tanh(), lambda s: values(s)),
    "sigmoid": (lambda x: course_lib.sigmoid(x), lambda s: values(s, -6, 6)),
    "relu": (lambda x: x.relu(), away_from_zero),
    "sqrt": (lambda x: x.sqrt(), lambda s: values(s, 0.2, 3.0)),
    "abs": (lambda x: course_lib.abs(x), away_from_zero),
    "neg": (lambda x: -x, lambda s: values(s)),
    "pow_int": (lambda x: x**3, lambda s: values(s)),
    "pow_fraction": (lambda x: x**0.5, lambda s: values(s, 0.2, 3.0)),
    "rpow": (lambda x: 1.5**x, lambda s: values(s)),
    "rdiv": (lambda x: 2.0 / x, lambda s: values(s, 0.3, 3.0)),
    "softmax_last": (lambda x: F.softmax(x, dim=-1), lambda s: values(s)),
    "log_softmax_first": (lambda x: F.log_softmax(x, dim=0), lambda s: values(s)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_passes_gradcheck(name):
    fn, strategy = UNARY[name]

    @SETTINGS
    @given(SHAPES.flatmap(strategy))
    def run(x):
        check(fn, x)

    run()


@SETTINGS
@given(SHAPES.flatmap(values))
def test_clamp_passes_gradcheck_away_from_bounds(x):
    assume(np.all(np.abs(np.abs(x) - 0.5) > 1e-3))
    check(lambda t: t.clamp(-0.5, 0.5), x)


# ---------------------------------------------------------------- binary with broadcasting
def broadcast_pair(low=-2.0, high=2.0, low_b=None):
    """Two arrays whose shapes broadcast (size-1 and missing leading dimensions included)."""
    shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)
    return shapes.flatmap(
        lambda s: st.tuples(values(s.input_shapes[0], low, high), values(s.input_shapes[1], low if low_b is None else low_b, high))
    )


BINARY = {
    "add": (lambda a, b: a + b, broadcast_pair()),
    "sub": (lambda a, b: a - b, broadcast_pair()),
    "mul": (lambda a, b: a * b, broadcast_pair()),
    "div": (lambda a, b: a / b, broadcast_pair(0.3, 3.0)),
    "pow": (lambda a, b: a**b, broadcast_pair(0.3, 2.0)),
    "where": (lambda a, b: course_lib.where(a > 0, a, b), broadcast_pair().filter(lambda ab: np.all(np.abs(ab[0]) > 1e-3))),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_passes_gradcheck_with_broadcasting(name):
    fn, strategy = BINARY[name]

    @SETTINGS
    @given(strategy)
    def run(pair):
        check(fn, *pair)

    run()


@pytest.mark.parametrize("op", [course_lib.maximum, course_lib.minimum])
def test_maximum_minimum_pass_gradcheck_without_ties(op):
    @SETTINGS
    @given(broadcast_pair())
    def run(pair):
        a, b = pair
        assume(np.all(np.abs(a - b) > 1e-3))
        check(op, a, b)

    run()


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.sampled_from(["mm", "mv", "vm", "dot", "batched"]), st.data())
def test_matmul_passes_gradcheck(n, k, m, form, data):
    shapes = {"mm": ((n, k), (k, m)), "mv": ((n, k), (k,)), "vm": ((k,), (k, m)), "dot": ((k,), (k,)), "batched": ((2, n, k), (k, m))}[form]
    a, b = (data.draw(values(s)) for s in shapes)
    check(lambda x, y: x @ y, a, b)


# ---------------------------------------------------------------- reductions
def with_dim(strategy_fn=values):
    return SHAPES.flatmap(lambda s: st.tuples(strategy_fn(s), st.integers(-len(s), len(s) - 1), st.booleans()))


@SETTINGS
@given(with_dim())
def test_sum_and_mean_pass_gradcheck(case):
    x, dim, keepdim = case
    check(lambda t: t.sum(), x)
    check(lambda t: t.sum(dim, keepdim=keepdim), x)
    check(lambda t: t.mean(dim, keepdim=keepdim), x)


@SETTINGS
@given(with_dim(distinct))
def test_max_min_pass_gradcheck_without_ties(case):
    x, dim, keepdim = case
    check(lambda t: t.max(), x)
    check(lambda t: t.max(dim, keepdim=keepdim).values, x)
    check(lambda t: course_lib.min(t, dim, keepdim=keepdim)[0], x)


@SETTINGS
@given(with_dim(), st.sampled_from([0, 1]))
def test_var_std_pass_gradcheck(case, correction):
    x, dim, keepdim = case
    n = x.shape[dim]
    assume(n - correction > 0 and x.size - correction > 0)
    centred = x - x.mean(axis=dim, keepdims=True)
    assume(np.all(np.sqrt((centred**2).sum(axis=dim)) > 0.1))  # std is not differentiable at 0
    check(lambda t: t.var(dim, keepdim=keepdim, correction=correction), x)
    check(lambda t: t.std(dim, keepdim=keepdim, correction=correction), x)
    assume(np.sqrt(((x - x.mean()) ** 2).sum()) > 0.1)
    check(lambda t: t.std(), x)


# ---------------------------------------------------------------- shape, indexing, joining
@SETTINGS
@given(SHAPES.flatmap(values), st.data())
def test_shape_ops_pass_gradcheck(x, data):
    nd = x.ndim
    perm = data.draw(st.permutations(range(nd)))
    d0, d1 = data.draw(st.integers(0, nd - 1)), data.draw(st.integers(0, nd - 1))
    check(lambda t: t.reshape(-1), x)
    check(lambda t: t.permute(*perm), x)
    check(lambda t: t.transpose(d0, d1), x)
    check(lambda t: t.T, x)
    check(lambda t: t.unsqueeze(d0).squeeze(d0), x)
    check(lambda t: t.flatten(min(d0, d1), max(d0, d1)), x)
    check(lambda t: t.squeeze(), x)
    check(lambda t: t.clone() * t, x)
    check(lambda t: t.unsqueeze(0).expand(3, *t.shape), x)


@SETTINGS
@given(SHAPES.flatmap(values), st.data())
def test_indexing_passes_gradcheck_with_repeated_indices(x, data):
    rows = x.shape[0]
    index = data.draw(st.lists(st.integers(-rows, rows - 1), min_size=1, max_size=6))
    check(lambda t: t[course_lib.tensor(index)], x)
    check(lambda t: t[index[0]], x)
    check(lambda t: t[..., ::2], x)
    mask = data.draw(hnp.arrays(np.bool_, x.shape))
    check(lambda t: t[course_lib.tensor(mask)] * 2, x)


@SETTINGS
@given(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), st.data())
def test_stack_and_cat_pass_gradcheck(shape, data):
    a, b = data.draw(values(shape)), data.draw(values(shape))
    dim = data.draw(st.integers(0, len(shape) - 1))
    check(lambda s, t: course_lib.stack([s, t], dim=dim), a, b)
    check(lambda s, t: course_lib.cat([s, t, s], dim=dim), a, b)


# ---------------------------------------------------------------- nn.functional
@SETTINGS
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.booleans(), st.data())
def test_linear_passes_gradcheck(batch, n_in, n_out, unbatched, data):
    x = data.draw(values((n_in,) if unbatched else (batch, n_in)))
    w, b = data.draw(values((n_out, n_in))), data.draw(values((n_out,)))
    check(F.linear, x, w, b)
    check(F.linear, x, w)


@SETTINGS
@given(st.integers(1, 4), st.integers(2, 4), st.sampled_from(["mean", "sum", "none"]), st.data())
def test_classification_losses_pass_gradcheck(batch, classes, reduction, data):
    x = data.draw(values((batch, classes), -3, 3))
    targets = course_lib.tensor(data.draw(st.lists(st.integers(0, classes - 1), min_size=batch, max_size=batch)))
    probs = data.draw(values((batch, classes), 0.0, 1.0))
    smoothing = data.draw(st.sampled_from([0.0, 0.25]))
    weight = course_lib.tensor(data.draw(values((classes,), 0.2, 2.0)), dtype=course_lib.float64)
    check(lambda t: F.cross_entropy(t, targets, reduction=reduction, label_smoothing=smoothing), x)
    check(lambda t: F.cross_entropy(t, targets, weight=weight, reduction=reduction), x)
    check(lambda t, p: F.cross_entropy(t, p, reduction=reduction, label_smoothing=smoothing), x, probs)
    check(lambda t: F.nll_loss(t, targets, weight=weight, reduction=reduction), x)
    check(lambda t: F.cross_entropy(t[0], targets[0]), x)


@SETTINGS
@given(SHAPES.flatmap(lambda s: st.tuples(values(s), values(s), values(s, 0.0, 1.0))), st.sampled_from(["mean", "sum", "none"]))
def test_regression_and_bce_losses_pass_gradcheck(arrays, reduction):
    a, b, y = arrays
    assume(np.all(np.abs(a - b) > 1e-3))  # |a - b| has a kink at 0
    check(lambda s, t: F.mse_loss(s, t, reduction=reduction), a, b)
    check(lambda s, t: F.l1_loss(s, t, reduction=reduction), a, b)
    check(lambda s, t: F.binary_cross_entropy_with_logits(s, t, reduction=reduction), a, y)
    pos_weight = course_lib.tensor(np.full(a.shape[-1:], 1.7))
    check(lambda s, t: F.binary_cross_entropy_with_logits(s, t, pos_weight=pos_weight, reduction=reduction), a, y)
