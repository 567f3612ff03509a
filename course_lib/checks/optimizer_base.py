"""Checkers for lesson 04 (the optimizer): ``Optimizer`` bookkeeping and plain SGD.

``sgd_update`` is pure (cases and a table of likely mistakes); ``add_param_group``, ``zero_grad``
and ``SGD.step`` are stateful, run step by step next to ``course_lib.optim``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import is_grad_enabled, no_grad
from ..optim import SGD as ReferenceSGD
from ..tensor import Tensor
from ._core import EXACT, call_student, compare, fail, format_value, report_success, require, run_cases
from ._references import reference_sgd

__all__ = ["check_add_param_group", "check_zero_grad", "check_sgd_update", "check_sgd_step"]


def _tensors(*values) -> list[Tensor]:
    """Float64 leaves that require grad (the checks compare to float64 rounding)."""
    return [Tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in values]


# ------------------------------------------------------------------- Exercise 04.1
def check_add_param_group(optimizer_class: type) -> None:
    """Check ``Optimizer.add_param_group`` (called once per group by the student's ``Optimizer(params,
    defaults)``): a list kept, defaults filled, a single tensor wrapped, no parameter twice."""
    name, defaults = "Optimizer.add_param_group", {"lr": 0.1, "weight_decay": 0.0}
    w, b, c = _tensors([[1.0, 2.0], [3.0, 4.0]], [0.5, -0.5], [2.0])
    setdefault = "fill in only the keys the group leaves out from self.defaults (param_group.setdefault(key, value))."
    # 1. A group whose params come from a generator, as model.parameters() gives them.
    where = "Optimizer([{'params': <generator of w, b>}], defaults={'lr': 0.1, 'weight_decay': 0.0})"
    opt = call_student(optimizer_class, [{"params": (p for p in (w, b))}], dict(defaults), where=where)
    groups = getattr(opt, "param_groups", None)
    group = groups[0] if isinstance(groups, list) and len(groups) == 1 and isinstance(groups[0], dict) else {}
    params = group.get("params")
    require([
        (not group, f"{name}: param_groups is {format_value(groups)}, not a list of one dict.",
         "add_param_group must append the group dict to self.param_groups."),
        (not isinstance(params, list), f"{name}: the group's 'params' is {format_value(params)}, not a list.",
         "you kept the generator that model.parameters() returns; it can be read only once, so the second step() "
         "would see no parameters at all. Store list(param_group['params'])."),
        (lambda: len(params) == 1 and not isinstance(params[0], Tensor), f"{name}: the group's 'params' is a list "
         "that holds the generator itself, not its tensors.", "a generator (model.parameters()) becomes a list of "
         "its tensors with list(...); only a single Tensor is wrapped as [t]."),
        (lambda: len(params) != 2 or params[0] is not w or params[1] is not b, f"{name}: the group's 'params' is not "
         "[w, b], the tensors themselves in that order.", "keep the parameter tensors themselves (not copies): the "
         "optimizer updates them in place."),
        (any(group.get(k, "<missing>") != v for k, v in defaults.items()), f"{name}: the group's options are not "
         f"filled in from defaults {defaults}.", setdefault),
    ], where)
    # 2. Two groups, the first with its own lr, which the default must not overwrite.
    where = "Optimizer([{'params': [w], 'lr': 1.0}, {'params': [b]}], defaults={'lr': 0.1, ...})"
    opt = call_student(optimizer_class, [{"params": [w], "lr": 1.0}, {"params": [b]}], dict(defaults), where=where)
    lrs = [g.get("lr") for g in opt.param_groups]
    compare(lrs, [1.0, 0.1], f"{name}: the groups' learning rates are wrong.", where, mistakes=[
        ("you overwrote the group's own lr with the default (group.update(defaults)); " + setdefault, [0.1, 0.1]),
        ("append every group to self.param_groups; yours keeps only some of them (self.param_groups = [group] "
         "replaces the earlier ones)", lambda got: len(got) != 2),
        ("each group keeps its own options; defaults fill in the rest.", lambda got: True)])
    # 3. A single tensor as a group's params, added later (e.g. a layer unfrozen later).
    where = "add_param_group({'params': c}) with c a single tensor"
    call_student(opt.add_param_group, {"params": c}, where=where,
                 crashes=[(Exception, "", "a single Tensor must be wrapped in a list: [c].")])
    last = opt.param_groups[-1].get("params") if len(opt.param_groups) == 3 else None
    require([(not (isinstance(last, list) and len(last) == 1 and last[0] is c), f"{name}: a single tensor c did not "
              "become a third group holding [c].", "wrap a single Tensor in a list ([c]); list(c) would split it "
              "into its rows.")], where)
    # 4. A parameter already in a group: torch refuses it with ValueError.
    duplicate = "raise ValueError('some parameters appear in more than one parameter group')"
    where = "add_param_group({'params': [w]}) with w already in group 0"
    try:
        call_student(opt.add_param_group, {"params": [w]}, where=where, expect=(ValueError,),
                     crashes=[(Exception, "", f"{duplicate} for a parameter already in a group.")])
    except ValueError:
        require([(len(opt.param_groups) != 3, f"{name}: refusing w, add_param_group still appended its group.",
                  "check for duplicates before appending: a group that raises must not be added.")], where)
        return report_success(name, 4, "checks")
    fail(f"{name}: adding w, which is already in group 0, did not raise.", where, hint=(
         f"the duplicate check is missing; {duplicate}, otherwise w would be updated twice per step."))


# ------------------------------------------------------------------- Exercise 04.2
def check_zero_grad(optimizer_class: type) -> None:
    """Check ``Optimizer.zero_grad``: every group; None by default, zeros in place otherwise."""
    name, (w, b, c) = "Optimizer.zero_grad", _tensors([[1.0, 2.0], [3.0, 4.0]], [0.5, -0.5], [2.0])
    opt = call_student(optimizer_class, [{"params": [w]}, {"params": [b, c]}], {"lr": 0.1},
                       where="Optimizer([{'params': [w]}, {'params': [b, c]}], {'lr': 0.1})")
    setup = "groups [[w], [b, c]]; w.grad = 3s, b.grad = -1s, c.grad = None"
    before = [p._data.copy() for p in (w, b, c)]
    fixes = {True: "with set_to_none=True (the default, as in torch) set p.grad = None.",
             False: "set_to_none=False keeps the gradient tensor and fills it with zeros (p.grad.zero_())."}
    for set_to_none, fix in fixes.items():
        w.grad, b.grad, c.grad = Tensor(np.full(w.shape, 3.0)), Tensor(np.full(b.shape, -1.0)), None
        w_grad, call = w.grad, f"{name}: zero_grad(set_to_none={set_to_none})"
        call_student(opt.zero_grad, set_to_none=set_to_none, where=call, inputs=setup, crashes=[
            (Exception, "NoneType", "skip parameters whose p.grad is None (`if p.grad is None: continue`); torch "
                                    "leaves them None.")])
        left = [(label, p.grad) for p, label in ((w, "w (group 0)"), (b, "b (group 1)"))
                if (p.grad is None) != set_to_none or p.grad is not None and np.any(p.grad._data)]
        label, grad = left[0] if left else ("", None)
        require([
            (any(not np.array_equal(p._data, old) for p, old in zip((w, b, c), before)), f"{call} changed a "
             "parameter itself.", "clear p.grad, never p: p.zero_() zeroes the parameter; use p.grad.zero_()."),
            (len(left) == 1, f"{call} left {label[:1]}.grad = {format_value(grad)}.", f"you cleared only the "
             f"{'first' if label.startswith('b') else 'last'} group; loop over every group in self.param_groups, and "
             "over every p in group['params']."),
            (left, f"{call} left {label} with the gradient {format_value(grad)}, expected "
             f"{'None' if set_to_none else 'zeros'}.", fix),
            (c.grad is not None, f"{call} gave c a gradient, but c.grad was None.",
             "skip parameters whose p.grad is None (torch leaves them None)."),
            (not set_to_none and w.grad is not w_grad, f"{call} replaced w.grad by a new tensor.", "fill the existing "
             "gradient in place with p.grad.zero_(); reusing its memory is the point of set_to_none=False."),
        ], setup)
    report_success(name, 2, "cases")


# ------------------------------------------------------------------- Exercise 04.3
def _on_g(wrong: Callable) -> Callable:
    """A likely mistake written with g = -grad if maximize else grad, in the reference's signature."""
    return lambda p, grad, lr, wd=0.0, maximize=False: wrong(p, -grad if maximize else grad, lr, wd)


SGD_MISTAKES = [
    ("the update has the wrong sign: step against the gradient, param - lr * grad",
     _on_g(lambda p, g, lr, wd: p + lr * (g + wd * p))),
    ("maximize flips the whole update, so weight decay pushes the weights away from zero; "
     "negate only the gradient (g = -grad), then add weight_decay * param",
     lambda p, g, lr, wd=0.0, m=False: p + lr * (g + wd * p) if m else None),
    ("maximize is ignored; with maximize=True use -grad in place of grad",
     lambda p, g, lr, wd=0.0, m=False: p - lr * (g + wd * p) if m else None),
    ("weight decay is missing; add weight_decay * param to the gradient", _on_g(lambda p, g, lr, wd: p - lr * g)),
    ("weight decay has the wrong sign: add weight_decay * param to the gradient, so that the step pulls the "
     "weights toward zero", _on_g(lambda p, g, lr, wd: p - lr * (g - wd * p))),
    ("weight decay is not multiplied by lr; the step is lr * (grad + weight_decay * param)",
     _on_g(lambda p, g, lr, wd: p - lr * g - wd * p)),
    ("the decay term is weight_decay * param; yours adds lr * weight_decay, without param",
     _on_g(lambda p, g, lr, wd: p - lr * (g + lr * wd))),
    ("the decay term is weight_decay * param; yours uses lr * weight_decay * param inside the step, "
     "so lr multiplies it twice", _on_g(lambda p, g, lr, wd: p - lr * (g + lr * wd * p))),
    ("weight decay scales the gradient; it must scale the parameter (weight_decay * param)",
     _on_g(lambda p, g, lr, wd: p - lr * (g + wd * g))),
    ("you returned the step, not the new parameter; return param - lr * g",
     _on_g(lambda p, g, lr, wd: -lr * (g + wd * p))),
]


def check_sgd_update(sgd_update: Callable) -> None:
    """Check ``sgd_update(param, grad, lr, weight_decay=0, maximize=False) -> new param``. The reference is
    ``course_lib.optim.sgd.sgd_update`` without momentum: ``g = -grad if maximize else grad; g = g +
    weight_decay * param; return param - lr * g``. ``param`` must not change: the function returns a new array."""
    rng = np.random.default_rng(4)

    def case(lr, weight_decay, maximize, shape=(2, 3)):
        return (rng.normal(size=shape), rng.normal(size=shape), lr, weight_decay, maximize)

    run_cases("sgd_update", sgd_update, lambda param, grad, lr, weight_decay=0.0, maximize=False: reference_sgd(
        param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize)[0], {
        "plain step": case(0.1, 0.0, False),
        "weight decay (the tutorial's 1e-3, 0.5)": case(1e-3, 0.5, False),
        "maximize with weight decay": case(0.05, 0.2, True),
        "lr = 0 leaves the parameter": case(0.0, 0.3, False, shape=(4,)),
    }, mistakes=SGD_MISTAKES, pure="`param -= ...` changes the caller's array (so does `g += ...` while g is still "
                                   "grad); the exercise asks for new arrays: g = g + weight_decay * param, then "
                                   "return param - lr * g.", **EXACT)


# ------------------------------------------------------------------- Exercise 04.4
def _three_steps(make_optimizer: Callable, step: Callable) -> tuple[list, Any]:
    """The parameters before and after each of three steps with fixed gradients, and the optimizer."""
    w, b, unused = _tensors([[0.5, -1.0], [2.0, 0.0]], [0.3, -0.7], [1.0, 1.0, 1.0])
    opt = make_optimizer([{"params": [w], "lr": 0.1}, {"params": [unused, b], "weight_decay": 0.2, "maximize": True}])
    history = [[w._data.copy(), b._data.copy(), unused._data.copy()]]
    for gw, gb in (([[1.0, -2.0], [0.5, 0.0]], [0.2, 0.4]), ([[0.1, 0.3], [-1.0, 2.0]], [-0.6, 0.1]),
                   ([[-0.4, 0.2], [0.7, -0.3]], [0.5, 0.5])):
        w.grad, b.grad = Tensor(np.array(gw)), Tensor(np.array(gb))
        step(opt)
        history.append([w._data.copy(), b._data.copy(), unused._data.copy()])
    return history, opt


def check_sgd_step(sgd_class: type) -> None:
    """Check the student's ``SGD`` class (its ``step``) against ``course_lib.optim.SGD``. Two param groups with
    their own lr, weight decay and maximize, a parameter without a gradient (before b, in a group with weight decay),
    three steps; then ``step(closure)`` must call the closure and return its loss."""
    name, setup = "SGD.step", ("SGD([{'params': [w], 'lr': 0.1}, {'params': [unused, b], 'weight_decay': 0.2, "
                               "'maximize': True}], lr=0.01, weight_decay=0.5), unused never gets a gradient")
    expected, _ = _three_steps(lambda g: ReferenceSGD(g, lr=0.01, weight_decay=0.5), ReferenceSGD.step)
    got, opt = _three_steps(
        lambda g: call_student(sgd_class, g, lr=0.01, weight_decay=0.5, where=f"{name}: SGD(...)", inputs=setup),
        lambda opt: call_student(opt.step, where=f"{name}: step()", inputs=setup, crashes=[
            (Exception, "NoneType", "a parameter whose p.grad is None has no update: skip it "
                                    "(`if p.grad is None: continue`).")]))
    # The usual wrong answer for groups: every group stepped with the constructor's options.
    ignoring, _ = _three_steps(lambda g: ReferenceSGD([p for grp in g for p in grp["params"]], lr=0.01,
                                                      weight_decay=0.5), ReferenceSGD.step)
    ascending, _ = _three_steps(lambda g: ReferenceSGD([g[0], {**g[1], "maximize": False}], lr=0.01,
                                                       weight_decay=0.5), ReferenceSGD.step)
    labels = ("w (group 0, lr=0.1)", "b (group 1, weight_decay=0.2, maximize=True)", "unused (no gradient)")
    for t in range(1, len(expected)):
        for k, label in enumerate(labels):
            compare(got[t][k], expected[t][k], f"{name}: parameter {label} after step {t}", setup,
                    hint="a parameter whose p.grad is None must be skipped (continue): no step at all, not even "
                         "the weight decay" if k == 2 else None, mistakes=[
                        ("every group was updated with the constructor's options; read lr and weight_decay "
                         "from each group (group['lr']), not from self.defaults", ignoring[t][k]),
                        ("group 1 has maximize=True, and your step descended: pass the group's own "
                         "group['maximize'] on to sgd_update, which then climbs along the gradient", ascending[t][k]),
                        ("only the first group was updated: loop over every group in self.param_groups (a "
                         "`return` inside that loop ends step() after the first group; so does a `break` on "
                         "unused, which comes before b in group 1: skip it with `continue`)",
                         expected[0][k] if t == 1 and k == 1 else None),  # w, in group 0, changed in place
                        ("the parameter did not change: update it in place (p.sub_(...), p.copy_(...)); "
                         "`p = p - ...` only rebinds a local name", expected[0][k] if t == 1 else None),
                        ("compare with p - group['lr'] * (p.grad + group['weight_decay'] * p)", lambda v: True),
                    ], **EXACT)
    calls, w = [], opt.param_groups[0]["params"][0]  # w still has a gradient: step(closure) also updates it
    before = w._data.copy()

    def closure():
        calls.append((is_grad_enabled(), np.array_equal(w._data, before)))
        return 1.25

    with no_grad():  # as step() is often called: the closure must turn gradients back on
        loss = call_student(opt.step, closure, where=f"{name}: step(closure)")
    times = f"{len(calls)} time{'s' if len(calls) != 1 else ''}"
    require([(not calls or loss != 1.25, f"{name}: step(closure) returned {loss!r} and called the closure {times}; "
              "expected the closure's loss 1.25, with the closure called once.", "call the closure first (loss = "
              "closure() if closure is not None else None) and return loss at the end of step()."),
             (lambda: not calls[0][1], f"{name}: step(closure) called the closure after updating the parameters.",
              "call the closure first: it computes the loss and the gradients that this step then uses."),
             (lambda: not calls[0][0], f"{name}: step(closure), called inside torch.no_grad(), ran the closure with "
              "gradients off.", "call the closure inside `with torch.enable_grad():`; it runs a backward pass, "
              "which needs the graph that no_grad() turns off.")], "the closure returns 1.25")
    report_success(name, 4, "checks")
