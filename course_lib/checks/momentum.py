"""Checkers for lesson 05 (momentum): torch's buffer and ``sgd_update`` (``course_lib.optim.sgd``), and two
other conventions from a zero start: Sutskever et al. (2013), ``v = momentum * v - lr * grad; param + v``, and
the moving average, ``avg = beta * avg + (1 - beta) * grad; param - lr * avg``."""
from __future__ import annotations

import inspect
from types import SimpleNamespace
from typing import Callable

import numpy as np

from ..optim.sgd import momentum_buffer_update as _buffer_reference, sgd_update as _sgd_reference
from ._core import EXACT, allclose, call_student, fail, require, rounded_normal as _rng_case, run_cases

__all__ = ["check_momentum_buffer_update", "check_sgd_momentum_update", "check_sutskever_update",
           "check_ema_momentum_update"]


def _mistake(wrong: Callable, reference: Callable) -> Callable:
    """A likely mistake with the reference's signature, its state (3rd argument) zeros when None (the first
    step); its value a tuple (the whole answer), a function (a predicate) or the new parameter alone, which
    is skipped where it is the right one (on a first step, several wrong rules give the right parameter)."""
    def row(param, grad, state, *options):
        value = wrong(param, grad, np.zeros_like(grad) if state is None else state, *options)
        if value is None or callable(value) or isinstance(value, tuple):
            return value
        if allclose(value, reference(param, grad, state, *options)[0], **EXACT):
            return None
        return lambda got: allclose(got[0] if isinstance(got, (tuple, list)) and got else got, value, **EXACT)
    return row


# ------------------------------------------------------------------- Exercise 05.1
BUFFER_MISTAKES = [  # a later-step formula raises on the first step (buf is None): not that mistake
    ("dampening applied on the first step: torch starts the buffer as a plain copy of grad (buf = grad.copy()), "
     "no (1 - dampening) factor", lambda b, g, mu, d: (1 - d) * g if b is None else None),
    ("on the first step the buffer is just grad; momentum has nothing to multiply yet",
     lambda b, g, mu, d: mu * g if b is None else None),
    ("the moving-average form (1 - momentum) * grad; torch starts with buf = grad",
     lambda b, g, mu, d: (1 - mu) * g if b is None else None),
    ("when buf is None (the first step) return a copy of grad",
     lambda b, g, mu, d: (lambda got: True) if b is None else None),
    ("dampening is ignored; the gradient's weight is (1 - dampening)", lambda b, g, mu, d: mu * b + g),
    ("dampening is used as the gradient's weight; it should be (1 - dampening)", lambda b, g, mu, d: mu * b + d * g),
    ("this is the moving-average form (1 - momentum) * grad; torch weighs the gradient by (1 - dampening)",
     lambda b, g, mu, d: mu * b + (1 - mu) * g),
    ("momentum multiplies the gradient instead of the old buffer", lambda b, g, mu, d: b + mu * g),
    ("momentum and dampening swapped", lambda b, g, mu, d: d * b + (1 - mu) * g),
]


def check_momentum_buffer_update(momentum_buffer_update: Callable) -> None:
    """Check ``momentum_buffer_update(buf, grad, momentum, dampening) -> new buf``: torch's copy of ``grad`` on the
    first step (``buf is None``, no dampening), afterwards ``momentum * buf + (1 - dampening) * grad``."""
    # The first buffer must be a copy: a buffer that *is* the gradient array changes with it.
    grad = np.array([1.0, 2.0])
    buf = call_student(momentum_buffer_update, None, grad, 0.9, 0.0,
                       where="momentum_buffer_update(None, grad, 0.9, 0.0)")
    if buf is grad or (isinstance(buf, np.ndarray) and np.shares_memory(buf, grad)):
        fail("momentum_buffer_update: on the first step your buffer is the gradient array itself.",
             "buf = None, grad = [1. 2.], momentum = 0.9, dampening = 0.0", hint=(
             "return grad.copy(); otherwise the next backward() (or an in-place update of the buffer) changes both."))
    rng = np.random.default_rng(5)
    g = _rng_case(rng)
    run_cases("momentum_buffer_update", momentum_buffer_update, _buffer_reference, {
        "first step (buf is None)": (None, g, 0.9, 0.0),
        "first step with dampening": (None, g, 0.9, 0.5),
        "later step": (_rng_case(rng), _rng_case(rng), 0.9, 0.0),
        "later step with dampening": (_rng_case(rng), _rng_case(rng), 0.9, 0.1),
        "2-D parameter": (_rng_case(rng, (2, 2)), _rng_case(rng, (2, 2)), 0.5, 0.5),
    }, mistakes=BUFFER_MISTAKES, **EXACT, pure="`buf *= momentum` (or `buf += ...`) changes the caller's buffer, "
        "in sgd_update the one in `state`; return a new array: momentum * buf + (1 - dampening) * grad.")


# ------------------------------------------------------------------- Exercise 05.2
def _sgd_mistake(wrong: Callable) -> Callable:
    """A likely mistake in sgd_update's new parameter (or whole answer): ``wrong(c)``, ``c`` the inputs by name,
    ``c.buf`` the old buffer and ``c.ref(**changed)`` the reference's answer with some inputs changed."""
    def value(*args):
        inputs = dict(zip(inspect.signature(_sgd_reference).parameters, args))
        return wrong(SimpleNamespace(**inputs, buf=inputs["state"].get("momentum_buffer"),
                                     ref=lambda **changed: _sgd_reference(**{**inputs, **changed})))
    return _mistake(value, _sgd_reference)


SGD_MISTAKES = [
    ("with momentum = 0 torch keeps no state: return (new_param, {})", _sgd_mistake(
        lambda c: None if c.momentum else lambda got: isinstance(got, tuple) and len(got) == 2
        and (not isinstance(got[1], dict) or bool(got[1])) and allclose(got[0], c.ref()[0], **EXACT))),
    ("the state keeps the buffer under torch's key: return (new_param, {'momentum_buffer': new_buf})", _sgd_mistake(
        lambda c: lambda got: isinstance(got, (tuple, list)) and len(got) == 2 and isinstance(got[1], dict)
        and bool(got[1]) and "momentum_buffer" not in got[1])),
    ("on the first step (no 'momentum_buffer' in state) the buffer is a plain copy of g, without the (1 - dampening) "
     "factor: buf = momentum_buffer_update(state.get('momentum_buffer'), g, momentum, dampening), not a buffer "
     "started from zeros", _sgd_mistake(lambda c: c.ref(state={"momentum_buffer": 0 * c.grad})[0]
                                        if c.buf is None and c.momentum and c.dampening else None)),
    ("with momentum = 0 the step still uses g: start from -grad when maximize=True, add weight_decay * param, "
     "then return (param - lr * g, {})", _sgd_mistake(lambda c: c.ref(weight_decay=0.0, maximize=False)[0]
                                                      if not c.momentum and c.weight_decay and c.maximize else None)),
    ("Nesterov steps along the buffer alone (or nesterov is ignored); it should step along grad + momentum * buf "
     "(with the new buf)", _sgd_mistake(lambda c: c.ref(nesterov=False)[0] if c.nesterov else None)),
    ("Nesterov uses the OLD buf: update buf first, then step along grad + momentum * buf", _sgd_mistake(
        lambda c: c.ref(momentum=0.0)[0] - c.lr * c.momentum * c.buf if c.nesterov and c.buf is not None else None)),
    ("weight decay added after momentum instead of before: add weight_decay * param to the gradient first",
     _sgd_mistake(lambda c: (c.ref(weight_decay=0.0)[0] - c.lr * c.weight_decay * c.param,
                             c.ref(weight_decay=0.0)[1]) if c.weight_decay else None)),  # a buffer without decay
    ("the update has the wrong sign (or maximize flips the weight decay too): negate only the gradient when "
     "maximize=True, then step param - lr * direction", _sgd_mistake(lambda c: 2 * c.param - c.ref(maximize=False)[0])),
    ("maximize negates only the gradient; you negated the weight decay term too. Use g = -grad, then "
     "g = g + weight_decay * param", _sgd_mistake(lambda c: c.ref(
         grad=-c.grad, weight_decay=-c.weight_decay, maximize=False)[0] if c.maximize and c.weight_decay else None)),
    ("weight decay is missing; add weight_decay * param to the gradient, before the buffer",
     _sgd_mistake(lambda c: c.ref(weight_decay=0.0)[0] if c.weight_decay else None)),
    ("maximize is ignored; with maximize=True start from -grad",
     _sgd_mistake(lambda c: c.ref(maximize=False)[0] if c.maximize else None)),
    ("Nesterov's direction uses g, the gradient after weight decay (and maximize), not the raw grad: "
     "g + momentum * buf", _sgd_mistake(lambda c: c.ref()[0] + c.lr * (
         (-c.grad if c.maximize else c.grad) + c.weight_decay * c.param - c.grad) if c.nesterov else None)),
    ("the buffer holds raw gradients (buf = g on the first step) and lr multiplies the whole buffer in the step, "
     "param - lr * buf; yours has lr inside the buffer", _sgd_mistake(lambda c: lambda got: c.buf is None
        and c.momentum and isinstance(got, (tuple, list)) and len(got) == 2 and isinstance(got[1], dict)
        and allclose(got[1].get("momentum_buffer"), c.lr * c.ref()[1]["momentum_buffer"], **EXACT))),
    ("momentum is ignored; step along the buffer, not the raw gradient",
     _sgd_mistake(lambda c: c.ref(momentum=0.0)[0] if c.momentum else None)),
]


def check_sgd_momentum_update(sgd_update: Callable) -> None:
    """Check ``sgd_update(param, grad, state, lr, momentum, dampening, weight_decay, nesterov, maximize) -> (new_param,
    new_state)`` against the library's own (``state``: ``{}`` or ``{"momentum_buffer": buf}``, never changed in place).
    Nesterov with dampening (SGD refuses it, the rule allows it) tells the old-buffer mistake from buffer-alone."""
    rng = np.random.default_rng(6)

    def case(buf, lr, momentum, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
        state = {} if buf is None else {"momentum_buffer": buf}
        return (_rng_case(rng), _rng_case(rng), state, lr, momentum, dampening, weight_decay, nesterov, maximize)

    crashes = [(KeyError, "momentum_buffer", "before the first step the state is empty: start the buffer from "
                                              "a copy of grad (state.get('momentum_buffer') is None)."),
               (TypeError, "NoneType", "there is no buffer before the first step: update the buffer first (a copy "
                                       "of grad), then use the NEW buf, grad + momentum * buf for Nesterov.")]
    grad, inputs = np.array([1.0, 2.0]), "param = [0. 0.], grad = [1. 2.], state = {}, lr = 0.1, momentum = 0.9"
    out = call_student(sgd_update, np.zeros(2), grad, {}, 0.1, 0.9, 0.0, 0.0, False, False, crashes=crashes,
                       where="sgd_update on a first step", inputs=inputs)  # its buffer must be a copy of grad
    require([(isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict) and any(
        np.shares_memory(v, grad) for v in out[1].values() if isinstance(v, np.ndarray)),
        "sgd_update: on the first step your momentum_buffer is the gradient array itself.",
        "start it from a copy: momentum_buffer_update(None, g, ...) returns g.copy(); otherwise the next backward() "
        "(or an in-place update of the buffer) changes both.")], inputs)
    run_cases("sgd_update", sgd_update, _sgd_reference, {
        "no momentum (no state kept)": case(None, 0.1, 0.0),
        "first step": case(None, 0.1, 0.9),
        "first step with dampening": case(None, 0.1, 0.9, dampening=0.3),
        "later step": case(_rng_case(rng), 0.1, 0.9),
        "dampening": case(_rng_case(rng), 0.1, 0.9, dampening=0.3),
        "weight decay": case(_rng_case(rng), 0.1, 0.9, weight_decay=0.5),
        "Nesterov, first step": case(None, 0.1, 0.9, nesterov=True),
        "Nesterov with dampening": case(_rng_case(rng), 0.1, 0.9, dampening=0.3, nesterov=True),
        "Nesterov, later step": case(_rng_case(rng), 0.1, 0.9, nesterov=True),
        "Nesterov with weight decay": case(_rng_case(rng), 0.05, 0.8, weight_decay=0.2, nesterov=True),
        "maximize with weight decay": case(_rng_case(rng), 0.1, 0.9, weight_decay=0.5, maximize=True),
        "no momentum, with weight decay and maximize": case(None, 0.1, 0.0, weight_decay=0.5, maximize=True),
    }, mistakes=SGD_MISTAKES, crashes=crashes, **EXACT,
        pure="leave `state` and `grad` as they are: compute new arrays (g = g + weight_decay * param, not g += ...; "
             "momentum * buf + ..., not buf *= ...) and return a new dict: {'momentum_buffer': new_buf} (the "
             "library's update functions are pure).")


# ------------------------------------------------------------------- Exercise 05.3
def sutskever_reference(param: np.ndarray, grad: np.ndarray, velocity: np.ndarray | None,
                        lr: float, momentum: float) -> tuple[np.ndarray, np.ndarray]:
    """Sutskever et al. (2013): ``v = momentum * v - lr * grad; param = param + v`` (v0 = 0)."""
    velocity = momentum * (0.0 if velocity is None else np.asarray(velocity)) - lr * np.asarray(grad)
    return np.asarray(param) + velocity, velocity


SUTSKEVER_MISTAKES = [  # (the velocity v is zero on the first step only)
    ("your new parameter is right but the velocity has the opposite sign: v = momentum * v - lr * grad points "
     "downhill, and the step is param + v", lambda p, g, v, lr, mu: (p + mu * v - lr * g, lr * g - mu * v)),
    ("your velocity is torch's buffer (momentum * v + grad); in this form v includes the step size: "
     "v = momentum * v - lr * grad", lambda p, g, v, lr, mu: (p + mu * v - lr * g, mu * v + g)),
    ("the velocity starts at zero in Sutskever's form, so the first v is -lr * grad; starting it at the "
     "gradient is torch's rule for its buffer",
     lambda p, g, v, lr, mu: None if v.any() else (p + mu * g - lr * g, mu * g - lr * g)),
    ("the update has the wrong sign: in this form the velocity points downhill, v = momentum * v - lr * grad, "
     "and param = param + v", lambda p, g, v, lr, mu: p + mu * v + lr * g),
    ("the update has the wrong sign: in this form the velocity points downhill, v = momentum * v - lr * grad, "
     "and param = param + v", lambda p, g, v, lr, mu: p - (mu * v - lr * g)),
    ("lr is applied twice (param + lr * v); the velocity already holds lr",
     lambda p, g, v, lr, mu: p + lr * (mu * v - lr * g)),
    ("this is torch's form (v = momentum * v + grad; param - lr * v)", lambda p, g, v, lr, mu: p - lr * (mu * v + g)),
]


def check_sutskever_update(sutskever_update: Callable) -> None:
    """Check ``sutskever_update(param, grad, velocity, lr, momentum) -> (param, velocity)``."""
    rng = np.random.default_rng(7)
    run_cases("sutskever_update", sutskever_update, sutskever_reference, {
        "first step (velocity is None)": (_rng_case(rng), _rng_case(rng), None, 0.1, 0.9),
        "later step": (_rng_case(rng), _rng_case(rng), _rng_case(rng), 0.1, 0.9),
        "another lr": (_rng_case(rng), _rng_case(rng), _rng_case(rng), 0.02, 0.5),
    }, mistakes=[(hint, _mistake(wrong, sutskever_reference)) for hint, wrong in SUTSKEVER_MISTAKES], **EXACT,
        pure="`param += velocity` (or `velocity *= momentum`) changes the caller's array; return new ones: velocity "
             "= momentum * velocity - lr * grad, then param + velocity (a loop that keeps every position, "
             "path.append(param), would otherwise hold one array many times).")


# ------------------------------------------------------------------- Exercise 05.4
def ema_momentum_reference(param: np.ndarray, grad: np.ndarray, avg: np.ndarray | None,
                           lr: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """Moving-average momentum: ``avg = beta * avg + (1 - beta) * grad; param - lr * avg``."""
    avg = beta * (0.0 if avg is None else np.asarray(avg)) + (1 - beta) * np.asarray(grad)
    return np.asarray(param) - lr * avg, avg


EMA_MISTAKES = [  # (the average a is zero on the first step only)
    ("beta and 1 - beta swapped: the old average keeps the weight beta",
     lambda p, g, a, lr, b: p - lr * (b * g + (1 - b) * a)),
    ("the average starts from zeros in this form, so the first average is (1 - beta) * grad; starting it "
     "at grad is torch's buffer convention", lambda p, g, a, lr, b: None if a.any() else (p - lr * g, g)),
    ("the update has the wrong sign: param - lr * avg", lambda p, g, a, lr, b: p + lr * (b * a + (1 - b) * g)),
    ("the (1 - beta) factor is missing: that is torch's form",
     lambda p, g, a, lr, b: (p - lr * (b * a + g), b * a + g)),
]


def check_ema_momentum_update(ema_momentum_update: Callable) -> None:
    """Check ``ema_momentum_update(param, grad, avg, lr, beta) -> (param, avg)``."""
    rng = np.random.default_rng(8)
    run_cases("ema_momentum_update", ema_momentum_update, ema_momentum_reference, {
        "first step (avg is None)": (_rng_case(rng), _rng_case(rng), None, 0.1, 0.9),
        "later step": (_rng_case(rng), _rng_case(rng), _rng_case(rng), 0.1, 0.9),
        "beta = 0.5": (_rng_case(rng), _rng_case(rng), _rng_case(rng), 0.3, 0.5),
    }, mistakes=[(hint, _mistake(wrong, ema_momentum_reference)) for hint, wrong in EMA_MISTAKES], **EXACT,
        pure="`param -= lr * avg` (or `avg *= beta`) changes the caller's array; return new ones: avg = beta * avg "
             "+ (1 - beta) * grad, then param - lr * avg (a loop that keeps every position, path.append(param), "
             "would otherwise hold one array many times).")
