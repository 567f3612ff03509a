"""Checkers for lesson 05 (momentum): the momentum buffer, Nesterov, and the other conventions.

References: ``course_lib.optim.sgd.sgd_update`` for torch's form; for the two other
conventions the lesson compares against, the formulas below (each a one-liner):

* Sutskever et al. (2013): ``v = momentum * v - lr * grad; param = param + v``;
* moving average: ``avg = beta * avg + (1 - beta) * grad; param = param - lr * avg``,
  both starting from a zero buffer.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._core import ExerciseError, call_student, run_cases
from .optimizer_base import _first_match, _reference_sgd

__all__ = [
    "check_momentum_buffer_update",
    "check_sgd_momentum_update",
    "check_sutskever_update",
    "check_ema_momentum_update",
]

_EXACT = dict(rtol=1e-9, atol=1e-12)


def _rng_case(rng: np.random.Generator, shape=(3,)) -> np.ndarray:
    return np.round(rng.normal(size=shape), 3)


# ------------------------------------------------------------------- Exercise 05.1
def _buffer_reference(buf: np.ndarray | None, grad: np.ndarray, momentum: float,
                      dampening: float) -> np.ndarray:
    """torch's buffer: a copy of grad on the first step, then momentum*buf + (1-dampening)*grad."""
    return _reference_sgd(np.zeros_like(grad), grad, buf, lr=0.0, momentum=momentum,
                          dampening=dampening)[1]


def _buffer_diagnose(inputs: dict, got: Any, expected: Any) -> str | None:
    buf, g = inputs["buf"], np.asarray(inputs["grad"])
    mu, d = inputs["momentum"], inputs["dampening"]
    if buf is None:
        return _first_match(got, [
            ("dampening applied on the first step: torch starts the buffer as a plain copy of "
             "grad (buf = grad.copy()), no (1 - dampening) factor", (1 - d) * g),
            ("on the first step the buffer is just grad; momentum has nothing to multiply yet",
             mu * g),
            ("the moving-average form (1 - momentum) * grad; torch starts with buf = grad",
             (1 - mu) * g),
        ]) or "when buf is None (the first step) return a copy of grad"
    buf = np.asarray(buf)
    return _first_match(got, [
        ("dampening is ignored; the gradient's weight is (1 - dampening)", mu * buf + g),
        ("dampening is used as the gradient's weight; it should be (1 - dampening)",
         mu * buf + d * g),
        ("this is the moving-average form (1 - momentum) * grad; torch weighs the gradient "
         "by (1 - dampening)", mu * buf + (1 - mu) * g),
        ("momentum multiplies the gradient instead of the old buffer", buf + mu * g),
        ("momentum and dampening swapped", d * buf + (1 - mu) * g),
    ])


def check_momentum_buffer_update(momentum_buffer_update: Callable) -> None:
    """Check ``momentum_buffer_update(buf, grad, momentum, dampening) -> new buf``.

    torch's rule: on the first step (``buf is None``) the buffer is a copy of ``grad`` (no
    dampening); afterwards ``momentum * buf + (1 - dampening) * grad``.
    """
    # The first buffer must be a copy: a buffer that *is* the gradient array changes with it.
    # Checked first, so that a wrong answer never follows the success line.
    grad = np.array([1.0, 2.0])
    buf = call_student(momentum_buffer_update, None, grad, 0.9, 0.0)
    if buf is grad or (isinstance(buf, np.ndarray) and np.shares_memory(buf, grad)):
        raise ExerciseError(
            "momentum_buffer_update: on the first step your buffer is the gradient array itself.\n"
            "  likely mistake: return grad.copy(); otherwise the next backward() (or an in-place "
            "update of the buffer) changes both."
        )
    rng = np.random.default_rng(5)
    g = _rng_case(rng)
    run_cases("momentum_buffer_update", momentum_buffer_update, _buffer_reference, {
        "first step (buf is None)": (None, g, 0.9, 0.0),
        "first step with dampening": (None, g, 0.9, 0.5),
        "later step": (_rng_case(rng), _rng_case(rng), 0.9, 0.0),
        "later step with dampening": (_rng_case(rng), _rng_case(rng), 0.9, 0.1),
        "2-D parameter": (_rng_case(rng, (2, 2)), _rng_case(rng, (2, 2)), 0.5, 0.5),
    }, diagnose=_buffer_diagnose, **_EXACT)


# ------------------------------------------------------------------- Exercise 05.2
def _momentum_reference(param, grad, buf, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                        nesterov=False, maximize=False):
    return _reference_sgd(param, grad, buf, lr=lr, momentum=momentum, dampening=dampening,
                          weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)


def _momentum_diagnose(inputs: dict, got: Any, expected: Any) -> str | None:
    p, g, buf = np.asarray(inputs["param"]), np.asarray(inputs["grad"]), inputs["buf"]
    lr, mu, d = inputs["lr"], inputs["momentum"], inputs["dampening"]
    wd, nesterov, maximize = inputs["weight_decay"], inputs["nesterov"], inputs["maximize"]
    s = -1.0 if maximize else 1.0
    got_param = got[0] if isinstance(got, (tuple, list)) and got else got
    if mu == 0 and isinstance(got, (tuple, list)) and len(got) == 2 and got[1] is not None:
        if _first_match(got_param, [("", expected[0])]) is not None:
            return "with momentum = 0 there is no buffer: return (new_param, None)"

    def buffer_of(grad_used):
        return grad_used.copy() if buf is None else mu * np.asarray(buf) + (1 - d) * grad_used

    full = s * g + wd * p              # the gradient torch feeds the buffer
    raw = buffer_of(s * g)             # buffer built before weight decay was added
    new = buffer_of(full)
    return _first_match(got_param, [
        ("Nesterov steps along the buffer alone; it should step along grad + momentum * buf "
         "(with the new buf)" + (" (without dampening the buffer alone equals grad + momentum * "
                                 "OLD buf: update buf first, then use it)" if buf is not None and d == 0
                                 else ""), p - lr * new if nesterov else None),
        ("Nesterov uses the old buffer; update buf first, then use grad + momentum * buf",
         p - lr * (full + mu * np.asarray(buf)) if nesterov and buf is not None else None),
        ("weight decay added after momentum instead of before: add weight_decay * param to the "
         "gradient first, then update the buffer with it",
         p - lr * ((full + mu * raw) if nesterov else (raw + wd * p)) if wd else None),
        ("the update has the wrong sign (or maximize flips the weight decay too): negate only "
         "the gradient when maximize=True, then step param - lr * direction",
         p + lr * (buffer_of(g + wd * p) if not nesterov
                   else g + wd * p + mu * buffer_of(g + wd * p))),
        ("maximize negates only the gradient; you negated the weight decay term too. Use "
         "g = -grad, then g = g + weight_decay * param",
         p - lr * ((s * g - wd * p) + mu * buffer_of(s * g - wd * p) if nesterov and mu
                   else buffer_of(s * g - wd * p) if mu else s * g - wd * p)
         if maximize and wd else None),
        ("weight decay is missing; add weight_decay * param to the gradient, before the buffer",
         _reference_sgd(p, g, buf, lr=lr, momentum=mu, dampening=d, nesterov=nesterov,
                        maximize=maximize)[0] if wd else None),
        ("maximize is ignored; with maximize=True start from -grad",
         _reference_sgd(p, g, buf, lr=lr, momentum=mu, dampening=d, weight_decay=wd,
                        nesterov=nesterov)[0] if maximize else None),
        ("momentum is ignored; step along the buffer, not the raw gradient",
         p - lr * full if mu else None),
        ("Nesterov is ignored; with nesterov=True step along grad + momentum * buf",
         p - lr * new if nesterov else None),
    ])


def check_sgd_momentum_update(sgd_momentum_update: Callable) -> None:
    """Check ``sgd_momentum_update(param, grad, buf, lr, momentum, dampening, weight_decay,
    nesterov, maximize) -> (new_param, new_buf)`` against ``course_lib.optim.sgd.sgd_update``.
    """
    rng = np.random.default_rng(6)

    def case(buf, lr, momentum, dampening=0.0, weight_decay=0.0, nesterov=False,
             maximize=False):
        return (_rng_case(rng), _rng_case(rng), buf, lr, momentum, dampening, weight_decay,
                nesterov, maximize)

    run_cases("sgd_momentum_update", sgd_momentum_update, _momentum_reference, {
        "no momentum (buffer stays None)": case(None, 0.1, 0.0),
        "first step": case(None, 0.1, 0.9),
        "later step": case(_rng_case(rng), 0.1, 0.9),
        "dampening": case(_rng_case(rng), 0.1, 0.9, dampening=0.3),
        "weight decay": case(_rng_case(rng), 0.1, 0.9, weight_decay=0.5),
        "Nesterov, first step": case(None, 0.1, 0.9, nesterov=True),
        "Nesterov, later step": case(_rng_case(rng), 0.1, 0.9, nesterov=True),
        "Nesterov with weight decay": case(_rng_case(rng), 0.05, 0.8, weight_decay=0.2,
                                           nesterov=True),
        "maximize with weight decay": case(_rng_case(rng), 0.1, 0.9, weight_decay=0.5,
                                           maximize=True),
    }, diagnose=_momentum_diagnose, **_EXACT)


# ------------------------------------------------------------------- Exercise 05.3
def sutskever_reference(param: np.ndarray, grad: np.ndarray, velocity: np.ndarray | None,
                        lr: float, momentum: float) -> tuple[np.ndarray, np.ndarray]:
    """Sutskever et al. (2013): ``v = momentum * v - lr * grad; param = param + v`` (v0 = 0)."""
    velocity = np.zeros_like(grad) if velocity is None else np.asarray(velocity)
    velocity = momentum * velocity - lr * np.asarray(grad)
    return np.asarray(param) + velocity, velocity


def _sutskever_diagnose(inputs: dict, got: Any, expected: Any) -> str | None:
    p, g, lr, mu = np.asarray(inputs["param"]), np.asarray(inputs["grad"]), inputs["lr"], inputs["momentum"]
    v = np.zeros_like(g) if inputs["velocity"] is None else np.asarray(inputs["velocity"])
    got_param = got[0] if isinstance(got, (tuple, list)) and got else got
    param_right = _first_match(got_param, [("right", expected[0])]) is not None
    if isinstance(got, (tuple, list)) and len(got) == 2 and param_right and got[1] is not None:
        return _first_match(got[1], [
            ("your new parameter is right but the velocity has the opposite sign: in this form v "
             "points downhill, v = momentum * v - lr * grad, and the step is param + v",
             -expected[1]),
            ("your velocity is torch's buffer (momentum * v + grad); in this form v includes the "
             "step size: v = momentum * v - lr * grad", mu * v + g),
        ])
    return _first_match(got_param, [
        ("the update has the wrong sign: in this form the velocity points downhill, "
         "v = momentum * v - lr * grad, and param = param + v", p + mu * v + lr * g),
        ("the update has the wrong sign: in this form the velocity points downhill, "
         "v = momentum * v - lr * grad, and param = param + v", p - (mu * v - lr * g)),
        ("lr is applied twice (param + lr * v); the velocity already holds lr",
         p + lr * (mu * v - lr * g)),
        ("this is torch's form (v = momentum * v + grad; param - lr * v)", p - lr * (mu * v + g)),
    ])


def check_sutskever_update(sutskever_update: Callable) -> None:
    """Check ``sutskever_update(param, grad, velocity, lr, momentum) -> (param, velocity)``."""
    rng = np.random.default_rng(7)
    run_cases("sutskever_update", sutskever_update, sutskever_reference, {
        "first step (velocity is None)": (_rng_case(rng), _rng_case(rng), None, 0.1, 0.9),
        "later step": (_rng_case(rng), _rng_case(rng), _rng_case(rng), 0.1, 0.9),
        "another lr": (_rng_case(rng), _rng_case(rng), _rng_case(rng), 0.02, 0.5),
    }, diagnose=_sutskever_diagnose, **_EXACT)


# ------------------------------------------------------------------- Exercise 05.4
def ema_momentum_reference(param: np.ndarray, grad: np.ndarray, avg: np.ndarray | None,
                           lr: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """Moving-average momentum: ``avg = beta * avg + (1 - beta) * grad; param - lr * avg``."""
    avg = np.zeros_like(grad) if avg is None else np.asarray(avg)
    avg = beta * avg + (1 - beta) * np.asarray(grad)
    return np.asarray(param) - lr * avg, avg


def _ema_diagnose(inputs: dict, got: Any, expected: Any) -> str | None:
    p, g, lr, b = np.asarray(inputs["param"]), np.asarray(inputs["grad"]), inputs["lr"], inputs["beta"]
    a0 = inputs["avg"]
    a = np.zeros_like(g) if a0 is None else np.asarray(a0)
    got_param = got[0] if isinstance(got, (tuple, list)) and got else got
    return _first_match(got_param, [
        ("beta and 1 - beta swapped: the old average keeps the weight beta",
         p - lr * (b * g + (1 - b) * a) if a0 is not None else p - lr * b * g),
        ("the average starts from zeros in this form, so the first average is (1 - beta) * grad; "
         "starting it at grad is torch's buffer convention", p - lr * g if a0 is None else None),
        ("the update has the wrong sign: param - lr * avg", p + lr * (b * a + (1 - b) * g)),
        ("the (1 - beta) factor is missing: that is torch's form",
         p - lr * (b * a + g)),
    ])


def check_ema_momentum_update(ema_momentum_update: Callable) -> None:
    """Check ``ema_momentum_update(param, grad, avg, lr, beta) -> (param, avg)``."""
    rng = np.random.default_rng(8)
    run_cases("ema_momentum_update", ema_momentum_update, ema_momentum_reference, {
        "first step (avg is None)": (_rng_case(rng), _rng_case(rng), None, 0.1, 0.9),
        "later step": (_rng_case(rng), _rng_case(rng), _rng_case(rng), 0.1, 0.9),
        "beta = 0.5": (_rng_case(rng), _rng_case(rng), _rng_case(rng), 0.3, 0.5),
    }, diagnose=_ema_diagnose, **_EXACT)
