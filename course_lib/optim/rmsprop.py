"""RMSprop: divide the gradient by a running root-mean-square of recent gradients (Hinton).

The algorithm, per parameter, in the symbols of :func:`rmsprop_update` (as
``torch.optim.RMSprop``, in torch's order of floating-point operations)::

    input: lr, alpha, eps, weight_decay, momentum, centered, maximize
    state: square_avg = 0, grad_avg = 0 (centered), momentum_buffer = 0 (momentum > 0), step
    for step = 1, 2, ...:
        grad = -grad if maximize else grad
        if weight_decay != 0:
            grad = grad + weight_decay * param
        square_avg = alpha * square_avg + (1 - alpha) * grad * grad
        if centered:                                   # estimate the variance, not E[g^2]
            grad_avg = grad_avg + (1 - alpha) * (grad - grad_avg)
            avg = sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            avg = sqrt(square_avg) + eps
        if momentum > 0:
            momentum_buffer = momentum * momentum_buffer + grad / avg
            param = param - lr * momentum_buffer
        else:
            param = param + (-lr * grad) / avg

Note that ``eps`` is added *outside* the square root and that ``alpha`` (not ``beta``) is the
decay rate of the average, as in torch.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import effective_gradient, zeros_or
from ._validation import check_eps, check_lr, check_momentum, check_non_negative, check_weight_decay
from .optimizer import Optimizer, _check_unsupported

__all__ = ["RMSprop", "rmsprop_update"]


def rmsprop_update(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, Any],
    lr: float = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0,
    momentum: float = 0,
    centered: bool = False,
    *,
    maximize: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One RMSprop step for one parameter (see the module docstring); pure.

    Args:
        param: the parameter's values.
        grad: its gradient.
        state: ``{"step", "square_avg"}`` (with ``"momentum_buffer"`` when ``momentum > 0``
            and ``"grad_avg"`` when ``centered``) from the previous step, or ``{}``.
        lr, alpha, eps, weight_decay, momentum, centered, maximize: the group's options.

    Returns:
        ``(new_param, new_state)``, with torch's state keys. The inputs are never changed.
    """
    step = state.get("step", 0.0) + 1
    param, grad = effective_gradient(param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize)
    square_avg = alpha * zeros_or(state, "square_avg", param) + (1 - alpha) * grad * grad
    new_state = {"step": step, "square_avg": square_avg}
    if centered:
        grad_avg = zeros_or(state, "grad_avg", param)
        grad_avg = grad_avg + (1 - alpha) * (grad - grad_avg)
        avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = np.sqrt(square_avg) + eps
    if momentum > 0:
        new_state["momentum_buffer"] = momentum * zeros_or(state, "momentum_buffer", param) + grad / avg
        param = param - lr * new_state["momentum_buffer"]
    else:
        param = param + (-lr * grad) / avg
    if centered:
        new_state["grad_avg"] = grad_avg
    return param, new_state


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: learning rate.
        alpha: smoothing constant of the running average of squared gradients.
        eps: added to the denominator (outside the square root).
        weight_decay: L2 penalty added to the gradient.
        momentum: momentum factor (0 turns momentum off).
        centered: divide by an estimate of the gradient's variance instead of its second moment.
        capturable, foreach, differentiable: accepted with their default values only.
        maximize: maximize the objective instead of minimizing it.
    """

    _update = staticmethod(rmsprop_update)
    _options = (
        "lr",
        "alpha",
        "eps",
        "weight_decay",
        "momentum",
        "centered",
        "maximize",
    )

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        check_eps(eps)
        check_momentum(momentum)
        check_weight_decay(weight_decay)
        check_non_negative("alpha", alpha, "use alpha in [0, 1], e.g. 0.99.")
        _check_unsupported(capturable=capturable, foreach=foreach, differentiable=differentiable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)
