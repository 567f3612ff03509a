"""Checks for lesson 03 (gradient descent by hand): ``manual_sgd_step`` does what ``SGD(params, lr).step()`` does,
``zero_grads`` what ``zero_grad()`` does (``p.grad = None``), ``train_linear`` what the loop with ``SGD`` does."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..creation import tensor, zeros
from ..optim import SGD
from ..tensor import Tensor
from ._core import call_student, compare, fail, format_value, identical, report_success

__all__ = ["check_manual_sgd_step", "check_zero_grads", "check_train_linear", "reference_train_linear"]

_NAMES = ["w", "unused (grad None)", "b"]  # the unused one in the middle: `return` where `continue` is meant shows
_SKIP_NONE = (Exception, "NoneType", "a parameter that took no part in the loss has `.grad` None: skip it "
                                     "(`if p.grad is None: continue`), as torch's optimizers do.")
_APPEND = (AttributeError, "no attribute 'append'", "list.append changes the list in place and returns None: write "
                                                   "`losses.append(loss.item())`, not `losses = losses.append(...)`.")
_REBOUND = (TypeError, "NoneType", "a .grad is None here, yet w and b both take part in the loss: the name w (or b) "
                                   "no longer points to the leaf you created. `w = w - lr * w.grad` makes a NEW tensor "
                                   "(a result, whose .grad stays None) and rebinds the name; update the leaves in "
                                   "place with manual_sgd_step([w, b], lr). (If the None comes from manual_sgd_step, "
                                   "it must skip such parameters: `if p.grad is None: continue`.)")
_NO_GRAPH = (RuntimeError, "does not require grad", "the loss has no graph: neither w nor b requires grad here. "
                                                    "Either they were created without requires_grad=True, or a "
                                                    "rebinding such as `w = w - lr * w.grad` inside torch.no_grad() "
                                                    "replaced them with NEW tensors that do not require grad: update "
                                                    "the leaves in place with manual_sgd_step([w, b], lr).")
_ASSIGN_NONE = (Exception, "NoneType", "a parameter that took no part in the loss has `.grad` None, and "
                                       "p.grad.zero_() fails on it; set `p.grad = None` for every parameter "
                                       "instead: that works whether it had a gradient or not.")


def _params_with_grads() -> list[Tensor]:
    """Three parameters: two with gradients and, between them, one whose ``.grad`` is None (unused in the loss)."""
    w, b, unused = (tensor(v, requires_grad=True) for v in ([[0.5], [-1.0], [2.0]], [0.25], [1.0, 1.0]))
    w.grad, b.grad = tensor([[1.0], [-2.0], [0.5]]), tensor([4.0])
    return [w, unused, b]


def check_manual_sgd_step(manual_sgd_step: Callable) -> None:
    """Check ``manual_sgd_step(params, lr)`` (``p <- p - lr * p.grad`` in place) against ``SGD(params, lr).step()``
    for two learning rates; one parameter has no gradient, and the gradients and the leaves must stay as they were."""
    for lr in (0.1, 0.5):
        params, reference, before = _params_with_grads(), _params_with_grads(), _params_with_grads()
        SGD(reference, lr=lr).step()
        where = f"manual_sgd_step(params, lr={lr})"
        call_student(manual_sgd_step, params, lr, where=where, crashes=[_SKIP_NONE])
        for index, (name, p, ref, old) in enumerate(zip(_NAMES, params, reference, before)):
            if not p.is_leaf or not p.requires_grad:
                fail(f"after {where}, parameter {name} is no longer a leaf that requires grad.",
                     hint="do the update inside `with torch.no_grad():` and in place (p.sub_(lr * p.grad)), "
                          "so the parameter stays the same leaf.")
            grad = np.zeros_like(old._data) if old.grad is None else old.grad._data  # no gradient: no step
            compare(p._data, ref._data, f"{where}: parameter {name} (p - lr * p.grad)",
                    f"{name} = {format_value(old)} with grad {format_value(old.grad)}", mistakes=[
                        (f"{_NAMES[0]} was updated but {name} was not: is there a `return` (or `break`) inside your "
                         "loop? `continue` skips one parameter; `return` ends the whole step.",
                         old._data if index else None),
                        ("your update did not change the parameter object. `p = p - lr * p.grad` makes a NEW "
                         "tensor and only rebinds the name p; change the existing tensor in place with "
                         "p.sub_(lr * p.grad).", old._data),
                        ("you added the gradient: that climbs the loss. Gradient DEscent subtracts lr * grad.",
                         old._data + lr * grad),
                        ("you forgot the learning rate: subtract lr * p.grad, not p.grad.", old._data - grad),
                    ], rtol=1e-6, atol=1e-7)
            if not identical(p.grad, old.grad):
                zeroed = p.grad is None or not np.any(p.grad._data)
                fail(f"{where} changed the gradient of parameter {name}.", got=p.grad, expected=old.grad,
                     hint="a step only updates the parameters; zeroing the gradients is a separate job "
                          "(zero_grads below, optimizer.zero_grad() in torch)." if zeroed else
                          "your step changed p.grad in place (`p.grad *= lr` or p.grad.mul_(lr) scales the "
                          "gradient itself): compute `lr * p.grad`, a new tensor, and leave .grad as it was.")
    report_success("manual_sgd_step", 2, what="learning rates")


def check_zero_grads(zero_grads: Callable) -> None:
    """Check ``zero_grads(params)``: afterwards every ``p.grad`` is None (not zeros), as ``zero_grad()`` leaves it;
    one parameter starts with no gradient, and the parameters' values must not change."""
    params, before = _params_with_grads(), _params_with_grads()
    call_student(zero_grads, params, where="zero_grads(params)", crashes=[_ASSIGN_NONE])
    for index, (name, p, old) in enumerate(zip(_NAMES, params, before)):
        compare(p._data, old._data, f"zero_grads changed the VALUE of parameter {name}; it should only reset p.grad.",
                hint="`p.zero_()` zeroes the parameter itself; use `p.grad = None`.", rtol=0, atol=0)
        if p.grad is not None:
            hint = next((hint for hint, wrong in [
                ("zero tensors are what zero_grad(set_to_none=False) leaves; the exercise (and optimizer.zero_grad() "
                 "by default) sets `p.grad = None`: it frees the memory and needs no test for parameters without a "
                 "gradient.", not np.any(p.grad._data)),
                ("only the first parameter was reset: is there a `return` inside your loop?",
                 index > 0 and params[0].grad is None),
            ] if wrong), "assign to the attribute, `p.grad = None`; `g = p.grad; g = None` only rebinds a local name.")
            fail(f"after zero_grads, parameter {name} still has a gradient.", f"{name}.grad = {format_value(old.grad)}",
                 got=p.grad, expected=None, hint=hint)
    report_success("zero_grads", len(params), what="parameters")


def reference_train_linear(X: Tensor, y: Tensor, lr: float, steps: int,
                           zero_grad: bool = True) -> tuple[Tensor, Tensor, list[float]]:
    """Fit ``y ~ X @ w + b`` (``w`` of shape ``(features, 1)``, ``b`` of shape ``(1,)``, from zeros) with course_lib's
    SGD: ``(w, b, losses)``, each loss before its update; ``zero_grad=False`` is the classic bug (never zeroed)."""
    return _loop(X, y, lr, steps, zeroed=(lambda w, b: [w, b]) if zero_grad else (lambda w, b: []))


def _loop(X: Tensor, y: Tensor, lr: float, steps: int, zeroed: Callable = lambda w, b: [w, b],
          error: Callable = lambda prediction, y: prediction - y) -> tuple[Tensor, Tensor, list[float]]:
    """The loop of :func:`reference_train_linear`, or a wrong one: it zeroes only the gradients of ``zeroed(w, b)``,
    and its loss is the mean of ``error(X @ w + b, y) ** 2``."""
    w, b = zeros(X.shape[1], 1, requires_grad=True), zeros(1, requires_grad=True)
    optimizer, losses = SGD([w, b], lr=lr), []
    for _ in range(steps):
        loss = (error(X @ w + b, y) ** 2).mean()
        losses.append(float(loss.item()))
        for p in zeroed(w, b):
            p.grad = None
        loss.backward()
        optimizer.step()
    return w, b, losses


def check_train_linear(train_linear: Callable) -> None:
    """Check ``train_linear(X, y, lr, steps) -> (w, b, losses)`` against the loop with ``SGD``: the losses step by
    step (float32 tolerance), then the final ``w`` and ``b``; known wrong loops name the mistake."""
    X = tensor(np.random.default_rng(4).normal(size=(8, 2)).round(2).astype(np.float32))  # 8 points, 2 features
    y = tensor((X._data @ np.array([[2.0], [-1.0]], dtype=np.float32) + 0.5).round(2).astype(np.float32))
    lr, steps = 0.05, 12  # not 0.1, the lesson's global lr: a loop must use its argument
    where = f"train_linear(X, y, lr={lr}, steps={steps})"
    w_ref, b_ref, expected = reference_train_linear(X, y, lr, steps)
    result = call_student(train_linear, X, y, lr, steps, where=where,
                          crashes=[_APPEND, _REBOUND, _NO_GRAPH, _SKIP_NONE])
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        fail(f"{where} returned something other than (w, b, losses).", got=result,
             hint="return the three values: `return w, b, losses`.")
    w, b, losses = result
    try:
        got = np.array([float(v) for v in losses])
    except (TypeError, ValueError):
        fail(f"{where}: the losses are not a list of numbers.", got=losses, hint="append loss.item() at each step.")
    if any(isinstance(v, Tensor) for v in losses):
        fail(f"{where}: the losses are tensors, not numbers.", got=losses, hint="append loss.item(), a float: a "
             "loss tensor keeps its whole graph alive, so memory grows with every step you record.")
    never_changes = next(hint for hint, applies in [
        ("the loss never changes, and your gradients are empty at the end: zero_grads runs between loss.backward() "
         "and the step, so the step finds no gradient to use. Zero the gradients BEFORE loss.backward().",
         isinstance(w, Tensor) and (w.grad is None or not np.any(w.grad._data))),
        ("the loss never changes, yet w moved: you computed the loss once, before the loop. Compute the predictions "
         "X @ w + b and the loss INSIDE the loop, so that each step measures the updated parameters.",
         isinstance(w, Tensor) and np.any(w._data)),
        ("the loss never changes: the parameters are not being updated (check manual_sgd_step).", True),
    ] if applies)
    compare(got, np.array(expected), f"{where}: the losses are wrong.", mistakes=[
        ("record one loss per step, before the update.", lambda g: len(g) != steps),
        ("your losses match a loop that never zeroes the gradients: backward() ADDS into .grad, so each "
         "step uses the sum of all past gradients. Call zero_grads(params) before loss.backward().",
         reference_train_linear(X, y, lr, steps, zero_grad=False)[2]),
        (never_changes, lambda g: np.allclose(g, g[0])),
        (f"your losses match lr = 0.1, the `lr` set earlier in the lesson, not the argument lr = {lr}: inside "
         "train_linear use its own arguments (lr, steps, X, y), never the notebook's globals.",
         _loop(X, y, 0.1, steps)[2]),
        *[(f"your losses match a loop that resets only {name}.grad: backward() ADDS into .grad, so {other}.grad "
           "sums all its past gradients. Reset both: zero_grads([w, b]).",
           _loop(X, y, lr, steps, zeroed=lambda w, b, k=k: [(w, b)[k]])[2])
          for k, (name, other) in enumerate(["wb", "bw"])],
        (f"b is still 0 after {steps} steps, so it was never updated: create it with requires_grad=True, add it "
         "in X @ w + b, and pass [w, b] to both zero_grads and manual_sgd_step.",
         lambda g: isinstance(b, Tensor) and not np.any(b._data)),
        ("your losses are one step ahead: record the loss BEFORE the update, as loss.item() right "
         "after computing it.", lambda g: np.allclose(g[:-1], expected[1:], rtol=1e-4, atol=1e-6)),
        (f"your first loss is {len(y)} times the expected one: you summed the squared errors; the MEAN "
         "squared error divides by N (use .mean()).", lambda g: np.isclose(g[0], expected[0] * len(y), rtol=1e-4)),
        (f"your w has shape {tuple(getattr(w, 'shape', ()))}: X @ w then has shape ({len(y)},), and "
         f"subtracting y of shape {tuple(y.shape)} broadcasts to ({len(y)}, {len(y)}) (lesson 01's trap). "
         "Create w with shape (n_features, 1): torch.zeros(X.shape[1], 1, requires_grad=True).",
         lambda g: isinstance(w, Tensor) and w.ndim == 1),
        (f"your losses match predictions of shape ({len(y)}, 1) minus targets of shape ({len(y)},) (y.reshape(-1), "
         f"y.flatten(), or the other way round): they broadcast to ({len(y)}, {len(y)}), every prediction against "
         f"every target (lesson 01's trap). X @ w + b and y both have shape ({len(y)}, 1): subtract them as they are.",
         _loop(X, y, lr, steps, error=lambda prediction, y: prediction - y.reshape(-1))[2]),
    ], rtol=1e-4, atol=1e-6)
    for name, mine, ref, other in (("w", w, w_ref, b_ref), ("b", b, b_ref, w_ref)):
        compare(mine._data if isinstance(mine, Tensor) else mine, ref._data, f"{where}: the losses are right "
                f"but the returned {name}", mistakes=[
                    ("you returned w and b in the wrong order: return w, b, losses.", other._data),
                    ("return the parameters after the last step.", lambda g: True),
                ], rtol=1e-4, atol=1e-6)
    report_success("train_linear", steps, what="steps")
