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

from typing import Any, Callable, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import effective_gradient
from ._validation import check_lr, check_momentum, check_weight_decay
from .optimizer import Optimizer, _check_unsupported

__all__ = ["SGD", "sgd_update"]


def sgd_update(
    param: np.ndarray,
    grad: np.ndarray,
    momentum_buffer: np.ndarray | None,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
    scratch: tuple[np.ndarray, ...] | None = None,
) -> np.ndarray | None:
    """One SGD step for one parameter: updates ``param`` in place (see the module docstring).

    Args:
        param: the parameter's values, changed in place.
        grad: its gradient (not changed).
        momentum_buffer: the buffer from the previous step, or None on the first step
            (or when ``momentum == 0``); changed in place when given.
        lr, momentum, dampening, weight_decay, nesterov, maximize: the group's options.
        scratch: optional work array shaped like ``param`` (saves an allocation).

    Returns:
        The momentum buffer to keep for the next step (a new array on the first step),
        or None when ``momentum == 0``.
    """
    tmp = scratch[0] if scratch is not None else np.empty_like(param)
    grad = effective_gradient(param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize)
    if momentum != 0:
        if momentum_buffer is None:
            momentum_buffer = grad.copy()
        else:
            momentum_buffer *= momentum
            if dampening != 0:
                momentum_buffer += np.multiply(grad, 1 - dampening, out=tmp)
            else:
                momentum_buffer += grad  # (1 - 0) * grad is grad exactly
        if nesterov:
            grad = grad + momentum * momentum_buffer
        else:
            grad = momentum_buffer
    param -= np.multiply(grad, lr, out=tmp)  # param - lr * grad
    return momentum_buffer


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

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one SGD step on every parameter that has a gradient."""
        loss = self._run_closure(closure)
        for group, params in self._params_with_grad():
            options = {
                "lr": float(group["lr"]),
                "momentum": float(group["momentum"]),
                "dampening": float(group["dampening"]),
                "weight_decay": float(group["weight_decay"]),
                "nesterov": group["nesterov"],
                "maximize": group["maximize"],
            }
            for p, grad in params:
                if group["momentum"] == 0:  # torch keeps no state without momentum
                    self._update_in_blocks(sgd_update, (p._data, grad, None), 1, **options)
                    continue
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:  # first step: the buffer starts as a copy of the gradient
                    new_buf = sgd_update(p._data, grad, None, **options)
                    state["momentum_buffer"] = Tensor(new_buf)
                else:
                    self._update_in_blocks(sgd_update, (p._data, grad, buf._data), 1, **options)
        return loss
