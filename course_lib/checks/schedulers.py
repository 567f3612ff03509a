"""Checks for lessons 07 and 08: learning-rate schedules written by the student.

The reference for every exercise is a scheduler from ``course_lib.optim.lr_scheduler``,
run step by step on a throw-away optimizer, exactly as in a training loop
(``optimizer.step()`` then ``scheduler.step()``). A wrong answer is compared with the
schedules that typical mistakes produce (off by one, decaying per batch, forgetting
``initial_lr``, ...) and the message names the mistake whose schedule matches.

A pure schedule function takes the step first, e.g. ``cosine_lr(step, base_lr, eta_min,
T_max)``, and is checked on every step of a few schedules.
"""
from __future__ import annotations

import math
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..creation import tensor, zeros
from ..optim import SGD
from ..optim.lr_scheduler import (
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    PolynomialLR,
    SequentialLR,
    StepLR,
)
from ._core import ExerciseError, allclose, call_student, format_value, report_success

RTOL = 1e-6
ATOL = 1e-9  # schedules decay to ~1e-7 of base_lr: compare small values too

# ------------------------------------------------------------------ running schedulers


def _optimizer(lrs: Sequence[float]) -> SGD:
    """An SGD with one zero parameter per group, at the given learning rates."""
    groups = [{"params": [zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return SGD(groups, lr=lrs[0])


def reference_lrs(make_scheduler: Callable[[SGD], Any], base_lr: float, n_steps: int) -> list[float]:
    """The learning rate at steps ``0 .. n_steps - 1`` of ``make_scheduler(optimizer)``.

    Step 0 is the rate right after construction; each further step is one
    ``optimizer.step()`` followed by ``scheduler.step()``, as in a training loop.
    """
    optimizer = _optimizer([base_lr])
    scheduler = make_scheduler(optimizer)
    lrs = [optimizer.param_groups[0]["lr"]]
    for _ in range(n_steps - 1):
        optimizer.step()
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


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


def _first_difference(got: Sequence[float], expected: Sequence[float]) -> int | None:
    for step, (g, e) in enumerate(zip(got, expected)):
        if not allclose(g, e, RTOL, ATOL):
            return step
    return None


def _short(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{v:.4g}" for v in values) + "]"


def _diagnose(got: Sequence[float], mistakes: Sequence[tuple[str, Sequence[float]]], step: int) -> str | None:
    """The first mistake whose schedule equals the student's everywhere, else at ``step``."""
    for hint, wrong in mistakes:
        if callable(wrong):
            if wrong(got, step):
                return hint
        elif _first_difference(got, wrong) is None:
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
        step = _first_difference(got, expected)
        if step is None:
            continue
        inputs = ", ".join(f"{k} = {v!r}" for k, v in zip(arg_names, (step, *args)))
        lines = [
            f'{name} gives a wrong answer on case "{label}" ({number} of {len(cases)}), first at step {step}.',
            f"  inputs:      {inputs}",
            f"  your result: {got[step]:.6g}",
            f"  expected:    {expected[step]:.6g}  (step {step} of {described})",
            f"  your schedule, steps 0-{n_steps - 1}:     {_short(got)}",
            f"  expected schedule, steps 0-{n_steps - 1}: {_short(expected)}",
        ]
        hint = _diagnose(got, mistakes(args, n_steps), step)
        if hint:
            lines.append(f"  likely mistake: {hint}")
        raise ExerciseError("\n".join(lines))
    report_success(name, len(cases), "schedules")


def _table(fn: Callable[[int], float], n_steps: int) -> list[float]:
    out = []
    for step in range(n_steps):
        try:
            out.append(float(fn(step)))
        except (ArithmeticError, ValueError):  # a wrong formula may not be defined everywhere
            out.append(math.nan)
    return out


# ------------------------------------------------------------------ lesson 07


def check_step_lr(step_lr: Callable) -> None:
    """Check ``step_lr(epoch, base_lr, step_size, gamma)`` against ``StepLR``, epoch by epoch."""
    cases = {}
    for label, (base_lr, step_size, gamma, n) in {
        "the tutorial's StepLR(step_size=4, gamma=.10)": (100.0, 4, 0.1, 25),
        "step_size=3, gamma=0.5": (0.1, 3, 0.5, 13),
        "step_size=1 (decay every epoch)": (1.0, 1, 0.9, 6),
    }.items():
        expected = reference_lrs(lambda o, s=step_size, g=gamma: StepLR(o, step_size=s, gamma=g), base_lr, n)
        cases[label] = ((base_lr, step_size, gamma), n, f"StepLR(step_size={step_size}, gamma={gamma})", expected)

    def mistakes(args, n):
        b, s, g = args
        return [
            ("the decay comes one epoch early: the lr changes when epoch reaches a multiple of "
             "step_size, so use epoch // step_size, not (epoch + 1) // step_size.",
             _table(lambda e: b * g ** ((e + 1) // s), n)),
            ("the decay comes one epoch late: epoch counts from 0 (the initial step), so use "
             "epoch // step_size, not (epoch - 1) // step_size.",
             _table(lambda e: b * g ** (max(e - 1, 0) // s), n)),
            ("you divided with /, which decays a little every epoch; StepLR decays in steps: "
             "use integer division, epoch // step_size.",
             _table(lambda e: b * g ** (e / s), n)),
            ("the lr decays every epoch: the exponent is the number of whole periods, "
             "epoch // step_size, not epoch.",
             _table(lambda e: b * g ** e, n)),
            ("gamma multiplies once per period, so it is a power: gamma ** (epoch // step_size), "
             "not gamma * (epoch // step_size).",
             _table(lambda e: b * g * (e // s), n)),
            ("the lr never changes: multiply base_lr by gamma ** (epoch // step_size).",
             _table(lambda e: b, n)),
        ]

    check_schedule_function("step_lr", step_lr, ("epoch", "base_lr", "step_size", "gamma"), cases, mistakes)


def check_multistep_lr(multistep_lr: Callable) -> None:
    """Check ``multistep_lr(epoch, base_lr, milestones, gamma)`` against ``MultiStepLR``."""
    cases = {}
    for label, (base_lr, milestones, gamma, n) in {
        "milestones=[3, 7]": (0.1, [3, 7], 0.5, 10),
        "unsorted milestones=[8, 2, 5]": (1.0, [8, 2, 5], 0.1, 10),
        "a repeated milestone [4, 4] decays twice": (0.5, [4, 4], 0.5, 7),
    }.items():
        expected = reference_lrs(
            lambda o, m=milestones, g=gamma: MultiStepLR(o, milestones=list(m), gamma=g), base_lr, n
        )
        cases[label] = ((base_lr, milestones, gamma), n, f"MultiStepLR(milestones={milestones}, gamma={gamma})", expected)

    def mistakes(args, n):
        b, m, g = args
        ordered = sorted(m)
        return [
            ("the decay comes one epoch late: at epoch == milestone the lr is already decayed, so "
             "count the milestones <= epoch (bisect_right), not < epoch (bisect_left).",
             _table(lambda e: b * g ** bisect_left(ordered, e), n)),
            ("the milestones were not sorted: MultiStepLR sorts them, so count milestones <= epoch "
             "in sorted(milestones) (or count them without relying on order).",
             _table(lambda e: b * g ** bisect_right(list(m), e), n)),
            ("a milestone listed twice decays twice in MultiStepLR (gamma ** 2): do not turn "
             "the milestones into a set.",
             _table(lambda e: b * g ** sum(1 for x in set(m) if x <= e), n)),
            ("gamma multiplies once per milestone passed, so it is a power: "
             "gamma ** count, not gamma * count.",
             _table(lambda e: b * g * bisect_right(ordered, e), n)),
        ]

    check_schedule_function("multistep_lr", multistep_lr, ("epoch", "base_lr", "milestones", "gamma"), cases, mistakes)


def _halving(epoch: int) -> float:
    """The probe schedule for the base-class check: lr_t = base_lr * 0.5 ** t."""
    return 0.5 ** epoch


def _group_lrs(optimizer: SGD) -> list[float]:
    return [group["lr"] for group in optimizer.param_groups]


def _fail(headline: str, got: Any, expected: Any, hint: str) -> None:
    raise ExerciseError(
        f"{headline}\n  your result: {format_value(got)}\n  expected:    {format_value(expected)}\n"
        f"  likely mistake: {hint}"
    )


def check_lr_scheduler_base(scheduler_cls: type) -> None:
    """Check a student's ``LRScheduler`` base class (``__init__``, ``step``, ``get_last_lr``).

    The class is subclassed with ``get_lr() = [base_lr * 0.5 ** last_epoch ...]`` and run
    next to ``LambdaLR(optimizer, lambda t: 0.5 ** t)`` on an optimizer with two param
    groups: ``initial_lr``, ``base_lrs``, ``last_epoch``, every group's ``lr`` and
    ``get_last_lr()`` must agree after construction and after each ``step()``.
    """

    class Probe(scheduler_cls):  # type: ignore[misc, valid-type]
        def get_lr(self):
            return [base_lr * _halving(self.last_epoch) for base_lr in self.base_lrs]

    lrs = [0.1, 0.03]
    optimizer, reference_optimizer = _optimizer(lrs), _optimizer(lrs)
    scheduler = call_student(Probe, optimizer)
    reference = LambdaLR(reference_optimizer, _halving)
    name = scheduler_cls.__name__

    initial = [group.get("initial_lr") for group in optimizer.param_groups]
    if initial != lrs:
        _fail(f"{name}.__init__: param_groups[i]['initial_lr'] is wrong after construction.", initial, lrs,
              "set group.setdefault('initial_lr', group['lr']) in every param group when "
              "last_epoch == -1: it records the lr the schedule starts from.")
    base_lrs = list(getattr(scheduler, "base_lrs", None) or [])
    if not allclose(base_lrs, lrs):
        _fail(f"{name}.__init__: self.base_lrs is wrong.", getattr(scheduler, "base_lrs", None), lrs,
              "base_lrs = [group['initial_lr'] for group in optimizer.param_groups].")
    last_epoch = getattr(scheduler, "last_epoch", None)
    if last_epoch != 0:
        hint = {
            -1: "__init__ must end with the initial step (self.step()), which moves last_epoch from -1 to 0.",
            1: "last_epoch starts at -1 (the argument) and the initial step adds one: you counted one step too many.",
        }.get(last_epoch, "store last_epoch (-1 for a new schedule), then call self.step() once.")
        _fail(f"{name}.__init__: last_epoch after construction is wrong.", last_epoch, 0, hint)

    for step in range(6):
        if step:
            optimizer.step()
            reference_optimizer.step()
            call_student(scheduler.step)
            reference.step()
        got, expected = _group_lrs(optimizer), _group_lrs(reference_optimizer)
        where = "after construction" if step == 0 else f"after {step} call(s) of step()"
        if not allclose(got, expected, RTOL, ATOL):
            last = getattr(scheduler, "_last_lr", None)
            if last is not None and allclose(list(last), expected, RTOL, ATOL):
                hint = "step() must write each new rate into its param group: group['lr'] = lr."
            elif allclose(got, [lr * _halving(step - 1) for lr in lrs]):
                hint = "step() must add 1 to last_epoch BEFORE calling get_lr(); yours lags one step behind."
            else:
                hint = "step(): last_epoch += 1, then lrs = self.get_lr(), then set group['lr'] for each group."
            _fail(f"{name}: the param groups' lr {where} are wrong.", got, expected, hint)
        last = call_student(scheduler.get_last_lr)
        if not allclose(list(last) if isinstance(last, (list, tuple)) else last, expected, RTOL, ATOL):
            hint = ("get_last_lr() returns the base_lrs; it should return the rates set by the last step()."
                    if step and allclose(list(last), lrs) else
                    "step() should save the rates it sets (self._last_lr = [group['lr'] ...]) "
                    "and get_last_lr() return them (a list, one per group).")
            _fail(f"{name}.get_last_lr() {where} is wrong.", last, expected, hint)

    # A second scheduler on the same optimizer must start from initial_lr, not from the current lr.
    current = _group_lrs(optimizer)
    second = call_student(Probe, optimizer)
    initial = [group.get("initial_lr") for group in optimizer.param_groups]
    if initial != lrs:
        _fail(f"{name}.__init__ overwrote initial_lr when it was already set.", initial, lrs,
              "use group.setdefault('initial_lr', group['lr']): a second scheduler (or one "
              "built after lr changed) must keep the original initial_lr.")
    if not allclose(list(second.base_lrs), lrs):
        _fail(f"{name}.__init__: base_lrs of a second scheduler on the same optimizer are wrong "
              f"(the current lrs are {format_value(current)}).", second.base_lrs, lrs,
              "read base_lrs from group['initial_lr'], not from group['lr'] (which a schedule changes).")
    report_success(name, 3, "checks (construction, 5 steps, a second scheduler)")


def check_step_lr_class(step_lr_cls: type) -> None:
    """Check ``MyStepLR(optimizer, step_size, gamma)`` against ``StepLR`` on two param groups."""
    name = step_lr_cls.__name__
    lrs, step_size, gamma, n = [0.1, 1.0], 3, 0.5, 13
    optimizer, reference_optimizer = _optimizer(lrs), _optimizer(lrs)
    scheduler = call_student(step_lr_cls, optimizer, step_size=step_size, gamma=gamma)
    reference = StepLR(reference_optimizer, step_size=step_size, gamma=gamma)
    got, expected = [_group_lrs(optimizer)], [_group_lrs(reference_optimizer)]
    for _ in range(n - 1):
        optimizer.step()
        reference_optimizer.step()
        call_student(scheduler.step)
        reference.step()
        got.append(_group_lrs(optimizer))
        expected.append(_group_lrs(reference_optimizer))
    ours, theirs = [g[0] for g in got], [e[0] for e in expected]
    step = _first_difference([x for g in got for x in g], [x for e in expected for x in e])
    if step is None:
        report_success(name, 1, f"schedule ({n} steps, 2 param groups)")
        return
    step //= len(lrs)
    b = lrs[0]
    compounding = [b]
    for t in range(1, n):
        compounding.append(compounding[-1] * gamma ** (t // step_size))
    mistakes = [
        ("you multiplied the CURRENT lr (group['lr']) by gamma ** (last_epoch // step_size), so "
         "the decays compound; the closed form starts from base_lr: base_lr * gamma ** (last_epoch // step_size).",
         compounding),
        ("the decay comes one step early: use last_epoch // step_size, not (last_epoch + 1) // step_size.",
         _table(lambda e: b * gamma ** ((e + 1) // step_size), n)),
        ("the decay comes one step late: use last_epoch // step_size, not (last_epoch - 1) // step_size.",
         _table(lambda e: b * gamma ** (max(e - 1, 0) // step_size), n)),
        ("the lr decays every step: the exponent is last_epoch // step_size.",
         _table(lambda e: b * gamma ** e, n)),
        ("the lr never changes: get_lr() should return "
         "[base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs].",
         [b] * n),
    ]
    hint = _diagnose(ours, mistakes, step) or (
        "if the first group is right and the second wrong, get_lr() must return one lr per "
        "base_lr; otherwise run check_lr_scheduler_base first: MyStepLR relies on it.")
    raise ExerciseError(
        f"{name} gives a wrong lr at step {step} (StepLR(step_size={step_size}, gamma={gamma}), "
        f"param groups with lr {lrs}).\n"
        f"  your result: {format_value(got[step])}\n  expected:    {format_value(expected[step])}\n"
        f"  your schedule (group 0):     {_short(ours)}\n  expected schedule (group 0): {_short(theirs)}\n"
        f"  likely mistake: {hint}"
    )


def _reference_train(model, loss_fn, optimizer, scheduler, batches, epochs):
    lrs = []
    for _ in range(epochs):
        lrs.append(scheduler.get_last_lr()[0])
        for x, y in batches:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        scheduler.step()
    return lrs


class _Line:
    """A tiny model, ``w * x + b`` on column vectors, with its parameters in a list."""

    def __init__(self) -> None:
        self.w = tensor([0.5], requires_grad=True)
        self.b = tensor([-0.2], requires_grad=True)

    def parameters(self) -> list:
        return [self.w, self.b]

    def __call__(self, x):
        return x * self.w + self.b


def _mse(prediction, target):
    diff = prediction - target
    return (diff * diff).sum() * (1.0 / diff.numel())


def _training_setup():
    """The model, loss, optimizer, scheduler and 4 batches the train-loop check uses."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(4, 3)).astype(np.float32)
    y = 2.0 * x - 1.0
    batches = [(tensor(x[i]), tensor(y[i])) for i in range(4)]
    model = _Line()
    optimizer = SGD(model.parameters(), lr=0.1)
    scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    return model, _mse, optimizer, scheduler, batches


def check_train(train: Callable) -> None:
    """Check ``train(model, loss_fn, optimizer, scheduler, batches, epochs) -> lrs``.

    ``lrs[e]`` is the learning rate epoch ``e`` trains with. The loop must do
    ``zero_grad``, forward, ``backward``, ``optimizer.step()`` for each batch and
    ``scheduler.step()`` once per epoch, after the optimizer's steps.
    """
    epochs = 5
    model, loss_fn, optimizer, scheduler, batches = _training_setup()
    ref_model, _, ref_optimizer, ref_scheduler, _ = _training_setup()
    expected = _reference_train(ref_model, loss_fn, ref_optimizer, ref_scheduler, batches, epochs)
    start = [p.tolist() for p in model.parameters()]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = call_student(train, model, loss_fn, optimizer, scheduler, batches, epochs)
    setup = ("model w*x+b, SGD(lr=0.1), StepLR(step_size=2, gamma=0.5), "
             f"{len(batches)} batches per epoch, {epochs} epochs")

    def fail(what, yours, wanted, hint):
        raise ExerciseError(
            f"train: {what} is wrong ({setup}).\n  your result: {format_value(yours)}\n"
            f"  expected:    {format_value(wanted)}\n  likely mistake: {hint}"
        )

    order = [w for w in caught if "before `optimizer.step()`" in str(w.message)]
    if order:
        fail("the call order", "scheduler.step() before optimizer.step()", "optimizer.step() then scheduler.step()",
             "call optimizer.step() for the batches first and scheduler.step() after them; "
             "the other order skips the first value of the schedule (see the UserWarning).")
    if scheduler.last_epoch != epochs:
        if scheduler.last_epoch == epochs * len(batches):
            hint = ("scheduler.step() runs once per BATCH; StepLR counts epochs here: call it once per "
                    "epoch, after the loop over the batches.")
        else:
            hint = "call scheduler.step() exactly once per epoch, after the loop over the batches."
        fail("the number of scheduler steps (scheduler.last_epoch)", scheduler.last_epoch, epochs, hint)
    if not isinstance(got, (list, tuple)) or not allclose(list(got), expected, RTOL, ATOL):
        hint = ("record scheduler.get_last_lr()[0] (or optimizer.param_groups[0]['lr']) at the START "
                "of each epoch, before the batches, and return the list.")
        model2, _, optimizer2, scheduler2, _ = _training_setup()
        shifted = _reference_train(model2, loss_fn, optimizer2, scheduler2, batches, epochs + 1)[1:]
        if isinstance(got, (list, tuple)) and allclose(list(got), shifted, RTOL, ATOL):
            hint = "you recorded the lr after scheduler.step(), i.e. the next epoch's; record it at the start."
        fail("the returned list of learning rates", got, expected, hint)
    params = [p.tolist() for p in model.parameters()]
    wanted = [p.tolist() for p in ref_model.parameters()]
    if not allclose(params, wanted, 1e-4, 1e-6):
        if allclose(params, start):
            hint = "the parameters never changed: call optimizer.step() after loss.backward() for each batch."
        else:
            hint = ("the updates differ: call optimizer.zero_grad() before each backward(), otherwise "
                    "gradients of earlier batches accumulate into .grad.")
        fail("the trained parameters [w, b]", params, wanted, hint)
    report_success("train", 1, "training run (order, per-epoch stepping, lrs, parameters)")


# ------------------------------------------------------------------ lesson 08


def _cosine(t: float, base_lr: float, eta_min: float, T: float) -> float:
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / T)) / 2


def check_cosine_lr(cosine_lr: Callable) -> None:
    """Check ``cosine_lr(step, base_lr, eta_min, T_max)`` against ``CosineAnnealingLR``, steps 0..T_max."""
    cases = {}
    for label, (base_lr, eta_min, T_max) in {
        "T_max=10, eta_min=0": (0.1, 0.0, 10),
        "T_max=7, eta_min=0.1": (1.0, 0.1, 7),
        "T_max=1": (0.5, 0.05, 1),
    }.items():
        expected = reference_lrs(lambda o, T=T_max, m=eta_min: CosineAnnealingLR(o, T_max=T, eta_min=m), base_lr, T_max + 1)
        cases[label] = ((base_lr, eta_min, T_max), T_max + 1, f"CosineAnnealingLR(T_max={T_max}, eta_min={eta_min})", expected)

    def mistakes(args, n):
        b, m, T = args
        return [
            ("T_max is off by one: the lr reaches eta_min AT step T_max, so divide by T_max, not T_max - 1.",
             _table(lambda t: _cosine(t, b, m, T - 1), n)),
            ("T_max is off by one: the lr reaches eta_min AT step T_max, so divide by T_max, not T_max + 1.",
             _table(lambda t: _cosine(t, b, m, T + 1), n)),
            ("eta_min is missing: lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * step / T_max)) / 2.",
             _table(lambda t: _cosine(t, b, 0.0, T), n)),
            ("eta_min is added but not subtracted from base_lr: the amplitude is (base_lr - eta_min).",
             _table(lambda t: m + b * (1 + math.cos(math.pi * t / T)) / 2, n)),
            ("the cosine must be shifted and halved, (1 + cos(...)) / 2, so it goes from 1 to 0.",
             _table(lambda t: m + (b - m) * math.cos(math.pi * t / T), n)),
            ("math.cos takes radians: use math.pi * step / T_max (no degrees).",
             _table(lambda t: _cosine(t * 180 / math.pi, b, m, T), n)),
        ]

    check_schedule_function("cosine_lr", cosine_lr, ("step", "base_lr", "eta_min", "T_max"), cases, mistakes)


def warmup_cosine_scheduler(optimizer: SGD, eta_min: float, warmup_steps: int, total_steps: int) -> SequentialLR:
    """The torch-built twin of the lesson's ``warmup_cosine_lr``.

    ``LinearLR(start_factor=1/(warmup_steps+1), total_iters=warmup_steps)`` for the warm-up
    (lr = base_lr * (step+1) / (warmup_steps+1)), then ``CosineAnnealingLR(T_max=total_steps
    - warmup_steps, eta_min)``, joined by ``SequentialLR(milestones=[warmup_steps])``.
    """
    warmup = LinearLR(optimizer, start_factor=1 / (warmup_steps + 1), end_factor=1.0, total_iters=warmup_steps)
    cosine = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min=eta_min)
    return SequentialLR(optimizer, [warmup, cosine], milestones=[warmup_steps])


def check_warmup_cosine_lr(warmup_cosine_lr: Callable) -> None:
    """Check ``warmup_cosine_lr(step, base_lr, eta_min, warmup_steps, total_steps)``.

    Steps ``0..total_steps`` must match :func:`warmup_cosine_scheduler` (SequentialLR of
    LinearLR and CosineAnnealingLR); after ``total_steps`` the lr stays at ``eta_min``, as
    in nanoGPT's ``get_lr``.
    """
    cases = {}
    for label, (base_lr, eta_min, W, total) in {
        "5 warm-up steps, 20 in all": (0.1, 0.01, 5, 20),
        "3 warm-up steps, 10 in all, eta_min=0": (1.0, 0.0, 3, 10),
        "1 warm-up step": (0.5, 0.05, 1, 6),
    }.items():
        n = total + 4
        expected = reference_lrs(lambda o, m=eta_min, w=W, T=total: warmup_cosine_scheduler(o, m, w, T), base_lr, total + 1)
        expected += [eta_min] * (n - total - 1)
        cases[label] = ((base_lr, eta_min, W, total), n,
                        f"SequentialLR(LinearLR(start_factor=1/{W + 1}, total_iters={W}), "
                        f"CosineAnnealingLR(T_max={total - W}, eta_min={eta_min}), milestones=[{W}]), "
                        "held at eta_min after total_steps", expected)

    def mistakes(args, n):
        b, m, W, T = args

        def good(t):
            return b * (t + 1) / (W + 1) if t < W else (_cosine(t - W, b, m, T - W) if t <= T else m)

        def variant(warm=None, cos=None, after=None):
            def f(t):
                if t < W:
                    return warm(t) if warm else good(t)
                if t <= T:
                    return cos(t) if cos else good(t)
                return after(t) if after else m
            return _table(f, n)

        return [
            ("the warm-up starts at 0: an lr of 0 wastes the first step; use "
             "base_lr * (step + 1) / (warmup_steps + 1), as nanoGPT does.",
             variant(warm=lambda t: b * t / W)),
            ("the warm-up reaches base_lr one step early: divide by warmup_steps + 1, "
             "so step warmup_steps - 1 is still below base_lr.",
             variant(warm=lambda t: b * (t + 1) / W)),
            ("the cosine must start at the end of the warm-up: use step - warmup_steps in the cosine.",
             variant(cos=lambda t: _cosine(t, b, m, T - W))),
            ("the cosine phase lasts total_steps - warmup_steps steps: use that as T_max, not total_steps.",
             variant(cos=lambda t: _cosine(t - W, b, m, T))),
            ("eta_min is missing from the cosine: eta_min + (base_lr - eta_min) * (1 + cos(...)) / 2.",
             variant(cos=lambda t: _cosine(t - W, b, 0.0, T - W))),
            ("after total_steps the lr must stay at eta_min (nanoGPT's phase 3); the cosine "
             "formula alone climbs back up.",
             variant(after=lambda t: _cosine(t - W, b, m, T - W))),
        ]

    check_schedule_function("warmup_cosine_lr", warmup_cosine_lr,
                            ("step", "base_lr", "eta_min", "warmup_steps", "total_steps"), cases, mistakes)


def check_warm_restarts_lr(warm_restarts_lr: Callable) -> None:
    """Check ``warm_restarts_lr(step, base_lr, eta_min, T_0, T_mult)`` against ``CosineAnnealingWarmRestarts``."""
    cases = {}
    for label, (base_lr, eta_min, T_0, T_mult, n) in {
        "T_0=5, T_mult=1": (0.1, 0.0, 5, 1, 16),
        "T_0=3, T_mult=2": (0.1, 0.001, 3, 2, 25),
        "T_0=2, T_mult=3": (1.0, 0.1, 2, 3, 30),
    }.items():
        expected = reference_lrs(
            lambda o, T=T_0, k=T_mult, m=eta_min: CosineAnnealingWarmRestarts(o, T_0=T, T_mult=k, eta_min=m), base_lr, n
        )
        cases[label] = ((base_lr, eta_min, T_0, T_mult), n,
                        f"CosineAnnealingWarmRestarts(T_0={T_0}, T_mult={T_mult}, eta_min={eta_min})", expected)

    def restarts(b, m, T_0, T_mult, late=False):
        """lr(t) with T_cur and T_i found by walking the cycles (late: restart when t > T_i)."""
        def lr(t):
            T_i = T_0
            while (t > T_i) if late else (t >= T_i):
                t -= T_i
                T_i *= T_mult
            return _cosine(t, b, m, T_i)
        return lr

    def mistakes(args, n):
        b, m, T_0, k = args
        return [
            ("each period is T_mult times longer than the one before; yours keeps T_0 "
             "(after a restart, T_i = T_i * T_mult).",
             _table(lambda t: _cosine(t % T_0, b, m, T_0), n)),
            ("the restart comes one step late: when the step within the cycle reaches T_i the lr "
             "jumps back to base_lr (test t >= T_i, not t > T_i).",
             _table(restarts(b, m, T_0, k, late=True), n)),
            ("eta_min is missing: lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2.",
             _table(restarts(b, 0.0, T_0, k), n)),
        ]

    check_schedule_function("warm_restarts_lr", warm_restarts_lr,
                            ("step", "base_lr", "eta_min", "T_0", "T_mult"), cases, mistakes)


def check_polynomial_lr(polynomial_lr: Callable) -> None:
    """Check ``polynomial_lr(step, base_lr, total_iters, power)`` against ``PolynomialLR``."""
    cases = {}
    for label, (base_lr, total_iters, power) in {
        "total_iters=5, power=1 (linear)": (0.1, 5, 1.0),
        "total_iters=8, power=2": (1.0, 8, 2.0),
        "total_iters=4, power=0.5": (0.5, 4, 0.5),
    }.items():
        n = total_iters + 4
        expected = reference_lrs(lambda o, T=total_iters, p=power: PolynomialLR(o, total_iters=T, power=p), base_lr, n)
        cases[label] = ((base_lr, total_iters, power), n, f"PolynomialLR(total_iters={total_iters}, power={power})", expected)

    def mistakes(args, n):
        b, T, p = args
        return [
            ("after total_iters the lr must stay at 0: use min(step, total_iters) in the formula.",
             lambda got, step: step > T),
            ("the power applies to the whole factor: base_lr * (1 - step / total_iters) ** power, "
             "not base_lr * (1 - (step / total_iters) ** power).",
             _table(lambda t: b * (1 - (min(t, T) / T) ** p), n)),
            ("total_iters is off by one: the lr reaches 0 AT step total_iters.",
             _table(lambda t: b * (1 - min(t, T + 1) / (T + 1)) ** p, n)),
        ]

    check_schedule_function("polynomial_lr", polynomial_lr, ("step", "base_lr", "total_iters", "power"), cases, mistakes)
