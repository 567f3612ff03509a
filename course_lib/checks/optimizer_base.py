"""Checkers for lesson 04 (the optimizer): ``Optimizer`` bookkeeping and plain SGD.

Each ``check_*`` runs the student's code next to the reference in ``course_lib.optim`` on a
few cases (edge cases included), prints one line when everything agrees, and otherwise
raises :class:`~course_lib.checks._core.ExerciseError` saying what was expected, what came
back, on which input, and the likely mistake. Likely mistakes are found by computing the
usual wrong answers and seeing which one the student's result equals.

The helpers at the top (``_call``, ``_first_match``, ``_tensor``, ...) are shared by
``checks/momentum.py`` and ``checks/adaptive.py``.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from ._core import (
    ExerciseError,
    allclose,
    assert_close,
    call_student,
    format_value,
    report_success,
    run_cases,
)

__all__ = [
    "check_add_param_group",
    "check_zero_grad",
    "check_sgd_update",
    "check_sgd_step",
]


# ---------------------------------------------------------------------------- helpers
def _call(fn: Callable, name: str, *args: Any, where: str = "", hint: str | None = None,
          **kwargs: Any) -> Any:
    """Run the student's ``fn``: a stub becomes a friendly ExerciseError; a crash keeps the
    student's traceback, with a note saying which case it was (and the likely mistake)."""
    try:
        return call_student(fn, *args, **kwargs)
    except ExerciseError:
        raise
    except Exception as error:
        note = f"(while checking {name}" + (f" on {where})" if where else ")")
        text = str(error)
        if "ambiguous" in text:
            # `p in some_list` and `p == q` compare tensors element by element.
            hint = ("`p in a_list` (and `==`) compare tensors element by element; compare the "
                    "objects themselves with `is`, or their id(p)")
        elif "in-place operation" in text and "leaf" in text:
            hint = ("update the parameters inside `with torch.no_grad():`, so that the update "
                    "itself is not recorded")
        if hint:
            note += f"\nlikely mistake: {hint}"
        error.add_note(note)
        raise


def _first_match(got: Any, wrong_answers: Iterable[tuple[str, Any]]) -> str | None:
    """The explanation of the first usual wrong answer that ``got`` equals, else None."""
    for explanation, wrong in wrong_answers:
        if wrong is not None and allclose(got, wrong, rtol=1e-9, atol=1e-12):
            return explanation
    if got is not None:
        try:
            if not np.all(np.isfinite(np.asarray(getattr(got, "_data", got), dtype=float))):
                return "your result holds nan or inf: look for a division by zero"
        except (TypeError, ValueError):
            pass
    return None


def _text(**values: Any) -> str:
    """``name = value`` pairs, arrays shortened, for the 'inputs:' line of a message."""
    return ", ".join(f"{k} = {format_value(v)}" for k, v in values.items())


def _tensor(values: Sequence | np.ndarray) -> Tensor:
    """A float64 leaf that requires grad (the checks compare to float64 rounding)."""
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


def _reference_sgd(param, grad, buf=None, *, lr, momentum=0.0, dampening=0.0,
                   weight_decay=0.0, nesterov=False, maximize=False):
    """``(new_param, new_buf)`` from course_lib.optim.sgd.sgd_update (a pure function)."""
    from ..optim.sgd import sgd_update

    state = {} if buf is None else {"momentum_buffer": np.asarray(buf, dtype=np.float64)}
    new_param, new_state = sgd_update(
        np.asarray(param, dtype=np.float64), np.asarray(grad, dtype=np.float64), state, lr=lr,
        momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
        maximize=maximize,
    )
    return new_param, new_state.get("momentum_buffer")


# ------------------------------------------------------------------- Exercise 04.1
def _three_params() -> list[Tensor]:
    return [_tensor([[1.0, 2.0], [3.0, 4.0]]), _tensor([0.5, -0.5]), _tensor([2.0])]


def _fail(name: str, what: str, hint: str) -> ExerciseError:
    return ExerciseError(f"{name}: {what}\n  likely mistake: {hint}")


def check_add_param_group(optimizer_class: type) -> None:
    """Check ``Optimizer.add_param_group``: a list kept, defaults filled, no parameter twice.

    Args:
        optimizer_class: the student's ``Optimizer``; its ``__init__(params, defaults)``
            calls ``add_param_group`` once per group.
    """
    name = "Optimizer.add_param_group"
    w, b, c = _three_params()
    defaults = {"lr": 0.1, "weight_decay": 0.0}

    # 1. A group whose params come from a generator, as model.parameters() gives them.
    where = "Optimizer([{'params': <generator of w, b>}], defaults={'lr': 0.1, 'weight_decay': 0.0})"
    opt = _call(optimizer_class, name, [{"params": (p for p in (w, b))}], dict(defaults), where=where)
    groups = getattr(opt, "param_groups", None)
    if not isinstance(groups, list) or len(groups) != 1 or not isinstance(groups[0], dict):
        raise _fail(name, f"after {where} param_groups is {groups!r}, expected a list of one dict.",
                    "add_param_group must append the group dict to self.param_groups.")
    params = groups[0].get("params")
    if not isinstance(params, list):
        raise _fail(
            name, f"after {where} the group's 'params' is a {type(params).__name__}, expected a list.",
            "you kept the generator that model.parameters() returns; it can be read only once, so "
            "the second step() would see no parameters at all. Store list(param_group['params']).")
    if len(params) != 2 or params[0] is not w or params[1] is not b:
        raise _fail(
            name, f"after {where} the group's 'params' holds {len(params)} item(s), expected w and b, "
            "the same objects in the same order.",
            "keep the parameter tensors themselves (not copies): the optimizer updates them in place.")
    for key, value in defaults.items():
        if groups[0].get(key, "<missing>") != value:
            raise _fail(
                name, f"after {where} the group's {key!r} is {groups[0].get(key, '<missing>')!r}, "
                f"expected {value!r} from defaults.",
                "fill every option the group does not set from self.defaults "
                "(param_group.setdefault(key, value)).")

    # 2. Two groups, the first with its own lr, which the default must not overwrite.
    where = "Optimizer([{'params': [w], 'lr': 1.0}, {'params': [b]}], defaults={'lr': 0.1, ...})"
    opt = _call(optimizer_class, name, [{"params": [w], "lr": 1.0}, {"params": [b]}],
                dict(defaults), where=where)
    lrs = [g.get("lr") for g in opt.param_groups]
    if lrs != [1.0, 0.1]:
        hint = ("you overwrote the group's own lr with the default (group.update(defaults)); "
                "fill in only the keys the group leaves out (param_group.setdefault(key, value))"
                if lrs == [0.1, 0.1] else "each group keeps its own options; defaults fill the rest")
        raise _fail(name, f"after {where} the groups' lr are {lrs}, expected [1.0, 0.1].", hint)

    # 3. A single tensor as a group's params, added later (e.g. a layer unfrozen later).
    _call(opt.add_param_group, name, {"params": c}, where="add_param_group({'params': c})",
          hint="a single Tensor must be wrapped in a list: [c]")
    last = opt.param_groups[-1].get("params") if len(opt.param_groups) == 3 else None
    if not (isinstance(last, list) and len(last) == 1 and last[0] is c):
        raise _fail(
            name, f"add_param_group({{'params': c}}) with c a single tensor gave params {last!r}, "
            "expected [c] in a third group.",
            "wrap a single Tensor in a list ([c]); list(c) would split it into its rows.")

    # 4. A parameter already in a group: torch refuses it with ValueError.
    try:
        call_student(opt.add_param_group, {"params": [w]})
    except ExerciseError:
        raise
    except ValueError:
        pass
    except Exception as error:  # noqa: BLE001 - explained below
        raise _fail(
            name, f"adding w, already in group 0, raised {type(error).__name__}: {error}; "
            "expected ValueError.",
            "raise ValueError('some parameters appear in more than one parameter group').") from None
    else:
        raise _fail(
            name, "adding w, which is already in group 0, did not raise.",
            "the duplicate check is missing; raise ValueError('some parameters appear in more than "
            "one parameter group'), otherwise w would be updated twice per step.")
    report_success(name, 4, "checks")


# ------------------------------------------------------------------- Exercise 04.2
def check_zero_grad(optimizer_class: type) -> None:
    """Check ``Optimizer.zero_grad``: every group; None by default, zeros in place otherwise."""
    name = "Optimizer.zero_grad"
    w, b, c = _three_params()
    opt = _call(optimizer_class, name, [{"params": [w]}, {"params": [b, c]}], {"lr": 0.1},
                where="Optimizer([{'params': [w]}, {'params': [b, c]}], {'lr': 0.1})")
    setup = "optimizer with groups [[w], [b, c]]; w.grad = 3s, b.grad = -1s, c.grad = None"

    def fill_grads():
        w.grad = Tensor(np.full(w.shape, 3.0))
        b.grad = Tensor(np.full(b.shape, -1.0))
        c.grad = None  # a parameter that took no part in the loss has no gradient

    fill_grads()
    before = [p._data.copy() for p in (w, b, c)]
    _call(opt.zero_grad, name, where="zero_grad()",
          hint="skip parameters whose p.grad is None (`if p.grad is None: continue`)")
    for p, label in ((w, "w (group 0)"), (b, "b (group 1)")):
        if p.grad is not None:
            hint = ("you cleared only the first group; loop over every group in "
                    "self.param_groups, and over every p in group['params']"
                    if p is b and w.grad is None else
                    "with set_to_none=True (the default, as in torch) set p.grad = None")
            raise _fail(name, f"{setup}; after zero_grad() the gradient of {label} is "
                        f"{format_value(p.grad)}, expected None.", hint)
    for p, old, label in zip((w, b, c), before, "wbc"):
        if not np.array_equal(p._data, old):
            raise _fail(name, f"zero_grad() changed the parameter {label} itself.",
                        "clear p.grad, never p.")

    fill_grads()
    w_grad = w.grad
    _call(opt.zero_grad, name, set_to_none=False, where="zero_grad(set_to_none=False)",
          hint="skip parameters whose p.grad is None (`if p.grad is None: continue`)")
    for p, old, label in zip((w, b, c), before, "wbc"):
        if not np.array_equal(p._data, old):
            raise _fail(name, f"zero_grad(set_to_none=False) changed the parameter {label} itself.",
                        "zero the gradient in place, p.grad.zero_(); p.zero_() zeroes the parameter.")
    for p, label in ((w, "w (group 0)"), (b, "b (group 1)")):
        if p.grad is None or not np.array_equal(p.grad._data, np.zeros(p.shape)):
            raise _fail(
                name, f"{setup}; after zero_grad(set_to_none=False) the gradient of {label} is "
                f"{format_value(p.grad)}, expected zeros of shape {tuple(p.shape)}.",
                "set_to_none=False keeps the gradient tensor and fills it with zeros "
                "(p.grad.zero_())" if p.grad is None or p is w or w.grad is not None else
                "you cleared only the first group; loop over every group")
    if c.grad is not None:
        raise _fail(name, "zero_grad(set_to_none=False) gave c a gradient, but c.grad was None.",
                    "skip parameters whose p.grad is None (torch leaves them None).")
    if w.grad is not w_grad:
        raise _fail(name, "zero_grad(set_to_none=False) replaced w.grad by a new tensor.",
                    "fill the existing gradient in place with p.grad.zero_(); reusing its memory "
                    "is the point of set_to_none=False.")
    report_success(name, 2, "cases")


# ------------------------------------------------------------------- Exercise 04.3
def _sgd_reference(param, grad, lr, weight_decay=0.0, maximize=False):
    return _reference_sgd(param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize)[0]


def _sgd_diagnose(inputs: dict, got: Any, expected: Any) -> str | None:
    p, g = np.asarray(inputs["param"]), np.asarray(inputs["grad"])
    lr, wd, maximize = inputs["lr"], inputs.get("weight_decay", 0.0), inputs.get("maximize", False)
    s = -1.0 if maximize else 1.0
    return _first_match(got, [
        ("the update has the wrong sign: step against the gradient, param - lr * grad",
         p + lr * (s * g + wd * p)),
        ("maximize flips the whole update, so weight decay pushes the weights away from zero; "
         "negate only the gradient (g = -grad), then add weight_decay * param",
         p + lr * (g + wd * p) if maximize else None),
        ("maximize is ignored; with maximize=True use -grad in place of grad",
         p - lr * (g + wd * p) if maximize else None),
        ("weight decay is missing; add weight_decay * param to the gradient",
         p - lr * s * g if wd else None),
        ("weight decay is not multiplied by lr; the step is lr * (grad + weight_decay * param)",
         p - lr * s * g - wd * p if wd else None),
        ("weight decay scales the gradient; it must scale the parameter (weight_decay * param)",
         p - lr * (s * g + wd * s * g) if wd else None),
        ("you returned the step, not the new parameter; return param - lr * g",
         -lr * (s * g + wd * p)),
    ])


def check_sgd_update(sgd_update: Callable) -> None:
    """Check ``sgd_update(param, grad, lr, weight_decay=0, maximize=False) -> new param``.

    The reference is ``course_lib.optim.sgd.sgd_update`` without momentum:
    ``g = -grad if maximize else grad; g = g + weight_decay * param; return param - lr * g``.
    """
    rng = np.random.default_rng(4)

    def case(lr, weight_decay, maximize, shape=(2, 3)):
        return (rng.normal(size=shape), rng.normal(size=shape), lr, weight_decay, maximize)

    run_cases("sgd_update", sgd_update, _sgd_reference, {
        "plain step": case(0.1, 0.0, False),
        "weight decay (the tutorial's 1e-3, 0.5)": case(1e-3, 0.5, False),
        "maximize with weight decay": case(0.05, 0.2, True),
        "lr = 0 leaves the parameter": case(0.0, 0.3, False, shape=(4,)),
    }, diagnose=_sgd_diagnose, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------- Exercise 04.4
_GRADS = [
    (np.array([[1.0, -2.0], [0.5, 0.0]]), np.array([0.2, 0.4])),
    (np.array([[0.1, 0.3], [-1.0, 2.0]]), np.array([-0.6, 0.1])),
    (np.array([[-0.4, 0.2], [0.7, -0.3]]), np.array([0.5, 0.5])),
]
_SGD_SETUP = ("SGD([{'params': [w], 'lr': 0.1}, {'params': [b, unused], 'weight_decay': 0.0}], "
              "lr=0.01, weight_decay=0.5), unused never gets a gradient")


def _two_groups():
    w = _tensor([[0.5, -1.0], [2.0, 0.0]])
    b = _tensor([0.3, -0.7])
    unused = _tensor([1.0, 1.0, 1.0])
    return w, b, unused, [{"params": [w], "lr": 0.1}, {"params": [b, unused], "weight_decay": 0.0}]


def _three_steps(make_optimizer: Callable, step: Callable):
    """The parameters after each of three steps with fixed gradients."""
    w, b, unused, groups = _two_groups()
    opt = make_optimizer(groups)
    history = []
    for gw, gb in _GRADS:
        w.grad, b.grad = Tensor(gw.copy()), Tensor(gb.copy())
        step(opt)
        history.append([w._data.copy(), b._data.copy(), unused._data.copy()])
    return history, opt


def check_sgd_step(sgd_class: type) -> None:
    """Check the student's ``SGD`` class (its ``step``) against ``course_lib.optim.SGD``.

    Two param groups with their own lr and weight decay, a parameter without a gradient,
    three steps; then ``step(closure)`` must call the closure and return its loss.
    """
    from ..optim import SGD as ReferenceSGD

    name = "SGD.step"
    expected, _ = _three_steps(lambda g: ReferenceSGD(g, lr=0.01, weight_decay=0.5),
                               lambda opt: opt.step())
    got, opt = _three_steps(
        lambda g: _call(sgd_class, name, g, lr=0.01, weight_decay=0.5, where=_SGD_SETUP),
        lambda opt: _call(opt.step, name, where=_SGD_SETUP + ", step()",
                          hint="a parameter whose p.grad is None has no update: skip it"))
    # The usual wrong answer for groups: every group stepped with the constructor's options.
    ignoring, _ = _three_steps(lambda g: ReferenceSGD([p for grp in g for p in grp["params"]],
                                                      lr=0.01, weight_decay=0.5),
                               lambda opt: opt.step())
    initial = [t._data.copy() for t in _two_groups()[:3]]
    labels = ("w (group 0, lr=0.1)", "b (group 1, weight_decay=0)", "unused (no gradient)")
    for t in range(len(_GRADS)):
        for k, label in enumerate(labels):
            if allclose(got[t][k], expected[t][k], rtol=1e-9, atol=1e-12):
                continue
            if k == 2:
                hint = "a parameter whose p.grad is None must be skipped (continue)"
            elif allclose(got[t][k], ignoring[t][k], rtol=1e-9, atol=1e-12):
                hint = ("every group was updated with the constructor's options; read lr and "
                        "weight_decay from each group (group['lr']), not from self.defaults")
            elif t == 0 and np.array_equal(got[t][k], initial[k]):
                hint = ("the parameter did not change: update it in place (p.sub_(...), "
                        "p.copy_(...)); `p = p - ...` only rebinds a local name")
            else:
                hint = "compare with p - group['lr'] * (p.grad + group['weight_decay'] * p)"
            assert_close(got[t][k], expected[t][k], f"{name}: parameter {label} after step {t + 1}",
                         inputs=_SGD_SETUP, hint=hint, rtol=1e-9, atol=1e-12)

    calls = []

    def closure():
        calls.append(1)
        return 1.25

    with no_grad():
        loss = _call(opt.step, name, closure, where="step(closure)")
    if not calls or loss != 1.25:
        raise _fail(name, f"step(closure) returned {loss!r} and called the closure {len(calls)} "
                    "time(s); expected the closure's loss 1.25, closure called once.",
                    "call the closure first (loss = closure() if closure is not None else None) "
                    "and return loss at the end of step().")
    report_success(name, 4, "checks")
