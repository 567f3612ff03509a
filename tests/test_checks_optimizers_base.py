"""Checkers of lesson 04: a correct answer passes, a stub gets the friendly message, and
the usual wrong answers get their diagnosis."""
from __future__ import annotations

from collections import defaultdict

import pytest

import course_lib
from course_lib.checks import ExerciseError
from course_lib.checks.optimizers import (
    check_add_param_group,
    check_sgd_step,
    check_sgd_update,
    check_zero_grad,
)

pytestmark = pytest.mark.lesson04

STUB = "Exercise 04.{}: complete `{}`, then run the check below."


# ----------------------------------------------------------------- a correct student version
class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        groups = list(params)
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        params = param_group["params"]
        param_group["params"] = [params] if isinstance(params, course_lib.Tensor) else list(params)
        for key, value in self.defaults.items():
            param_group.setdefault(key, value)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.zero_()


def sgd_update(param, grad, lr, weight_decay=0.0, maximize=False):
    g = -grad if maximize else grad
    return param - lr * (g + weight_decay * param)


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, weight_decay=0.0, maximize=False):
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, maximize=maximize))

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with course_lib.enable_grad():
                loss = closure()
        with course_lib.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    new = sgd_update(p.detach().numpy(), p.grad.numpy(), group["lr"],
                                     group["weight_decay"], group["maximize"])
                    p.copy_(course_lib.from_numpy(new))
        return loss


def _message(check, student) -> str:
    with pytest.raises(ExerciseError) as info:
        check(student)
    return str(info.value)


# ----------------------------------------------------------------- add_param_group
def test_check_add_param_group_accepts_a_correct_optimizer(capsys):
    check_add_param_group(Optimizer)
    assert "\u2713 Optimizer.add_param_group" in capsys.readouterr().out


def test_check_add_param_group_accepts_course_lib_optimizer():
    check_add_param_group(course_lib.optim.Optimizer)


def test_check_add_param_group_stub_gets_friendly_message():
    class Stub(Optimizer):
        def add_param_group(self, param_group):
            raise NotImplementedError(STUB.format(1, "Optimizer.add_param_group"))

    message = _message(check_add_param_group, Stub)
    assert "Exercise 04.1 is not done yet" in message


def test_check_add_param_group_diagnoses_a_kept_generator():
    class KeepsGenerator(Optimizer):
        def add_param_group(self, param_group):
            for key, value in self.defaults.items():
                param_group.setdefault(key, value)
            self.param_groups.append(param_group)

    assert "read only once" in _message(check_add_param_group, KeepsGenerator)


def test_check_add_param_group_diagnoses_a_generator_wrapped_in_a_list():
    class WrapsGenerator(Optimizer):
        def add_param_group(self, param_group):
            params = param_group["params"]
            param_group["params"] = params if isinstance(params, list) else [params]  # [generator], not list(...)
            for key, value in self.defaults.items():
                param_group.setdefault(key, value)
            self.param_groups.append(param_group)

    message = _message(check_add_param_group, WrapsGenerator)
    assert "a list that holds the generator itself" in message and "with list(...)" in message
    assert "not copies" not in message


def test_check_add_param_group_diagnoses_replaced_groups_and_a_late_duplicate_check():
    class Replaces(Optimizer):
        def add_param_group(self, param_group):
            super().add_param_group(param_group)
            self.param_groups = [param_group]

    class AppendsFirst(Optimizer):
        def add_param_group(self, param_group):
            params = param_group["params"]
            param_group["params"] = [params] if isinstance(params, course_lib.Tensor) else list(params)
            for key, value in self.defaults.items():
                param_group.setdefault(key, value)
            seen = {id(p) for g in self.param_groups for p in g["params"]}
            self.param_groups.append(param_group)  # before the check: a refused group stays
            if any(id(p) in seen for p in param_group["params"]):
                raise ValueError("some parameters appear in more than one parameter group")

    assert "yours keeps only some of them" in _message(check_add_param_group, Replaces)
    assert "check for duplicates before appending" in _message(check_add_param_group, AppendsFirst)


def test_check_add_param_group_diagnoses_overwritten_group_options():
    class Overwrites(Optimizer):
        def add_param_group(self, param_group):
            param_group["params"] = list(param_group["params"])
            param_group.update(self.defaults)
            self.param_groups.append(param_group)

    assert "overwrote the group's own lr" in _message(check_add_param_group, Overwrites)


def test_check_add_param_group_diagnoses_missing_duplicate_check():
    class NoDuplicateCheck(Optimizer):
        def add_param_group(self, param_group):
            params = param_group["params"]
            param_group["params"] = [params] if isinstance(params, course_lib.Tensor) else list(params)
            for key, value in self.defaults.items():
                param_group.setdefault(key, value)
            self.param_groups.append(param_group)

    assert "duplicate check is missing" in _message(check_add_param_group, NoDuplicateCheck)


def test_check_add_param_group_explains_in_comparing_tensors_elementwise():
    class UsesIn(Optimizer):
        def add_param_group(self, param_group):
            params = param_group["params"]
            param_group["params"] = [params] if isinstance(params, course_lib.Tensor) else list(params)
            for key, value in self.defaults.items():
                param_group.setdefault(key, value)
            for group in self.param_groups:
                if any(p in group["params"] for p in param_group["params"]):
                    raise ValueError("some parameters appear in more than one parameter group")
            self.param_groups.append(param_group)

    message = _message(check_add_param_group, UsesIn)
    assert "your code:" in message and "compare the objects themselves with `is`" in message


# ----------------------------------------------------------------- zero_grad
def test_check_zero_grad_accepts_correct_and_course_lib_versions(capsys):
    check_zero_grad(Optimizer)
    check_zero_grad(course_lib.optim.Optimizer)
    assert capsys.readouterr().out.count("\u2713 Optimizer.zero_grad") == 2


def test_check_zero_grad_stub_gets_friendly_message():
    class Stub(Optimizer):
        def zero_grad(self, set_to_none=True):
            raise NotImplementedError(STUB.format(2, "zero_grad"))

    assert "Exercise 04.2 is not done yet" in _message(check_zero_grad, Stub)


def test_check_zero_grad_diagnoses_first_group_only():
    class FirstGroupOnly(Optimizer):
        def zero_grad(self, set_to_none=True):
            for p in self.param_groups[0]["params"]:
                p.grad = None

    assert "only the first group" in _message(check_zero_grad, FirstGroupOnly)


def test_check_zero_grad_diagnoses_last_group_only():
    class LastGroupOnly(Optimizer):
        def zero_grad(self, set_to_none=True):
            for p in self.param_groups[-1]["params"]:  # the loop over groups is missing
                if p.grad is not None:
                    p.grad = None if set_to_none else p.grad.zero_()

    message = _message(check_zero_grad, LastGroupOnly)
    assert "left w.grad = " in message and "only the last group" in message and "set p.grad = None" not in message


def test_check_zero_grad_diagnoses_ignoring_set_to_none():
    class AlwaysNone(Optimizer):
        def zero_grad(self, set_to_none=True):
            for group in self.param_groups:
                for p in group["params"]:
                    p.grad = None

    assert "p.grad.zero_()" in _message(check_zero_grad, AlwaysNone)


def test_check_zero_grad_diagnoses_new_zero_tensors():
    class NewTensors(Optimizer):
        def zero_grad(self, set_to_none=True):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.grad = None if set_to_none else course_lib.zeros_like(p.grad)

    assert "in place" in _message(check_zero_grad, NewTensors)


def test_check_zero_grad_diagnoses_zeroing_the_parameter():
    class ZeroesParameter(Optimizer):
        def zero_grad(self, set_to_none=True):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    if set_to_none:
                        p.grad = None
                    else:
                        with course_lib.no_grad():
                            p.zero_()

    assert "p.zero_() zeroes the parameter" in _message(check_zero_grad, ZeroesParameter)


# ----------------------------------------------------------------- sgd_update
def test_check_sgd_update_accepts_a_correct_update(capsys):
    check_sgd_update(sgd_update)
    assert "\u2713 sgd_update: 4 cases" in capsys.readouterr().out


def test_check_sgd_update_stub_gets_friendly_message():
    def stub(param, grad, lr, weight_decay=0.0, maximize=False):
        raise NotImplementedError(STUB.format(3, "sgd_update"))

    assert "Exercise 04.3 is not done yet" in _message(check_sgd_update, stub)


@pytest.mark.parametrize("wrong, diagnosis", [
    (lambda p, g, lr, weight_decay=0.0, maximize=False: p + lr * g, "wrong sign"),
    (lambda p, g, lr, weight_decay=0.0, maximize=False: p - lr * g, "weight decay is missing"),
    (lambda p, g, lr, weight_decay=0.0, maximize=False: p - lr * g - weight_decay * p,
     "not multiplied by lr"),
    (lambda p, g, lr, weight_decay=0.0, maximize=False:
        p - lr * (g + weight_decay * p) * (-1 if maximize else 1), "maximize flips the whole update"),
    (lambda p, g, lr, weight_decay=0.0, maximize=False: p - lr * (g + weight_decay * p),
     "maximize is ignored"),
])
def test_check_sgd_update_diagnoses_usual_mistakes(wrong, diagnosis):
    assert diagnosis in _message(check_sgd_update, wrong)


# ----------------------------------------------------------------- SGD.step
def test_check_sgd_step_accepts_correct_and_course_lib_sgd(capsys):
    check_sgd_step(SGD)
    check_sgd_step(course_lib.optim.SGD)
    assert capsys.readouterr().out.count("\u2713 SGD.step") == 2


def test_check_sgd_step_stub_gets_friendly_message():
    class Stub(SGD):
        def step(self, closure=None):
            raise NotImplementedError(STUB.format(4, "SGD.step"))

    assert "Exercise 04.4 is not done yet" in _message(check_sgd_step, Stub)


def test_check_sgd_step_diagnoses_defaults_used_for_every_group():
    class UsesDefaults(SGD):
        def step(self, closure=None):
            with course_lib.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is not None:
                            p.sub_(self.defaults["lr"] * (p.grad + self.defaults["weight_decay"] * p))

    assert "read lr and weight_decay from each group" in _message(check_sgd_step, UsesDefaults)


def test_check_sgd_step_diagnoses_a_return_inside_the_group_loop():
    class ReturnsEarly(SGD):
        def step(self, closure=None):
            with course_lib.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is not None:
                            p.copy_(course_lib.from_numpy(sgd_update(p.detach().numpy(), p.grad.numpy(), group["lr"],
                                                                     group["weight_decay"], group["maximize"])))
                    return None  # ends step() after the first group

    message = _message(check_sgd_step, ReturnsEarly)
    assert "b (group 1" in message and "only the first group was updated" in message and "rebinds" not in message


def test_check_sgd_step_diagnoses_rebinding_instead_of_in_place():
    class Rebinds(SGD):
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p = p.detach() - group["lr"] * p.grad  # noqa: PLW2901 - the mistake

    assert "only rebinds a local name" in _message(check_sgd_step, Rebinds)


def test_check_sgd_step_notes_a_missing_none_check():
    class NoNoneCheck(SGD):
        def step(self, closure=None):
            with course_lib.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        p.sub_(group["lr"] * p.grad)

    assert "p.grad is None" in _message(check_sgd_step, NoNoneCheck)


def test_check_sgd_step_diagnoses_a_closure_that_is_not_returned():
    class ForgetsLoss(SGD):
        def step(self, closure=None):
            super().step(None)
            if closure is not None:
                closure()

    assert "return loss" in _message(check_sgd_step, ForgetsLoss)


def test_check_zero_grad_names_an_unfinished_add_param_group():
    class Stub(Optimizer):
        def add_param_group(self, param_group):
            raise NotImplementedError(STUB.format(1, "Optimizer.add_param_group"))

    assert "Exercise 04.1 is not done yet" in _message(check_zero_grad, Stub)


def test_check_sgd_step_explains_an_update_outside_no_grad():
    class OutsideNoGrad(SGD):
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        new = sgd_update(p.detach().numpy(), p.grad.numpy(), group["lr"],
                                         group["weight_decay"], group["maximize"])
                        p.copy_(course_lib.from_numpy(new))

    message = _message(check_sgd_step, OutsideNoGrad)
    assert "your code:" in message and "inside `with torch.no_grad():`" in message


def test_check_sgd_update_rejects_changing_param_in_place():
    def in_place(param, grad, lr, weight_decay=0.0, maximize=False):
        g = -grad if maximize else grad
        param -= lr * (g + weight_decay * param)
        return param

    message = _message(check_sgd_update, in_place)
    assert "changed its arguments in place" in message and "`param -= ...` changes the caller's array" in message


def test_check_sgd_update_names_lr_times_weight_decay_instead_of_weight_decay_times_param():
    def lr_wd(param, grad, lr, weight_decay=0.0, maximize=False):
        g = -grad if maximize else grad
        return param - lr * (g + lr * weight_decay)

    assert "likely mistake: the decay term is weight_decay * param; yours adds lr * weight_decay" in _message(
        check_sgd_update, lr_wd)


def test_check_sgd_update_names_changing_grad_in_place():
    def changes_grad(param, grad, lr, weight_decay=0.0, maximize=False):
        g = -grad if maximize else grad
        g += weight_decay * param  # g is still the caller's grad
        return param - lr * g

    assert "so does `g += ...` while g is still grad" in _message(check_sgd_update, changes_grad)


def test_check_sgd_update_names_weight_decay_with_the_wrong_sign():
    def minus_decay(param, grad, lr, weight_decay=0.0, maximize=False):
        g = -grad if maximize else grad
        return param - lr * (g - weight_decay * param)

    assert "likely mistake: weight decay has the wrong sign" in _message(check_sgd_update, minus_decay)


def _stepping(update_of, stop=False):
    """An SGD whose step writes ``update_of(p, group)`` into every parameter (None: skipped with `continue`, or
    with ``stop`` the group's loop ends with `break`)."""
    class Stepping(SGD):
        def step(self, closure=None):
            with course_lib.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        new = update_of(p, group)
                        if new is None and stop:
                            break
                        if new is not None:
                            p.copy_(course_lib.from_numpy(new))
    return Stepping


def test_check_sgd_step_names_a_step_that_ignores_the_groups_maximize():
    message = _message(check_sgd_step, _stepping(lambda p, group: None if p.grad is None else sgd_update(
        p.detach().numpy(), p.grad.numpy(), group["lr"], group["weight_decay"])))
    assert "b (group 1" in message and "group['maximize']" in message


def test_check_sgd_step_rejects_weight_decay_on_a_parameter_without_gradient():
    def decays_all(p, group):
        grad = course_lib.zeros_like(p) if p.grad is None else p.grad
        return sgd_update(p.detach().numpy(), grad.numpy(), group["lr"], group["weight_decay"], group["maximize"])

    message = _message(check_sgd_step, _stepping(decays_all))
    assert "unused (no gradient)" in message and "not even the weight decay" in message


def test_check_sgd_step_names_a_break_where_continue_is_meant():
    message = _message(check_sgd_step, _stepping(lambda p, group: None if p.grad is None else sgd_update(
        p.detach().numpy(), p.grad.numpy(), group["lr"], group["weight_decay"], group["maximize"]), stop=True))
    assert "b (group 1" in message and "`break` on unused" in message


def _with_closure(order):
    """The correct SGD whose step runs the closure ``order``: "no_enable_grad" (first, without enable_grad) or
    "last" (after the update)."""
    class ClosureSGD(SGD):
        def step(self, closure=None):
            loss = closure() if closure is not None and order == "no_enable_grad" else None
            SGD.step(self)
            if closure is not None and order == "last":
                with course_lib.enable_grad():
                    loss = closure()
            return loss
    return ClosureSGD


def test_check_sgd_step_rejects_a_closure_run_without_enable_grad():
    message = _message(check_sgd_step, _with_closure("no_enable_grad"))
    assert "ran the closure with gradients off" in message and "torch.enable_grad()" in message


def test_check_sgd_step_rejects_a_closure_called_after_the_update():
    assert "called the closure after updating" in _message(check_sgd_step, _with_closure("last"))
