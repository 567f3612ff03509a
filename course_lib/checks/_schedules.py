"""Shared by the schedule checks of lessons 07 and 08: run a course_lib scheduler on a throw-away optimizer and
compare schedules step by step. A schedule exercise takes the step first, e.g. ``cosine_lr(step, base_lr, eta_min,
T_max)``; its likely mistakes are wrong schedule functions with the same signature."""
from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from ..creation import zeros
from ..optim import SGD
from ._core import allclose, call_student, fail, first_match, format_value, identical, report_success, require

RTOL, ATOL = 1e-6, 1e-9  # schedules decay to ~1e-7 of base_lr: compare small values too


def one_param_optimizer(lrs: Sequence[float]) -> SGD:
    """An SGD with one zero parameter per group, at the given learning rates."""
    return SGD([{"params": [zeros(1, requires_grad=True)], "lr": lr} for lr in lrs], lr=lrs[0])


def lr_trajectory(optimizer: Any, scheduler: Any, n_steps: int, groups: bool = False) -> list:
    """``optimizer.param_groups[0]["lr"]`` (with ``groups``, every group's lr) at steps ``0 .. n_steps - 1``: right
    after construction, then after each ``optimizer.step()`` + ``scheduler.step()`` (torch's interface)."""
    lrs = []
    for step in range(n_steps):
        if step:
            optimizer.step()
            scheduler.step()
        lrs.append([group["lr"] for group in optimizer.param_groups] if groups else optimizer.param_groups[0]["lr"])
    return lrs


def reference_lrs(make_scheduler: Callable[[SGD], Any], base_lr: float, n_steps: int) -> list[float]:
    """The learning rate at steps ``0 .. n_steps - 1`` of ``make_scheduler(optimizer)`` (SGD at ``base_lr``)."""
    optimizer = one_param_optimizer([base_lr])
    return lr_trajectory(optimizer, make_scheduler(optimizer), n_steps)


def _try_float(fn: Callable, *args: Any) -> float | None:
    """``float(fn(*args))`` (None stays None), NaN where a wrong formula is not even defined."""
    try:
        value = fn(*args)
        return None if value is None else float(value)
    except (ArithmeticError, ValueError, TypeError):
        return float("nan")


def check_schedule(headline: str, arg_names: Sequence[str], args: tuple, got: list[float], expected: list[float],
                   mistakes: Sequence[tuple[str, Any]], described: str, fallback: str | None = None) -> None:
    """Fail at the first step where ``got`` differs from ``expected`` (the schedule ``described``), with the hint of
    the first likely mistake ``(hint, wrong_fn(step, *args))`` (None where any value fits) that gives the student's
    whole schedule, else their schedule up to the step after that one (one value alone can agree by chance), else
    ``fallback``. ``arg_names`` name ``(step, *args)``."""
    step = next((k for k, (g, e) in enumerate(zip(got, expected)) if not allclose(g, e, RTOL, ATOL)), None)
    if step is None:
        return
    wrong = [(hint, [_try_float(fn, t, *args) for t in range(len(got))]) for hint, fn in mistakes]
    everywhere = [(hint, [g if w is None else w for g, w in zip(got, values)]) for hint, values in wrong]
    near = [(hint, None if values[step] is None else filled[:step + 2])  # a mistake that applies at the step
            for (hint, values), (_, filled) in zip(wrong, everywhere)]
    hint = first_match(got, everywhere, RTOL, ATOL) or first_match(got[:step + 2], near, RTOL, ATOL) or fallback
    inputs = ", ".join(f"{k} = {v!r}" for k, v in zip(arg_names, (step, *args)))
    ours, theirs = ("[" + ", ".join(f"{v:.4g}" for v in values) + "]" for values in (got, expected))
    fail(f"{headline}, first at step {step}.", inputs, got[step], expected[step], hint,
         f"at step {step} of {described}\n  {'steps 0-' + str(len(got) - 1) + ':':<16}your schedule     {ours}"
         f"\n  {'':<16}expected schedule {theirs}")


def _student_lr(name: str, student_fn: Callable, arg_names: Sequence[str], args: tuple) -> float:
    """``float(student_fn(*args))``, or a message for a crash, a complex number or a value that is not one number."""
    inputs = ", ".join(f"{k} = {v!r}" for k, v in zip(arg_names, args))
    value = call_student(student_fn, *args, where=name, inputs=inputs)
    try:
        return float(value)
    except (TypeError, ValueError):
        shown = f"{value:.4g}" if isinstance(value, complex) else format_value(value)
        fail(f"{name} returned {shown} ({type(value).__name__}), expected one number.", inputs, hint=(
            "a negative number raised to a fractional power is complex: keep the base of the power >= 0, e.g. with "
            "min(step, total_iters)." if isinstance(value, complex) else "return a float such as base_lr * factor."))


def check_schedule_function(name: str, student_fn: Callable, arg_names: Sequence[str], scheduler: Callable[..., Any],
                            cases: dict[str, tuple[tuple, int]], mistakes: Sequence[tuple[str, Any]],
                            hold: str | None = None) -> None:
    """Compare ``student_fn(step, base_lr, *rest)`` with ``scheduler(optimizer, **dict(zip(arg_names[2:], rest)))``
    (an SGD at base_lr) on every step of every case ``{label: ((base_lr, *rest), n_steps)}``; from step
    ``kwargs[hold]`` on, the lr holds its value there; the arguments must stay as given. ``mistakes``: see
    :func:`check_schedule`."""
    for number, (label, (args, n_steps)) in enumerate(cases.items(), start=1):
        kwargs = dict(zip(arg_names[2:], args[1:]))
        lrs = reference_lrs(lambda optimizer: scheduler(optimizer, **kwargs), args[0], n_steps)
        if hold:
            lrs = lrs[:kwargs[hold]] + [lrs[kwargs[hold]]] * (n_steps - kwargs[hold])
        given = copy.deepcopy(args)
        got = [_student_lr(name, student_fn, arg_names, (step, *args)) for step in range(n_steps)]
        changed = [k for k, new, old in zip(arg_names[1:], args, given) if not identical(new, old)]
        require([(changed, f'{name} changed its arguments in place on case "{label}": {", ".join(changed)}.',
                  "a schedule is a pure function of the step: leave its arguments as given (sorted(milestones) "
                  "returns a sorted copy; milestones.sort() reorders the caller's list).")],
                ", ".join(f"{k} = {v!r}" for k, v in zip(arg_names[1:], given)))
        described = f"{scheduler.__name__}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
        check_schedule(f'{name} gives a wrong answer on case "{label}" ({number} of {len(cases)})', arg_names, args,
                       got, lrs, mistakes, described + (f", held after step {kwargs[hold]}" if hold else ""))
    report_success(name, len(cases), "schedules")
