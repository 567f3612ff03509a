"""The lesson-13 checkers: the reference and correct variants pass, a stub is named, each
likely mistake of its table is rejected with its hint."""
from __future__ import annotations

import numpy as np
import pytest
from checks_helpers import checker_contract, fails_with

from course_lib.checks.averaging_second_order import (
    _armijo_reference,
    _ema_reference,
    _rprop_reference,
    _running_average_reference,
    _two_loop_reference,
    check_armijo,
    check_ema_update,
    check_rprop_step,
    check_running_average,
    check_two_loop_recursion,
)

pytestmark = pytest.mark.lesson13

test_checkers_accept_the_reference, test_checkers_name_an_unfinished_exercise = checker_contract([
    (check_running_average, _running_average_reference, "running_average", "13.1"),
    (check_ema_update, _ema_reference, "ema_update", "13.2"),
    (check_two_loop_recursion, _two_loop_reference, "two_loop_recursion", "13.3"),
    (check_armijo, _armijo_reference, "armijo", "13.4"),
    (check_rprop_step, _rprop_reference, "rprop_step", "13.5"),
])


# ------------------------------------------------------------------ 13.1 running_average
@pytest.mark.parametrize("answer", [
    lambda avg, param, n: avg + (param - avg) / (n + 1),
    lambda avg, param, n: (n * avg + param) / (n + 1),
    lambda avg, param, n: n / (n + 1) * avg + 1 / (n + 1) * param,
], ids=["incremental", "weighted sum", "two weights"])
def test_check_running_average_accepts_correct_variants(answer, capsys):
    check_running_average(answer)
    assert "4 cases match" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda avg, param, n: avg + (param - avg) / n, "not 1 / n"),
    (lambda avg, param, n: (avg + param) / (n + 1), "keeps the weight n / (n + 1)"),
    (lambda avg, param, n: 0.5 * (avg + param), "moving average with weight 1/2"),
    (lambda avg, param, n: avg + (avg - param) / (n + 1), "the sign is flipped"),
], ids=["divides by n", "old mean unweighted", "halves", "sign"])
def test_check_running_average_names_each_likely_mistake(wrong, hint):
    with np.errstate(divide="ignore", invalid="ignore"):
        fails_with(check_running_average, wrong, "running_average gives a wrong answer", "likely mistake: ", hint)


# ------------------------------------------------------------------ 13.2 ema_update
@pytest.mark.parametrize("answer", [
    lambda ema, param, decay: decay * ema + (1 - decay) * param,
    lambda ema, param, decay: ema + (1 - decay) * (param - ema),
    lambda ema, param, decay: param - decay * (param - ema),
], ids=["formula", "lerp form", "from param"])
def test_check_ema_update_accepts_correct_variants(answer, capsys):
    check_ema_update(answer)
    assert "4 cases match" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda ema, param, decay: decay * param + (1 - decay) * ema, "decay and 1 - decay are swapped"),
    (lambda ema, param, decay: decay * ema + param, "need the factor (1 - decay)"),
    (lambda ema, param, decay: ema + (1 - decay) * (ema - param), "the sign is flipped"),
    (lambda ema, param, decay: ema.copy(), "the average must change"),
], ids=["swapped", "no 1-decay", "sign", "unchanged"])
def test_check_ema_update_names_each_likely_mistake(wrong, hint):
    fails_with(check_ema_update, wrong, "ema_update gives a wrong answer", "likely mistake: ", hint)


# ------------------------------------------------------------------ 13.3 two_loop_recursion
def _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, *, mistake=None):
    """A student's two-loop recursion, written with explicit lists and zip; one ``mistake``."""
    if mistake == "swap":
        old_dirs, old_stps = old_stps, old_dirs
    pairs = list(zip(old_stps, old_dirs, ro))
    q = -flat_grad
    alphas = []
    first = pairs if mistake == "first loop forward" else pairs[::-1]
    for s, y, rho in first:
        a = rho * np.dot(s, q)
        q = q - a * y
        alphas.append(a)
    if mistake != "first loop forward":
        alphas = alphas[::-1]  # back to oldest first
    r = q if mistake == "no H_diag" else H_diag * q
    second = list(zip(pairs, alphas))
    if mistake == "second loop backward":
        second = second[::-1]
    for (s, y, rho), a in second:
        b = rho * np.dot(y, r)
        r = r + ((b - a) if mistake == "b - a" else (a - b)) * s
    return -r if mistake == "sign" else r


def test_check_two_loop_recursion_accepts_a_variant_written_differently(capsys):
    check_two_loop_recursion(_two_loop)
    assert "4 cases match" in capsys.readouterr().out


def test_check_two_loop_recursion_accepts_the_dense_bfgs_matrix(capsys):
    """The same direction from the BFGS inverse-Hessian update applied matrix by matrix."""
    def dense(flat_grad, old_dirs, old_stps, ro, H_diag):
        n = len(flat_grad)
        h = H_diag * np.eye(n)
        for s, y, rho in zip(old_stps, old_dirs, ro):
            v = np.eye(n) - rho * np.outer(y, s)
            h = v.T @ h @ v + rho * np.outer(s, s)
        return -h @ flat_grad

    check_two_loop_recursion(dense)
    assert "match" in capsys.readouterr().out


@pytest.mark.parametrize("mistake, hint", [
    ("sign", "points uphill"),
    ("no H_diag", "scale r = H_diag * q"),
    ("swap", "old_dirs holds the gradient changes y"),
    ("first loop forward", "first loop runs from the newest pair"),
    ("second loop backward", "second loop runs from the oldest pair"),
    ("b - a", "(al[i] - be) * s_i"),
])
def test_check_two_loop_recursion_names_each_likely_mistake(mistake, hint):
    def wrong(flat_grad, old_dirs, old_stps, ro, H_diag):
        return _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, mistake=mistake)

    fails_with(check_two_loop_recursion, wrong, "two_loop_recursion gives a wrong answer", "likely mistake: ", hint)


# ------------------------------------------------------------------ 13.4 armijo
@pytest.mark.parametrize("answer", [
    lambda f_new, f, t, gtd, c1=1e-4: f_new <= f + c1 * t * gtd,
    lambda f_new, f, t, gtd, c1=1e-4: not f_new > f + c1 * t * gtd,
    lambda f_new, f, t, gtd, c1=1e-4: np.bool_(f - f_new >= -c1 * t * gtd),
], ids=["formula", "negated", "numpy bool, rearranged"])
def test_check_armijo_accepts_correct_variants(answer, capsys):
    check_armijo(answer)
    assert "9 cases match" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda f_new, f, t, gtd, c1=1e-4: f_new <= f + c1 * gtd, "yours leaves out t"),
    (lambda f_new, f, t, gtd, c1=1e-4: f_new <= f - c1 * t * gtd, "a minus sign too many"),
    (lambda f_new, f, t, gtd, c1=1e-4: f_new <= f + t * gtd, "c1 is missing"),
    (lambda f_new, f, t, gtd, c1=1e-4: f_new <= f + 1e-4 * t * gtd, "not its default 1e-4 written into the formula"),
    (lambda f_new, f, t, gtd, c1=1e-4: f_new < f, "any decrease is not enough"),
    (lambda f_new, f, t, gtd, c1=1e-4: f_new < f + c1 * t * gtd, "equality is enough"),
    (lambda f_new, f, t, gtd, c1=1e-4: f_new >= f + c1 * t * gtd, "the comparison is the wrong way round"),
    (lambda f_new, f, t, gtd, c1=1e-4: f - f_new <= c1 * t * gtd, "the comparison is the wrong way round"),
], ids=["no t", "sign", "no c1", "hard-coded c1", "any decrease", "strict", "reversed", "reversed decrease"])
def test_check_armijo_names_each_likely_mistake(wrong, hint):
    fails_with(check_armijo, wrong, "armijo gives a wrong answer", "likely mistake: ", hint)


def test_check_armijo_reference_is_the_line_search_condition():
    from course_lib.optim._line_search import armijo

    assert armijo(0.75, 1.0, 0.5, -2.0, 0.25) and not armijo(0.7500001, 1.0, 0.5, -2.0, 0.25)
    assert armijo(0.5, 1.0, 1.0, -2.0) and not armijo(1.0, 1.0, 1.0, -2.0)


# ------------------------------------------------------------------ 13.5 rprop_step
def _rprop(param, grad, prev, step_size, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, mistake=None):
    """A student's Rprop step with boolean masks instead of np.where; one ``mistake``."""
    etaminus, etaplus = etas if mistake != "swap" else etas[::-1]
    product = grad * prev if mistake != "sign of grad" else grad
    same, flipped = product > 0, product < 0
    size = step_size.copy()
    size[same] *= etaplus
    size[flipped] *= etaminus
    if mistake != "no clamp":
        size = np.minimum(np.maximum(size, step_sizes[0]), step_sizes[1])
    g = grad.copy()
    if mistake != "no zeroing":
        g[flipped] = 0.0
    new_param = param - (g * size if mistake == "gradient size" else np.sign(g) * size)
    if mistake == "uphill":
        new_param = param + np.sign(g) * size
    if mistake == "order":
        return new_param, size, g
    return new_param, (grad.copy() if mistake == "raw prev" else g), size


def test_check_rprop_step_accepts_a_variant_written_differently(capsys):
    check_rprop_step(_rprop)
    assert "4 cases match" in capsys.readouterr().out


@pytest.mark.parametrize("mistake, hint", [
    ("gradient size", "yours multiplies by the gradient itself"),
    ("swap", "etas = (etaminus, etaplus)"),
    ("sign of grad", "the sign that decides is that of grad * prev"),
    ("no zeroing", "after a sign flip there is no step"),
    ("no clamp", "keep the step size within step_sizes"),
    ("raw prev", "store the zeroed gradient as prev"),
    ("uphill", "the step goes uphill"),
    ("order", "the results are in the wrong order"),
])
def test_check_rprop_step_names_each_likely_mistake(mistake, hint):
    def wrong(param, grad, prev, step_size, etas=(0.5, 1.2), step_sizes=(1e-6, 50)):
        return _rprop(param, grad, prev, step_size, etas, step_sizes, mistake=mistake)

    fails_with(check_rprop_step, wrong, "rprop_step gives a wrong answer", "likely mistake: ", hint)


def _rprop_in_place(param, grad, prev, step_size, etas=(0.5, 1.2), step_sizes=(1e-6, 50)):
    """Right numbers, but the caller's arrays are changed (torch's Rprop clones the gradient first)."""
    sign = np.sign(grad * prev)
    step_size *= np.where(sign > 0, etas[1], np.where(sign < 0, etas[0], 1.0))
    np.clip(step_size, *step_sizes, out=step_size)
    grad[sign < 0] = 0.0
    param -= np.sign(grad) * step_size
    return param, grad, step_size


def _averages_in_place(avg, param, n):
    avg += (param - avg) / (n + 1)
    return avg


def _ema_in_place(ema, param, decay):
    ema *= decay
    ema += (1 - decay) * param
    return ema


def _two_loop_in_place(flat_grad, old_dirs, old_stps, ro, H_diag):
    flat_grad *= -1  # q = -flat_grad, on the caller's array
    return _two_loop_reference(-flat_grad, old_dirs, old_stps, ro, H_diag)


@pytest.mark.parametrize("check, answer, words", [
    (check_running_average, _averages_in_place, "`avg += ...` changes the caller's array"),
    (check_ema_update, _ema_in_place, "`ema *= decay` changes the caller's array"),
    (check_two_loop_recursion, _two_loop_in_place, "not `flat_grad *= -1`"),
    (check_rprop_step, _rprop_in_place, "`grad[sign < 0] = 0` changes the caller's gradient"),
], ids=["running_average", "ema_update", "two_loop_recursion", "rprop_step"])
def test_checkers_reject_answers_that_change_their_arguments(check, answer, words):
    fails_with(check, answer, "changed its arguments in place", words)


def test_strong_wolfe_accepts_only_steps_that_satisfy_armijo():
    """The library's line search returns a step that satisfies the Armijo condition."""
    from course_lib.optim._line_search import armijo, strong_wolfe

    h = np.diag([1.0, 40.0])

    def obj_func(x, t, d):
        p = x + t * d
        return 0.5 * p @ h @ p, h @ p

    x = np.array([-4.0, 1.0])
    f, g = obj_func(x, 0.0, np.zeros(2))
    for t0 in (1.0, 0.1, 1e-3):
        d = -g
        f_new, _, t, _ = strong_wolfe(obj_func, x, t0, d, f, g, g @ d)
        assert armijo(f_new, f, t, g @ d)
