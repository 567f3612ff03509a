"""Checkers of lesson 06: a correct answer passes, a stub gets the friendly message, the
usual wrong answers (step counter from 0, no bias correction, eps inside the square root,
L2 in AdamW, ...) get their diagnosis; the AMSGrad reference agrees with Adam(amsgrad=True)."""
from __future__ import annotations

import numpy as np
import pytest

import course_lib
from course_lib.checks import ExerciseError
from course_lib.checks.adaptive import amsgrad_reference
from course_lib.checks.optimizers import (
    check_adam_update,
    check_adamw_update,
    check_amsgrad_denominator,
    check_rmsprop_update,
)

pytestmark = pytest.mark.lesson06


def rmsprop_update(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8):
    square_avg = alpha * state.get("square_avg", 0.0) + (1 - alpha) * grad * grad
    new_state = {"step": state.get("step", 0) + 1, "square_avg": square_avg}
    return param - lr * grad / (np.sqrt(square_avg) + eps), new_state


def make_adam(mistake=None):
    """A student's Adam (pure: returns the new parameter and a new state), right or with one ``mistake``."""
    def adam_update(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        beta1, beta2 = betas
        step = state.get("step", 1 if mistake == "step never incremented" else 0)
        t = step if mistake in ("step used before increment", "step never incremented") else step + 1
        if weight_decay:
            grad = grad + weight_decay * param
        w1, w2 = (1 - beta1, 1 - beta2) if mistake == "beta and 1 - beta swapped" else (beta1, beta2)
        start = grad if mistake == "average starts at grad" else 0.0
        exp_avg = w1 * state.get("exp_avg", start) + (1 - w1) * grad
        exp_avg_sq = w2 * state.get("exp_avg_sq", 0.0) + (1 - w2) * grad * grad
        bc1, bc2 = (1.0, 1.0) if mistake == "no bias correction" else (1 - beta1**t, 1 - beta2**t)
        with np.errstate(divide="ignore", invalid="ignore"):
            v_hat = exp_avg_sq / bc2
            denom = np.sqrt(v_hat + eps) if mistake == "eps inside" else np.sqrt(v_hat) + eps
            new_param = param - lr * (exp_avg / bc1) / denom
        return new_param, {"step": t if mistake == "step never incremented" else step + 1, "exp_avg": exp_avg,
                           "exp_avg_sq": exp_avg_sq}
    return adam_update


def amsgrad_denominator(exp_avg_sq, max_exp_avg_sq, step, beta2, eps):
    new_max = np.maximum(max_exp_avg_sq, exp_avg_sq)
    return np.sqrt(new_max) / np.sqrt(1 - beta2**step) + eps, new_max


def make_adamw(mistake=None):
    adam = make_adam()

    def adamw_update(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        if mistake == "L2":
            return adam(param, grad, state, lr, betas, eps, weight_decay)
        if mistake == "no lr":
            return adam(param * (1 - weight_decay), grad, state, lr, betas, eps)
        if mistake == "twice":  # adam_update(..., weight_decay) after the shrink
            return adam(param * (1 - lr * weight_decay), grad, state, lr, betas, eps, weight_decay)
        if mistake == "after":
            new_param, new_state = adam(param, grad, state, lr, betas, eps)
            return new_param * (1 - lr * weight_decay), new_state
        return adam(param * (1 - lr * weight_decay), grad, state, lr, betas, eps)
    return adamw_update


def _message(check, student) -> str:
    with pytest.raises(ExerciseError) as info:
        check(student)
    return str(info.value)


def _stub(*args, **kwargs):
    raise NotImplementedError("Exercise 06.2: complete `adam_update`, then run the check below.")


@pytest.mark.parametrize("check, student", [
    (check_rmsprop_update, rmsprop_update),
    (check_adam_update, make_adam()),
    (check_amsgrad_denominator, amsgrad_denominator),
    (check_adamw_update, make_adamw()),
])
def test_checks_of_lesson06_accept_correct_answers(check, student, capsys):
    check(student)
    assert capsys.readouterr().out.startswith("\u2713")


@pytest.mark.parametrize("check", [check_rmsprop_update, check_adam_update,
                                   check_amsgrad_denominator, check_adamw_update])
def test_checks_of_lesson06_stub_gets_friendly_message(check):
    assert "Exercise 06.2 is not done yet" in _message(check, _stub)


def _rmsprop_eps_inside(p, g, s, lr=1e-2, alpha=0.99, eps=1e-8):
    square_avg = alpha * s.get("square_avg", 0.0) + (1 - alpha) * g * g
    return p - lr * g / np.sqrt(square_avg + eps), {"step": s.get("step", 0) + 1, "square_avg": square_avg}


def _rmsprop_starts_at_grad_squared(p, g, s, lr=1e-2, alpha=0.99, eps=1e-8):
    square_avg = alpha * s.get("square_avg", g * g) + (1 - alpha) * g * g
    return p - lr * g / (np.sqrt(square_avg) + eps), {"step": s.get("step", 0) + 1, "square_avg": square_avg}


@pytest.mark.parametrize("wrong, diagnosis", [
    (lambda p, g, s, lr=1e-2, alpha=0.99, eps=1e-8:
        rmsprop_update(p, g, s, lr, 1 - alpha, eps), "alpha and 1 - alpha swapped"),
    (_rmsprop_eps_inside, "eps sits inside the square root"),
    (_rmsprop_starts_at_grad_squared, "likely mistake: square_avg starts at zeros"),
    (lambda p, g, s, lr=1e-2, alpha=0.99, eps=1e-8: rmsprop_update(p, g, s, lr, alpha, 0.0), "eps is missing"),
])
def test_check_rmsprop_update_diagnoses_usual_mistakes(wrong, diagnosis):
    assert diagnosis in _message(check_rmsprop_update, wrong)


@pytest.mark.parametrize("mistake, diagnosis", [
    ("step used before increment", "used before it is incremented"),
    ("no bias correction", "bias correction is missing"),
    ("eps inside", "eps sits inside the square root"),
    # a wrong running average (or count) is named at the state, where it happens, not at the parameter it spoils
    ("beta and 1 - beta swapped", "state['exp_avg'] after step 1 is wrong.\n"),
    ("beta and 1 - beta swapped", "likely mistake: beta and 1 - beta swapped"),
    ("step never incremented", "likely mistake: state['step'] is not incremented"),
    ("average starts at grad", "or the average started at grad, not zeros"),
])
def test_check_adam_update_diagnoses_usual_mistakes(mistake, diagnosis):
    assert diagnosis in _message(check_adam_update, make_adam(mistake))


def test_check_adam_update_wants_torch_state_names():
    def other_names(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        torch_names = {"step": state.get("t", 0), "exp_avg": state.get("m", 0.0), "exp_avg_sq": state.get("v", 0.0)}
        new_param, new_state = make_adam()(param, grad, torch_names, lr, betas, eps, weight_decay)
        return new_param, {"t": new_state["step"], "m": new_state["exp_avg"], "v": new_state["exp_avg_sq"]}

    assert "torch's names" in _message(check_adam_update, other_names)


def test_check_adam_update_rejects_changing_the_state_it_was_given():
    """The library's update functions are pure; the lesson's must be too (issue: the library is the answer key)."""
    def mutates(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        new_param, new_state = make_adam()(param, grad, state, lr, betas, eps, weight_decay)
        state.update(new_state)
        return new_param, state

    message = _message(check_adam_update, mutates)
    assert "changed the state dict it was given" in message and "build a new dict" in message


def test_check_adam_update_names_averages_updated_in_place():
    """A new dict whose arrays are the old state's, changed in place (exp_avg *= beta1), is not a new state."""
    def in_place(param, grad, state, **options):
        new_param, new_state = make_adam()(param, grad, state, **options)
        for key in ("exp_avg", "exp_avg_sq"):
            if key in state:  # exp_avg *= beta1; exp_avg += ...: the given state's array, changed
                state[key][...] = new_state[key]
                new_state[key] = state[key]
        return new_param, new_state

    assert "not avg *= beta" in _message(check_adam_update, in_place)


def test_check_adam_update_wants_the_new_state_returned():
    def param_only(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        return make_adam()(param, grad, state, lr, betas, eps, weight_decay)[0]

    assert "not a pair (new_param, new_state)" in _message(check_adam_update, param_only)


def test_lesson06_reference_answers_are_the_librarys_own_functions(capsys):
    """The answer key is the library: its own pure functions pass the lesson's checks."""
    from course_lib.optim.adam import adam_update, amsgrad_denominator as library_amsgrad
    from course_lib.optim.adamw import adamw_update
    from course_lib.optim.rmsprop import rmsprop_update as library_rmsprop

    for check, fn in [(check_rmsprop_update, library_rmsprop), (check_adam_update, adam_update),
                      (check_amsgrad_denominator, library_amsgrad), (check_adamw_update, adamw_update)]:
        check(fn)
    assert capsys.readouterr().out.count("\u2713") == 4


def test_check_amsgrad_denominator_diagnoses_missing_maximum():
    def no_max(exp_avg_sq, max_exp_avg_sq, step, beta2, eps):
        return np.sqrt(exp_avg_sq) / np.sqrt(1 - beta2**step) + eps, exp_avg_sq

    assert "running maximum is not used" in _message(check_amsgrad_denominator, no_max)


def test_check_adam_update_diagnoses_wrong_state_values():
    def corrected_in_state(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                           weight_decay=0.0):
        raw = {**state, "exp_avg": state.get("exp_avg_raw", 0.0)}
        new_param, new_state = make_adam()(param, grad, raw, lr, betas, eps, weight_decay)
        corrected = new_state["exp_avg"] / (1 - betas[0] ** new_state["step"])
        return new_param, {**new_state, "exp_avg": corrected, "exp_avg_raw": new_state["exp_avg"]}

    def no_weight_decay(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                        weight_decay=0.0):
        return make_adam()(param, grad, state, lr, betas, eps, 0.0)

    assert "holds the bias-corrected value" in _message(check_adam_update, corrected_in_state)
    assert "weight decay is not in the gradient" in _message(check_adam_update, no_weight_decay)


def test_check_amsgrad_denominator_diagnoses_missing_pair_and_corrected_maximum():
    def denom_only(exp_avg_sq, max_exp_avg_sq, step, beta2, eps):
        return amsgrad_denominator(exp_avg_sq, max_exp_avg_sq, step, beta2, eps)[0]

    def max_of_corrected(exp_avg_sq, max_exp_avg_sq, step, beta2, eps):
        new_max = np.maximum(max_exp_avg_sq, exp_avg_sq / (1 - beta2**step))
        return np.sqrt(new_max) + eps, new_max

    assert "return both values as a pair" in _message(check_amsgrad_denominator, denom_only)
    assert "maximum of the raw exp_avg_sq" in _message(check_amsgrad_denominator, max_of_corrected)


def test_check_amsgrad_denominator_blames_no_denominator_rule_for_a_right_denominator():
    def sqrt_of_max_kept(exp_avg_sq, max_exp_avg_sq, step, beta2, eps):  # the denominator is right, the state not
        denom, new_max = amsgrad_denominator(exp_avg_sq, max_exp_avg_sq, step, beta2, eps)
        return denom, np.sqrt(new_max)

    message = _message(check_amsgrad_denominator, sqrt_of_max_kept)
    assert "element 1:" in message and "running maximum is not used" not in message


@pytest.mark.parametrize("wrong, diagnosis", [
    (lambda v, mx, t, b2, eps: amsgrad_denominator(v, mx, t, b2, eps)[::-1],
     "(denom, new_max_exp_avg_sq), in that order"),
    (lambda v, mx, t, b2, eps: (np.sqrt(np.minimum(mx, v)) / np.sqrt(1 - b2**t) + eps, np.minimum(mx, v)),
     "likely mistake: np.minimum keeps the smaller value"),
    (lambda v, mx, t, b2, eps: (np.sqrt(max(mx, v)) / np.sqrt(1 - b2**t) + eps, max(mx, v)),
     "likely mistake: Python's max compares whole arrays"),
])
def test_check_amsgrad_denominator_diagnoses_order_minimum_and_python_max(wrong, diagnosis):
    assert diagnosis in _message(check_amsgrad_denominator, wrong)


@pytest.mark.parametrize("mistake, diagnosis", [
    ("L2", "this is Adam's L2 penalty"),
    ("no lr", "not multiplied by lr"),
    ("after", "applied after the Adam step"),
    ("twice", "likely mistake: weight decay is applied twice"),
])
def test_check_adamw_update_diagnoses_usual_mistakes(mistake, diagnosis):
    assert diagnosis in _message(check_adamw_update, make_adamw(mistake))


GRADS = [np.array([1.0, -0.5]), np.array([0.1, 2.0]), np.array([0.05, 0.01]), np.array([-0.2, 0.3])]


def _amsgrad_by_reference(lr=0.1, betas=(0.9, 0.99), eps=1e-8):
    """Adam with AMSGrad written around amsgrad_reference (the checker's formula)."""
    p, m, v, vmax, out = np.array([1.0, -1.0]), np.zeros(2), np.zeros(2), np.zeros(2), []
    for t, g in enumerate(GRADS, start=1):
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        denom, vmax = amsgrad_reference(v, vmax, t, betas[1], eps)
        p = p - lr / (1 - betas[0] ** t) * m / denom
        out.append(p.tolist())
    return out


def test_amsgrad_reference_matches_course_lib_adam_amsgrad():
    from course_lib.optim.adam import Adam

    p = course_lib.tensor([1.0, -1.0], dtype=course_lib.float64, requires_grad=True)
    opt = Adam([p], lr=0.1, betas=(0.9, 0.99), amsgrad=True)
    expected = []
    for g in GRADS:
        p.grad = course_lib.tensor(g, dtype=course_lib.float64)
        opt.step()
        expected.append(p.tolist())
    np.testing.assert_allclose(_amsgrad_by_reference(), expected, rtol=1e-12)


def test_amsgrad_reference_matches_torch_live():
    torch = pytest.importorskip("torch")
    p = torch.tensor([1.0, -1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.1, betas=(0.9, 0.99), amsgrad=True)
    expected = []
    for g in GRADS:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        expected.append(p.tolist())
    np.testing.assert_allclose(_amsgrad_by_reference(), expected, rtol=1e-12)


def test_check_adamw_update_names_decaying_with_the_gradient():
    adam = make_adam()

    def decays_with_grad(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        return adam(param - lr * weight_decay * grad, grad, state, lr, betas, eps)

    assert "likely mistake: the decay subtracts lr * weight_decay * grad" in _message(check_adamw_update,
                                                                                      decays_with_grad)


def _rmsprop_loop(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8):
    """A correct RMSprop written element by element, with a float step and a copied state."""
    old = state.get("square_avg", np.zeros_like(param))
    square_avg, new_param = np.empty_like(param), np.empty_like(param)
    for i in range(len(param)):
        square_avg[i] = alpha * old[i] + (1 - alpha) * grad[i] ** 2
        new_param[i] = param[i] - lr * grad[i] / (np.sqrt(square_avg[i]) + eps)
    return new_param, {**state, "step": state.get("step", 0.0) + 1, "square_avg": square_avg}


def _adamw_by_keywords(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    return make_adam()(param - lr * weight_decay * param, grad, state, lr=lr, betas=betas, eps=eps)


def _amsgrad_into_a_copy(exp_avg_sq, max_exp_avg_sq, step, beta2, eps):
    new_max = max_exp_avg_sq.copy()
    np.maximum(new_max, exp_avg_sq, out=new_max)
    return np.sqrt(new_max) * (1 - beta2**step) ** -0.5 + eps, new_max


@pytest.mark.parametrize("check, student", [
    (check_rmsprop_update, _rmsprop_loop),
    (check_adamw_update, _adamw_by_keywords),
    (check_amsgrad_denominator, _amsgrad_into_a_copy),
    (check_amsgrad_denominator, lambda v, mx, t, b2, eps: amsgrad_denominator(v, mx.copy(), t, b2, eps)),
])
def test_checks_of_lesson06_accept_correct_answers_written_differently(check, student, capsys):
    check(student)
    assert capsys.readouterr().out.startswith("\u2713")


def test_check_rmsprop_update_wants_the_step_count():
    """The exercise asks for new_state = {"step": ..., "square_avg": ...}: the count is checked, not only the
    average."""
    def no_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8):
        new_param, new_state = rmsprop_update(param, grad, state, lr, alpha, eps)
        return new_param, {"square_avg": new_state["square_avg"]}

    def step_from_one(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8):
        new_param, new_state = rmsprop_update(param, grad, {**state, "step": state.get("step", 1)}, lr, alpha, eps)
        return new_param, new_state

    assert "the state has no 'step'" in _message(check_rmsprop_update, no_step)
    assert "likely mistake: state['step'] is one too high" in _message(check_rmsprop_update, step_from_one)


def test_checks_of_lesson06_name_a_hard_coded_eps():
    def rmsprop_eps_fixed(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8):
        return rmsprop_update(param, grad, state, lr, alpha, 1e-8)

    def adam_eps_fixed(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        return make_adam()(param, grad, state, lr, betas, 1e-8, weight_decay)

    def adamw_eps_not_passed(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        return make_adam()(param * (1 - lr * weight_decay), grad, state, lr, betas)

    assert "likely mistake: eps is fixed at 1e-8" in _message(check_rmsprop_update, rmsprop_eps_fixed)
    assert "likely mistake: eps is fixed at 1e-8" in _message(check_adam_update, adam_eps_fixed)
    assert "likely mistake: eps is not passed on" in _message(check_adamw_update, adamw_eps_not_passed)


def test_check_adamw_update_names_betas_not_passed_on():
    def betas_not_passed(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        return make_adam()(param * (1 - lr * weight_decay), grad, state, lr, eps=eps)

    message = _message(check_adamw_update, betas_not_passed)
    assert "state['exp_avg'] after step 1 is wrong" in message and "betas are fixed at their defaults" in message


def test_checks_of_lesson06_reject_changing_param_or_grad_in_place():
    """The update functions are pure: `param *= ...` (AdamW's shrink) or `grad += ...` (Adam's L2) changes the
    caller's array even when the numbers returned are right."""
    def adamw_shrinks_in_place(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        param *= 1 - lr * weight_decay
        return make_adam()(param, grad, state, lr, betas, eps)

    def adam_decays_grad_in_place(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        grad += weight_decay * param
        return make_adam()(param, grad, state, lr, betas, eps)

    def rmsprop_steps_in_place(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8):
        new_param, new_state = rmsprop_update(param, grad, state, lr, alpha, eps)
        param -= param - new_param
        return param, new_state

    for check, wrong in [(check_adamw_update, adamw_shrinks_in_place), (check_adam_update, adam_decays_grad_in_place),
                         (check_rmsprop_update, rmsprop_steps_in_place)]:
        message = _message(check, wrong)
        assert "changed its param or grad in place" in message and "`param *= ...`" in message


def test_check_amsgrad_denominator_rejects_torchs_in_place_maximum():
    def in_place(exp_avg_sq, max_exp_avg_sq, step, beta2, eps):  # torch.maximum(..., out=max_exp_avg_sqs[i])
        new_max = np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        return np.sqrt(new_max) / np.sqrt(1 - beta2**step) + eps, new_max

    message = _message(check_amsgrad_denominator, in_place)
    assert "changed its arguments in place" in message and "out=max_exp_avg_sq" in message
