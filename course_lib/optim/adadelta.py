"""Adadelta: a step whose units match the parameter's, from two running averages (Zeiler, 2012).

The algorithm, per parameter, in the symbols of :func:`adadelta_update` (as
``torch.optim.Adadelta``, in torch's order of floating-point operations)::

    input: lr, rho, eps, weight_decay, maximize
    state: square_avg = 0, acc_delta = 0, step = 0
    for step = 1, 2, ...:
        grad = -grad if maximize else grad
        if weight_decay != 0:
            grad = grad + weight_decay * param
        square_avg = rho * square_avg + (1 - rho) * grad * grad      # E[g^2]
        std = sqrt(square_avg + eps)
        delta = sqrt(acc_delta + eps) / std * grad                   # RMS[dx] / RMS[g] * g
        acc_delta = rho * acc_delta + (1 - rho) * delta * delta      # E[dx^2]
        param = param - lr * delta

The ratio ``sqrt(acc_delta + eps) / sqrt(square_avg + eps)`` plays the learning rate's part,
which is why torch's default ``lr`` is 1.0.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import effective_gradient, zeros_or
from ._validation import check_eps, check_lr, check_weight_decay
from .optimizer import Optimizer, _check_unsupported

__all__ = ["Adadelta", "adadelta_update"]


def adadelta_update(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, Any],
    lr: float = 1.0,
    rho: float = 0.9,
    eps: float = 1e-6,
    weight_decay: float = 0,
    *,
    maximize: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One Adadelta step for one parameter (see the module docstring); pure.

    Args:
        param: the parameter's values.
        grad: its gradient.
        state: ``{"step", "square_avg", "acc_delta"}`` from the previous step, or ``{}``.
        lr, rho, eps, weight_decay, maximize: the group's options.

    Returns:
        ``(new_param, new_state)``, with torch's state keys. The inputs are never changed.
    """
    step = state.get("step", 0.0) + 1
    param, grad = effective_gradient(param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize)
    square_avg = rho * zeros_or(state, "square_avg", param) + (1 - rho) * grad * grad
    std = np.sqrt(square_avg + eps)
    acc_delta = zeros_or(state, "acc_delta", param)
    delta = np.sqrt(acc_delta + eps) / std * grad
    acc_delta = rho * acc_delta + (1 - rho) * delta * delta
    return param - lr * delta, {"step": step, "square_avg": square_avg, "acc_delta": acc_delta}


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta``.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: factor applied to ``delta`` before it is subtracted (1.0 in the paper).
        rho: decay rate of both running averages.
        eps: added inside both square roots.
        weight_decay: L2 penalty added to the gradient.
        foreach, capturable, differentiable: accepted with their default values only.
        maximize: maximize the objective instead of minimizing it.
    """

    _update = staticmethod(adadelta_update)
    _options = (
        "lr",
        "rho",
        "eps",
        "weight_decay",
        "maximize",
    )

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}. help: rho must lie in [0, 1].")
        check_eps(eps, typical="1e-6")
        check_weight_decay(weight_decay)
        _check_unsupported(foreach=foreach, capturable=capturable, differentiable=differentiable)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)
