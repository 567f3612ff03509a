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

from typing import Any, Callable, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import effective_gradient, update_square_average
from ._validation import check_eps, check_lr, check_momentum, check_non_negative, check_weight_decay
from .optimizer import Optimizer, _check_unsupported

__all__ = ["RMSprop", "rmsprop_update"]


def rmsprop_update(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    grad_avg: np.ndarray | None,
    momentum_buffer: np.ndarray | None,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
    scratch: tuple[np.ndarray, ...] | None = None,
) -> None:
    """One RMSprop step for one parameter, in place (see the module docstring).

    Args:
        param: the parameter's values, changed in place.
        grad: its gradient (not changed).
        square_avg: running average of ``grad * grad``, changed in place.
        grad_avg: running average of ``grad`` when ``centered`` (changed in place), else None.
        momentum_buffer: the momentum buffer when ``momentum > 0`` (changed in place), else None.
        lr, alpha, eps, weight_decay, momentum, centered, maximize: the group's options.
        scratch: optional two work arrays shaped like ``param``.
    """
    avg, tmp = scratch if scratch is not None else (np.empty_like(param), np.empty_like(param))
    grad = effective_gradient(param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize)

    update_square_average(square_avg, grad, alpha, tmp)  # square_avg = alpha * square_avg + (1 - alpha) * grad**2
    if centered:
        # grad_avg = grad_avg + (1 - alpha) * (grad - grad_avg)
        grad_avg += np.multiply(np.subtract(grad, grad_avg, out=tmp), 1 - alpha, out=tmp)
        # avg = sqrt(square_avg - grad_avg * grad_avg)
        np.subtract(square_avg, np.multiply(grad_avg, grad_avg, out=tmp), out=avg)
        np.sqrt(avg, out=avg)
    else:
        np.sqrt(square_avg, out=avg)
    avg += eps

    if momentum > 0:
        # momentum_buffer = momentum * momentum_buffer + grad / avg
        momentum_buffer *= momentum
        momentum_buffer += np.divide(grad, avg, out=tmp)
        param -= np.multiply(momentum_buffer, lr, out=tmp)  # param - lr * momentum_buffer
    else:
        # param = param + (-lr * grad) / avg
        param += np.divide(np.multiply(grad, -lr, out=tmp), avg, out=tmp)


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

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one RMSprop step on every parameter that has a gradient."""
        loss = self._run_closure(closure)
        for group, params in self._params_with_grad():
            for p, grad in params:
                state = self._lazy_state(
                    p,
                    "square_avg",
                    momentum_buffer=group["momentum"] > 0,
                    grad_avg=group["centered"],
                )
                self._next_step(state)  # counted as torch does, although the update ignores it
                grad_avg = state["grad_avg"]._data if group["centered"] else None
                buf = state["momentum_buffer"]._data if group["momentum"] > 0 else None
                self._update_in_blocks(
                    rmsprop_update,
                    (p._data, grad, state["square_avg"]._data, grad_avg, buf),
                    lr=float(group["lr"]),
                    alpha=float(group["alpha"]),
                    eps=float(group["eps"]),
                    weight_decay=float(group["weight_decay"]),
                    momentum=float(group["momentum"]),
                    centered=group["centered"],
                    maximize=group["maximize"],
                )
        return loss
