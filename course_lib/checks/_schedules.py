"""Shared by the schedule checkers of lessons 07 and 08: run a scheduler, compare schedules.

The reference for every exercise is a scheduler from ``course_lib.optim.lr_scheduler``,
run step by step on a throw-away optimizer, exactly as in a training loop
(``optimizer.step()`` then ``scheduler.step()``). A wrong answer is compared with the
schedules that typical mistakes produce (off by one, decaying per batch, forgetting
``initial_lr``, ...) and the message names the mistake whose schedule matches.

A pure schedule function takes the step first, e.g. ``cosine_lr(step, base_lr, eta_min,
T_max)``, and :func:`check_schedule_function` checks it on every step of a few schedules.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from ..creation import zeros
from ..optim import SGD
from ._core import ExerciseError, allclose, call_student, format_value, report_success

RTOL = 1e-6
ATOL = 1e-9  # schedules decay to ~1e-7 of base_lr: compare small values too

# ------------------------------------------------------------------ running schedulers


def one_param_optimizer(lrs: Sequence[float]) -> SGD:
    """An SGD with one zero parameter per group, at the given learning rates."""
    groups = [{"params": [zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return SGD(groups, lr=lrs[0])


def lr_trajectory(optimizer: Any, scheduler: Any, n_steps: int) -> list[float]:
    """``optimizer.param_groups[0]["lr"]`` at steps ``0 .. n_steps - 1`` of a schedule.

    Step 0 is the rate right after construction; each further step is one
    ``optimizer.step()`` followed by ``scheduler.step()``, as in a training loop. Works for
    any optimizer and scheduler with torch's interface (torch's own included).
    """
    lrs = [optimizer.param_groups[0]["lr"]]
    for _ in range(n_steps - 1):
        optimizer.step()
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


def reference_lrs(make_scheduler: Callable[[SGD], Any], base_lr: float, n_steps: int) -> list[float]:
    """The learning rate at steps ``0 .. n_steps - 1`` of ``make_scheduler(optimizer)``.

    The optimizer is an SGD over one zero parameter at ``base_lr``; see :func:`lr_trajectory`.
    """
    optimizer = one_param_optimizer([base_lr])
    return lr_trajectory(optimizer, make_scheduler(optimizer), n_steps)


def _as_float(value: Any, name: str, inputs: str) -> float:
    if isinstance(value, complex):
        raise ExerciseError(
            f"{name} returned the complex number {value:.4g} for {inputs}: a negative number "
            "raised to a fractional power. help: keep the base of the power >= 0, e.g. with "
            "min(step, total_iters)."
        )
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ExerciseError(
            f"{name} returned {format_value(value)} ({type(value).__name__}) for {inputs}; "
            "expected one number. help: return a float such as base_lr * factor."
        ) from None


def first_difference(got: Sequence[float], expected: Sequence[float]) -> int | None:
    for step, (g, e) in enumerate(zip(got, expected)):
        if not allclose(g, e, RTOL, ATOL):
            return step
    return None


def short(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:.4g}" for v in values) + "]"


def diagnose(got: Sequence[float], mistakes: Sequence[tuple[str, Sequence[float]]], step: int) -> str | None:
    """The first mistake whose schedule equals the student's everywhere, else at ``step``."""
    for hint, wrong in mistakes:
        if callable(wrong):
            if wrong(got, step):
                return hint
        elif first_difference(got, wrong) is None:
            return hint
    for hint, wrong in mistakes:
        if not callable(wrong) and allclose(got[step], wrong[step], RTOL, ATOL):
            return hint
    return None


def check_schedule_function(
    name: str,
    student_fn: Callable,
    arg_names: Sequence[str],
    cases: dict[str, tuple[tuple, int, str, list[float]]],
    mistakes: Callable[[tuple, int], list[tuple[str, list[float]]]],
) -> None:
    """Compare ``student_fn(step, *args)`` with a reference schedule on every step.

    Args:
        name: the exercise's function name.
        student_fn: the student's ``fn(step, *args) -> float``.
        arg_names: names of ``step`` and the other arguments, for messages.
        cases: ``{label: (args, n_steps, reference description, expected lrs)}``.
        mistakes: ``mistakes(args, n_steps) -> [(hint, wrong schedule), ...]``; a wrong
            schedule may also be a predicate ``(got, first_wrong_step) -> bool``.

    Raises:
        ExerciseError: not done yet, a non-number, or a schedule that differs.
    """
    for number, (label, (args, n_steps, described, expected)) in enumerate(cases.items(), start=1):
        got = []
        for step in range(n_steps):
            inputs = ", ".join(f"{k} = {v!r}" for k, v in zip(arg_names, (step, *args)))
            try:
                value = call_student(student_fn, step, *args)
            except ExerciseError:
                raise
            except Exception as error:  # the student's own bug: keep the traceback, say where
                error.add_note(f"(while checking {name} with {inputs})")
                raise
            got.append(_as_float(value, name, inputs))
        step = first_difference(got, expected)
        if step is None:
            continue
        inputs = ", ".join(f"{k} = {v!r}" for k, v in zip(arg_names, (step, *args)))
        lines = [
            f'{name} gives a wrong answer on case "{label}" ({number} of {len(cases)}), first at step {step}.',
            f"  inputs:      {inputs}",
            f"  your result: {got[step]:.6g}",
            f"  expected:    {expected[step]:.6g}  (step {step} of {described})",
            f"  your schedule, steps 0-{n_steps - 1}:     {short(got)}",
            f"  expected schedule, steps 0-{n_steps - 1}: {short(expected)}",
        ]
        hint = diagnose(got, mistakes(args, n_steps), step)
        if hint:
            lines.append(f"  likely mistake: {hint}")
        raise ExerciseError("\n".join(lines))
    report_success(name, len(cases), "schedules")


def table(fn: Callable[[int], float], n_steps: int) -> list[float]:
    out = []
    for step in range(n_steps):
        try:
            out.append(float(fn(step)))
        except (ArithmeticError, ValueError):  # a wrong formula may not be defined everywhere
            out.append(math.nan)
    return out
