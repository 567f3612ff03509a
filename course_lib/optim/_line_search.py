"""Line searches for L-BFGS: the strong Wolfe search and its cubic interpolation.

A line search picks the step length ``t`` along a descent direction ``d`` from ``x``. It
evaluates ``phi(t) = f(x + t d)`` and its slope ``phi'(t) = grad f(x + t d) . d`` and accepts a
``t`` that satisfies the **strong Wolfe conditions**::

    f(x + t d) <= f(x) + c1 t grad f(x).d          # sufficient decrease (Armijo), c1 = 1e-4
    |grad f(x + t d).d| <= c2 |grad f(x).d|        # curvature: the slope has flattened, c2 = 0.9

Ported from torch 2.13's ``torch/optim/lbfgs.py`` (itself from Lua torch's ``lswolfe.lua``
and ``polyinterp.lua``), line for line and in the same order of floating-point operations.
Scalars follow torch's types: a value that is a 0-d tensor in torch (a dot product, ``gtd``)
is a numpy scalar of the parameters' dtype here, a Python float stays a Python float, and
numpy's promotion rules (NEP 50: Python numbers are "weak") then give float32 exactly where
torch computes in float32.

Both functions are pure: they never change their inputs (the objective ``obj_func`` is the
only thing that may have effects, and :class:`~course_lib.optim.LBFGS` makes it restore the
parameters after each evaluation).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

__all__ = ["armijo", "cubic_interpolate", "strong_wolfe"]


def armijo(f_new: Any, f: Any, t: Any, gtd: Any, c1: float = 1e-4) -> bool:
    """The sufficient-decrease (Armijo) condition, the first of the strong Wolfe conditions.

    .. code-block:: text

        f(x + t d) <= f(x) + c1 t grad f(x).d

    The slope ``gtd`` promises a decrease of about ``t |gtd|``; a step is accepted when it
    delivers at least the fraction ``c1`` of it (lesson 13). :func:`strong_wolfe` tests the
    negation, ``f_new > f + c1 t gtd``, written as torch writes it (a NaN loss fails both).

    Args:
        f_new: ``f(x + t d)``, the loss at the trial step.
        f: ``f(x)``, the loss at the start.
        t: the step length.
        gtd: ``grad f(x) . d``, the slope along ``d`` at the start (negative for a descent
            direction).
        c1: the fraction of the promised decrease that must be achieved.

    Returns:
        True when the loss went down by at least ``c1 * t * |gtd|``.
    """
    return bool(f_new <= f + c1 * t * gtd)


def cubic_interpolate(
    x1: Any, f1: Any, g1: Any, x2: Any, f2: Any, g2: Any, bounds: tuple[Any, Any] | None = None
) -> Any:
    """The minimiser of the cubic through ``(x1, f1)`` and ``(x2, f2)`` with slopes ``g1``, ``g2``,
    clamped to ``bounds`` (default: the interval between ``x1`` and ``x2``).

    .. code-block:: text

        d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2)
        d2 = sqrt(d1^2 - g1 g2)
        min_pos = x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2)   (x1 <= x2; mirrored else)

    When the cubic has no minimum (``d1^2 < g1 g2``), the middle of the bounds.
    """
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def strong_wolfe(
    obj_func: Callable[[Any, Any, np.ndarray], tuple[float, np.ndarray]],
    x: Any,
    t: Any,
    d: np.ndarray,
    f: float,
    g: np.ndarray,
    gtd: Any,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, np.ndarray, Any, int]:
    """A step length along ``d`` that satisfies the strong Wolfe conditions (torch's ``_strong_wolfe``).

    Two phases: *bracketing* grows ``t`` (by cubic interpolation, up to ten times) until an
    interval ``[t_prev, t]`` must contain an acceptable step (or ``t`` itself is acceptable);
    *zoom* then shrinks that bracket by cubic interpolation, moving a trial point that falls
    too close to an end (within 10% of the bracket) away from it, until the conditions hold,
    the bracket is shorter than ``tolerance_change`` (times ``max|d|``), or ``max_ls``
    evaluations have been made.

    Args:
        obj_func: ``obj_func(x, t, d) -> (f(x + t d), grad f(x + t d))``.
        x: the starting point, passed through to ``obj_func``.
        t: the first step length to try.
        d: the search direction (flat).
        f, g, gtd: ``f(x)``, its flat gradient and the slope ``g . d`` (negative).
        c1, c2: the sufficient-decrease and curvature constants.
        tolerance_change: the shortest bracket (in parameter change) worth refining.
        max_ls: the most evaluations of ``obj_func``.

    Returns:
        ``(f_new, g_new, t, ls_func_evals)``: the loss and flat gradient at the chosen step,
        the step length and the number of evaluations made.
    """
    d_norm = np.abs(d).max()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new @ d

    # bracketing: find an interval that contains a point satisfying the conditions
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new @ d
        ls_iter += 1

    if ls_iter == max_ls:  # no bracket found: fall back to [0, t]
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom: shrink the bracket around a point that satisfies the conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )
        # a trial point within 10% of an end makes little progress: after two such in a
        # row (or one outside the bracket), move it 10% inside the bracket
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new @ d
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # not enough decrease, or not below the low end: t becomes the new high end
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # the slope points back at the high end: the old low end becomes the high one
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new, gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals
