"""Checks for lesson 07 (learning-rate schedulers): StepLR and MultiStepLR as formulas, the
``LRScheduler`` base class, a ``StepLR`` subclass, and a training loop's step order, each against
the course_lib scheduler (see :mod:`course_lib.checks._schedules`)."""
from __future__ import annotations

import copy
import math
import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Callable

import numpy as np

from ..creation import tensor
from ..nn import Module, Parameter
from ..nn.functional import mse_loss
from ..optim import SGD
from ..optim.lr_scheduler import LambdaLR, MultiStepLR, StepLR
from ..training import train_one_epoch
from ._core import allclose, call_student, compare, report_success, require
from ._schedules import ATOL, RTOL, check_schedule, check_schedule_function, lr_trajectory, one_param_optimizer

__all__ = ["check_step_lr", "check_multistep_lr", "check_lr_scheduler_base", "check_step_lr_class", "check_train"]


def check_step_lr(step_lr: Callable) -> None:
    """Check ``step_lr(epoch, base_lr, step_size, gamma)`` against ``StepLR``, epoch by epoch."""
    check_schedule_function("step_lr", step_lr, ("epoch", "base_lr", "step_size", "gamma"), StepLR, {
        "the tutorial's StepLR(step_size=4, gamma=.10)": ((100.0, 4, 0.1), 25),
        "step_size=3, gamma=0.5": ((0.1, 3, 0.5), 13),
        "step_size=1 (decay every epoch)": ((1.0, 1, 0.9), 6),
    }, [
        ("the decay comes one epoch early: the lr changes when epoch reaches a multiple of step_size, so use "
         "epoch // step_size, not (epoch + 1) // step_size.", lambda e, b, s, g: b * g ** ((e + 1) // s)),
        ("the decay comes one epoch late: epoch counts from 0 (the initial step), so use epoch // step_size, not "
         "(epoch - 1) // step_size.", lambda e, b, s, g: b * g ** (max(e - 1, 0) // s)),
        ("you divided with /, which decays a little every epoch; StepLR decays in steps: use integer division, "
         "epoch // step_size.", lambda e, b, s, g: b * g ** (e / s)),
        ("the lr decays every epoch: the exponent is the number of whole periods, epoch // step_size, not epoch.",
         lambda e, b, s, g: b * g ** e),
        ("math.ceil rounds up, so the first decay comes right after epoch 0; the lr decays when epoch reaches a "
         "multiple of step_size: epoch // step_size rounds down.", lambda e, b, s, g: b * g ** math.ceil(e / s)),
        ("gamma multiplies once per period, so it is a power: gamma ** (epoch // step_size), not "
         "gamma * (epoch // step_size).", lambda e, b, s, g: b * g * (e // s)),
        ("the lr never changes: multiply base_lr by gamma ** (epoch // step_size).", lambda e, b, s, g: b),
        ("the schedule starts one decay too low: at epoch 0 the rate is base_lr itself (gamma ** 0), so the exponent "
         "is epoch // step_size, without + 1.", lambda e, b, s, g: b * g ** (e // s + 1)),
    ])


def check_multistep_lr(multistep_lr: Callable) -> None:
    """Check ``multistep_lr(epoch, base_lr, milestones, gamma)`` against ``MultiStepLR``."""
    check_schedule_function("multistep_lr", multistep_lr, ("epoch", "base_lr", "milestones", "gamma"), MultiStepLR, {
        "milestones=[3, 7]": ((0.1, [3, 7], 0.5), 10), "unsorted milestones=[8, 2, 5]": ((1.0, [8, 2, 5], 0.1), 10),
        "a repeated milestone [4, 4] decays twice": ((0.5, [4, 4], 0.5), 7),
    }, [
        ("the decay comes one epoch late: at epoch == milestone the lr is already decayed, so count the milestones "
         "<= epoch (bisect_right), not < epoch (bisect_left).", lambda e, b, m, g: b * g ** bisect_left(sorted(m), e)),
        ("the milestones were not sorted: MultiStepLR sorts them, so count milestones <= epoch in sorted(milestones) "
         "(or count them without relying on order).", lambda e, b, m, g: b * g ** bisect_right(list(m), e)),
        ("a milestone listed twice decays twice in MultiStepLR (gamma ** 2): do not turn the milestones into a set.",
         lambda e, b, m, g: b * g ** sum(1 for x in set(m) if x <= e)),
        ("gamma multiplies once per milestone passed, so it is a power: gamma ** count, not gamma * count.",
         lambda e, b, m, g: b * g * bisect_right(sorted(m), e)),
    ])


def check_lr_scheduler_base(scheduler_cls: type) -> None:
    """Check a student's ``LRScheduler`` base class, subclassed with ``get_lr() = [base_lr * 0.5 ** last_epoch ...]``,
    next to ``LambdaLR(optimizer, lambda t: 0.5 ** t)`` on two param groups: ``initial_lr``, ``base_lrs``,
    ``last_epoch``, every group's ``lr`` (in the optimizer's own group dicts) and ``get_last_lr()`` after construction
    and each ``step()``; then a second scheduler on the same optimizer, and one built with ``last_epoch=5``."""

    def get_lr(self):
        return [base_lr * 0.5 ** self.last_epoch for base_lr in self.base_lrs]

    name, lrs = scheduler_cls.__name__, [0.1, 0.03]
    probe = type(name, (scheduler_cls,), {"get_lr": get_lr})  # their class's name in their AttributeErrors
    optimizer, reference_optimizer = one_param_optimizer(lrs), one_param_optimizer(lrs)
    groups = list(optimizer.param_groups)
    reference = lr_trajectory(reference_optimizer, LambdaLR(reference_optimizer, lambda t: 0.5 ** t), 6, groups=True)
    scheduler = call_student(probe, optimizer, where=f"{name}(optimizer)", crashes=[
        (AttributeError, "'last_epoch'", "__init__ must store self.last_epoch = last_epoch before its initial "
                                         "self.step(), which adds 1 to it.")])
    compare([g.get("initial_lr") for g in optimizer.param_groups], lrs,
            f"{name}.__init__: param_groups[i]['initial_lr'] after construction", hint="set group.setdefault("
            "'initial_lr', group['lr']) in every param group when last_epoch == -1: it records the lr the schedule "
            "starts from.")
    compare(getattr(scheduler, "base_lrs", None), lrs, f"{name}.__init__: self.base_lrs",
            hint="base_lrs = [group['initial_lr'] for group in optimizer.param_groups].")
    compare(getattr(scheduler, "last_epoch", None), 0, f"{name}.__init__: last_epoch after construction", mistakes=[
        ("__init__ must end with the initial step (self.step()), which moves last_epoch from -1 to 0.", -1),
        ("last_epoch starts at -1 (the argument) and the initial step adds one: you counted one step too many.", 1),
        ("store last_epoch (-1 for a new schedule), then call self.step() once.", lambda got: True)])
    for step, expected in enumerate(reference):
        if step:
            optimizer.step()
            call_student(scheduler.step, where=f"{name}.step()")
        where = "after construction" if step == 0 else f"after {step} call{'s' if step > 1 else ''} of step()"
        compare([g["lr"] for g in optimizer.param_groups], expected, f"{name}: the param groups' lr {where} are wrong.",
                mistakes=[("step() must write each new rate into its param group: group['lr'] = lr.",
                           lambda got: allclose(getattr(scheduler, "_last_lr", None), expected, RTOL, ATOL)),
                          ("step() must add 1 to last_epoch BEFORE calling get_lr(); yours lags one step behind.",
                           [lr * 0.5 ** (step - 1) for lr in lrs]),
                          ("step(): last_epoch += 1, then lrs = self.get_lr(), then set group['lr'] for each group.",
                           lambda got: True)], rtol=RTOL, atol=ATOL)
        last = call_student(scheduler.get_last_lr, where=f"{name}.get_last_lr()", crashes=[
            (AttributeError, "'_last_lr'", "step() should save the rates it sets, self._last_lr = [group['lr'] for "
                                           "group in self.optimizer.param_groups], for get_last_lr() to return.")])
        compare(last, expected, f"{name}.get_last_lr() {where}",
                mistakes=[("get_last_lr() returns the rates from before the last step() (the base_lrs after the first "
                           "one): step() should save the rates AFTER writing them into the groups (self._last_lr = "
                           "[group['lr'] ...]), and get_last_lr() return that list.",
                           reference[step - 1] if step else None),
                          ("step() should save the rates it sets (self._last_lr = [group['lr'] ...]) and get_last_lr() "
                           "return them (a list, one per group).", lambda got: True)], rtol=RTOL, atol=ATOL)
    require([(len(groups) != len(optimizer.param_groups) or any(a is not b for a, b in zip(groups,
              optimizer.param_groups)), f"{name} replaced the optimizer's param groups with new dicts.",
              "write initial_lr and lr into the optimizer's own group dicts (group.setdefault(...), group['lr'] = "
              "lr), not into copies: other code (the optimizer's state_dict, a second scheduler) holds those dicts.")])
    # A second scheduler on the same optimizer must start from initial_lr, not from the current lr.
    current = [g["lr"] for g in optimizer.param_groups]
    second = call_student(probe, optimizer, where=f"a second {name}(optimizer)")
    compare([g.get("initial_lr") for g in optimizer.param_groups], lrs,
            f"{name}.__init__ overwrote initial_lr when it was already set.", hint="set group.setdefault("
            "'initial_lr', group['lr']) in every param group: a second scheduler (or one built after lr changed) "
            "must keep the original initial_lr.")
    compare(list(second.base_lrs), lrs, f"{name}.__init__: a second scheduler on the same optimizer (whose lrs are now "
            f"{current}) has the wrong base_lrs.", hint="read base_lrs from group['initial_lr'], not from group['lr'] "
            "(which a schedule changes).")
    compare(call_student(scheduler.get_last_lr, where=f"{name}.get_last_lr()"), reference[-1],
            f"{name}.get_last_lr() after a second scheduler set the groups' lr to {lrs}", mistakes=[
                ("get_last_lr() must return the rates the scheduler's own last step() set (saved in step() as "
                 "self._last_lr), not read the groups now: another scheduler (or your code) may have changed them.",
                 lrs)], rtol=RTOL, atol=ATOL)
    # A scheduler built with last_epoch=5 resumes: its initial step goes on to last_epoch 6.
    resumed = call_student(probe, optimizer, last_epoch=5, where=f"{name}(optimizer, last_epoch=5)")
    expected = LambdaLR(reference_optimizer, lambda t: 0.5 ** t, last_epoch=5)
    compare(getattr(resumed, "last_epoch", None), expected.last_epoch, f"{name}(optimizer, last_epoch=5): last_epoch "
            "after construction", hint="store the last_epoch argument (self.last_epoch = last_epoch) before the "
            "initial step: a schedule built with last_epoch=5 resumes at 6, not at 0.")
    compare([g["lr"] for g in optimizer.param_groups], expected.get_last_lr(), f"{name}(optimizer, last_epoch=5): the "
            "param groups' lr after construction", hint="with last_epoch=5 the initial step moves last_epoch to 6 and "
            "sets the rates of step 6, computed from the groups' initial_lr.", rtol=RTOL, atol=ATOL)
    report_success(name, 4, "checks (construction, 5 steps, a second scheduler, a resumed one)")


def check_step_lr_class(step_lr_cls: type) -> None:
    """Check ``MyStepLR(optimizer, step_size, gamma)`` against ``StepLR`` on two param groups."""
    name, lrs, step_size, gamma, n = step_lr_cls.__name__, [0.1, 1.0], 3, 0.5, 13
    optimizer, reference_optimizer = one_param_optimizer(lrs), one_param_optimizer(lrs)
    scheduler = call_student(step_lr_cls, optimizer, step_size=step_size, gamma=gamma, crashes=[
        (TypeError, "iterable", "get_lr() must return a LIST, one rate per param group ([... for base_lr in "
                                "self.base_lrs]), not a single number.")],
        where=f"{name}(optimizer, step_size={step_size}, gamma={gamma})")
    got = call_student(lr_trajectory, optimizer, scheduler, n, groups=True, where=f"{name}.step()")
    expected = lr_trajectory(reference_optimizer, StepLR(reference_optimizer, step_size, gamma), n, groups=True)
    check_schedule(f"{name} gives a wrong lr (group 0 shown)", ("last_epoch", "base_lr", "step_size", "gamma"),
                   (lrs[0], step_size, gamma), [g[0] for g in got], [e[0] for e in expected], [
        ("you multiplied the CURRENT lr (group['lr']) by gamma ** (last_epoch // step_size), so the decays compound; "
         "the closed form starts from base_lr: base_lr * gamma ** (last_epoch // step_size).",
         lambda e, b, s, g: b * g ** sum(t // s for t in range(e + 1))),
        ("the decay comes one step early: use last_epoch // step_size, not (last_epoch + 1) // step_size.",
         lambda e, b, s, g: b * g ** ((e + 1) // s)),
        ("the decay comes one step late: use last_epoch // step_size, not (last_epoch - 1) // step_size.",
         lambda e, b, s, g: b * g ** (max(e - 1, 0) // s)),
        ("the lr decays every step: the exponent is last_epoch // step_size.", lambda e, b, s, g: b * g ** e),
        ("you divided with /, which decays a little every step; StepLR decays in steps: use integer division, "
         "last_epoch // step_size.", lambda e, b, s, g: b * g ** (e / s)),
        ("the lr never changes: get_lr() should return [base_lr * self.gamma ** (self.last_epoch // self.step_size) "
         "for base_lr in self.base_lrs].", lambda e, b, s, g: b),
        ("the rate is multiplied by gamma at every call of get_lr(), the constructor's initial step included; "
         "return base_lr * gamma ** (last_epoch // step_size) instead.", lambda e, b, s, g: b * g ** (e + 1)),
        ("the schedule starts one decay too low: the constructor's initial step (last_epoch = 0) must leave the rate "
         "at base_lr; 0 % step_size == 0 is true, so do not decay on it.", lambda e, b, s, g: b * g ** (e // s + 1)),
    ], f"StepLR(step_size={step_size}, gamma={gamma})",
                   "if check_lr_scheduler_base did not pass, fix MyLRScheduler first: MyStepLR relies on it.")
    compare([g[1] for g in got], [e[1] for e in expected], f"{name}: param group 1's lr at steps 0-{n - 1}",
            hint="group 0 is right but another group is wrong: get_lr() must return one lr per base_lr, computed from "
            "that group's own base_lr.", rtol=RTOL, atol=ATOL)
    compare(list(getattr(scheduler, "base_lrs", [])), lrs, f"{name}.base_lrs after {n - 1} steps", hint="get_lr() "
            "must not change self.base_lrs (the rates the schedule starts from, also saved in a checkpoint): return "
            "base_lr * gamma ** (last_epoch // step_size) for each base_lr, a new list.", rtol=RTOL, atol=ATOL)
    report_success(name, 1, f"schedule ({n} steps, 2 param groups)")


class _Line(Module):
    """A tiny model, ``w * x + b``, with ``w`` and ``b`` of shape (1,)."""

    def __init__(self) -> None:
        super().__init__()
        self.w, self.b = Parameter(tensor([0.5])), Parameter(tensor([-0.2]))

    def forward(self, x):
        return x * self.w + self.b


def check_train(train: Callable) -> None:
    """Check ``train(model, loss_fn, optimizer, scheduler, batches, epochs) -> lrs``. ``lrs[e]`` is the learning
    rate epoch ``e`` trains with. The loop must do ``zero_grad``, forward, ``backward``, ``optimizer.step()``
    for each batch and ``scheduler.step()`` once per epoch, after the optimizer's steps."""
    x, epochs = np.random.default_rng(7).normal(size=(4, 3)).astype(np.float32), 5
    batches = [(tensor(row), tensor(2.0 * row - 1.0)) for row in x]
    model = _Line()
    optimizer = SGD(model.parameters(), lr=0.1)
    scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    ref_model, ref_optimizer, ref_scheduler = copy.deepcopy((model, optimizer, scheduler))
    expected = []
    for _ in range(epochs):
        expected.append(ref_scheduler.get_last_lr()[0])
        train_one_epoch(ref_model, batches, ref_optimizer, mse_loss)
        ref_scheduler.step()
    start = [p.tolist() for p in model.parameters()]
    setup = "model w*x+b, SGD(lr=0.1), StepLR(step_size=2, gamma=0.5), 4 batches per epoch, 5 epochs"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = call_student(train, model, mse_loss, optimizer, scheduler, batches, epochs, where="train", inputs=setup)
    require([(any("before `optimizer.step()`" in str(w.message) for w in caught),
              "train: scheduler.step() ran before optimizer.step().", "call optimizer.step() for the batches first and "
              "scheduler.step() after them; the other order skips the first value of the schedule (see the "
              "UserWarning).")], setup)
    compare(scheduler.last_epoch, epochs, "train: the number of scheduler steps (scheduler.last_epoch)", setup,
            mistakes=[("scheduler.step() runs once per BATCH; StepLR counts epochs here: call it once per epoch, after "
                       "the loop over the batches.", epochs * len(batches)),
                      ("call scheduler.step() exactly once per epoch, after the loop over the batches.",
                       lambda g: True)])
    compare(got, expected, "train: the returned list of learning rates", setup, mistakes=[
        ("you recorded the lr after scheduler.step(), i.e. the next epoch's; record it at the start.",
         expected[1:] + ref_scheduler.get_last_lr()[:1]),
        ("your lrs never change: the scheduler writes each new rate into optimizer.param_groups[0]['lr'] (not into "
         "optimizer.defaults or your own variable); record that, or scheduler.get_last_lr()[0].",
         expected[:1] * epochs),
        ("scheduler.get_lr() is what step() calls to compute the next rate (for StepLR the current lr times gamma "
         "at every step_size-th step); the rate in use is scheduler.get_last_lr()[0].",
         [lr * 0.5 if epoch and epoch % 2 == 0 else lr for epoch, lr in enumerate(expected)]),
        ("record scheduler.get_last_lr()[0] (or optimizer.param_groups[0]['lr']) at the START of each epoch, before "
         "the batches, and return the list.", lambda g: True)], rtol=RTOL, atol=ATOL)
    compare([p.tolist() for p in model.parameters()], [p.tolist() for p in ref_model.parameters()],
            "train: the trained parameters [w, b] are wrong.", setup, mistakes=[
                ("the parameters never changed: for each batch call optimizer.zero_grad(), loss.backward() and "
                 "optimizer.step(), in that order (a zero_grad() between backward() and step() wipes the gradient).",
                 start),
                ("the updates differ: call optimizer.zero_grad() before each backward(), otherwise gradients of "
                 "earlier batches accumulate into .grad.", lambda g: True)], rtol=1e-4, atol=1e-6)
    report_success("train", 1, "training run (order, per-epoch stepping, lrs, parameters)")
