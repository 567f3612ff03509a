"""Tests of the lesson 07/08 checkers: right answers pass, stubs and typical mistakes are named.

The "right answers" below are the closed forms from the schedulers' docstrings (maths);
the checkers compare them with course_lib's schedulers run step by step.
"""
from __future__ import annotations

import math
from bisect import bisect_left

import pytest

from course_lib.checks import schedulers as checks
from course_lib.checks._core import ExerciseError

pytestmark = [pytest.mark.lesson07, pytest.mark.lesson08]


# ------------------------------------------------------------------ right answers (maths)
def step_lr(epoch, base_lr, step_size, gamma):
    return base_lr * gamma ** (epoch // step_size)


def multistep_lr(epoch, base_lr, milestones, gamma):
    return base_lr * gamma ** sum(1 for m in milestones if m <= epoch)


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


def stub(exercise, name):
    def fn(*args, **kwargs):
        raise NotImplementedError(f"Exercise {exercise}: complete `{name}`, then run the check below.")
    return fn


def fails_with(check, answer, *words):
    with pytest.raises(ExerciseError) as info:
        check(answer)
    message = str(info.value)
    for word in words:
        assert word in message, message
    return message


# ------------------------------------------------------------------ the right answers pass
@pytest.mark.parametrize("check, answer", [
    (checks.check_step_lr, step_lr),
    (checks.check_multistep_lr, multistep_lr),
    (checks.check_lr_scheduler_base, type("Probe", (MyLRScheduler,), {})),
    (checks.check_step_lr_class, MyStepLR),
    (checks.check_train, train),
    (checks.check_cosine_lr, cosine_lr),
    (checks.check_warmup_cosine_lr, warmup_cosine_lr),
    (checks.check_warm_restarts_lr, warm_restarts_lr),
    (checks.check_polynomial_lr, polynomial_lr),
])
def test_scheduler_checks_accept_the_right_answer(check, answer, capsys):
    check(answer)
    assert capsys.readouterr().out.startswith("\u2713")


@pytest.mark.parametrize("check", [
    checks.check_step_lr, checks.check_multistep_lr, checks.check_train, checks.check_cosine_lr,
    checks.check_warmup_cosine_lr, checks.check_warm_restarts_lr, checks.check_polynomial_lr,
])
def test_scheduler_checks_report_an_unfinished_exercise(check):
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


# ------------------------------------------------------------------ lesson 07 mistakes
@pytest.mark.parametrize("wrong, words", [
    (lambda e, b, s, g: b * g ** ((e + 1) // s), ["one epoch early"]),
    (lambda e, b, s, g: b * g ** (max(e - 1, 0) // s), ["one epoch late"]),
    (lambda e, b, s, g: b * g ** (e / s), ["integer division"]),
    (lambda e, b, s, g: b * g ** e, ["decays every epoch"]),
    (lambda e, b, s, g: b, ["never changes"]),
])
def test_step_lr_check_names_the_mistake(wrong, words):
    message = fails_with(checks.check_step_lr, wrong, "likely mistake", *words)
    assert "first at step" in message and "expected schedule" in message


def test_step_lr_check_rejects_a_non_number():
    fails_with(checks.check_step_lr, lambda e, b, s, g: [b], "expected one number")


@pytest.mark.parametrize("wrong, words", [
    (lambda e, b, m, g: b * g ** bisect_left(sorted(m), e), ["one epoch late", "bisect_right"]),
    (lambda e, b, m, g: b * g ** sum(1 for x in set(m) if x <= e), ["listed twice"]),
    (lambda e, b, m, g: b * g * sum(1 for x in m if x <= e), ["power"]),
])
def test_multistep_lr_check_names_the_mistake(wrong, words):
    fails_with(checks.check_multistep_lr, wrong, "likely mistake", *words)


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


def test_step_lr_class_check_catches_decaying_the_current_lr():
    class Compounds(MyStepLR):
        def get_lr(self):
            return [g["lr"] * self.gamma ** (self.last_epoch // self.step_size) for g in self.optimizer.param_groups]
    fails_with(checks.check_step_lr_class, Compounds, "CURRENT lr", "base_lr")


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


def test_train_check_catches_a_missing_list_of_lrs():
    fails_with(checks.check_train, lambda *args: train(*args) and [], "returned list of learning rates")


# ------------------------------------------------------------------ lesson 08 mistakes
@pytest.mark.parametrize("wrong, words", [
    (lambda t, b, m, T: cosine_lr(t, b, m, T + 1), ["off by one", "T_max"]),
    (lambda t, b, m, T: cosine_lr(t, b, 0.0, T), ["eta_min is missing"]),
    (lambda t, b, m, T: m + (b - m) * math.cos(math.pi * t / T), ["(1 + cos(...)) / 2"]),
    (lambda t, b, m, T: m + b * (1 + math.cos(math.pi * t / T)) / 2, ["amplitude"]),
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
    (_warmup_variant(cos=lambda t, b, m, W, T: cosine_lr(t, b, m, T - W)), ["step - warmup_steps"]),
    (_warmup_variant(cos=lambda t, b, m, W, T: cosine_lr(t - W, b, m, T)), ["total_steps - warmup_steps"]),
    (_warmup_variant(after=lambda t, b, m, W, T: cosine_lr(t - W, b, m, T - W)), ["stay at eta_min"]),
])
def test_warmup_cosine_lr_check_names_the_mistake(wrong, words):
    fails_with(checks.check_warmup_cosine_lr, wrong, "likely mistake", *words)


@pytest.mark.parametrize("wrong, words", [
    (lambda t, b, m, T0, k: cosine_lr(t % T0, b, m, T0), ["T_mult"]),
    (lambda t, b, m, T0, k: warm_restarts_lr(t, b, 0.0, T0, k), ["eta_min is missing"]),
])
def test_warm_restarts_lr_check_names_the_mistake(wrong, words):
    fails_with(checks.check_warm_restarts_lr, wrong, "likely mistake", *words)


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
])
def test_polynomial_lr_check_names_the_mistake(wrong, words):
    fails_with(checks.check_polynomial_lr, wrong, "likely mistake", *words)


def test_warmup_cosine_scheduler_matches_nanogpt_formula():
    lrs = checks.reference_lrs(lambda o: checks.warmup_cosine_scheduler(o, 0.01, 4, 12), 0.3, 13)
    expected = [warmup_cosine_lr(t, 0.3, 0.01, 4, 12) for t in range(13)]
    assert lrs == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_warmup_cosine_scheduler_matches_torch():
    torch = pytest.importorskip("torch")
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=0.3)
    sched = torch.optim.lr_scheduler
    scheduler = sched.SequentialLR(optimizer, [
        sched.LinearLR(optimizer, start_factor=1 / 5, end_factor=1.0, total_iters=4),
        sched.CosineAnnealingLR(optimizer, T_max=8, eta_min=0.01)], milestones=[4])
    expected = [optimizer.param_groups[0]["lr"]]
    for _ in range(12):
        optimizer.step()
        scheduler.step()
        expected.append(optimizer.param_groups[0]["lr"])
    lrs = checks.reference_lrs(lambda o: checks.warmup_cosine_scheduler(o, 0.01, 4, 12), 0.3, 13)
    assert lrs == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_polynomial_lr_check_explains_a_complex_result():
    fails_with(checks.check_polynomial_lr, lambda t, b, T, p: (-b) ** 0.5, "complex", "min(step, total_iters)")


@pytest.mark.parametrize("make, formula, steps", [
    (lambda s, o: s.StepLR(o, step_size=4, gamma=0.1), lambda t: step_lr(t, 100.0, 4, 0.1), 25),
    (lambda s, o: s.MultiStepLR(o, milestones=[8, 2, 5, 5], gamma=0.5),
     lambda t: multistep_lr(t, 100.0, [8, 2, 5, 5], 0.5), 10),
    (lambda s, o: s.CosineAnnealingLR(o, T_max=9, eta_min=1.0), lambda t: cosine_lr(t, 100.0, 1.0, 9), 10),
    (lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1.0),
     lambda t: warm_restarts_lr(t, 100.0, 1.0, 3, 2), 25),
    (lambda s, o: s.PolynomialLR(o, total_iters=6, power=2.0), lambda t: polynomial_lr(t, 100.0, 6, 2.0), 9),
])
def test_closed_forms_the_checks_accept_match_torch(make, formula, steps):
    # The right answers the tests feed the checkers are torch's schedules, step for step.
    torch = pytest.importorskip("torch")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=100.0)
    scheduler = make(torch.optim.lr_scheduler, optimizer)
    lrs = [optimizer.param_groups[0]["lr"]]
    for _ in range(steps - 1):
        optimizer.step()
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    assert lrs == pytest.approx([formula(t) for t in range(steps)], rel=1e-9, abs=1e-9)
