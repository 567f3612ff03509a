"""Tests of the lesson-08 checkers: right answers pass, stubs and typical mistakes are named.

The "right answers" below are the closed forms from the schedulers' docstrings (maths);
the checkers compare them with course_lib's schedulers run step by step.
"""
from __future__ import annotations

import math

import pytest
from checks_helpers import fails_with, stub, torch_lrs

from course_lib.checks import advanced_schedules as checks
from course_lib.checks._schedules import reference_lrs

pytestmark = pytest.mark.lesson08


# ------------------------------------------------------------------ right answers (maths)
def cosine_lr(step, base_lr, eta_min, T_max):
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * step / T_max)) / 2


def warmup_cosine_lr(step, base_lr, eta_min, warmup_steps, total_steps):
    if step < warmup_steps:
        return base_lr * (step + 1) / (warmup_steps + 1)
    if step > total_steps:
        return eta_min
    return cosine_lr(step - warmup_steps, base_lr, eta_min, total_steps - warmup_steps)


def warm_restarts_lr(step, base_lr, eta_min, T_0, T_mult):
    T_cur, T_i = step, T_0
    while T_cur >= T_i:
        T_cur -= T_i
        T_i *= T_mult
    return cosine_lr(T_cur, base_lr, eta_min, T_i)


def polynomial_lr(step, base_lr, total_iters, power):
    return base_lr * (1 - min(step, total_iters) / total_iters) ** power


# ------------------------------------------------------------------ the right answers pass
@pytest.mark.parametrize("check, answer", [
    (checks.check_cosine_lr, cosine_lr),
    (checks.check_warmup_cosine_lr, warmup_cosine_lr),
    (checks.check_warm_restarts_lr, warm_restarts_lr),
    (checks.check_polynomial_lr, polynomial_lr),
])
def test_advanced_schedule_checks_accept_the_right_answer(check, answer, capsys):
    check(answer)
    assert capsys.readouterr().out.startswith("\u2713")


def _warmup_cosine_with_other_bounds(step, base_lr, eta_min, warmup_steps, total_steps):
    if step >= total_steps:
        return eta_min
    if step <= warmup_steps:  # at warmup_steps both phases give base_lr
        return base_lr * (step + 1) / (warmup_steps + 1)
    angle = math.pi * (step - warmup_steps) / (total_steps - warmup_steps)
    return eta_min + (base_lr - eta_min) * (1 + math.cos(angle)) / 2


def _warm_restarts_closed_form(step, base_lr, eta_min, T_0, T_mult):
    if T_mult == 1:
        return cosine_lr(step % T_0, base_lr, eta_min, T_0)
    n = int(math.log(step / T_0 * (T_mult - 1) + 1, T_mult))  # torch's own formula for the cycle
    return cosine_lr(step - T_0 * (T_mult ** n - 1) / (T_mult - 1), base_lr, eta_min, T_0 * T_mult ** n)


@pytest.mark.parametrize("check, answer", [
    (checks.check_warmup_cosine_lr, _warmup_cosine_with_other_bounds),
    (checks.check_warm_restarts_lr, _warm_restarts_closed_form),
])
def test_advanced_schedule_checks_accept_right_answers_written_differently(check, answer, capsys):
    check(answer)
    assert capsys.readouterr().out.startswith("\u2713")


@pytest.mark.parametrize("check", [
    checks.check_cosine_lr, checks.check_warmup_cosine_lr, checks.check_warm_restarts_lr, checks.check_polynomial_lr,
])
def test_advanced_schedule_checks_report_an_unfinished_exercise(check):
    fails_with(check, stub("08.1", "the_function"), "Exercise 08.1 is not done yet", "the_function")


# ------------------------------------------------------------------ mistakes
@pytest.mark.parametrize("wrong, words", [
    (lambda t, b, m, T: cosine_lr(t, b, m, T + 1), ["off by one", "T_max"]),
    (lambda t, b, m, T: cosine_lr(t, b, 0.0, T), ["eta_min is missing"]),
    (lambda t, b, m, T: m + (b - m) * math.cos(math.pi * t / T), ["(1 + cos(...)) / 2"]),
    (lambda t, b, m, T: m + b * (1 + math.cos(math.pi * t / T)) / 2, ["amplitude"]),
    (lambda t, b, m, T: m + (b - m) * (1 + math.cos(math.pi * t / T)), ["/ 2 is missing"]),
    (lambda t, b, m, T: cosine_lr(2 * t, b, m, T), ["HALF a period"]),
    (lambda t, b, m, T: m + (b - m) * (1 - math.cos(math.pi * t / T)) / 2, ["rises instead of falling"]),
    (lambda t, b, m, T: m + (b - m) * (1 + math.cos(t / T)) / 2, ["without pi"]),
])
def test_cosine_lr_check_names_the_mistake(wrong, words):
    fails_with(checks.check_cosine_lr, wrong, "likely mistake", *words)


def test_cosine_lr_check_names_t_max_minus_one():
    # The first case (T_max=10) fails before T_max=1 could divide by zero.
    fails_with(checks.check_cosine_lr, lambda t, b, m, T: cosine_lr(t, b, m, T - 1), "not T_max - 1")


def _warmup_variant(warm=None, cos=None, after=None):
    def fn(t, b, m, W, T):
        if t < W:
            return warm(t, b, W) if warm else b * (t + 1) / (W + 1)
        if t <= T:
            return cos(t, b, m, W, T) if cos else cosine_lr(t - W, b, m, T - W)
        return after(t, b, m, W, T) if after else m
    return fn


@pytest.mark.parametrize("wrong, words", [
    (_warmup_variant(warm=lambda t, b, W: b * t / W), ["starts at 0"]),
    (_warmup_variant(warm=lambda t, b, W: b * (t + 1) / W), ["one step early"]),
    (_warmup_variant(warm=lambda t, b, W: b * ((t + 1) // (W + 1))), ["integer division"]),
    (_warmup_variant(cos=lambda t, b, m, W, T: cosine_lr(t, b, m, T - W)), ["step - warmup_steps"]),
    (_warmup_variant(cos=lambda t, b, m, W, T: cosine_lr(t - W, b, m, T)), ["total_steps - warmup_steps"]),
    (_warmup_variant(cos=lambda t, b, m, W, T: cosine_lr(t, b, m, T)), ["not cosine_lr(step, ..., total_steps)"]),
    (_warmup_variant(after=lambda t, b, m, W, T: cosine_lr(t - W, b, m, T - W)), ["stay at eta_min"]),
    (_warmup_variant(after=lambda t, b, m, W, T: 0.0), ["stay at eta_min", "not drop to 0"]),
    (_warmup_variant(after=lambda t, b, m, W, T: b), ["stay at eta_min", "not jump back to base_lr"]),
])
def test_warmup_cosine_lr_check_names_the_mistake(wrong, words):
    fails_with(checks.check_warmup_cosine_lr, wrong, "likely mistake", *words)


def _restarts_growing_by_addition(t, b, m, T0, k):
    T_i = T0
    while t >= T_i:
        t -= T_i
        T_i += k
    return cosine_lr(t, b, m, T_i)


def _restarts_growing_first(t, b, m, T0, k):
    T_i = T0
    while t >= T_i:
        T_i *= k
        t -= T_i
    return cosine_lr(t, b, m, T_i)


@pytest.mark.parametrize("wrong, words", [
    (lambda t, b, m, T0, k: cosine_lr(t % T0, b, m, T0), ["T_mult"]),
    (_restarts_growing_first, ["grew before it was subtracted"]),
    (lambda t, b, m, T0, k: warm_restarts_lr(t, b, 0.0, T0, k), ["eta_min is missing"]),
    (lambda t, b, m, T0, k: _restarts_growing_by_addition(t, b, m, T0, k), ["not T_i + T_mult"]),
])
def test_warm_restarts_lr_check_names_the_mistake(wrong, words):
    fails_with(checks.check_warm_restarts_lr, wrong, "likely mistake", *words)


def test_warm_restarts_lr_check_names_an_if_instead_of_a_while():
    def restarts_once(t, b, m, T_0, T_mult):
        T_i = T_0
        if t >= T_i:
            t -= T_i
            T_i *= T_mult
        return cosine_lr(t, b, m, T_i)
    message = fails_with(checks.check_warm_restarts_lr, restarts_once, "restarts only once")
    assert "one step late" not in message  # its value at the first wrong step, not at the next


def test_cosine_lr_check_blames_no_mistake_that_matches_one_value_by_chance():
    # base_lr + ... equals the "/ 2 is missing" value at step 0 only
    wrong = lambda t, b, m, T: b + (b - m) * (1 + math.cos(math.pi * t / T)) / 2  # noqa: E731
    assert "/ 2 is missing" not in fails_with(checks.check_cosine_lr, wrong, "first at step 0")


def test_warm_restarts_lr_check_catches_a_late_restart():
    def late(t, b, m, T_0, T_mult):
        T_i = T_0
        while t > T_i:
            t -= T_i
            T_i *= T_mult
        return cosine_lr(t, b, m, T_i)
    fails_with(checks.check_warm_restarts_lr, late, "one step late")


@pytest.mark.parametrize("wrong, words", [
    (lambda t, b, T, p: b * abs(1 - t / T) ** p, ["min(step, total_iters)"]),
    (lambda t, b, T, p: b * (1 - (min(t, T) / T) ** p), ["whole factor"]),
    (lambda t, b, T, p: b * (1 - min(t, T + 1) / (T + 1)) ** p, ["off by one"]),
    (lambda t, b, T, p: b * (1 - min(t, T) / T) * p, ["power is an exponent"]),
    (lambda t, b, T, p: b * (1 - min(t, T) / T ** p), ["** binds tighter than /"]),
])
def test_polynomial_lr_check_names_the_mistake(wrong, words):
    fails_with(checks.check_polynomial_lr, wrong, "likely mistake", *words)


def _warmup_cosine(sched, optimizer):
    """torch's SequentialLR(LinearLR, CosineAnnealingLR), ``sched`` = torch.optim.lr_scheduler."""
    return sched.SequentialLR(optimizer, [
        sched.LinearLR(optimizer, start_factor=1 / 5, end_factor=1.0, total_iters=4),
        sched.CosineAnnealingLR(optimizer, T_max=8, eta_min=0.01)], milestones=[4])


def test_warmup_cosine_scheduler_matches_nanogpt_formula():
    lrs = reference_lrs(lambda o: checks.warmup_cosine_scheduler(o, 0.01, 4, 12), 0.3, 13)
    expected = [warmup_cosine_lr(t, 0.3, 0.01, 4, 12) for t in range(13)]
    assert lrs == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_warmup_cosine_scheduler_matches_torch():
    expected = torch_lrs(_warmup_cosine, 0.3, 13)
    lrs = reference_lrs(lambda o: checks.warmup_cosine_scheduler(o, 0.01, 4, 12), 0.3, 13)
    assert lrs == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_polynomial_lr_check_explains_a_complex_result():
    fails_with(checks.check_polynomial_lr, lambda t, b, T, p: (-b) ** 0.5, "complex", "min(step, total_iters)")


@pytest.mark.parametrize("make, formula, steps", [
    (lambda s, o: s.CosineAnnealingLR(o, T_max=9, eta_min=1.0), lambda t: cosine_lr(t, 100.0, 1.0, 9), 10),
    (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1.0),
     lambda t: warm_restarts_lr(t, 100.0, 1.0, 3, 2), 25),
    (lambda s, o: s.PolynomialLR(o, total_iters=6, power=2.0), lambda t: polynomial_lr(t, 100.0, 6, 2.0), 9),
])
def test_closed_forms_the_checks_accept_match_torch(make, formula, steps):
    # The right answers the tests feed the checkers are torch's schedules, step for step.
    lrs = torch_lrs(make, 100.0, steps)
    assert lrs == pytest.approx([formula(t) for t in range(steps)], rel=1e-9, abs=1e-9)
