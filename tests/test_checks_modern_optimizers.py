"""Checkers of lesson 12: each accepts the reference and correct answers written differently,
gives an unfinished exercise the friendly message, and names each likely mistake of its table
when a student's function (written here independently of the tables) makes it."""
from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks.modern_optimizers import (
    check_adafactor_step,
    check_factored_second_moment,
    check_lion_update,
    check_newton_schulz,
    check_schedule_free_step,
    check_state_bytes,
    reference_adafactor_step,
    reference_factored_second_moment,
    reference_newton_schulz,
    reference_schedule_free_step,
)
from course_lib.optim.lion import lion_update
from course_lib.optim.memory import state_bytes
from tests.checks_helpers import checker_contract, fails_with

pytestmark = pytest.mark.lesson12

test_checks_accept_the_reference, test_checks_name_an_unfinished_exercise = checker_contract([
    (check_state_bytes, state_bytes, "state_bytes", "12.1"),
    (check_factored_second_moment, reference_factored_second_moment, "factored_second_moment", "12.2"),
    (check_adafactor_step, reference_adafactor_step, "adafactor_step", "12.3"),
    (check_lion_update, lion_update, "lion_update", "12.4"),
    (check_newton_schulz, reference_newton_schulz, "newton_schulz", "12.5"),
    (check_schedule_free_step, reference_schedule_free_step, "schedule_free_step", "12.6"),
])


# ------------------------------------------------------------------- 12.1 state_bytes
def student_state_bytes(state_dict, mistake=None):
    total = 0
    for index, per_param in state_dict["state"].items():
        for key, tensor in per_param.items():
            if mistake == "skip step" and key == "step":
                continue
            if mistake == "elements":
                total += tensor.numel()
            elif mistake == "float32":
                total += tensor.numel() * 4
            else:
                total += tensor.numel() * tensor.numpy().itemsize
            if mistake == "first key":
                break
        if mistake == "first param":
            break
    return total


@pytest.mark.parametrize("mistake, words", [
    ("elements", "you counted elements, not bytes"),
    ("float32", "you assumed 4 bytes per element"),
    ("skip step", "the 0-d tensors (state['step']) are missing"),
    ("first key", "only the first buffer of each parameter"),
    ("first param", "only the first parameter's state"),
])
def test_check_state_bytes_names_mistakes(mistake, words):
    fails_with(check_state_bytes, lambda sd: student_state_bytes(sd, mistake), words)


def test_check_state_bytes_accepts_another_correct_answer(capsys):
    check_state_bytes(student_state_bytes)
    assert "5 cases match" in capsys.readouterr().out


def test_check_state_bytes_wants_the_state_dict_unchanged():
    def pops(sd):
        sd["state"].clear()
        return 0

    fails_with(check_state_bytes, pops, "changed its arguments in place", "only read the state_dict")


# ------------------------------------------------------------------- 12.2 factored_second_moment
def student_factored(V, mistake=None):
    rows, cols = V.sum(axis=1), V.sum(axis=0)  # sums over the total: the same as means over the mean
    if mistake == "no division":
        return np.outer(V.mean(axis=1), V.mean(axis=0))
    if mistake == "means over sum":
        return np.outer(V.mean(axis=1), V.mean(axis=0)) / V.sum()
    if mistake == "sums over mean":
        return np.outer(rows, cols) / V.mean()
    if mistake == "mean squared":
        return np.outer(V.mean(axis=1), V.mean(axis=0)) / V.mean() ** 2
    if mistake == "swapped":
        return np.outer(V.mean(axis=0), V.mean(axis=1)) / V.mean()
    return np.outer(rows, cols) / V.sum()


@pytest.mark.parametrize("mistake, words", [
    ("no division", "must be divided by the overall mean of V"),
    ("means over sum", "divide by the overall MEAN, not the total sum"),
    ("sums over mean", "SUMS must be divided by the total sum"),
    ("mean squared", "you divided by the squared mean"),
    ("swapped", "rows and columns are swapped"),
])
def test_check_factored_second_moment_names_mistakes(mistake, words):
    fails_with(check_factored_second_moment, lambda V: student_factored(V, mistake), words)


def test_check_factored_second_moment_accepts_sums_over_the_total(capsys):
    check_factored_second_moment(student_factored)
    assert capsys.readouterr().out.startswith("\u2713 factored_second_moment")


@pytest.mark.parametrize("answer", [
    lambda V: V.mean(axis=1) @ V.mean(axis=0) / V.mean(),  # 1-D means: (3,) @ (4,)
    lambda V: V.mean(axis=0, keepdims=True) @ V.mean(axis=1, keepdims=True) / V.mean(),  # (1, 4) @ (3, 1)
], ids=["no keepdims", "columns @ rows"])
def test_check_factored_second_moment_explains_a_matmul_crash(answer):
    fails_with(check_factored_second_moment, answer, "raised ValueError: matmul", "keep the means 2-D (keepdims=True)")


# ------------------------------------------------------------------- 12.3 adafactor_step
def student_adafactor(param, grad, state, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, mistake=None):
    eps1 = np.finfo(param.dtype).eps if eps[0] is None else eps[0]
    eps1 = {"eps1 = eps2": eps[1], "eps1 always machine": np.finfo(param.dtype).eps}.get(mistake, eps1)
    t = state.get("step", 0) + 1
    w = t ** (-0.8 if mistake == "decay -0.8" else beta2_decay)
    if mistake == "weight swapped":
        w = 1 - w
    n, m = grad.shape
    sq = grad * grad
    row_new = sq.sum(axis=1, keepdims=True) / (1 if mistake == "sums" else m)
    col_new = sq.sum(axis=0, keepdims=True) / (1 if mistake == "sums" else n)
    row = row_new if "row_var" not in state else state["row_var"] + w * (row_new - state["row_var"])
    col = col_new if "col_var" not in state else state["col_var"] + w * (col_new - state["col_var"])
    if "row_var" not in state:  # lerp from zeros
        row, col = w * row_new, w * col_new
    v_hat = (row * col) / max(row.mean(), eps1)
    u = grad / np.sqrt(np.maximum(v_hat, eps1**2))
    if mistake == "no sqrt":
        u = grad / np.maximum(v_hat, eps1**2)
    rho = min(lr, t**-0.5) if mistake != "no cap" else t**-0.5
    rms = np.sqrt((param**2).mean())
    scale = {"not relative": 1.0, "no eps2": rms}.get(mistake, max(eps[1], rms))
    clip = 1.0 if mistake == "no clipping" else max(1.0, np.sqrt((u**2).mean()) / d)
    return param - scale * rho * u / clip, {"step": t, "row_var": row, "col_var": col}


@pytest.mark.parametrize("mistake, words", [
    ("not relative", "the step is not relative to the parameter's size"),
    ("no clipping", "the update is not clipped"),
    ("no cap", "rho_t must be capped by lr"),
    ("weight swapped", "is the weight of the NEW grad**2"),
    ("sums", "means of grad**2"),
    ("no eps2", "eps2 is missing"),
    ("no sqrt", "divides by the SQUARE ROOT"),
    ("decay -0.8", "beta2_decay is an argument"),
    ("eps1 = eps2", "eps1 is eps[0] (the machine epsilon of param's dtype when it is None), not eps[1]"),
    ("eps1 always machine", "eps1 is eps[0] when it is given"),
])
def test_check_adafactor_step_names_mistakes(mistake, words):
    fails_with(check_adafactor_step, lambda *a, **k: student_adafactor(*a, **k, mistake=mistake), words)


def test_check_adafactor_step_accepts_another_correct_answer(capsys):
    check_adafactor_step(student_adafactor)
    assert "7 cases match" in capsys.readouterr().out


def test_check_adafactor_step_names_flat_state_and_in_place_state():
    def flat(*args, **kwargs):
        p, s = student_adafactor(*args, **kwargs)
        return p, {**s, "row_var": s["row_var"].ravel(), "col_var": s["col_var"].ravel()}

    def in_place(param, grad, state, *args):
        p, s = student_adafactor(param, grad, state, *args)
        state.update(s)
        return p, state

    fails_with(check_adafactor_step, flat, "keep torch's shapes in the state")
    fails_with(check_adafactor_step, in_place, "changed its arguments in place")


# ------------------------------------------------------------------- 12.4 lion_update
def student_lion(param, grad, state, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, mistake=None):
    beta1, beta2 = betas
    if mistake == "swapped":
        beta1, beta2 = beta2, beta1
    m = state["exp_avg"] if "exp_avg" in state else np.zeros_like(param)
    new_m = m + (1 - (beta1 if mistake == "beta1 memory" else beta2)) * (grad - m)  # a lerp: the same average
    c = (new_m if mistake == "momentum first" else m) * beta1 + grad * (1 - beta1)
    step = c if mistake == "no sign" else np.where(c > 0, 1.0, np.where(c < 0, -1.0, 0.0))
    decay = weight_decay if mistake == "no lr" else lr * weight_decay
    return param * (1 - decay) - lr * step, {"exp_avg": new_m}


@pytest.mark.parametrize("mistake, words", [
    ("momentum first", "the momentum is updated before the step"),
    ("swapped", "beta1 and beta2 are swapped"),
    ("beta1 memory", "exp_avg is updated with beta1"),  # the step is right: not "swapped"
    ("no sign", "the sign is missing"),
    ("no lr", "the decay must be multiplied by lr"),
])
def test_check_lion_update_names_mistakes(mistake, words):
    fails_with(check_lion_update, lambda *a, **k: student_lion(*a, **k, mistake=mistake), words)


def test_check_lion_update_accepts_another_correct_answer(capsys):
    check_lion_update(student_lion)
    assert "5 cases match" in capsys.readouterr().out


def test_check_lion_update_names_decay_after_the_step_and_l2():
    def after(param, grad, state, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        p, s = student_lion(param, grad, state, lr, betas, 0.0)
        return p * (1 - lr * weight_decay), s

    def l2(param, grad, state, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        _, s = student_lion(param, grad, state, lr, betas, 0.0)
        p, _ = student_lion(param, grad + weight_decay * param, state, lr, betas, 0.0)
        return p, s

    fails_with(check_lion_update, after, "the decay comes first")
    fails_with(check_lion_update, l2, "this is an L2 penalty")


# ------------------------------------------------------------------- 12.6 schedule_free_step
def student_schedule_free(param, grad, state, step, scheduled_lr, ckp1, betas=(0.9, 0.999), eps=1e-8,
                          weight_decay=0.0, mistake=None):
    beta1, beta2 = betas
    eps = 1e-8 if mistake == "eps 1e-8" else eps
    z = state.get("z", param)
    x = state.get("x", param)
    y = param  # the parameter holds y while training
    z = z - scheduled_lr * weight_decay * (z if mistake == "decay at z" else y)
    v = state.get("exp_avg_sq", 0.0) * beta2 + (1 - beta2) * grad**2
    correction = 1.0 if mistake == "no bias correction" else 1 - beta2**step
    if mistake == "eps inside":
        z_new = z - scheduled_lr * grad / np.sqrt(v / correction + eps)
    else:
        z_new = z - scheduled_lr * grad / (np.sqrt(v / correction) + eps)
    if mistake == "weights swapped":
        x = ckp1 * x + (1 - ckp1) * z_new
    elif mistake == "old z":
        x = x + ckp1 * (z - x)
    else:
        x = x + ckp1 * (z_new - x)
    y = z_new + beta1 * (x - z_new)
    if mistake == "y swapped":
        y = x + beta1 * (z_new - x)
    out = x if mistake == "returns x" else y
    return out, {"z": z_new, "exp_avg_sq": v, "x": x, "y": y}


@pytest.mark.parametrize("mistake, words", [
    ("returns x", "the parameter holds y while training"),
    ("y swapped", "y interpolates the other way"),
    ("weights swapped", "ckp1 is the weight of the NEW z"),
    ("no bias correction", "the bias correction of exp_avg_sq is missing"),
    ("decay at z", "the weight decay is computed at y"),
    ("old z", "x must average the z of THIS step"),
    ("eps inside", "eps sits inside the square root"),
    ("eps 1e-8", "not 1e-8 written into the formula"),
])
def test_check_schedule_free_step_names_mistakes(mistake, words):
    fails_with(check_schedule_free_step, lambda *a, **k: student_schedule_free(*a, **k, mistake=mistake), words)


def test_check_schedule_free_step_accepts_another_correct_answer(capsys):
    check_schedule_free_step(student_schedule_free)
    assert "5 cases match" in capsys.readouterr().out


def test_check_schedule_free_step_names_missing_keys():
    def no_y(*args, **kwargs):
        p, s = student_schedule_free(*args, **kwargs)
        del s["y"]
        return p, s

    fails_with(check_schedule_free_step, no_y, "your result has keys ['exp_avg_sq', 'x', 'z'], expected")


@pytest.mark.parametrize("check, reference, key", [
    (check_adafactor_step, reference_adafactor_step, "row_var"),
    (check_lion_update, lion_update, "exp_avg"),
    (check_schedule_free_step, reference_schedule_free_step, "z"),
], ids=["adafactor", "lion", "schedule-free"])
def test_checks_explain_a_state_read_with_brackets_on_the_first_step(check, reference, key):
    def answer(param, grad, state, *args):
        state[key]  # KeyError on the first step: its state is {}
        return reference(param, grad, state, *args)

    fails_with(check, answer, f"raised KeyError: '{key}'", "on the first step the state is empty ({})")


# ------------------------------------------------------------------- 12.5 newton_schulz
def student_newton_schulz(G, steps=5, coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, mistake=None):
    a, b, c = coefficients
    eps = 1e-7 if mistake == "eps 1e-7" else eps
    if mistake == "reversed":
        a, b, c = c, b, a
    transpose = G.shape[0] > G.shape[1] and mistake != "no transpose"
    X = G.T.copy() if transpose else G.copy()
    if mistake == "spectral":
        X /= max(np.linalg.svd(X, compute_uv=False)[0], eps)
    elif mistake == "plus eps":  # Keller Jordan's X / (X.norm() + eps): off by about eps / norm
        X /= np.sqrt((X * X).sum()) + eps
    elif mistake != "no normalisation":
        X /= max(np.sqrt((X * X).sum()), eps)
    for _ in range(steps if mistake != "one short" else steps - 1):
        A = X @ X.T
        X = a * X + b * A @ X + c * (A @ X if mistake == "c times gram" else A @ (A @ X))
    return X.T if transpose else X


@pytest.mark.parametrize("mistake, words", [
    ("no normalisation", "divide G by its Frobenius norm first"),
    ("spectral", "you divided by the spectral norm"),
    ("plus eps", "you divided by norm(G) + eps"),
    ("reversed", "yours look reversed"),
    ("c times gram", "the c term multiplies (X X^T)^2"),
    ("one short", "one step short"),
    ("eps 1e-7", "not 1e-7 written into the formula"),
])
def test_check_newton_schulz_names_mistakes(mistake, words):
    with np.errstate(all="ignore"):
        fails_with(check_newton_schulz, lambda *a, **k: student_newton_schulz(*a, **k, mistake=mistake), words)


def test_check_newton_schulz_accepts_other_correct_answers(capsys):
    check_newton_schulz(student_newton_schulz)
    # no transpose for tall matrices: a bigger Gram matrix, the same polynomial, the same numbers
    check_newton_schulz(lambda *a, **k: student_newton_schulz(*a, **k, mistake="no transpose"))
    assert capsys.readouterr().out.count("6 cases match") == 2


def test_check_newton_schulz_names_gram_on_the_wrong_side_and_no_eps_and_no_transpose_back():
    def wrong_side(G, steps=5, coefficients=(3.4445, -4.775, 2.0315), eps=1e-7):
        a, b, c = coefficients
        X = G / max(np.linalg.norm(G), eps)
        for _ in range(steps):
            A = X.T @ X
            X = a * X + (b * A + c * A @ A) @ X
        return X

    def no_eps(G, steps=5, coefficients=(3.4445, -4.775, 2.0315), eps=1e-7):
        with np.errstate(all="ignore"):
            return student_newton_schulz(G / np.linalg.norm(G) if np.linalg.norm(G) else G * np.nan, steps,
                                         coefficients, eps)

    with np.errstate(all="ignore"):
        fails_with(check_newton_schulz, wrong_side, "raised ValueError", "gram = X @ X.T is (A, A)")
    fails_with(check_newton_schulz, no_eps, "guard the division")

    def not_back(G, steps=5, coefficients=(3.4445, -4.775, 2.0315), eps=1e-7):
        X = student_newton_schulz(G, steps, coefficients, eps)
        return X.T if G.shape[0] > G.shape[1] else X

    fails_with(check_newton_schulz, not_back, "must be transposed back")


def test_check_newton_schulz_explains_a_shape_crash():
    def crash(G, steps=5, coefficients=(3.4445, -4.775, 2.0315), eps=1e-7):
        a, b, c = coefficients
        X = G / max(np.linalg.norm(G), eps)
        for _ in range(steps):
            A = X @ X.T
            X = a * X + X @ (b * A + c * A @ A)
        return X

    fails_with(check_newton_schulz, crash, "raised ValueError", "multiply it on the left")
