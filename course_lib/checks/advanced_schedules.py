"""Checks for lesson 08 (advanced schedules): cosine annealing, warm-up + cosine, warm restarts and
polynomial decay as pure functions of the step, each against the course_lib scheduler."""
from __future__ import annotations

import math
from collections.abc import Callable

from ..optim import SGD
from ..optim.lr_scheduler import CosineAnnealingLR, CosineAnnealingWarmRestarts, LinearLR, PolynomialLR, SequentialLR
from ._schedules import check_schedule_function

__all__ = ["check_cosine_lr", "warmup_cosine_scheduler", "check_warmup_cosine_lr", "check_warm_restarts_lr",
           "check_polynomial_lr"]


def _cosine(t: float, base_lr: float, eta_min: float, T: float) -> float:
    """From ``base_lr`` at ``t = 0`` down to ``eta_min`` at ``t = T``, along half a cosine."""
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / T)) / 2


def check_cosine_lr(cosine_lr: Callable) -> None:
    """Check ``cosine_lr(step, base_lr, eta_min, T_max)`` against ``CosineAnnealingLR``, steps 0..T_max."""
    check_schedule_function("cosine_lr", cosine_lr, ("step", "base_lr", "eta_min", "T_max"), CosineAnnealingLR, {
        "T_max=10, eta_min=0": ((0.1, 0.0, 10), 11), "T_max=7, eta_min=0.1": ((1.0, 0.1, 7), 8),
        "T_max=1": ((0.5, 0.05, 1), 2),
    }, [
        *[(f"T_max is off by one: the lr reaches eta_min AT step T_max, so divide by T_max, not T_max {sign} 1.",
           lambda t, b, m, T, d=d: _cosine(t, b, m, T + d)) for sign, d in (("-", -1), ("+", 1))],
        ("eta_min is missing: lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * step / T_max)) / 2.",
         lambda t, b, m, T: _cosine(t, b, 0.0, T)),
        ("eta_min is added but not subtracted from base_lr: the amplitude is (base_lr - eta_min).",
         lambda t, b, m, T: m + b * (1 + math.cos(math.pi * t / T)) / 2),
        ("the cosine must be shifted and halved, (1 + cos(...)) / 2, so it goes from 1 to 0.",
         lambda t, b, m, T: m + (b - m) * math.cos(math.pi * t / T)),
        ("the lr rises instead of falling: (1 + cos(...)) / 2 goes from 1 down to 0; (1 - cos(...)) / 2 goes up.",
         lambda t, b, m, T: m + (b - m) * (1 - math.cos(math.pi * t / T)) / 2),
        ("the angle is math.pi * step / T_max: without pi the cosine covers only a third of its half period.",
         lambda t, b, m, T: _cosine(t / math.pi, b, m, T)),
        ("math.cos takes radians: use math.pi * step / T_max (no degrees).",
         lambda t, b, m, T: _cosine(t * 180 / math.pi, b, m, T)),
        ("the / 2 is missing: (1 + cos(...)) goes from 2 to 0, so halve it to start at base_lr.",
         lambda t, b, m, T: m + (b - m) * (1 + math.cos(math.pi * t / T))),
        ("the angle is pi * step / T_max, not 2 * pi * step / T_max: T_max is HALF a period (base_lr down to "
         "eta_min), not a full one.", lambda t, b, m, T: _cosine(2 * t, b, m, T)),
    ])


def warmup_cosine_scheduler(optimizer: SGD, eta_min: float, warmup_steps: int, total_steps: int) -> SequentialLR:
    """The torch-built twin of the lesson's ``warmup_cosine_lr`` (W = warmup_steps): ``LinearLR(start_factor=1/(W+1),
    total_iters=W)`` for lr = base_lr * (step+1) / (W+1), then ``CosineAnnealingLR(T_max=total_steps - W, eta_min)``,
    joined by ``SequentialLR(milestones=[W])``."""
    warmup = LinearLR(optimizer, start_factor=1 / (warmup_steps + 1), end_factor=1.0, total_iters=warmup_steps)
    cosine = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min=eta_min)
    return SequentialLR(optimizer, [warmup, cosine], milestones=[warmup_steps])


def check_warmup_cosine_lr(warmup_cosine_lr: Callable) -> None:
    """Check ``warmup_cosine_lr(step, base_lr, eta_min, warmup_steps, total_steps)`` against
    :func:`warmup_cosine_scheduler` up to ``total_steps``, then ``eta_min`` as in nanoGPT's ``get_lr`` (torch's cosine
    climbs back). Each likely mistake gives the lr of the phase it is about (None elsewhere)."""
    check_schedule_function("warmup_cosine_lr", warmup_cosine_lr, ("step", "base_lr", "eta_min", "warmup_steps",
                                                                   "total_steps"), warmup_cosine_scheduler, {
        "5 warm-up steps, 20 in all": ((0.1, 0.01, 5, 20), 24),
        "3 warm-up steps, 10 in all, eta_min=0": ((1.0, 0.0, 3, 10), 14),
        "1 warm-up step": ((0.5, 0.05, 1, 6), 10),
    }, [
        ("the warm-up starts at 0: an lr of 0 wastes the first step; use base_lr * (step + 1) / (warmup_steps + 1), "
         "as nanoGPT does.", lambda t, b, m, W, T: b * t / W if t < W else None),
        ("the warm-up stays at 0: (step + 1) // (warmup_steps + 1) is integer division; divide with /.",
         lambda t, b, m, W, T: b * ((t + 1) // (W + 1)) if t < W else None),
        ("the warm-up reaches base_lr one step early: divide by warmup_steps + 1, so step warmup_steps - 1 is still "
         "below base_lr.", lambda t, b, m, W, T: b * (t + 1) / W if t < W else None),
        ("the cosine must start at the end of the warm-up: use step - warmup_steps in the cosine.",
         lambda t, b, m, W, T: _cosine(t, b, m, T - W) if W <= t <= T else None),
        ("the cosine phase lasts total_steps - warmup_steps steps: use that as T_max, not total_steps.",
         lambda t, b, m, W, T: _cosine(t - W, b, m, T) if W <= t <= T else None),
        ("the cosine runs from step warmup_steps to total_steps: call cosine_lr(step - warmup_steps, base_lr, "
         "eta_min, total_steps - warmup_steps), not cosine_lr(step, ..., total_steps).",
         lambda t, b, m, W, T: _cosine(t, b, m, T) if W <= t <= T else None),
        ("eta_min is missing from the cosine: eta_min + (base_lr - eta_min) * (1 + cos(...)) / 2.",
         lambda t, b, m, W, T: _cosine(t - W, b, 0.0, T - W) if W <= t <= T else None),
        ("after total_steps the lr must stay at eta_min (nanoGPT's phase 3); the cosine formula alone climbs back up.",
         lambda t, b, m, W, T: _cosine(t - W, b, m, T - W) if t > T else None),
        ("after total_steps the lr must stay at eta_min, where the cosine ended, not drop to 0.",
         lambda t, b, m, W, T: 0.0 if t > T else None),
        ("after total_steps the lr must stay at eta_min, where the cosine ended, not jump back to base_lr.",
         lambda t, b, m, W, T: b if t > T else None),
    ], hold="total_steps")


def _restarts(late: bool = False, grow: Callable | None = None, no_eta_min: bool = False,
              grow_first: bool = False) -> Callable:
    """lr(t) found by walking the cycles; late: restart when t > T_i; grow: a wrong rule for the next T_i;
    grow_first: T_i grows before T_cur -= T_i, so the longer period is subtracted."""
    def lr(t, b, m, T_0, T_mult):
        T_i = T_0
        while (t > T_i) if late else (t >= T_i):
            T_next = grow(T_i, T_mult) if grow else T_i * T_mult
            t, T_i = t - (T_next if grow_first else T_i), T_next
        return _cosine(t, b, 0.0 if no_eta_min else m, T_i)
    return lr


def check_warm_restarts_lr(warm_restarts_lr: Callable) -> None:
    """Check ``warm_restarts_lr(step, base_lr, eta_min, T_0, T_mult)`` against ``CosineAnnealingWarmRestarts``."""
    check_schedule_function("warm_restarts_lr", warm_restarts_lr, ("step", "base_lr", "eta_min", "T_0", "T_mult"),
                            CosineAnnealingWarmRestarts, {
        "T_0=5, T_mult=1": ((0.1, 0.0, 5, 1), 16), "T_0=3, T_mult=2": ((0.1, 0.001, 3, 2), 25),
        "T_0=2, T_mult=3": ((1.0, 0.1, 2, 3), 30),
    }, [
        ("each period is T_mult times longer than the one before; yours keeps T_0 (after a restart, T_i = T_i * "
         "T_mult).", _restarts(grow=lambda T_i, k: T_i)),
        ("the restart comes one step late: when the step within the cycle reaches T_i the lr jumps back to base_lr "
         "(test t >= T_i, not t > T_i).", _restarts(late=True)),
        ("the lr restarts only once: walk past every finished period with a loop, while T_cur >= T_i (an if "
         "handles only the first restart).", lambda t, b, m, T_0, T_mult: _cosine(t - T_0, b, m, T_0 * T_mult)
         if t >= T_0 else None),
        ("eta_min is missing: lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2.",
         _restarts(no_eta_min=True)),
        ("the period grows by multiplication: after a restart T_i = T_i * T_mult, not T_i + T_mult.",
         _restarts(grow=lambda T_i, k: T_i + k)),
        ("T_i grew before it was subtracted: subtract the period that just ended first (T_cur -= T_i), then let "
         "the next one grow (T_i *= T_mult).", _restarts(grow_first=True)),
    ])


def check_polynomial_lr(polynomial_lr: Callable) -> None:
    """Check ``polynomial_lr(step, base_lr, total_iters, power)`` against ``PolynomialLR``."""
    check_schedule_function("polynomial_lr", polynomial_lr, ("step", "base_lr", "total_iters", "power"), PolynomialLR, {
        "total_iters=5, power=1 (linear)": ((0.1, 5, 1.0), 9), "total_iters=8, power=2": ((1.0, 8, 2.0), 12),
        "total_iters=4, power=0.5": ((0.5, 4, 0.5), 8),
    }, [
        ("after total_iters the lr must stay at 0: use min(step, total_iters) in the formula.",
         lambda t, b, T, p: b * (1 - t / T) ** p if t <= T else None),  # right up to total_iters, then anything
        ("the power applies to the whole factor: base_lr * (1 - step / total_iters) ** power, not "
         "base_lr * (1 - (step / total_iters) ** power).", lambda t, b, T, p: b * (1 - (min(t, T) / T) ** p)),
        ("** binds tighter than /: step / total_iters ** power divides by total_iters ** power; write "
         "(1 - step / total_iters) ** power.", lambda t, b, T, p: b * (1 - min(t, T) / T ** p)),
        ("total_iters is off by one: the lr reaches 0 AT step total_iters.",
         lambda t, b, T, p: b * (1 - min(t, T + 1) / (T + 1)) ** p),
        ("power is an exponent: (1 - step / total_iters) ** power, not * power.",
         lambda t, b, T, p: b * (1 - min(t, T) / T) * p),
    ])
