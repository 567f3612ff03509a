"""Checkers for lesson 12 (modern optimizers), in float64: updates return ``(new_param, new_state)``, states come
from a few reference steps. A likely mistake is the reference with an argument changed (``_with``) or one slip."""
from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from .. import optim
from ..optim.adafactor import adafactor_update, factored_variance
from ..optim.lion import lion_update
from ..optim.memory import state_bytes as reference_state_bytes
from ..optim.muon import newton_schulz as _newton_schulz
from ..optim.schedule_free import schedule_free_adamw_update, schedule_free_weights
from ..tensor import Tensor
from ._core import EXACT, run_cases

__all__ = ["check_state_bytes", "check_factored_second_moment", "check_adafactor_step", "check_lion_update",
           "check_newton_schulz", "check_schedule_free_step"]

_PURE = ("your function changed its arguments in place (the state dict or an array in it); build and return a "
         "new state dict instead, e.g. `new_state = {...}`: the caller may still need the old one.")


def _with(fn: Callable, **changes: Any) -> Callable:
    """``fn`` with some arguments changed: a value, or a function of ``{name: value}`` of all its arguments."""
    signature = inspect.signature(fn)

    def wrong(*args: Any) -> Any:
        bound = signature.bind(*args)
        bound.apply_defaults()
        bound.arguments.update({k: v(bound.arguments) if callable(v) else v for k, v in changes.items()})
        return fn(*bound.args, **bound.kwargs)
    return wrong


def _first_step(*keys: str, example: str) -> list:
    """Crash hints for ``state[key]`` on the first step, whose state is empty."""
    return [(KeyError, repr(key), f"on the first step the state is empty ({{}}): read it with state.get(key, default), "
             f"e.g. {example}") for key in keys]


def _arrays(state_dict: dict) -> list:
    return [v for per_param in state_dict["state"].values() for v in per_param.values()]


def _state_dict_after_one_step(optimizer_class, dtype=np.float32, **options) -> dict:
    """The state_dict of ``optimizer_class(params, **options)`` after one step on a weight (2, 3) and a bias (2,)."""
    rng = np.random.default_rng(3)
    params = [Tensor(rng.normal(size=shape).astype(dtype), requires_grad=True) for shape in ((2, 3), (2,))]
    optimizer = optimizer_class(params, **options)
    for p in params:
        p.grad = Tensor(rng.normal(size=p.shape).astype(dtype))
    optimizer.step()
    return optimizer.state_dict()


def check_state_bytes(state_bytes) -> None:
    """Exercise 12.1: check ``state_bytes(state_dict) -> int``, the bytes of every tensor in its ``"state"``."""
    run_cases("state_bytes", state_bytes, reference_state_bytes, {
        "SGD, no state": (_state_dict_after_one_step(optim.SGD, lr=0.1),),
        "SGD with momentum": (_state_dict_after_one_step(optim.SGD, lr=0.1, momentum=0.9),),
        "Adam": (_state_dict_after_one_step(optim.Adam),),
        "Adam(amsgrad=True) in float64": (_state_dict_after_one_step(optim.Adam, np.float64, amsgrad=True),),
        "Adafactor": (_state_dict_after_one_step(optim.Adafactor),),
    }, mistakes=[
        ("you counted elements, not bytes: multiply each tensor's numel() by the bytes of one element "
         "(t.numpy().nbytes does both)", lambda sd: sum(v.numel() for v in _arrays(sd))),
        ("you assumed 4 bytes per element (float32); a float64 state takes 8: use t.numpy().nbytes, which "
         "knows the dtype", lambda sd: sum(4 * v.numel() for v in _arrays(sd))),
        ("the 0-d tensors (state['step']) are missing: they take 4 bytes each, count them too",
         lambda sd: sum(v.numpy().nbytes for v in _arrays(sd) if v.dim() > 0)),
        ("only the first buffer of each parameter is counted: add up every key of state[i] (exp_avg AND "
         "exp_avg_sq, ...)", lambda sd: sum([*per.values()][0].numpy().nbytes for per in sd["state"].values() if per)),
        ("only the first parameter's state is counted: loop over every entry of state_dict['state']",
         lambda sd: sum(v.numpy().nbytes for v in next(iter(sd["state"].values()), {}).values())),
    ], pure="state_bytes must only read the state_dict, not change it.", rtol=0, atol=0)


def reference_factored_second_moment(V: np.ndarray) -> np.ndarray:
    """Adafactor's rank-1 estimate of ``V`` from its row and column means (``factored_variance``)."""
    return factored_variance(V.mean(axis=-1, keepdims=True), V.mean(axis=-2, keepdims=True), 0.0)


def check_factored_second_moment(factored_second_moment) -> None:
    """Exercise 12.2: check ``factored_second_moment(V) -> V_hat`` (shape of ``V``) against ``factored_variance``."""
    rng = np.random.default_rng(12)
    run_cases("factored_second_moment", factored_second_moment, reference_factored_second_moment, {
        "rank 1 (recovered exactly)": (np.outer([1.0, 2.0, 0.5], [4.0, 1.0, 3.0, 2.0]),),
        "squared gradients of a 3x4 matrix": (rng.normal(size=(3, 4)) ** 2,),
        "a tall 5x2 matrix": (rng.normal(size=(5, 2)) ** 2 + 0.1,),
        "a square 3x3 matrix": (rng.normal(size=(3, 3)) ** 2,),
    }, mistakes=[
        ("the outer product of the row and column means must be divided by the overall mean of V (row @ col / "
         "V.mean()); without it the estimate is too large by that factor", lambda V: np.outer(V.mean(1), V.mean(0))),
        ("with row and column MEANS, divide by the overall MEAN, not the total sum (sums / sum or means / mean)",
         lambda V: V.mean(axis=1, keepdims=True) @ V.mean(axis=0, keepdims=True) / V.sum()),
        ("the outer product of the row and column SUMS must be divided by the total sum, not the mean",
         lambda V: V.sum(axis=1, keepdims=True) @ V.sum(axis=0, keepdims=True) / V.mean()),
        ("you divided by the squared mean; the outer product of two means is divided by the mean once",
         lambda V: V.mean(axis=1, keepdims=True) @ V.mean(axis=0, keepdims=True) / V.mean() ** 2),
        ("rows and columns are swapped: the row means are V.mean(axis=1) (one per row, shape (n, 1)), the "
         "column means V.mean(axis=0) (shape (1, m))", lambda V: np.outer(V.mean(axis=0), V.mean(axis=1)) / V.mean()),
    ], crashes=[
        (ValueError, "matmul", "keep the means 2-D (keepdims=True): rows (n, 1) @ columns (1, m) is the (n, m) "
                               "outer product; 1-D means (or columns @ rows) do not multiply to a matrix"),
    ], pure="factored_second_moment must not change V.", **EXACT)


def reference_adafactor_step(param, grad, state, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0):
    """``adafactor_update`` for a matrix, without weight decay (the exercise's signature)."""
    return adafactor_update(param, grad, state, lr=lr, beta2_decay=beta2_decay, eps=eps, d=d)


def _adafactor_variant(param, grad, state, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, mistake=None):
    """``adafactor_step`` for a matrix with one likely ``mistake`` in a formula or in the state's shapes."""
    eps1 = float(np.finfo(param.dtype).eps) if eps[0] is None else eps[0]
    step = state.get("step", 0.0) + 1
    w = 1 - step**beta2_decay if mistake == "weight swapped" else step**beta2_decay
    reduce = np.sum if mistake == "sums" else np.mean
    row_var = state.get("row_var", 0.0) * (1 - w) + w * reduce(grad**2, axis=-1, keepdims=True)
    col_var = state.get("col_var", 0.0) * (1 - w) + w * reduce(grad**2, axis=-2, keepdims=True)
    var = np.maximum(factored_variance(row_var, col_var, eps1), eps1 * eps1)
    update = grad / (var if mistake == "no sqrt" else np.sqrt(var))
    scale = 1.0 if mistake == "not relative" else max(eps[1], float(np.sqrt(np.mean(param**2))))
    new_param = param - scale * min(lr, 1 / step**0.5) / max(1.0, float(np.sqrt(np.mean(update**2))) / d) * update
    if mistake == "flat state":
        row_var, col_var = row_var.reshape(-1), col_var.reshape(-1)
    return new_param, {"step": step, "row_var": row_var, "col_var": col_var}


def check_adafactor_step(adafactor_step) -> None:
    """Exercise 12.3: check ``adafactor_step(param, grad, state, lr, beta2_decay, eps, d)`` on a matrix."""
    rng = np.random.default_rng(5)
    param, grads = rng.normal(size=(3, 4)), [rng.normal(size=(3, 4)) for _ in range(3)]
    state, p = {}, param
    for g in grads[:2]:
        p, state = adafactor_update(p, g, state)
    run_cases("adafactor_step", adafactor_step, reference_adafactor_step, {
        "first step": (param, grads[0], {}),
        "third step (state from two steps)": (p, grads[2], state),
        "a tiny parameter (eps2 matters)": (param * 1e-5, grads[0], {}, 1e-2, -0.8, (None, 1e-3), 1.0),
        "lr = 0.5, d = 4, a 4x2 matrix": (rng.normal(size=(4, 2)), rng.normal(size=(4, 2)) * [[1.0, 30.0]],
                                           {"step": 2.0, "row_var": rng.random((4, 1)), "col_var": rng.random((1, 2))},
                                           0.5, -0.8, (None, 1e-3), 4.0),
        "tiny gradients (eps1, machine epsilon, matters)": (param, grads[0] * 1e-4, {}),
        "tiny gradients, eps = (1e-6, 1e-3)": (param, grads[1] * 1e-7, {}, 1e-2, -0.8, (1e-6, 1e-3), 1.0),
        "third step, beta2_decay = -0.5": (p, grads[2], state, 1e-2, -0.5, (None, 1e-3), 1.0),
    }, mistakes=[
        ("the step is not relative to the parameter's size: alpha = max(eps2, RMS(param)) * rho_t, with "
         "RMS(param) = norm(param) / sqrt(numel)", _with(_adafactor_variant, mistake="not relative")),
        ("eps2 is missing: alpha = max(eps2, RMS(param)) * rho_t, so that a parameter near 0 still moves",
         _with(reference_adafactor_step, eps=lambda a: (a["eps"][0], 0.0))),
        ("the update is not clipped: divide it by max(1, RMS(update) / d)", _with(reference_adafactor_step, d=np.inf)),
        ("rho_t must be capped by lr: rho_t = min(lr, 1 / sqrt(step))", _with(reference_adafactor_step, lr=np.inf)),
        ("step ** beta2_decay is the weight of the NEW grad**2 (1 at step 1): row_var = (1 - w) * row_var + "
         "w * row_mean with w = step ** beta2_decay", _with(_adafactor_variant, mistake="weight swapped")),
        ("the row and column statistics are means of grad**2 (divide the sums by m and by n)",
         _with(_adafactor_variant, mistake="sums")),
        ("the update divides by the SQUARE ROOT of the estimated second moment: grad / sqrt(var_estimate)",
         _with(_adafactor_variant, mistake="no sqrt")),
        ("beta2_decay is an argument: w = step ** beta2_decay with the beta2_decay given, not -0.8",
         _with(reference_adafactor_step, beta2_decay=-0.8)),
        ("eps1 is eps[0] (the machine epsilon of param's dtype when it is None), not eps[1]: eps2 only floors "
         "RMS(param)", _with(reference_adafactor_step, eps=lambda a: (a["eps"][1],) * 2)),
        ("eps1 is eps[0] when it is given; only eps[0] = None means the machine epsilon",
         _with(reference_adafactor_step, eps=lambda a: (None, a["eps"][1]))),
        ("keep torch's shapes in the state: row_var (n, 1) and col_var (1, m) (keepdims=True)",
         _with(_adafactor_variant, mistake="flat state")),
    ], crashes=_first_step("step", "row_var", "col_var", example="state.get('step', 0.0)"), pure=_PURE, **EXACT)


def _lion_variant(param, grad, state, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, mistake=None):
    """``lion_update`` with the momentum updated first, without the sign, or with the decay after or as L2."""
    beta1, beta2 = betas
    m = state.get("exp_avg", np.zeros_like(param))
    new_m = beta2 * m + (1 - beta2) * grad
    decay = 1 - lr * weight_decay
    if mistake == "L2":
        grad, decay = grad + weight_decay * param, 1.0
    direction = beta1 * (new_m if mistake == "momentum first" else m) + (1 - beta1) * grad
    step = lr * (direction if mistake == "no sign" else np.sign(direction))
    return (param - step) * decay if mistake == "decay after" else param * decay - step, {"exp_avg": new_m}


def check_lion_update(lion_update_fn) -> None:
    """Exercise 12.4: check ``lion_update(param, grad, state, lr, betas, weight_decay)`` (as ``lion-pytorch``)."""
    rng = np.random.default_rng(4)
    param, m = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    grad = -0.5 * m + rng.normal(size=(2, 3)) * 0.3  # against the momentum: the sign of the mix decides
    run_cases("lion_update", lion_update_fn, lion_update, {  # first the one case where swapped betas change the step
        "a short memory, beta2 = 0.5": (param, -m + 0.1 * grad, {"exp_avg": m}, 0.01, (0.9, 0.5), 0.0),
        "first step (no state)": (param, grad, {}, 0.01, (0.9, 0.99), 0.0),
        "momentum against the gradient": (param, grad, {"exp_avg": m}, 0.01, (0.9, 0.99), 0.0),
        "betas (0.95, 0.98), weight decay 1.0": (param, grad, {"exp_avg": m}, 0.01, (0.95, 0.98), 1.0),
        "weight decay 0.1, a vector": (param[0], grad[1], {"exp_avg": m[1]}, 0.003, (0.9, 0.99), 0.1),
    }, mistakes=[
        ("the momentum is updated before the step; Lion takes the sign of beta1 * OLD exp_avg + (1 - beta1) * "
         "grad, and updates exp_avg (with beta2) afterwards", _with(_lion_variant, mistake="momentum first")),
        ("beta1 and beta2 are swapped: beta1 interpolates this step's direction, beta2 (closer to 1) updates "
         "exp_avg", _with(lion_update, betas=lambda a: a["betas"][::-1])),
        ("exp_avg is updated with beta1; it keeps its memory with beta2: exp_avg = beta2 * exp_avg + (1 - beta2) * "
         "grad (beta1 only mixes this step's direction)", _with(lion_update, betas=lambda a: (a["betas"][0],) * 2)),
        ("the sign is missing: every coordinate moves by exactly lr * sign(beta1 * exp_avg + (1 - beta1) * grad)",
         _with(_lion_variant, mistake="no sign")),
        ("the decay must be multiplied by lr: param * (1 - lr * weight_decay)",
         _with(lion_update, weight_decay=lambda a: a["weight_decay"] / a["lr"])),
        ("the decay comes first: shrink param by (1 - lr * weight_decay), then subtract lr * sign(...)",
         _with(_lion_variant, mistake="decay after")),
        ("this is an L2 penalty (weight_decay * param added to the gradient, then lost in the sign); Lion's "
         "decay is decoupled: param * (1 - lr * weight_decay)", _with(_lion_variant, mistake="L2")),
    ], crashes=_first_step("exp_avg", example="state.get('exp_avg', np.zeros_like(param))"), pure=_PURE, **EXACT)


def reference_schedule_free_step(param, grad, state, step, scheduled_lr, ckp1, betas=(0.9, 0.999), eps=1e-8,
                                 weight_decay=0.0):
    """``schedule_free_adamw_update`` with the weight decay at ``y`` (the exercise's signature)."""
    return schedule_free_adamw_update(param, grad, state, step=step, scheduled_lr=scheduled_lr, ckp1=ckp1,
                                      betas=betas, eps=eps, weight_decay=weight_decay)


def _schedule_free_variant(param, grad, state, step, scheduled_lr, ckp1, betas=(0.9, 0.999), eps=1e-8,
                           weight_decay=0.0, mistake=None):
    """The schedule-free step returning x, averaging the old z, with eps inside the root or the decay at z."""
    beta1, beta2 = betas
    z, x, y = (state.get(key, param) for key in ("z", "x", "y"))
    z = z - scheduled_lr * weight_decay * (z if mistake == "decay at z" else y)
    v = beta2 * state.get("exp_avg_sq", np.zeros_like(param)) + (1 - beta2) * grad * grad
    v_hat = v / (1 - beta2**step)
    new_z = z - scheduled_lr * grad / (np.sqrt(v_hat + eps) if mistake == "eps inside" else np.sqrt(v_hat) + eps)
    x = (1 - ckp1) * x + ckp1 * (z if mistake == "old z" else new_z)
    y = beta1 * x + (1 - beta1) * new_z
    return x if mistake == "returns x" else y, {"z": new_z, "exp_avg_sq": v, "x": x, "y": y}


def check_schedule_free_step(schedule_free_step) -> None:
    """Exercise 12.6: check ``schedule_free_step(param, grad, state, step, scheduled_lr, ckp1, betas, eps,
    weight_decay)``."""
    rng = np.random.default_rng(6)
    param, grads = rng.normal(size=(2, 3)), [rng.normal(size=(2, 3)) for _ in range(3)]
    state, p, lr_max, weight_sum, numbers = {}, param, -1.0, 0.0, []
    for k in range(3):  # lr 0.05 with 2 warm-up steps: the weights of the average differ from step to step
        scheduled_lr, ckp1, lr_max, weight_sum = schedule_free_weights(k, 0.05, 2, 0.0, 2.0, lr_max, weight_sum)
        numbers.append((k + 1, scheduled_lr, ckp1))
        if k < 2:
            p, state = reference_schedule_free_step(p, grads[k], state, *numbers[k], weight_decay=0.1)
    run_cases("schedule_free_step", schedule_free_step, reference_schedule_free_step, {
        "third step, weight decay 0.1": (p, grads[2], state, *numbers[2], (0.9, 0.999), 1e-8, 0.1),
        "third step, betas (0.5, 0.9), no decay": (p, grads[2], state, *numbers[2], (0.5, 0.9), 1e-8, 0.0),
        "tiny gradients (eps matters)": (p, grads[2] * 1e-9, state, *numbers[2], (0.9, 0.999), 1e-8, 0.0),
        "first step (z = x = y = param)": (param, grads[0], {}, *numbers[0]),
        "small gradients, eps = 1e-3": (p, grads[2] * 1e-3, state, *numbers[2], (0.9, 0.999), 1e-3, 0.0),
    }, mistakes=[
        ("the parameter holds y while training (the point where the next gradient is taken); return y, "
         "and keep x in the state for evaluation", _with(_schedule_free_variant, mistake="returns x")),
        ("y interpolates the other way: y = beta1 * x + (1 - beta1) * z",
         _with(reference_schedule_free_step, betas=lambda a: (1 - a["betas"][0], a["betas"][1]))),
        ("ckp1 is the weight of the NEW z in the average: x = (1 - ckp1) * x + ckp1 * z",
         _with(reference_schedule_free_step, ckp1=lambda a: 1 - a["ckp1"])),
        ("x must average the z of THIS step: update z first, then x", _with(_schedule_free_variant, mistake="old z")),
        ("the bias correction of exp_avg_sq is missing: divide by 1 - beta2 ** step before the square root",
         _with(reference_schedule_free_step, step=np.inf)),
        ("eps sits inside the square root; it is added after it: sqrt(v_hat) + eps",
         _with(_schedule_free_variant, mistake="eps inside")),
        ("eps is an argument: add the eps given, sqrt(v_hat) + eps, not 1e-8 written into the formula",
         _with(reference_schedule_free_step, eps=1e-8)),
        ("the weight decay is computed at y (the current parameter), not at z: z = z - scheduled_lr * "
         "weight_decay * y", _with(_schedule_free_variant, mistake="decay at z")),
    ], crashes=_first_step("z", "x", "y", "exp_avg_sq", example="state.get('z', param)"), pure=_PURE, **EXACT)


def reference_newton_schulz(G, steps=5, coefficients=(3.4445, -4.775, 2.0315), eps=1e-7):
    """The textbook Newton-Schulz iteration in ``G``'s dtype (torch runs it in bfloat16)."""
    return _newton_schulz(G, steps, coefficients, eps, bfloat16=False)


def _newton_schulz_variant(G, steps=5, coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, mistake=None):
    """The Newton-Schulz iteration with ``G`` not normalised (``"none"``), divided by its spectral norm or by its
    norm + eps."""
    a, b, c = coefficients
    tall = G.shape[0] > G.shape[1]
    norm = {"none": 1.0, "spectral": max(np.linalg.norm(G, 2), eps), "plus eps": np.linalg.norm(G) + eps}[mistake]
    X = (G.T if tall else G) / norm
    for _ in range(steps):
        gram = X @ X.T
        X = a * X + (b * gram + c * (gram @ gram)) @ X
    return X.T if tall else X


def check_newton_schulz(newton_schulz) -> None:
    """Exercise 12.5: check ``newton_schulz(G, steps, coefficients, eps) -> (A, B) array`` (without bfloat16)."""
    rng = np.random.default_rng(7)
    run_cases("newton_schulz", newton_schulz, reference_newton_schulz, {
        "a wide 3x5 matrix": (rng.normal(size=(3, 5)), 5, (3.4445, -4.775, 2.0315), 1e-7),
        "a square 4x4 matrix": (rng.normal(size=(4, 4)), 5, (3.4445, -4.775, 2.0315), 1e-7),
        "a tall 6x2 matrix, 3 steps": (rng.normal(size=(6, 2)) * 10, 3, (3.4445, -4.775, 2.0315), 1e-7),
        "the cubic iteration (1.5, -0.5, 0), 8 steps": (rng.normal(size=(3, 3)), 8, (1.5, -0.5, 0.0), 1e-7),
        "a zero matrix": (np.zeros((2, 3)), 5, (3.4445, -4.775, 2.0315), 1e-7),
        "a tiny matrix, eps = 1e-3 (larger than its norm)": (rng.normal(size=(2, 3)) * 1e-4, 5,
                                                             (3.4445, -4.775, 2.0315), 1e-3),
    }, mistakes=[
        ("divide G by its Frobenius norm first (np.linalg.norm(G), at least eps): then every singular value is "
         "at most 1, where the polynomial pushes it towards 1", _with(_newton_schulz_variant, mistake="none")),
        ("you divided by the spectral norm (the largest singular value); Muon divides by the Frobenius norm, "
         "np.linalg.norm(G), which is cheaper and gives other numbers",
         _with(_newton_schulz_variant, mistake="spectral")),
        ("you divided by norm(G) + eps (as Keller Jordan's Muon code does); torch divides by max(norm(G), eps), "
         "which leaves G / norm(G) exact", _with(_newton_schulz_variant, mistake="plus eps")),
        ("the coefficients are (a, b, c) of a*X + b*(X X^T) X + c*(X X^T)^2 X; yours look reversed",
         _with(reference_newton_schulz, coefficients=lambda a: a["coefficients"][::-1])),
        ("the c term multiplies (X X^T)^2 = gram @ gram, not gram",  # then a X + (b + c) gram X: the cubic
         _with(reference_newton_schulz, coefficients=lambda a: (a["coefficients"][0], sum(a["coefficients"][1:]), 0))),
        ("a tall G is transposed first, so the result must be transposed back: return X.T, of G's shape",
         lambda G, *args: reference_newton_schulz(G, *args).T if G.shape[0] > G.shape[1] else None),
        ("the loop runs one step short: run exactly `steps` iterations",
         _with(reference_newton_schulz, steps=lambda a: a["steps"] - 1)),
        ("eps is an argument: divide by max(norm(G), eps) with the eps given, not 1e-7 written into the formula",
         _with(reference_newton_schulz, eps=1e-7)),
        ("guard the division: X = G / max(norm(G), eps), so that a zero matrix gives zeros, not nan",
         _with(reference_newton_schulz, eps=0.0)),
    ], crashes=[
        (ValueError, "mismatch", "for a wide X (A <= B), gram = X @ X.T is (A, A); multiply it on the left: "
                                 "gram_update @ X (transpose a tall G first, and back at the end)"),
    ], pure="newton_schulz must not change G.", **EXACT)
