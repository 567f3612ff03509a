"""Tests of the lesson-07 checkers: right answers pass, stubs and typical mistakes are named.

The "right answers" below are the closed forms from the schedulers' docstrings (maths);
the checkers compare them with course_lib's schedulers run step by step.
"""
from __future__ import annotations

import math
from bisect import bisect_left, bisect_right

import pytest
from checks_helpers import fails_with, stub, torch_lrs

from course_lib.checks import lr_schedulers as checks
from course_lib.optim.lr_scheduler import LRScheduler

pytestmark = pytest.mark.lesson07


# ------------------------------------------------------------------ right answers (maths)
def step_lr(epoch, base_lr, step_size, gamma):
    return base_lr * gamma ** (epoch // step_size)


def multistep_lr(epoch, base_lr, milestones, gamma):
    return base_lr * gamma ** sum(1 for m in milestones if m <= epoch)


class MyLRScheduler:
    def __init__(self, optimizer, last_epoch=-1):
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def step(self):
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        return self._last_lr


class MyStepLR(MyLRScheduler):
    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [b * self.gamma ** (self.last_epoch // self.step_size) for b in self.base_lrs]


def train(model, loss_fn, optimizer, scheduler, batches, epochs, per_batch=False, early=False, zero=True):
    lrs = []
    for _ in range(epochs):
        lrs.append(scheduler.get_last_lr()[0])
        for x, y in batches:
            if zero:
                optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            if early:
                scheduler.step()
            optimizer.step()
            if per_batch:
                scheduler.step()
        if not (per_batch or early):
            scheduler.step()
    return lrs


# ------------------------------------------------------------------ the right answers pass
@pytest.mark.parametrize("check, answer", [
    (checks.check_step_lr, step_lr),
    (checks.check_multistep_lr, multistep_lr),
    (checks.check_lr_scheduler_base, type("Probe", (MyLRScheduler,), {})),
    (checks.check_step_lr_class, MyStepLR),
    (checks.check_train, train),
])
def test_lr_scheduler_checks_accept_the_right_answer(check, answer, capsys):
    check(answer)
    assert capsys.readouterr().out.startswith("\u2713")


@pytest.mark.parametrize("check", [checks.check_step_lr, checks.check_multistep_lr, checks.check_train])
def test_lr_scheduler_checks_report_an_unfinished_exercise(check):
    fails_with(check, stub("07.1", "the_function"), "Exercise 07.1 is not done yet", "the_function")


def test_base_check_reports_an_unfinished_init():
    class Stub(MyLRScheduler):
        def __init__(self, optimizer, last_epoch=-1):
            raise NotImplementedError("Exercise 07.2: complete `MyLRScheduler.__init__`, then run the check below.")
    fails_with(checks.check_lr_scheduler_base, Stub, "Exercise 07.2 is not done yet", "MyLRScheduler.__init__")


def test_step_lr_class_check_reports_an_unfinished_get_lr():
    class Stub(MyStepLR):
        def get_lr(self):
            raise NotImplementedError("Exercise 07.5: complete `MyStepLR.get_lr`, then run the check below.")
    fails_with(checks.check_step_lr_class, Stub, "Exercise 07.5 is not done yet")


# ------------------------------------------------------------------ mistakes
@pytest.mark.parametrize("wrong, words", [
    (lambda e, b, s, g: b * g ** ((e + 1) // s), ["one epoch early"]),
    (lambda e, b, s, g: b * g ** (max(e - 1, 0) // s), ["one epoch late"]),
    (lambda e, b, s, g: b * g ** (e / s), ["integer division"]),
    (lambda e, b, s, g: b * g ** e, ["decays every epoch"]),
    (lambda e, b, s, g: b, ["never changes"]),
    (lambda e, b, s, g: b * g ** (e // s + 1), ["one decay too low", "without + 1"]),
    (lambda e, b, s, g: b * g ** math.ceil(e / s), ["math.ceil rounds up"]),
])
def test_step_lr_check_names_the_mistake(wrong, words):
    message = fails_with(checks.check_step_lr, wrong, "likely mistake", *words)
    assert "first at step" in message and "expected schedule" in message


@pytest.mark.parametrize("check, wrong, blamed", [
    # at the first wrong step these equal "decays every epoch" or "one epoch late", but not at the next one
    (checks.check_step_lr, lambda e, b, s, g: b * (g ** s) ** (e // s), "decays every epoch"),
    (checks.check_multistep_lr, lambda e, b, m, g: b * g if e >= m[0] else b, "one epoch late"),
    (checks.check_multistep_lr, lambda e, b, m, g: b * g ** next((i for i, x in enumerate(m) if x > e), len(m)),
     "one epoch late"),
])
def test_schedule_checks_blame_no_mistake_that_matches_one_value_by_chance(check, wrong, blamed):
    assert blamed not in fails_with(check, wrong, "first at step")


def test_step_lr_check_rejects_a_non_number():
    fails_with(checks.check_step_lr, lambda e, b, s, g: [b], "expected one number")


@pytest.mark.parametrize("wrong, words", [
    (lambda e, b, m, g: b * g ** bisect_left(sorted(m), e), ["one epoch late", "bisect_right"]),
    (lambda e, b, m, g: b * g ** sum(1 for x in set(m) if x <= e), ["listed twice"]),
    (lambda e, b, m, g: b * g * sum(1 for x in m if x <= e), ["power"]),
])
def test_multistep_lr_check_names_the_mistake(wrong, words):
    fails_with(checks.check_multistep_lr, wrong, "likely mistake", *words)


def test_multistep_lr_check_catches_milestones_sorted_in_place():
    def sorts_in_place(epoch, base_lr, milestones, gamma):
        milestones.sort()
        return multistep_lr(epoch, base_lr, milestones, gamma)
    fails_with(checks.check_multistep_lr, sorts_in_place, "changed its arguments in place", "milestones = [8, 2, 5]",
               "sorted(milestones) returns a sorted copy")


@pytest.mark.parametrize("answer", [lambda e, b, m, g: b * g ** bisect_right(sorted(m), e), multistep_lr])
def test_multistep_lr_check_accepts_right_answers_written_differently(answer, capsys):
    checks.check_multistep_lr(answer)
    assert capsys.readouterr().out.startswith("\u2713")


def test_base_check_catches_a_missing_initial_lr():
    class NoInitial(MyLRScheduler):
        def __init__(self, optimizer, last_epoch=-1):
            self.optimizer = optimizer
            self.base_lrs = [g["lr"] for g in optimizer.param_groups]
            self.last_epoch = last_epoch
            self.step()
    fails_with(checks.check_lr_scheduler_base, NoInitial, "initial_lr", "setdefault")


def test_base_check_catches_an_overwritten_initial_lr():
    class Overwrites(MyLRScheduler):
        def __init__(self, optimizer, last_epoch=-1):
            for group in optimizer.param_groups:
                group["initial_lr"] = group["lr"]
            self.optimizer = optimizer
            self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
            self.last_epoch = last_epoch
            self.step()
    fails_with(checks.check_lr_scheduler_base, Overwrites, "overwrote initial_lr", "setdefault")


def test_base_check_catches_a_missing_initial_step():
    class NoInitialStep(MyLRScheduler):
        def __init__(self, optimizer, last_epoch=-1):
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
            self.optimizer = optimizer
            self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
            self.last_epoch = last_epoch
    fails_with(checks.check_lr_scheduler_base, NoInitialStep, "last_epoch", "initial step")


def test_base_check_names_a_last_epoch_never_stored():
    class NoLastEpoch(MyLRScheduler):
        def __init__(self, optimizer, last_epoch=-1):
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
            self.optimizer = optimizer
            self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
            self.step()
    fails_with(checks.check_lr_scheduler_base, NoLastEpoch, "raised AttributeError", "self.last_epoch = last_epoch")


def test_base_check_names_rates_never_saved_for_get_last_lr():
    class NoLastLr(MyLRScheduler):
        def step(self):
            self.last_epoch += 1
            for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
                group["lr"] = lr
    fails_with(checks.check_lr_scheduler_base, NoLastLr, "raised AttributeError", "self._last_lr = [group['lr']")


def test_base_check_catches_get_lr_before_the_increment():
    class Lags(MyLRScheduler):
        def step(self):
            lrs = self.get_lr()
            self.last_epoch += 1
            for group, lr in zip(self.optimizer.param_groups, lrs):
                group["lr"] = lr
            self._last_lr = lrs
    fails_with(checks.check_lr_scheduler_base, Lags, "BEFORE calling get_lr()")


def test_base_check_catches_a_step_that_does_not_write_the_groups():
    class NoWrite(MyLRScheduler):
        def step(self):
            self.last_epoch += 1
            self._last_lr = self.get_lr()
    fails_with(checks.check_lr_scheduler_base, NoWrite, "group['lr'] = lr")


@pytest.mark.parametrize("saves_before_writing", [True, False])
def test_base_check_names_last_lrs_saved_before_the_groups_are_written(saves_before_writing):
    # after the first step() both a stale _last_lr and returning base_lrs give the base_lrs
    class Stale(MyLRScheduler):
        def step(self):
            self.last_epoch += 1
            self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
            for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
                group["lr"] = lr

    class BaseLrs(MyLRScheduler):
        def get_last_lr(self):
            return self.base_lrs
    fails_with(checks.check_lr_scheduler_base, Stale if saves_before_writing else BaseLrs,
               "get_last_lr() after 1 call of step()", "from before the last step()", "AFTER writing them")


class LoopScheduler(MyLRScheduler):
    """A right answer written differently: index loops, the saved list returned as it is."""

    def __init__(self, optimizer, last_epoch=-1):
        self.optimizer, self.last_epoch, self.base_lrs = optimizer, last_epoch, []
        for i in range(len(optimizer.param_groups)):
            if last_epoch == -1 and "initial_lr" not in optimizer.param_groups[i]:
                optimizer.param_groups[i]["initial_lr"] = optimizer.param_groups[i]["lr"]
            self.base_lrs.append(optimizer.param_groups[i]["initial_lr"])
        self.step()

    def step(self):
        self.last_epoch = self.last_epoch + 1
        lrs = self.get_lr()
        for i, group in enumerate(self.optimizer.param_groups):
            group["lr"] = lrs[i]
        self._last_lr = list(lrs)

    def get_last_lr(self):
        return self._last_lr


@pytest.mark.parametrize("answer", [LoopScheduler, LRScheduler], ids=["loops", "course_lib"])
def test_base_check_accepts_right_answers_written_differently(answer, capsys):
    checks.check_lr_scheduler_base(answer)
    assert capsys.readouterr().out.startswith("\u2713")


def test_base_check_catches_param_groups_replaced_by_copies():
    class Copies(MyLRScheduler):
        def __init__(self, optimizer, last_epoch=-1):
            optimizer.param_groups = [dict(group) for group in optimizer.param_groups]
            super().__init__(optimizer, last_epoch)
    fails_with(checks.check_lr_scheduler_base, Copies, "replaced the optimizer's param groups", "not into copies")


def test_base_check_names_the_students_class_when_their_code_raises():
    class Typo(MyLRScheduler):
        def __init__(self, optimizer, last_epoch=-1):
            self.optimizer = optimizer
            self.base_lrs = self.base_lr
    message = fails_with(checks.check_lr_scheduler_base, Typo, "'Typo' object has no attribute 'base_lr'")
    assert "Probe" not in message


def test_base_check_catches_an_ignored_last_epoch():
    class Restarts(MyLRScheduler):
        def __init__(self, optimizer, last_epoch=-1):
            super().__init__(optimizer)
    fails_with(checks.check_lr_scheduler_base, Restarts, "last_epoch=5", "resumes at 6")


def test_base_check_catches_get_last_lr_reading_the_groups():
    class ReadsGroups(MyLRScheduler):
        def get_last_lr(self):
            return [group["lr"] for group in self.optimizer.param_groups]
    fails_with(checks.check_lr_scheduler_base, ReadsGroups, "after a second scheduler", "not read the groups now")


def test_step_lr_class_check_catches_decaying_the_current_lr():
    class Compounds(MyStepLR):
        def get_lr(self):
            return [g["lr"] * self.gamma ** (self.last_epoch // self.step_size) for g in self.optimizer.param_groups]
    fails_with(checks.check_step_lr_class, Compounds, "CURRENT lr", "base_lr")


def test_step_lr_class_check_catches_decaying_the_base_lrs():
    class DecaysBaseLrs(MyStepLR):
        def get_lr(self):
            if self.last_epoch and self.last_epoch % self.step_size == 0:
                self.base_lrs = [b * self.gamma for b in self.base_lrs]
            return list(self.base_lrs)
    fails_with(checks.check_step_lr_class, DecaysBaseLrs, "base_lrs after 12 steps", "must not change self.base_lrs")


class StepLRFromInitialLr(MyStepLR):
    """A right answer written differently: each group's initial_lr, an explicit count of decays."""

    def get_lr(self):
        decays = self.last_epoch // self.step_size
        return [group["initial_lr"] * self.gamma ** decays for group in self.optimizer.param_groups]


@pytest.mark.parametrize("answer", [MyStepLR, StepLRFromInitialLr])
def test_step_lr_class_check_accepts_right_answers_written_differently(answer, capsys):
    checks.check_step_lr_class(answer)
    assert capsys.readouterr().out.startswith("\u2713")


def test_step_lr_class_check_catches_decaying_at_every_call():
    class EveryCall(MyStepLR):
        def get_lr(self):
            return [g["lr"] * self.gamma for g in self.optimizer.param_groups]
    fails_with(checks.check_step_lr_class, EveryCall, "at every call of get_lr()")


def test_step_lr_class_check_catches_a_decay_on_the_initial_step():
    class DecaysAtZero(MyStepLR):
        def get_lr(self):
            decay = self.last_epoch % self.step_size == 0
            return [g["lr"] * self.gamma if decay else g["lr"] for g in self.optimizer.param_groups]
    fails_with(checks.check_step_lr_class, DecaysAtZero, "one decay too low", "initial step")


def test_step_lr_class_check_names_a_rate_for_one_group_only():
    class OneGroup(MyStepLR):
        def get_lr(self):
            return [self.base_lrs[0] * self.gamma ** (self.last_epoch // self.step_size)]
    fails_with(checks.check_step_lr_class, OneGroup, "group 0 is right", "one lr per base_lr")


def test_step_lr_class_check_names_a_number_instead_of_a_list():
    class Scalar(MyStepLR):
        def get_lr(self):
            return self.base_lrs[0] * self.gamma ** (self.last_epoch // self.step_size)
    fails_with(checks.check_step_lr_class, Scalar, "must return a LIST")


def test_step_lr_class_check_names_a_float_division():
    class Smooth(MyStepLR):
        def get_lr(self):
            return [b * self.gamma ** (self.last_epoch / self.step_size) for b in self.base_lrs]
    message = fails_with(checks.check_step_lr_class, Smooth, "integer division")
    assert "fix MyLRScheduler first" not in message


def test_step_lr_class_check_catches_an_off_by_one():
    class Early(MyStepLR):
        def get_lr(self):
            return [b * self.gamma ** ((self.last_epoch + 1) // self.step_size) for b in self.base_lrs]
    fails_with(checks.check_step_lr_class, Early, "one step early")


@pytest.mark.parametrize("options, words", [
    ({"per_batch": True}, ["once per BATCH"]),
    ({"early": True}, ["before optimizer.step()", "skips the first value"]),
    ({"zero": False}, ["zero_grad"]),
])
def test_train_check_names_the_loop_mistake(options, words):
    fails_with(checks.check_train, lambda *a: train(*a, **options), "likely mistake", *words)


def test_train_check_catches_a_missing_optimizer_step():
    def no_step(model, loss_fn, optimizer, scheduler, batches, epochs):
        lrs = []
        for _ in range(epochs):
            lrs.append(scheduler.get_last_lr()[0])
            for x, y in batches:
                optimizer.zero_grad()
                loss_fn(model(x), y).backward()
            optimizer._opt_called = True  # hide the order warning: only the parameters tell
            scheduler.step()
        return lrs
    fails_with(checks.check_train, no_step, "never changed", "optimizer.step()")


def test_train_check_names_a_zero_grad_between_backward_and_step():
    def wipes(model, loss_fn, optimizer, scheduler, batches, epochs):
        lrs = []
        for _ in range(epochs):
            lrs.append(scheduler.get_last_lr()[0])
            for x, y in batches:
                loss_fn(model(x), y).backward()
                optimizer.zero_grad()
                optimizer.step()
            scheduler.step()
        return lrs
    fails_with(checks.check_train, wipes, "never changed", "between backward() and step()")


def test_train_check_catches_the_lr_read_after_stepping():
    def late_read(model, loss_fn, optimizer, scheduler, batches, epochs):
        lrs = []
        for _ in range(epochs):
            for x, y in batches:
                optimizer.zero_grad()
                loss_fn(model(x), y).backward()
                optimizer.step()
            scheduler.step()
            lrs.append(scheduler.get_last_lr()[0])
        return lrs
    fails_with(checks.check_train, late_read, "after scheduler.step()", "the next epoch's")


def test_train_check_names_an_lr_read_where_the_scheduler_does_not_write():
    def defaults(model, loss_fn, optimizer, scheduler, batches, epochs):
        lrs = []
        for _ in range(epochs):
            lrs.append(optimizer.defaults["lr"])
            for x, y in batches:
                optimizer.zero_grad()
                loss_fn(model(x), y).backward()
                optimizer.step()
            scheduler.step()
        return lrs
    fails_with(checks.check_train, defaults, "your lrs never change", "optimizer.param_groups[0]['lr']")


def test_train_check_names_an_lr_read_with_get_lr():
    def reads_get_lr(model, loss_fn, optimizer, scheduler, batches, epochs):
        lrs = []
        for _ in range(epochs):
            lrs.append(scheduler.get_lr()[0])
            for x, y in batches:
                optimizer.zero_grad()
                loss_fn(model(x), y).backward()
                optimizer.step()
            scheduler.step()
        return lrs
    fails_with(checks.check_train, reads_get_lr, "scheduler.get_lr() is what step() calls", "get_last_lr()[0]")


def test_train_check_catches_a_missing_list_of_lrs():
    fails_with(checks.check_train, lambda *args: train(*args) and [], "returned list of learning rates")


@pytest.mark.parametrize("make, formula, steps", [
    (lambda s, o: s.StepLR(o, step_size=4, gamma=0.1), lambda t: step_lr(t, 100.0, 4, 0.1), 25),
    (lambda s, o: s.MultiStepLR(o, milestones=[8, 2, 5, 5], gamma=0.5),
     lambda t: multistep_lr(t, 100.0, [8, 2, 5, 5], 0.5), 10),
])
def test_closed_forms_the_checks_accept_match_torch(make, formula, steps):
    # The right answers the tests feed the checkers are torch's schedules, step for step.
    lrs = torch_lrs(make, 100.0, steps)
    assert lrs == pytest.approx([formula(t) for t in range(steps)], rel=1e-9, abs=1e-9)
