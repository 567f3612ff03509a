"""Checkers for lesson 13 (averaging and second-order methods) against ``course_lib.optim``: ``swa_average``,
``ema_average``, ``lbfgs_direction``, ``_line_search.armijo`` and ``rprop_update`` (one step of ``Rprop``)."""
from __future__ import annotations

from functools import partial
from typing import Callable

import numpy as np

from ..optim._line_search import armijo as _armijo_reference
from ..optim.lbfgs import lbfgs_direction
from ..optim.rprop import rprop_update
from ..optim.swa_utils import ema_average, swa_average
from ._core import EXACT, not_finite, rounded_normal as _rng_array, run_cases

__all__ = ["check_running_average", "check_ema_update", "check_two_loop_recursion", "check_armijo", "check_rprop_step"]


def _running_average_reference(avg: np.ndarray, param: np.ndarray, n: int) -> np.ndarray:
    return swa_average(avg, param, n)


def check_running_average(running_average: Callable) -> None:
    """Exercise 13.1: check ``running_average(avg, param, n) -> the mean of the n iterates in avg and param``."""
    rng = np.random.default_rng(13)
    run_cases("running_average", running_average, _running_average_reference, {
        "the first iterate (n = 0)": (_rng_array(rng), _rng_array(rng), 0),
        "the second iterate (n = 1)": (_rng_array(rng), _rng_array(rng), 1),
        "after 4 iterates": (_rng_array(rng), _rng_array(rng), 4),
        "a 2-D parameter after 9 iterates": (_rng_array(rng, (2, 3)), _rng_array(rng, (2, 3)), 9),
    }, mistakes=[
        ("the newest iterate is number n + 1, so its weight is 1 / (n + 1), not 1 / n",
         lambda avg, param, n: avg + (param - avg) / n if n else not_finite),
        ("the old mean holds n iterates and keeps the weight n / (n + 1): (n * avg + param) / (n + 1); "
         "yours gives it the same weight as the new iterate", lambda avg, param, n: (avg + param) / (n + 1)),
        ("this is a moving average with weight 1/2 ((avg + param) / 2): the mean of n + 1 iterates gives "
         "the new one the weight 1 / (n + 1)", lambda avg, param, n: (avg + param) / 2),
        ("the sign is flipped: the mean moves towards the new iterate, avg + (param - avg) / (n + 1)",
         lambda avg, param, n: avg - (param - avg) / (n + 1)),
    ], pure="return a new array, avg + (param - avg) / (n + 1), and leave avg and param as they were: `avg += ...` "
            "changes the caller's array.", **EXACT)


def _ema_reference(ema: np.ndarray, param: np.ndarray, decay: float) -> np.ndarray:
    return ema_average(ema, param, decay)


def check_ema_update(ema_update: Callable) -> None:
    """Exercise 13.2: check ``ema_update(ema, param, decay) -> decay * ema + (1 - decay) * param``."""
    rng = np.random.default_rng(14)
    run_cases("ema_update", ema_update, _ema_reference, {
        "decay 0.9": (_rng_array(rng), _rng_array(rng), 0.9),
        "decay 0.999": (_rng_array(rng), _rng_array(rng), 0.999),
        "decay 0.25": (_rng_array(rng), _rng_array(rng), 0.25),
        "a 2-D parameter": (_rng_array(rng, (2, 3)), _rng_array(rng, (2, 3)), 0.8),
    }, mistakes=[
        ("decay and 1 - decay are swapped: decay is the weight of the old average "
         "(decay * ema + (1 - decay) * param)", lambda ema, param, decay: (1 - decay) * ema + decay * param),
        ("the new weights need the factor (1 - decay): decay * ema + (1 - decay) * param",
         lambda ema, param, decay: decay * ema + param),
        ("the sign is flipped: the average moves towards the model's weights, "
         "ema + (1 - decay) * (param - ema)", lambda ema, param, decay: ema - (1 - decay) * (param - ema)),
        ("the average must change: return the new average, decay * ema + (1 - decay) * param",
         lambda ema, param, decay: ema),
    ], pure="return a new array and leave ema and param as they were: `ema *= decay` changes the caller's array "
            "(and `param *= ...` the model's own weights).", **EXACT)


def _two_loop_reference(flat_grad, old_dirs, old_stps, ro, H_diag) -> np.ndarray:
    return lbfgs_direction(flat_grad, old_dirs, old_stps, ro, H_diag)[0]


def _two_loop_variant(flat_grad, old_dirs, old_stps, ro, H_diag, mistake=None) -> np.ndarray:
    """The two-loop recursion with a loop in the wrong order, or (be - al) instead of (al - be)."""
    k, al, q = len(old_dirs), {}, -flat_grad
    for i in range(k) if mistake == "first loop oldest first" else reversed(range(k)):
        al[i] = ro[i] * (old_stps[i] @ q)
        q = q - al[i] * old_dirs[i]
    r = H_diag * q
    for i in reversed(range(k)) if mistake == "second loop newest first" else range(k):
        be = ro[i] * (old_dirs[i] @ r)
        r = r + ((be - al[i]) if mistake == "be - al" else (al[i] - be)) * old_stps[i]
    return r


def check_two_loop_recursion(two_loop_recursion: Callable) -> None:
    """Exercise 13.3: check ``two_loop_recursion(flat_grad, old_dirs, old_stps, ro, H_diag) -> d``."""
    rng = np.random.default_rng(15)
    cases = {}
    for label, n, k in [("no pairs yet (d = -H_diag * grad)", 3, 0), ("one pair", 3, 1),
                        ("three pairs", 4, 3), ("five pairs in 6 dimensions", 6, 5)]:
        m = rng.normal(size=(n, n))  # k pairs (s, y = A s) of a positive definite A
        stps = [rng.normal(size=n) for _ in range(k)]
        dirs = [(m @ m.T + n * np.eye(n)) @ s for s in stps]
        h_diag = (dirs[-1] @ stps[-1]) / (dirs[-1] @ dirs[-1]) if k else 1.0
        cases[label] = (rng.normal(size=n), dirs, stps, [1.0 / (y @ s) for y, s in zip(dirs, stps)], h_diag)
    run_cases("two_loop_recursion", two_loop_recursion, _two_loop_reference, cases, mistakes=[
        ("the direction points uphill: start from q = -flat_grad, so that d ~ -H^-1 grad",
         lambda *args: -_two_loop_reference(*args)),
        ("the initial inverse Hessian is H_diag * I: scale r = H_diag * q between the two loops",
         lambda g, dirs, stps, ro, H_diag: _two_loop_reference(g, dirs, stps, ro, 1.0)),
        ("old_dirs holds the gradient changes y and old_stps the parameter changes s; the first loop uses s . q and "
         "subtracts al * y", lambda g, dirs, stps, ro, H_diag: _two_loop_reference(g, stps, dirs, ro, H_diag)),
        ("the first loop runs from the newest pair to the oldest (i = k-1, ..., 0)",
         partial(_two_loop_variant, mistake="first loop oldest first")),
        ("the second loop runs from the oldest pair to the newest (i = 0, ..., k-1)",
         partial(_two_loop_variant, mistake="second loop newest first")),
        ("the second loop adds (al[i] - be) * s_i, not (be - al[i]) * s_i",
         partial(_two_loop_variant, mistake="be - al")),
    ], pure="leave the arguments as they were: start from a new array, q = -flat_grad (not `flat_grad *= -1`), and do "
            "not change the pairs in old_dirs and old_stps.", **EXACT)


def check_armijo(armijo: Callable) -> None:
    """Exercise 13.4: check ``armijo(f_new, f, t, gtd, c1=1e-4) -> f_new <= f + c1 * t * gtd``."""
    run_cases("armijo", armijo, _armijo_reference, {  # passes even without c1: a reversed `<=` is named
        "a long step, a large decrease": (-0.1, 1.0, 2.0, -0.5, 0.5),
        "a clear decrease": (0.5, 1.0, 1.0, -2.0, 1e-4),
        "a rise": (1.2, 1.0, 1.0, -2.0, 1e-4),
        "a small rise": (1.00005, 1.0, 1.0, -2.0, 1e-4),
        "a tiny decrease, enough for c1 = 1e-5": (0.9999, 1.0, 1.0, -2.0, 1e-5),
        "a decrease too small for a long step": (0.9, 1.0, 0.5, -2.0, 0.25),
        "a decrease enough only without t": (0.7, 1.0, 0.5, -2.0, 0.25),
        "a decrease too small for the slope": (0.99, 1.0, 0.1, -1.0, 0.5),
        "exactly on the line": (0.75, 1.0, 0.5, -2.0, 0.25),
    }, mistakes=[  # True or False: every wrong row that disagrees matches, so the most specific rows come first
        ("the condition is f_new <= f + c1 * t * gtd; equality is enough (<=, not <)",
         lambda f_new, f, t, gtd, c1=1e-4: f_new < f + c1 * t * gtd),
        ("the decrease asked for grows with the step: f + c1 * t * gtd (yours leaves out t)",
         lambda f_new, f, t, gtd, c1=1e-4: f_new <= f + c1 * gtd),
        ("any decrease is not enough (f_new < f): the loss must drop by at least c1 * t * |gtd|",
         lambda f_new, f, t, gtd, c1=1e-4: f_new < f),
        ("gtd (the slope along d) is negative, so f + c1 * t * gtd lies below f; yours allows f to rise (a minus "
         "sign too many)", lambda f_new, f, t, gtd, c1=1e-4: f_new <= f - c1 * t * gtd),
        ("c1 is an argument: use the c1 given, f + c1 * t * gtd, not its default 1e-4 written into the formula",
         lambda f_new, f, t, gtd, c1=1e-4: f_new <= f + 1e-4 * t * gtd),
        ("c1 is missing: the condition asks only for the fraction c1 of the decrease the slope promises, "
         "f + c1 * t * gtd", lambda f_new, f, t, gtd, c1=1e-4: f_new <= f + t * gtd),
        ("the comparison is the wrong way round: armijo is True when the new loss is low enough, "
         "f_new <= f + c1 * t * gtd", lambda f_new, f, t, gtd, c1=1e-4: f_new > f + c1 * t * gtd),
    ])


def _rprop_reference(param, grad, prev, step_size, etas=(0.5, 1.2), step_sizes=(1e-6, 50)):
    new_param, state = rprop_update(param, grad, {"step": 1.0, "prev": prev, "step_size": step_size},
                                    etas=etas, step_sizes=step_sizes)
    return new_param, state["prev"], state["step_size"]


def _rprop_variant(param, grad, prev, step_size, etas=(0.5, 1.2), step_sizes=(1e-6, 50), mistake=None):
    """One Rprop step with one likely ``mistake``: the reference on other inputs, or its results recombined."""
    etas = etas[::-1] if mistake == "etas swapped" else etas
    step_sizes = (0.0, np.inf) if mistake == "no clamp" else step_sizes
    prev = 1.0 if mistake == "sign of grad" else prev  # then sign(grad * prev) is sign(grad)
    new_param, kept, new_size = _rprop_reference(param, grad, prev, step_size, etas, step_sizes)
    return {"gradient size": (param - kept * new_size, kept, new_size),
            "no zeroing": (param - np.sign(grad) * new_size, grad, new_size),
            "raw prev": (new_param, grad, new_size),
            "uphill": (2 * param - new_param, kept, new_size),
            "order": (new_param, new_size, kept)}.get(mistake, (new_param, kept, new_size))


def check_rprop_step(rprop_step: Callable) -> None:
    """Exercise 13.5: check ``rprop_step(param, grad, prev, step_size, etas, step_sizes) -> (param, prev,
    step_size)``."""
    param, grad = np.array([0.5, -1.0, 2.0, 0.25]), np.array([0.3, -0.2, 1.5, 0.0])
    run_cases("rprop_step", rprop_step, _rprop_reference, {
        "the first step (prev is zero)": (param, grad, np.zeros(4), np.full(4, 0.01)),
        "signs kept, flipped and zero": (param, grad, np.array([0.1, 0.4, -2.0, 1.0]),
                                         np.array([0.01, 0.02, 0.03, 0.04])),
        "step sizes at their bounds": (param, grad, np.array([0.2, -0.1, 1.0, 0.0]),
                                       np.array([0.5, 1e-6, 45.0, 0.1]), (0.5, 1.2), (1e-4, 50.0)),
        "other etas": (param, grad, np.array([-0.2, -0.1, 3.0, 0.5]), np.full(4, 0.1), (0.3, 1.5), (1e-6, 1.0)),
    }, mistakes=[
        ("Rprop steps by the step size alone, against the sign of the gradient: param - sign(grad) * step_size "
         "(yours multiplies by the gradient itself)", partial(_rprop_variant, mistake="gradient size")),
        ("etas = (etaminus, etaplus): the step size shrinks (times etaminus = 0.5) after a sign flip "
         "and grows (times etaplus = 1.2) while the sign stays", partial(_rprop_variant, mistake="etas swapped")),
        ("the sign that decides is that of grad * prev (did the gradient keep its sign since the last "
         "step?), not the sign of grad", partial(_rprop_variant, mistake="sign of grad")),
        ("after a sign flip there is no step: set grad to 0 where grad * prev < 0 before stepping",
         partial(_rprop_variant, mistake="no zeroing")),
        ("keep the step size within step_sizes = (min, max): np.clip(step_size, min, max)",
         partial(_rprop_variant, mistake="no clamp")),
        ("store the zeroed gradient as prev (0 where the sign flipped), so the next step does not "
         "see a second flip", partial(_rprop_variant, mistake="raw prev")),
        ("the step goes uphill: Rprop moves against the sign of the gradient, param - sign(grad) * step_size",
         partial(_rprop_variant, mistake="uphill")),
        ("the results are in the wrong order: return (new_param, new_prev, new_step_size)",
         partial(_rprop_variant, mistake="order")),
    ], pure="return new arrays and leave the arguments as they were: `grad[sign < 0] = 0` changes the caller's "
            "gradient (torch's Rprop works on a copy); use np.where(sign < 0, 0.0, grad), and build new prev and "
            "step_size arrays.", **EXACT)
