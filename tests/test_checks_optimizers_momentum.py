"""Checkers of lesson 05: a correct answer passes, a stub gets the friendly message, the
usual wrong answers get their diagnosis; the convention references follow their formulas."""
from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import ExerciseError
from course_lib.checks.momentum import ema_momentum_reference, sutskever_reference
from course_lib.checks.optimizers import (
    check_ema_momentum_update,
    check_momentum_buffer_update,
    check_sgd_momentum_update,
    check_sutskever_update,
)

pytestmark = pytest.mark.lesson05


def momentum_buffer_update(buf, grad, momentum, dampening):
    return grad.copy() if buf is None else momentum * buf + (1 - dampening) * grad


def in_state_form(update):
    """A ``(param, grad, buf, ...) -> (param, buf)`` update written as lesson 05's (and the library's)
    ``sgd_update(param, grad, state, ...) -> (param, state)``, so each likely mistake stays readable."""
    def sgd_update(param, grad, state, *options, **kw):
        new_param, buf = update(param, grad, state.get("momentum_buffer"), *options, **kw)
        return new_param, ({} if buf is None else {"momentum_buffer": buf})
    return sgd_update


def _sgd_buffer_form(param, grad, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                     nesterov=False, maximize=False):
    g = -grad if maximize else grad
    g = g + weight_decay * param
    if momentum == 0:
        return param - lr * g, None
    buf = momentum_buffer_update(buf, g, momentum, dampening)
    return param - lr * (g + momentum * buf if nesterov else buf), buf


sgd_momentum_update = in_state_form(_sgd_buffer_form)


def sutskever_update(param, grad, velocity, lr, momentum):
    velocity = (0 if velocity is None else momentum * velocity) - lr * grad
    return param + velocity, velocity


def ema_momentum_update(param, grad, avg, lr, beta):
    avg = (1 - beta) * grad if avg is None else beta * avg + (1 - beta) * grad
    return param - lr * avg, avg


def _message(check, student) -> str:
    with pytest.raises(ExerciseError) as info:
        check(student)
    return str(info.value)


def _stub(*args, **kwargs):
    raise NotImplementedError("Exercise 05.1: complete `momentum_buffer_update`, then run the check below.")


@pytest.mark.parametrize("check, student", [
    (check_momentum_buffer_update, momentum_buffer_update),
    (check_sgd_momentum_update, sgd_momentum_update),
    (check_sutskever_update, sutskever_update),
    (check_ema_momentum_update, ema_momentum_update),
])
def test_checks_of_lesson05_accept_correct_answers(check, student, capsys):
    check(student)
    assert capsys.readouterr().out.startswith("\u2713")


@pytest.mark.parametrize("check", [check_momentum_buffer_update, check_sgd_momentum_update,
                                   check_sutskever_update, check_ema_momentum_update])
def test_checks_of_lesson05_stub_gets_friendly_message(check):
    assert "Exercise 05.1 is not done yet" in _message(check, _stub)


@pytest.mark.parametrize("wrong, diagnosis", [
    (lambda buf, g, mu, d: (1 - d) * g if buf is None else mu * buf + (1 - d) * g,
     "dampening applied on the first step"),
    (lambda buf, g, mu, d: g.copy() if buf is None else mu * buf + g, "dampening is ignored"),
    (lambda buf, g, mu, d: g.copy() if buf is None else mu * buf + (1 - mu) * g,
     "moving-average form"),
    (lambda buf, g, mu, d: g.copy() if buf is None else buf + mu * g,
     "momentum multiplies the gradient"),
])
def test_check_momentum_buffer_update_diagnoses_usual_mistakes(wrong, diagnosis):
    assert diagnosis in _message(check_momentum_buffer_update, wrong)


def test_check_momentum_buffer_update_requires_a_copy_on_the_first_step(capsys):
    def aliases(buf, grad, momentum, dampening):
        return grad if buf is None else momentum * buf + (1 - dampening) * grad

    assert "return grad.copy()" in _message(check_momentum_buffer_update, aliases)
    assert "\u2713" not in capsys.readouterr().out  # no success line before the error


def test_check_sgd_momentum_update_names_nesterov_with_the_old_buffer():
    def old_buffer(param, grad, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                   nesterov=False, maximize=False):
        g = (-grad if maximize else grad) + weight_decay * param
        if momentum == 0:
            return param - lr * g, None
        new = momentum_buffer_update(buf, g, momentum, dampening)
        look = g + momentum * (new if buf is None else buf)
        return param - lr * (look if nesterov else new), new

    message = _message(check_sgd_momentum_update, in_state_form(old_buffer))
    assert "OLD buf: update buf first" in message
    assert "likely mistake: Nesterov uses the OLD buf" in message and "buffer alone" not in message  # its own hint


def test_check_sgd_momentum_update_names_maximize_negating_weight_decay():
    def negates_all(param, grad, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                    nesterov=False, maximize=False):
        g = grad + weight_decay * param
        g = -g if maximize else g
        if momentum == 0:
            return param - lr * g, None
        buf = momentum_buffer_update(buf, g, momentum, dampening)
        return param - lr * (g + momentum * buf if nesterov else buf), buf

    assert "negated the weight decay term too" in _message(check_sgd_momentum_update, in_state_form(negates_all))


def test_check_sgd_momentum_update_names_the_state_key():
    def keeps_buf(param, grad, state, *options):
        new_param, new_state = in_state_form(_sgd_buffer_form)(param, grad, {"momentum_buffer": state.get("buf")},
                                                              *options)
        return new_param, {"buf": buf for buf in new_state.values()}

    message = _message(check_sgd_momentum_update, keeps_buf)
    assert "your result has keys ['buf'], expected ['momentum_buffer']" in message
    assert "likely mistake: the state keeps the buffer under torch's key" in message


def test_check_sgd_momentum_update_blames_no_step_rule_for_a_wrong_buffer_alone():
    def doubles_buffer(param, grad, buf, *options):
        new_param, new_buf = _sgd_buffer_form(param, grad, buf, *options)
        return new_param, None if new_buf is None else 2 * new_buf

    message = _message(check_sgd_momentum_update, in_state_form(doubles_buffer))
    assert "element 'momentum_buffer'" in message and "likely mistake" not in message  # the step was right


def _variant(nesterov_dir=None, wd_after=False, flip_all=False):
    def update(param, grad, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
               nesterov=False, maximize=False):
        g = -grad if maximize and not flip_all else grad
        if not wd_after:
            g = g + weight_decay * param
        if momentum == 0:
            step = g + (weight_decay * param if wd_after else 0)
            return param - lr * step * (-1 if flip_all and maximize else 1), None
        buf = momentum_buffer_update(buf, g, momentum, dampening)
        if nesterov:
            direction = buf if nesterov_dir == "buf" else g + momentum * buf
        else:
            direction = buf
        if wd_after:
            direction = direction + weight_decay * param
        return param - lr * direction * (-1 if flip_all and maximize else 1), buf
    return update


@pytest.mark.parametrize("wrong, diagnosis", [
    (_variant(nesterov_dir="buf"), "Nesterov steps along the buffer alone"),
    (_variant(wd_after=True), "weight decay added after momentum instead of before"),
    (_variant(flip_all=True), "wrong sign (or maximize flips the weight decay too)"),
])
def test_check_sgd_momentum_update_diagnoses_usual_mistakes(wrong, diagnosis):
    assert diagnosis in _message(check_sgd_momentum_update, in_state_form(wrong))


def test_check_sgd_momentum_update_names_lr_inside_the_buffer_and_nesterov_on_the_raw_grad():
    def lr_in_buffer(param, grad, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                     maximize=False):  # the first step's parameter is right, its buffer is lr * g
        new_param, new_buf = _sgd_buffer_form(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov,
                                              maximize)
        return new_param, None if new_buf is None else (lr * new_buf if buf is None else momentum * buf + lr * grad)

    def nesterov_raw_grad(param, grad, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                          maximize=False):  # "grad + momentum * buf" read literally: without the weight decay
        new_param, new_buf = _sgd_buffer_form(param, grad, buf, lr, momentum, dampening, weight_decay, False,
                                              maximize)
        return (param - lr * (grad + momentum * new_buf) if nesterov else new_param), new_buf

    assert "yours has lr inside the buffer" in _message(check_sgd_momentum_update, in_state_form(lr_in_buffer))
    assert "Nesterov's direction uses g, the gradient after weight decay" in _message(
        check_sgd_momentum_update, in_state_form(nesterov_raw_grad))


def test_check_sgd_momentum_update_wants_no_buffer_without_momentum():
    def keeps_buffer(param, grad, buf, lr, momentum=0.0, *options):
        new, buf = _sgd_buffer_form(param, grad, buf, lr, momentum, *options)
        return new, grad.copy() if buf is None else buf

    assert "return (new_param, {})" in _message(check_sgd_momentum_update, in_state_form(keeps_buffer))


def test_check_momentum_buffer_update_rejects_changing_the_buffer_in_place():
    """torch's buf.mul_(momentum).add_(grad) would change state['momentum_buffer'] in 05.2; say so in 05.1."""
    def in_place(buf, grad, momentum, dampening):
        if buf is None:
            return grad.copy()
        buf *= momentum
        buf += (1 - dampening) * grad
        return buf

    message = _message(check_momentum_buffer_update, in_place)
    assert "changed its arguments in place" in message and "`buf *= momentum`" in message


def test_check_sgd_momentum_update_names_changing_grad_in_place():
    def changes_grad(param, grad, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                     maximize=False):
        g = -grad if maximize else grad
        g += weight_decay * param  # g is still the caller's grad
        return _sgd_buffer_form(param, g, buf, lr, momentum, dampening, 0.0, nesterov, False)

    assert "not g += ..." in _message(check_sgd_momentum_update, in_state_form(changes_grad))


def test_check_sgd_momentum_update_rejects_changing_the_state_in_place():
    def mutates(param, grad, state, lr, momentum=0.0, *options):
        new_param, new_state = sgd_momentum_update(param, grad, state, lr, momentum, *options)
        state.update(new_state)
        return new_param, state

    assert "changed its arguments in place" in _message(check_sgd_momentum_update, mutates)


def test_the_librarys_sgd_update_is_lesson05s_answer(capsys):
    from course_lib.optim.sgd import momentum_buffer_update as library_buffer, sgd_update

    check_sgd_momentum_update(sgd_update)
    check_momentum_buffer_update(library_buffer)
    assert capsys.readouterr().out.count("\u2713") == 2


@pytest.mark.parametrize("wrong, diagnosis", [
    (lambda p, g, v, lr, mu: (p + (0 if v is None else mu * v) + lr * g, None),
     "wrong sign"),
    (lambda p, g, v, lr, mu: (p - ((0 if v is None else mu * v) - lr * g), None), "wrong sign"),
    (lambda p, g, v, lr, mu: (p - lr * ((0 if v is None else mu * v) + g), (0 if v is None else mu * v) + g),
     "torch's buffer"),
])
def test_check_sutskever_update_diagnoses_usual_mistakes(wrong, diagnosis):
    assert diagnosis in _message(check_sutskever_update, wrong)


def test_convention_checks_blame_no_rule_for_a_parameter_that_is_right():
    """On the first step several wrong rules give the right parameter: a row predicting only that says nothing."""
    def param_only(p, g, v, lr, mu):  # the velocity is not returned
        return sutskever_reference(p, g, v, lr, mu)[0]

    def bias_corrected(p, g, a, lr, b):  # the average is right, the step divides it by 1 - beta (Adam's)
        new_avg = ema_momentum_reference(p, g, a, lr, b)[1]
        return p - lr * new_avg / (1 - b), new_avg

    message = _message(check_sutskever_update, param_only)
    assert "expected a tuple of 2 values" in message and "likely mistake" not in message
    message = _message(check_ema_momentum_update, bias_corrected)
    assert "element 0:" in message and "likely mistake" not in message


@pytest.mark.parametrize("wrong, diagnosis", [
    (lambda p, g, v, lr, mu: (p - lr * g if v is None else p - (mu * v + lr * g),
                              lr * g if v is None else mu * v + lr * g),
     "the velocity has the opposite sign"),
    (lambda p, g, v, lr, mu: (p - lr * g, g.copy()) if v is None else (p + mu * v - lr * g, mu * v + g),
     "your velocity is torch's buffer"),
])
def test_check_sutskever_update_diagnoses_a_wrong_velocity_next_to_a_right_parameter(wrong, diagnosis):
    assert diagnosis in _message(check_sutskever_update, wrong)


@pytest.mark.parametrize("wrong, diagnosis", [
    (lambda p, g, a, lr, b: (p - lr * g, g), "starting it at grad is torch's buffer convention"),
    (lambda p, g, a, lr, b: (p - lr * (b * g + (1 - b) * (0 if a is None else a)), None),
     "beta and 1 - beta swapped"),
])
def test_check_ema_momentum_update_diagnoses_usual_mistakes(wrong, diagnosis):
    assert diagnosis in _message(check_ema_momentum_update, wrong)


def test_convention_references_follow_their_formulas():
    # Sutskever: v1 = -lr g1, p1 = p0 + v1; v2 = mu v1 - lr g2 (maths, by hand).
    p, v = sutskever_reference(np.array([1.0]), np.array([2.0]), None, 0.1, 0.9)
    assert p.tolist() == pytest.approx([0.8]) and v.tolist() == pytest.approx([-0.2])
    p, v = sutskever_reference(p, np.array([1.0]), v, 0.1, 0.9)
    assert v.tolist() == pytest.approx([-0.28]) and p.tolist() == pytest.approx([0.52])
    # Moving average from zero: a1 = (1 - b) g1.
    p, a = ema_momentum_reference(np.array([1.0]), np.array([2.0]), None, 0.5, 0.9)
    assert a.tolist() == pytest.approx([0.2]) and p.tolist() == pytest.approx([0.9])


def test_check_sgd_momentum_update_crash_on_a_none_buffer_points_to_the_new_buffer():
    def old_buffer_crashes(param, grad, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                           nesterov=False, maximize=False):
        g = (-grad if maximize else grad) + weight_decay * param
        if momentum == 0:
            return param - lr * g, None
        new = momentum_buffer_update(buf, g, momentum, dampening)
        return param - lr * (g + momentum * buf if nesterov else new), new

    message = _message(check_sgd_momentum_update, in_state_form(old_buffer_crashes))
    assert "your code:" in message and "use the NEW buf" in message


def test_check_sutskever_update_names_a_velocity_starting_at_the_gradient():
    def starts_at_grad(p, g, v, lr, mu):
        v = g.copy() if v is None else v
        v = mu * v - lr * g
        return p + v, v

    assert "starting it at the gradient is torch's rule" in _message(check_sutskever_update, starts_at_grad)


def _sgd_inline(param, grad, state, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                maximize=False):
    """A correct sgd_update written without momentum_buffer_update: the buffer rule inline."""
    g = grad * (-1.0 if maximize else 1.0) + weight_decay * param
    if not momentum:
        return param - lr * g, {}
    old = state.get("momentum_buffer")
    buf = np.copy(g) if old is None else momentum * old + (1 - dampening) * g
    return param - lr * (g + momentum * buf if nesterov else buf), {"momentum_buffer": buf}


def test_check_sgd_momentum_update_accepts_the_buffer_rule_written_inline(capsys):
    check_sgd_momentum_update(_sgd_inline)
    assert capsys.readouterr().out.startswith("\u2713 sgd_update")


def test_check_sgd_momentum_update_names_dampening_on_the_first_step():
    """A buffer started from zeros, momentum * state.get('momentum_buffer', 0) + (1 - dampening) * g, is right
    on a first step only without dampening."""
    def zero_start(param, grad, state, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                   maximize=False):
        return _sgd_inline(param, grad, {"momentum_buffer": state.get("momentum_buffer", 0 * grad)}, lr, momentum,
                           dampening, weight_decay, nesterov, maximize)

    message = _message(check_sgd_momentum_update, zero_start)
    assert 'case "first step with dampening"' in message and "without the (1 - dampening) factor" in message


def test_check_sgd_momentum_update_names_an_early_return_without_momentum():
    def early_return(param, grad, state, lr, momentum=0.0, *options):
        if momentum == 0:  # before maximize and weight decay
            return param - lr * grad, {}
        return _sgd_inline(param, grad, state, lr, momentum, *options)

    assert "with momentum = 0 the step still uses g" in _message(check_sgd_momentum_update, early_return)


def test_check_sgd_momentum_update_requires_a_copy_on_the_first_step():
    def aliases(param, grad, state, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                maximize=False):
        g = -grad if maximize else grad
        g = g + weight_decay * param if weight_decay else g
        if momentum == 0 or "momentum_buffer" in state:
            return _sgd_inline(param, grad, state, lr, momentum, dampening, weight_decay, nesterov, maximize)
        return param - lr * (g + momentum * g if nesterov else g), {"momentum_buffer": g}  # buf = g: no copy

    message = _message(check_sgd_momentum_update, aliases)
    assert "your momentum_buffer is the gradient array itself" in message and "g.copy()" in message


def test_convention_checks_reject_changing_param_in_place():
    """`param += velocity` returns the right numbers but changes the caller's array: a loop that keeps every
    position (path.append(p), as lesson 05's form_path) would hold one array many times."""
    def sutskever_in_place(p, g, v, lr, mu):
        v = (0 if v is None else mu * v) - lr * g
        p += v
        return p, v

    def ema_in_place(p, g, a, lr, b):
        a = (1 - b) * g if a is None else b * a + (1 - b) * g
        p -= lr * a
        return p, a

    message = _message(check_sutskever_update, sutskever_in_place)
    assert "changed its arguments in place" in message and "`param += velocity`" in message
    message = _message(check_ema_momentum_update, ema_in_place)
    assert "changed its arguments in place" in message and "`param -= lr * avg`" in message


def test_convention_checks_accept_answers_written_differently(capsys):
    def sutskever_zeros(param, grad, velocity, lr, momentum):
        velocity = np.zeros_like(grad) if velocity is None else velocity.copy()
        velocity *= momentum  # a fresh array: the caller's velocity is left alone
        velocity -= lr * grad
        return param + velocity, velocity

    def ema_zeros(param, grad, avg, lr, beta):
        avg = np.zeros_like(grad) if avg is None else avg
        avg = avg + (1 - beta) * (grad - avg)
        return param - lr * avg, avg

    check_sutskever_update(sutskever_zeros)
    check_ema_momentum_update(ema_zeros)
    assert capsys.readouterr().out.count("\u2713") == 2
