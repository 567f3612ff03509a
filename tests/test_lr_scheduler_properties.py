"""Properties over random (bounded) arguments: each chainable scheduler, left alone,
follows the closed form in its docstring; and random CyclicLR / OneCycleLR / warm-restart
configurations give torch's numbers (live)."""
from __future__ import annotations

import math
import warnings

from hypothesis import example, given, settings
from hypothesis import strategies as st
import pytest

import course_lib
from course_lib.optim import lr_scheduler as L

pytestmark = [pytest.mark.lesson07, pytest.mark.lesson08]

STEPS = 60
base_lrs = st.floats(min_value=1e-4, max_value=10.0)
unit = st.floats(min_value=0.05, max_value=1.0)


def lrs_of(make, base_lr, lib=course_lib, steps=STEPS):
    """lr after construction and after each of ``steps`` optimizer/scheduler steps."""
    optimizer = lib.optim.SGD([lib.zeros(2, requires_grad=True)], lr=base_lr, momentum=0.9)
    scheduler = make(lib.optim.lr_scheduler, optimizer)
    out = [optimizer.param_groups[0]["lr"]]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        out.append(optimizer.param_groups[0]["lr"])
    return out


def assert_follows(got, closed_form, base_lr):
    for t, lr in enumerate(got):
        assert math.isclose(lr, closed_form(t), rel_tol=1e-9, abs_tol=1e-12 * base_lr), (t, lr)


@settings(max_examples=25, deadline=None)
@given(base_lrs, st.integers(1, 20), unit)
def test_steplr_follows_closed_form(base_lr, step_size, gamma):
    got = lrs_of(lambda S, o: S.StepLR(o, step_size, gamma), base_lr)
    assert_follows(got, lambda t: base_lr * gamma ** (t // step_size), base_lr)


@settings(max_examples=25, deadline=None)
@given(base_lrs, st.lists(st.integers(1, STEPS), max_size=5), unit)
def test_multisteplr_follows_closed_form(base_lr, milestones, gamma):
    got = lrs_of(lambda S, o: S.MultiStepLR(o, milestones, gamma), base_lr)
    assert_follows(got, lambda t: base_lr * gamma ** sum(m <= t for m in milestones), base_lr)


@settings(max_examples=25, deadline=None)
@given(base_lrs, st.floats(min_value=0.5, max_value=1.0))
def test_exponentiallr_follows_closed_form(base_lr, gamma):
    got = lrs_of(lambda S, o: S.ExponentialLR(o, gamma), base_lr)
    assert_follows(got, lambda t: base_lr * gamma**t, base_lr)


@settings(max_examples=25, deadline=None)
@given(base_lrs, unit, st.integers(1, 30))
def test_constantlr_follows_closed_form(base_lr, factor, total_iters):
    got = lrs_of(lambda S, o: S.ConstantLR(o, factor, total_iters), base_lr)
    assert_follows(got, lambda t: base_lr * (factor if t < total_iters else 1.0), base_lr)


@settings(max_examples=25, deadline=None)
@given(base_lrs, unit, st.floats(min_value=0.0, max_value=1.0), st.integers(1, 40))
def test_linearlr_follows_closed_form(base_lr, start, end, total_iters):
    got = lrs_of(lambda S, o: S.LinearLR(o, start, end, total_iters), base_lr)
    assert_follows(
        got, lambda t: base_lr * (start + (end - start) * min(t, total_iters) / total_iters), base_lr
    )


@settings(max_examples=25, deadline=None)
@given(base_lrs, st.integers(1, 50), st.floats(min_value=0.5, max_value=3.0))
def test_polynomiallr_follows_closed_form(base_lr, total_iters, power):
    got = lrs_of(lambda S, o: S.PolynomialLR(o, total_iters, power), base_lr)
    assert_follows(got, lambda t: base_lr * (1 - min(t, total_iters) / total_iters) ** power, base_lr)


@settings(max_examples=25, deadline=None)
@given(base_lrs, st.integers(1, 40), st.floats(min_value=0.0, max_value=1e-4))
def test_cosineannealinglr_follows_closed_form(base_lr, T_max, eta_min):
    got = lrs_of(lambda S, o: S.CosineAnnealingLR(o, T_max, eta_min), base_lr)
    assert_follows(
        got, lambda t: eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2, base_lr
    )


@settings(max_examples=25, deadline=None)
@given(base_lrs, st.integers(1, 12), st.integers(1, 3))
def test_warm_restarts_follow_closed_form(base_lr, T_0, T_mult):
    def closed_form(t):
        T_cur, T_i = t, T_0
        while T_cur >= T_i:  # walk through the finished periods
            T_cur, T_i = T_cur - T_i, T_i * T_mult
        return base_lr * (1 + math.cos(math.pi * T_cur / T_i)) / 2

    got = lrs_of(lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0, T_mult), base_lr)
    assert_follows(got, closed_form, base_lr)


@settings(max_examples=20, deadline=None)
@given(
    base_lrs,
    st.integers(1, 15),
    st.none() | st.integers(1, 15),
    st.sampled_from(["triangular", "triangular2", "exp_range"]),
    st.floats(min_value=0.9, max_value=1.0),
)
def test_cycliclr_matches_torch_live(base_lr, up, down, mode, gamma):
    torch = pytest.importorskip("torch")

    def make(S, o):
        return S.CyclicLR(o, base_lr, 3 * base_lr, up, down, mode, gamma)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for ours, theirs in zip(lrs_of(make, base_lr), lrs_of(make, base_lr, torch), strict=True):
            assert math.isclose(ours, theirs, rel_tol=1e-12)


@settings(max_examples=20, deadline=None)
@given(
    base_lrs,
    st.integers(2, STEPS),
    st.floats(min_value=0.05, max_value=0.95),
    st.sampled_from(["cos", "linear"]),
    st.booleans(),
)
# A warm-up of one step (pct_start * total_steps == 1) has no length: torch divides by zero.
@example(max_lr=1.0, total_steps=3, pct_start=1 / 3, anneal="cos", three_phase=False)
def test_onecyclelr_matches_torch_live(max_lr, total_steps, pct_start, anneal, three_phase):
    torch = pytest.importorskip("torch")

    def make(S, o):
        return S.OneCycleLR(o, max_lr, total_steps, pct_start=pct_start,
                            anneal_strategy=anneal, three_phase=three_phase)

    try:
        theirs = lrs_of(make, max_lr, torch, steps=total_steps)
    except ZeroDivisionError:
        with pytest.raises(ZeroDivisionError):  # the same failure, not a different schedule
            lrs_of(make, max_lr, steps=total_steps)
        return
    ours = lrs_of(make, max_lr, steps=total_steps)
    for a, b in zip(ours, theirs, strict=True):
        assert math.isclose(a, b, rel_tol=1e-12)
