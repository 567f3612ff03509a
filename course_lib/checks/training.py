"""Checks for lesson 03 (gradient descent by hand): the manual step, zeroing, the loop.

The references are course_lib's own optimizer (the library is the answer key):
``manual_sgd_step`` must do what ``course_lib.optim.SGD(params, lr).step()`` does,
``zero_grads`` what ``zero_grad()`` does, and ``train_linear`` must give the losses of the
same loop written with ``SGD``. The usual wrong answers (a step that does not change the
parameters, gradient ascent, a forgotten learning rate, gradients that are never zeroed,
the loss recorded after the update) are recomputed and named.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..creation import tensor, zeros
from ..optim import SGD
from ..tensor import Tensor
from ._core import ExerciseError, call_student, format_value, report_success

__all__ = ["check_manual_sgd_step", "check_zero_grads", "check_train_linear", "reference_train_linear"]


def _params_with_grads() -> list[Tensor]:
    """Three parameters: two with gradients, one whose ``.grad`` is None (unused in the loss)."""
    w = tensor([[0.5], [-1.0], [2.0]], requires_grad=True)
    b = tensor([0.25], requires_grad=True)
    unused = tensor([1.0, 1.0], requires_grad=True)
    w.grad = tensor([[1.0], [-2.0], [0.5]])
    b.grad = tensor([4.0])
    return [w, b, unused]


def _snapshot(params: list[Tensor]) -> list[tuple[np.ndarray, np.ndarray | None]]:
    return [(p._data.copy(), None if p.grad is None else p.grad._data.copy()) for p in params]


def _student_error(name: str, error: Exception) -> ExerciseError:
    """Explain the crashes this exercise typically produces."""
    text = str(error)
    if "in-place operation" in text and "leaf" in text:
        hint = ("update the parameters inside `with torch.no_grad():` so that the update itself "
                "is not recorded in the graph.")
    elif isinstance(error, (AttributeError, TypeError)) and "NoneType" in text:
        hint = ("a parameter that took no part in the loss has `.grad` None: skip it "
                "(`if p.grad is None: continue`), as torch's optimizers do.")
    else:
        hint = None
    lines = [f"{name} raised {type(error).__name__}: {text}"]
    if hint:
        lines.append(f"  likely mistake: {hint}")
    return ExerciseError("\n".join(lines))


def check_manual_sgd_step(manual_sgd_step: Callable) -> None:
    """Check ``manual_sgd_step(params, lr)``: ``p <- p - lr * p.grad`` in place for each p with a grad.

    Compares with ``course_lib.optim.SGD(params, lr=lr).step()`` for two learning rates, on
    three parameters, one of which has no gradient. The same Tensor objects must change
    (optimizers and models hold references to them), the gradients must stay as they were,
    and the parameters must stay leaves that require grad.
    """
    for lr in (0.1, 0.5):
        params, reference = _params_with_grads(), _params_with_grads()
        before = _snapshot(params)
        SGD(reference, lr=lr).step()
        try:
            call_student(manual_sgd_step, params, lr)
        except ExerciseError:
            raise
        except Exception as error:  # noqa: BLE001 - turned into a message for the student
            raise _student_error("manual_sgd_step", error) from None
        names = ["w", "b", "unused (grad None)"]
        for name, p, ref, (old, grad) in zip(names, params, reference, before):
            if not p.is_leaf or not p.requires_grad:
                raise ExerciseError(
                    f"after manual_sgd_step, parameter {name} is no longer a leaf that requires grad.\n"
                    "  likely mistake: do the update inside `with torch.no_grad():` and in place "
                    "(p.sub_(lr * p.grad)), so the parameter stays the same leaf."
                )
            if np.allclose(p._data, ref._data, rtol=1e-6, atol=1e-7):
                continue
            hint = None
            if np.array_equal(p._data, old):
                hint = ("your update did not change the parameter object. `p = p - lr * p.grad` makes a "
                        "NEW tensor and only rebinds the name p; change the existing tensor in place "
                        "with p.sub_(lr * p.grad).")
            elif grad is not None and np.allclose(p._data, old + lr * grad):
                hint = "you added the gradient: that climbs the loss. Gradient DEscent subtracts lr * grad."
            elif grad is not None and np.allclose(p._data, old - grad):
                hint = "you forgot the learning rate: subtract lr * p.grad, not p.grad."
            raise ExerciseError(
                f"manual_sgd_step(params, lr={lr}) left parameter {name} wrong.\n"
                f"  before:      {format_value(old)} with grad {format_value(grad)}\n"
                f"  your result: {format_value(p._data)}\n"
                f"  expected:    {format_value(ref._data)} (= p - lr * p.grad)"
                + (f"\n  likely mistake: {hint}" if hint else "")
            )
        for name, p, (old, grad) in zip(names, params, before):
            now = None if p.grad is None else p.grad._data
            if (grad is None) != (now is None) or (grad is not None and not np.array_equal(now, grad)):
                raise ExerciseError(
                    f"manual_sgd_step changed the gradient of parameter {name} (from "
                    f"{format_value(grad)} to {format_value(now)}).\n"
                    "  likely mistake: a step only updates the parameters; zeroing the gradients is a "
                    "separate job (zero_grads below, optimizer.zero_grad() in torch)."
                )
    report_success("manual_sgd_step", 2, what="learning rates")


def check_zero_grads(zero_grads: Callable) -> None:
    """Check ``zero_grads(params)``: afterwards every ``p.grad`` is None (or all zeros).

    Compares with ``course_lib.optim.SGD(params).zero_grad()``; one parameter starts with no
    gradient at all, and the parameters' values must not change.
    """
    params, reference = _params_with_grads(), _params_with_grads()
    before = _snapshot(params)
    SGD(reference, lr=0.1).zero_grad()
    try:
        call_student(zero_grads, params)
    except ExerciseError:
        raise
    except Exception as error:  # noqa: BLE001
        raise _student_error("zero_grads", error) from None
    names = ["w", "b", "unused (grad None)"]
    for index, (name, p, (value, _)) in enumerate(zip(names, params, before)):
        if p.grad is not None and np.any(p.grad._data != 0) and not np.array_equal(p._data, value):
            raise ExerciseError(
                f"after zero_grads, parameter {name} still has grad {format_value(p.grad)} and its VALUE "
                f"changed (from {format_value(value)} to {format_value(p._data)}).\n"
                "  likely mistake: `p.zero_()` zeroes the parameter itself; reset its gradient with "
                "`p.grad = None`."
            )
        if p.grad is not None and np.any(p.grad._data != 0):
            first_reset = params[0].grad is None or not np.any(params[0].grad._data)
            if index > 0 and first_reset:
                hint = "only the first parameter was reset: is there a `return` inside your loop?"
            else:
                hint = "assign to the attribute, `p.grad = None`; `g = p.grad; g = None` only rebinds a local name."
            raise ExerciseError(
                f"after zero_grads, parameter {name} still has grad {format_value(p.grad)}; "
                "expected None (what optimizer.zero_grad() leaves).\n"
                f"  likely mistake: {hint}"
            )
        if not np.array_equal(p._data, value):
            raise ExerciseError(
                f"zero_grads changed the VALUE of parameter {name} (from {format_value(value)} to "
                f"{format_value(p._data)}); it should only reset p.grad.\n"
                "  likely mistake: `p.zero_()` zeroes the parameter itself; use `p.grad = None`."
            )
    report_success("zero_grads", len(params), what="parameters")


def _regression_data() -> tuple[Tensor, Tensor]:
    """A tiny regression set: 8 points, 2 features, targets of shape (8, 1)."""
    gen = np.random.default_rng(4)
    X = gen.normal(size=(8, 2)).round(2).astype(np.float32)
    y = (X @ np.array([[2.0], [-1.0]], dtype=np.float32) + 0.5).round(2).astype(np.float32)
    return tensor(X), tensor(y)


def reference_train_linear(
    X: Tensor, y: Tensor, lr: float, steps: int, zero_grad: bool = True
) -> tuple[Tensor, Tensor, list[float]]:
    """Fit ``y ~ X @ w + b`` by full-batch gradient descent with course_lib's SGD.

    ``w`` (shape ``(features, 1)``) and ``b`` (shape ``(1,)``) start at zero; each step
    computes the mean squared error, records ``loss.item()``, zeroes the gradients (unless
    ``zero_grad=False``, the classic bug), backpropagates and steps.

    Returns:
        ``(w, b, losses)``, with the loss measured before each of the ``steps`` updates.
    """
    w = zeros(X.shape[1], 1, requires_grad=True)
    b = zeros(1, requires_grad=True)
    optimizer = SGD([w, b], lr=lr)
    losses = []
    for _ in range(steps):
        loss = ((X @ w + b - y) ** 2).mean()
        losses.append(float(loss.item()))
        if zero_grad:
            optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return w, b, losses


def check_train_linear(train_linear: Callable) -> None:
    """Check ``train_linear(X, y, lr, steps) -> (w, b, losses)`` against the loop with ``SGD``.

    The losses must agree step by step (float32 tolerance), and so must the final ``w`` and
    ``b``. Known wrong loops are run too, to name the mistake.
    """
    X, y = _regression_data()
    lr, steps = 0.1, 12
    w_ref, b_ref, expected = reference_train_linear(X, y, lr, steps)
    try:
        result = call_student(train_linear, X, y, lr, steps)
    except ExerciseError:
        raise
    except Exception as error:  # noqa: BLE001
        raise _student_error("train_linear", error) from None
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise ExerciseError(
            f"train_linear returned {format_value(result)}; expected a tuple (w, b, losses)."
        )
    w, b, losses = result
    try:
        losses = [float(v) for v in losses]
    except (TypeError, ValueError):
        raise ExerciseError(
            "losses must be a list of numbers: append loss.item() at each step."
        ) from None
    if len(losses) != steps:
        raise ExerciseError(f"train_linear(steps={steps}) returned {len(losses)} losses; expected {steps}, one per step.")
    got, want = np.asarray(losses), np.asarray(expected)
    close = np.isclose(got, want, rtol=1e-4, atol=1e-6)
    if not close.all():
        first = int(np.argmin(close))
        hint = None
        _, _, not_zeroed = reference_train_linear(X, y, lr, steps, zero_grad=False)
        if np.allclose(got, not_zeroed, rtol=1e-4, atol=1e-6):
            hint = ("your losses match a loop that never zeroes the gradients: backward() ADDS into "
                    ".grad, so each step uses the sum of all past gradients. Call zero_grads(params) "
                    "before loss.backward().")
        elif np.allclose(got, got[0]):
            hint = "the loss never changes: the parameters are not being updated (check manual_sgd_step)."
        elif np.allclose(got[:-1], want[1:], rtol=1e-4, atol=1e-6):
            hint = "your losses are one step ahead: record the loss BEFORE the update, as loss.item() right after computing it."
        elif np.isclose(got[0], want[0] * len(y), rtol=1e-4):
            hint = (f"your first loss is {len(y)} times the expected one: you summed the squared errors; "
                    "the MEAN squared error divides by N (use .mean()).")
        elif isinstance(w, Tensor) and w.ndim == 1:
            hint = (f"your w has shape {tuple(w.shape)}: X @ w then has shape ({len(y)},), and subtracting "
                    f"y of shape {tuple(y.shape)} broadcasts to ({len(y)}, {len(y)}) (lesson 01's trap). "
                    "Create w with shape (n_features, 1): torch.zeros(X.shape[1], 1, requires_grad=True).")
        raise ExerciseError(
            f"train_linear(X, y, lr={lr}, steps={steps}): the loss at step {first} is {got[first]:.6f}, "
            f"expected {want[first]:.6f}.\n"
            f"  your losses:     {format_value(got[:5])} ...\n"
            f"  expected losses: {format_value(want[:5])} ..."
            + (f"\n  likely mistake: {hint}" if hint else "")
        )
    for name, mine, ref in (("w", w, w_ref), ("b", b, b_ref)):
        mine_values = mine._data if isinstance(mine, Tensor) else np.asarray(mine)
        if np.shape(mine_values) != ref.shape or not np.allclose(mine_values, ref._data, rtol=1e-4, atol=1e-6):
            raise ExerciseError(
                f"the losses are right but the returned {name} is {format_value(mine)}; expected "
                f"{format_value(ref)}. help: return the parameters after the last step."
            )
    report_success("train_linear", steps, what="steps")
