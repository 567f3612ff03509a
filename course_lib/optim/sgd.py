"""Stochastic gradient descent, optionally with momentum, dampening and Nesterov momentum.

The algorithm, per parameter, in the symbols of :func:`sgd_update` (as ``torch.optim.SGD``)::

    input: lr, momentum, dampening, weight_decay, nesterov, maximize
    for t = 1, 2, ...:
        grad = -grad if maximize else grad
        if weight_decay != 0:
            grad = grad + weight_decay * param            # L2 penalty, added to the gradient
        if momentum != 0:
            if t == 1:
                momentum_buffer = grad                     # a copy: no dampening on step 1
            else:
                momentum_buffer = momentum * momentum_buffer + (1 - dampening) * grad
            if nesterov:
                grad = grad + momentum * momentum_buffer
            else:
                grad = momentum_buffer
        param = param - lr * grad

The momentum form is torch's (``v = mu * v + g; p = p - lr * v``), which differs from
Sutskever et al. (``v = mu * v + lr * g; p = p - v``) once the learning rate changes.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import effective_gradient, zeros_or
from ._validation import check_lr, check_momentum, check_weight_decay
from .optimizer import Optimizer, _check_unsupported

__all__ = ["SGD", "momentum_buffer_update", "sgd_update"]


def momentum_buffer_update(
    buf: np.ndarray | None, grad: np.ndarray, momentum: float, dampening: float
) -> np.ndarray:
    """The new momentum buffer: a copy of ``grad`` on the first step (``buf`` None), then
    ``momentum * buf + (1 - dampening) * grad``; pure (lesson 05's first exercise)."""
    if buf is None:
        return np.array(grad, copy=True)
    return momentum * buf + (1 - dampening) * grad


def sgd_update(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, Any],
    lr: float = 1e-3,
    momentum: float = 0,
    dampening: float = 0,
    weight_decay: float = 0,
    nesterov: bool = False,
    maximize: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One SGD step for one parameter (see the module docstring); pure.

    Args:
        param: the parameter's values.
        grad: its gradient.
        state: ``{"momentum_buffer": buf}`` from the previous step, or ``{}`` on the first
            step (and always when ``momentum == 0``).
        lr, momentum, dampening, weight_decay, nesterov, maximize: the group's options.

    Returns:
        ``(new_param, new_state)``; ``new_state`` is ``{}`` when ``momentum == 0`` (torch
        keeps no state then). The inputs are never changed.
    """
    param, grad = effective_gradient(param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize)
    if momentum == 0:
        return param - lr * grad, {}
    momentum_buffer = momentum_buffer_update(state.get("momentum_buffer"), grad, momentum, dampening)
    direction = grad + momentum * momentum_buffer if nesterov else momentum_buffer
    return param - lr * direction, {"momentum_buffer": momentum_buffer}


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: learning rate.
        momentum: momentum factor ``mu`` (0 turns momentum off).
        dampening: dampening ``tau`` of the gradient added to the buffer.
        weight_decay: L2 penalty ``lambda`` added to the gradient.
        nesterov: use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
        maximize: maximize the objective instead of minimizing it.
        foreach, differentiable, fused: accepted with their default values only.

    Example:
        >>> optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> optimizer.zero_grad(); loss_fn(model(x), y).backward(); optimizer.step()
    """

    _update = staticmethod(sgd_update)
    _options = (
        "lr",
        "momentum",
        "dampening",
        "weight_decay",
        "nesterov",
        "maximize",
    )

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        # torch's SGD tests `lr < 0.0` where the other optimizers test `not 0.0 <= lr`: NaN passes.
        check_lr(lr, nan_passes=True)
        check_momentum(momentum, nan_passes=True)
        check_weight_decay(weight_decay, nan_passes=True)
        _check_unsupported(foreach=foreach, differentiable=differentiable, fused=fused)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum and zero dampening. help: pass "
                "momentum > 0 and dampening=0, or nesterov=False."
            )
        super().__init__(params, defaults)
