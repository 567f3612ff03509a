"""Checkers for lesson 06 (adaptive methods): RMSprop, Adam, AMSGrad, AdamW. Each update function of
``course_lib.optim``, ``update(param, grad, state, **options) -> (new_param, new_state)``, runs three steps
next to the library's (float64); the likely mistakes are the run with one change (:func:`_adam_variant`)."""
from __future__ import annotations

import copy
from typing import Any, Callable, Sequence

import numpy as np

from ..optim.adam import adam_update as reference_adam, amsgrad_denominator as amsgrad_reference
from ..optim.adamw import adamw_update as reference_adamw
from ..optim.rmsprop import rmsprop_update as reference_rmsprop
from ._core import call_student, compare, fail, format_value, identical, not_finite, require, run_cases

__all__ = ["check_rmsprop_update", "check_adam_update", "check_amsgrad_denominator", "check_adamw_update"]

_EXACT = dict(rtol=1e-9, atol=1e-15)
_PARAM0 = np.array([0.5, -1.0, 2.0])
_GRADS = [np.array([0.3, -0.2, 1.0]), np.array([0.1, 0.4, -2.0]), np.array([-0.5, 0.05, 0.7])]
_TINY_GRADS = [g * 1e-7 for g in _GRADS]  # here eps (1e-8) is no longer negligible


def _array(value: Any) -> Any:
    """A state value or parameter as float64 numbers (left as it is when it is not numeric)."""
    try:
        return np.array(getattr(value, "_data", value), dtype=np.float64)  # (a Tensor's numbers)
    except (TypeError, ValueError):
        return value


def _check_runs(name: str, update: Callable, reference: Callable, runs, state_keys: Sequence[str],
                mistakes: Callable) -> None:
    """Run ``update`` for three steps per run next to ``reference`` (pure, float64), comparing every step with
    the likely mistakes ``mistakes(what, step, reference run, grads, options)`` (``what``: "param" or a state
    key; ``step`` from 0). The state comes first: a wrong running value makes the parameter wrong too, and
    its own comparison names the mistake where it happens."""
    for grads, options in runs:
        run, param, state = [], _PARAM0.copy(), {}
        for g in grads:
            param, state = reference(param, np.array(g, dtype=np.float64), state, **options)
            run.append((param, {k: _array(v) for k, v in state.items()}))
        param, state = _PARAM0.copy(), {}
        for step, g in enumerate(grads):
            inputs = (f"param = {format_value(param)}, grad = {format_value(g)}, state from the previous steps, "
                      + ", ".join(f"{k} = {v!r}" for k, v in options.items()))
            given, arrays = copy.deepcopy(state), (param.copy(), g.copy())
            out = call_student(update, *arrays, state, where=f"{name} at step {step + 1}", inputs=inputs, **options)
            require([(not (isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[1], dict)),
                      f"{name} returned {format_value(out)} at step {step + 1}, not a pair (new_param, new_state).",
                      "return both: the new parameter and a new state dict under torch's names, e.g. return "
                      "new_param, {'step': step, ...}."),
                     (not identical(given, state), f"{name} changed the state dict it was given (at step "
                      f"{step + 1}).", "build a new dict and return it; leave the one you were given as it was, "
                      "its arrays too: avg = beta * avg + ..., not avg *= beta (the library's update functions are "
                      "pure: arrays in, new arrays out)."),
                     (not identical(arrays, (param, g)), f"{name} changed its param or grad in place (at step "
                      f"{step + 1}).", "`param -= ...`, `param *= ...` or `grad += ...` changes the caller's "
                      "array; build new arrays instead (param - ..., param * (1 - lr * weight_decay), grad + "
                      "weight_decay * param): the library's update functions are pure.")], inputs)
            param, state = _array(out[0]), out[1]
            missing = [key for key in state_keys if key not in state]
            if missing:
                fail(f"{name}: after step {step + 1} the state has no {missing[0]!r}.", inputs, sorted(state),
                     sorted(state_keys), hint=f"keep the running values in state[{missing[0]!r}] (torch's names), "
                     "created on the first step.")
            rows = [(f"state[{key!r}]", key, _array(state[key]), run[step][1][key]) for key in state_keys]
            for what, key, got, expected in rows + [("the parameter", "param", param, run[step][0])]:
                compare(got, expected, f"{name}: {what} after step {step + 1}", inputs,
                        mistakes=mistakes(key, step, run, grads, options), **_EXACT)
    print(f"\u2713 {name}: {len(runs)} runs of 3 steps match {reference.__module__}.{reference.__name__}.")


# ------------------------------------------------------------------- Exercise 06.1
def _step_mistakes(step: int) -> list:
    """The likely wrong ``state['step']`` after ``step`` (from 0)."""
    return [("state['step'] is not incremented: the new state holds state['step'] + 1", float(step)),
            ("state['step'] is one too high: it starts at 0 (state.get('step', 0)) and gains 1 per step", step + 2.0),
            ("state['step'] counts the steps taken so far: 1 after the first step", lambda got: True)]


def _rmsprop_mistakes(what: str, step: int, run: list, grads: list, o: dict) -> list:
    """The likely wrong parameter, ``step`` or ``square_avg`` after ``step``, from the library's ``run`` before it."""
    if what == "step":
        return _step_mistakes(step)
    g, a, s = grads[step], o["alpha"], run[step][1]["square_avg"]
    prev, old = (_PARAM0, 0.0) if step == 0 else (run[step - 1][0], run[step - 1][1]["square_avg"])
    if what == "square_avg":
        return [("alpha and 1 - alpha swapped: square_avg = alpha * square_avg + (1 - alpha) * grad**2",
                 (1 - a) * old + a * g * g),
                ("square_avg starts at zeros (s_0 = 0), so the first one is (1 - alpha) * grad**2; yours started at "
                 "grad * grad", g * g if step == 0 else None),
                ("square the gradient: the average is of grad * grad", a * old + (1 - a) * g)]
    return [("eps sits inside the square root; torch adds it outside: sqrt(square_avg) + eps (the difference "
             "hides beyond the printed digits)", prev - o["lr"] * g / np.sqrt(s + o["eps"])),
            ("the square root is missing: divide by sqrt(square_avg) + eps", prev - o["lr"] * g / (s + o["eps"])),
            ("eps is missing: divide by sqrt(square_avg) + eps (it keeps the step finite when square_avg is 0)",
             prev - o["lr"] * g / np.sqrt(s)),
            ("eps is fixed at 1e-8, its default; use the eps given", prev - o["lr"] * g / (np.sqrt(s) + 1e-8)),
            ("the update has the wrong sign: param - lr * grad / (sqrt(square_avg) + eps)",
             prev + o["lr"] * g / (np.sqrt(s) + o["eps"]))]


def check_rmsprop_update(rmsprop_update: Callable) -> None:
    """Check ``rmsprop_update(param, grad, state, lr, alpha, eps) -> (new_param, new_state)`` (``state``
    empty on the first step, ``"step"`` and ``"square_avg"`` after it) over three steps against the library's
    ``course_lib.optim.rmsprop.rmsprop_update``."""
    _check_runs("rmsprop_update", rmsprop_update, reference_rmsprop, [
        (_GRADS, dict(lr=0.01, alpha=0.99, eps=1e-8)), (_GRADS, dict(lr=0.1, alpha=0.9, eps=1e-8)),
        (_TINY_GRADS, dict(lr=0.01, alpha=0.99, eps=1e-8)),
        (_TINY_GRADS, dict(lr=0.1, alpha=0.9, eps=1e-6))], ["step", "square_avg"], _rmsprop_mistakes)


# ------------------------------------------------------------------- Exercises 06.2 and 06.4
def _adam_variant(grads, lr, betas, eps, weight_decay=0.0, decoupled=False, mistake=None) -> list:
    """The parameters after each step of Adam (or AdamW) computed with one usual ``mistake``."""
    b1, b2 = betas[::-1] if mistake == "betas swapped" else betas
    eps = 1e-8 if mistake == "eps fixed" else eps
    p, m, v, history = _PARAM0.copy(), np.zeros(3), np.zeros(3), []
    with np.errstate(divide="ignore", invalid="ignore"):
        for step, g in enumerate(grads, start=1):
            t = {"step starts at 0": step - 1, "step starts at 2": step + 1}.get(mistake, step)
            if weight_decay and mistake != "no weight decay":
                if not decoupled or mistake == "L2 instead of decoupled":
                    g = g + weight_decay * p if mistake != "weight decay after moments" else g
                elif mistake != "decay after the step":
                    p = {"decay without lr": p * (1 - weight_decay),
                         "decay with grad": p - lr * weight_decay * g}.get(mistake, p * (1 - lr * weight_decay))
            m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
            bc1 = 1.0 if mistake in ("no bias correction", "no bias correction 1") else 1 - b1**t
            bc2 = 1.0 if mistake in ("no bias correction", "no bias correction 2") else 1 - b2**t
            denom = {"eps inside sqrt": np.sqrt(v / bc2 + eps), "eps before bias correction": (np.sqrt(v) + eps) /
                     np.sqrt(bc2)}.get(mistake, np.sqrt(v) / np.sqrt(bc2) + eps)
            update = lr * (m / bc1) / denom + (lr * weight_decay * p if mistake == "weight decay after moments" else 0)
            p = p + update if mistake == "sign" else p - update
            p = p * (1 - lr * weight_decay) if decoupled and mistake == "decay after the step" else p
            history.append(p)
    return history


ADAM_HINTS = {
    "step starts at 0": "the step counter is used before it is incremented (t = 0 on the first step, so "
                        "1 - beta**t = 0); add 1 to state['step'] first, the first step is t = 1",
    "step starts at 2": "the step counter starts at 1 and is incremented before use (t = 2 on the first step); "
                        "start it at 0 and add 1 before using it",
    "no bias correction": "bias correction is missing; divide exp_avg by 1 - beta1**t and exp_avg_sq by 1 - beta2**t",
    "no bias correction 1": "the bias correction of exp_avg (1 - beta1**t) is missing",
    "no bias correction 2": "the bias correction of exp_avg_sq (1 - beta2**t) is missing",
    "eps inside sqrt": "eps sits inside the square root; torch adds it outside: sqrt(v_hat) + eps (the difference "
                       "hides beyond the printed digits)",
    "eps before bias correction": "eps is added before the bias correction; torch computes sqrt(exp_avg_sq) / "
                                  "sqrt(1 - beta2**t) + eps",
    "betas swapped": "beta1 and beta2 swapped: betas = (beta1 for exp_avg, beta2 for exp_avg_sq)",
    "eps fixed": "eps is fixed at 1e-8, its default; use the eps given",
    "sign": "the update has the wrong sign: param - lr * m_hat / denom",
    "weight decay after moments": "weight decay is added to the update after the moments; in Adam it is added to "
                                  "the gradient first (grad + weight_decay * param)",
    "no weight decay": "weight decay is missing",
}
ADAMW_HINTS = {  # then the mistakes it shares with Adam
    "L2 instead of decoupled": "this is Adam's L2 penalty (weight_decay * param added to the gradient); AdamW decays "
                               "the parameter itself: param * (1 - lr * weight_decay), and Adam then runs without it",
    "decay without lr": "the decay is not multiplied by lr; AdamW shrinks by (1 - lr * weight_decay)",
    "decay with grad": "the decay subtracts lr * weight_decay * grad; AdamW decays the PARAMETER: "
                       "param * (1 - lr * weight_decay), before the Adam step",
    "decay after the step": "the decay is applied after the Adam step; torch shrinks the parameter first, then "
                            "applies the Adam step",
    "eps fixed": "eps is not passed on: adam_update used its default 1e-8; pass every option on: "
                 "adam_update(param, grad, state, lr, betas, eps, weight_decay=0.0)",
    **{m: ADAM_HINTS[m] for m in ("no weight decay", "step starts at 0", "no bias correction", "eps inside sqrt")},
}


def _adam_mistakes(hints: dict, decoupled: bool) -> Callable:
    """The likely wrong parameter (the run with one mistake of ``hints``) or state value ``what`` after ``step``."""
    def rows(what, step, run, grads, options):
        if what == "param":
            first = [(ADAM_HINTS["step starts at 0"], not_finite)] if step == 0 else []
            return first + [(hint, _adam_variant(grads, decoupled=decoupled, mistake=m, **options)[step])
                            for m, hint in hints.items()]
        if what == "step":
            return _step_mistakes(step)
        (b1, b2), lr, wd = options["betas"], options["lr"], options.get("weight_decay", 0.0)
        prev_p, prev = (_PARAM0, 0.0) if step == 0 else (run[step - 1][0], run[step - 1][1][what])
        squared = what == "exp_avg_sq"
        (beta, other), name = ((b2, b1), "grad * grad") if squared else ((b1, b2), "grad")

        def avg(g, beta=beta):  # the running average of g (its square for exp_avg_sq) with this beta
            return beta * prev + (1 - beta) * (g * g if squared else g)

        g = grads[step] if decoupled or not wd else grads[step] + wd * prev_p
        corrected = (f"state[{what!r}] holds the bias-corrected value" if step else f"state[{what!r}] is {name} "
                     f"itself: either it holds the bias-corrected value, or the average started at {name}, not zeros")
        return [
            (f"{corrected}; keep the raw running average in the state and divide by 1 - beta**t into a new variable "
             "each step", run[step][1][what] / (1 - beta ** (step + 1))),
            ("beta and 1 - beta swapped: avg = beta * avg + (1 - beta) * new", avg(g, 1 - beta)),
            ("beta1 and beta2 swapped: exp_avg uses beta1, exp_avg_sq uses beta2", avg(g, other)),
            ("betas are fixed at their defaults (0.9, 0.999); use the betas given (in AdamW: pass them on to "
             "adam_update)", avg(g, 0.999 if squared else 0.9)),
            ("exp_avg_sq averages the SQUARED gradient: grad * grad", b2 * prev + (1 - b2) * g if squared else None),
            ("weight decay is not in the gradient: add weight_decay * param to grad before updating the averages",
             avg(grads[step]) if wd and not decoupled else None),
            (ADAMW_HINTS["L2 instead of decoupled"], avg(grads[step] + wd * prev_p) if wd and decoupled else None),
            ("weight decay is applied twice: after the shrink, call adam_update with weight_decay=0 (AdamW keeps "
             "the decay out of the gradient)", avg(grads[step] + wd * (1 - lr * wd) * prev_p) if wd and decoupled
             else None),
            (f"state[{what!r}] is the running average torch keeps", lambda got: True)]
    return rows


def check_adam_update(adam_update: Callable) -> None:
    """Check ``adam_update(param, grad, state, lr, betas, eps, weight_decay) -> (new_param, new_state)``
    (``state`` empty on the first step; ``step``, ``exp_avg``, ``exp_avg_sq`` after it; the state given is
    never changed) over three steps against the library's ``course_lib.optim.adam.adam_update``."""
    _check_runs("adam_update", adam_update, reference_adam, [
        (_GRADS, dict(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)),
        (_GRADS, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-8, weight_decay=0.1)),
        (_TINY_GRADS, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)),
        (_TINY_GRADS, dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.0)),
    ], ("step", "exp_avg", "exp_avg_sq"), _adam_mistakes(ADAM_HINTS, False))


def check_adamw_update(adamw_update: Callable) -> None:
    """Check ``adamw_update(param, grad, state, lr, betas, eps, weight_decay) -> (new_param, new_state)``
    over three steps against the library's ``course_lib.optim.adamw.adamw_update`` (decoupled decay)."""
    _check_runs("adamw_update", adamw_update, reference_adamw, [
        (_GRADS, dict(lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.5)),
        (_GRADS, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)),
        (_TINY_GRADS, dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ], ("step", "exp_avg", "exp_avg_sq"), _adam_mistakes(ADAMW_HINTS, True))


# ------------------------------------------------------------------- Exercise 06.3
def _pair(denom: Callable | None = None, maximum: Callable | None = None) -> Callable:
    """A likely mistake in the denominator, or in the new maximum next to a right denominator; a wrong
    denominator that is the right one here (the maximum of zeros and exp_avg_sq is exp_avg_sq) says nothing."""
    def row(v, mx, t, b2, eps):
        bc, right = np.sqrt(1 - b2**t), amsgrad_reference(v, mx, t, b2, eps)[0]
        wrong_denom = denom(v, mx, bc, np.maximum(mx, v), eps) if denom else right
        if denom and maximum is None and np.allclose(wrong_denom, right, **_EXACT):
            return None
        return lambda got: (isinstance(got, (tuple, list)) and len(got) == 2
                            and np.allclose(got[0], wrong_denom, **_EXACT)
                            and (maximum is None or np.allclose(got[1], maximum(v, mx, bc**2), **_EXACT)))
    return row


AMSGRAD_MISTAKES = [
    ("return both values as a pair: (denom, new_max_exp_avg_sq); the new maximum is the state AMSGrad keeps for the "
     "next step", lambda *args: lambda got: not isinstance(got, (tuple, list)) or len(got) != 2),
    ("the maximum is taken of the bias-corrected exp_avg_sq; torch keeps the maximum of the raw exp_avg_sq and "
     "applies the correction after: sqrt(max) / sqrt(1 - beta2**step)",
     lambda v, mx, t, b2, eps: lambda got: np.allclose(got[1], np.maximum(mx, v / (1 - b2**t)), **_EXACT)),
    ("the maximum is not updated: return maximum(max_exp_avg_sq, exp_avg_sq) as the new maximum",
     _pair(maximum=lambda v, mx, bc2: mx)),
    ("the new maximum is exp_avg_sq itself; it must be the elementwise maximum of the old maximum and exp_avg_sq "
     "(np.maximum, not max)", _pair(maximum=lambda v, mx, bc2: v)),
    ("the running maximum is not used: take max_exp_avg_sq = maximum(max_exp_avg_sq, exp_avg_sq) and divide by its "
     "square root", _pair(lambda v, mx, bc, new, eps: np.sqrt(v) / bc + eps)),
    ("the pair is (denom, new_max_exp_avg_sq), in that order", lambda *args: amsgrad_reference(*args)[::-1]),
    ("np.minimum keeps the smaller value; AMSGrad keeps the larger one: np.maximum(max_exp_avg_sq, exp_avg_sq)",
     _pair(lambda v, mx, bc, new, eps: np.sqrt(np.minimum(mx, v)) / bc + eps, lambda v, mx, bc2: np.minimum(mx, v))),
    ("the old maximum is used; update it with the new exp_avg_sq first",
     _pair(lambda v, mx, bc, new, eps: np.sqrt(mx) / bc + eps)),
    ("eps sits inside the square root; torch adds it outside",
     _pair(lambda v, mx, bc, new, eps: np.sqrt(new / bc**2 + eps))),
    ("the bias correction sqrt(1 - beta2**step) is missing", _pair(lambda v, mx, bc, new, eps: np.sqrt(new) + eps)),
    ("the bias correction must divide by sqrt(1 - beta2**step), not by 1 - beta2**step",
     _pair(lambda v, mx, bc, new, eps: np.sqrt(new) / bc**2 + eps)),
]


def check_amsgrad_denominator(amsgrad_denominator: Callable) -> None:
    """Check ``amsgrad_denominator(exp_avg_sq, max_exp_avg_sq, step, beta2, eps) -> (denom,
    new_max_exp_avg_sq)`` against torch's AMSGrad formula."""
    run_cases("amsgrad_denominator", amsgrad_denominator, amsgrad_reference, {
        "first step (max starts at zeros)": (np.array([0.04, 1e-3, 0.25]), np.zeros(3), 1, 0.999, 1e-8),
        "exp_avg_sq fell below the maximum": (np.array([0.01, 2e-3, 0.5]), np.array([0.04, 1e-3, 0.25]), 5, 0.999,
                                              1e-8),
        "large eps": (np.array([0.2, 0.3]), np.array([0.1, 0.6]), 3, 0.9, 0.1),
    }, mistakes=AMSGRAD_MISTAKES, **_EXACT, crashes=[(ValueError, "ambiguous", "Python's max compares whole arrays; "
                                                      "take the elementwise np.maximum(max_exp_avg_sq, exp_avg_sq).")],
        pure="np.maximum(..., out=max_exp_avg_sq) (torch's in-place form) changes the caller's array; return a new "
             "one: np.maximum(max_exp_avg_sq, exp_avg_sq).")
