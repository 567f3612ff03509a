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

from typing import Any, Callable, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import effective_gradient, update_square_average
from ._validation import check_eps, check_lr, check_weight_decay
from .optimizer import Optimizer, _check_unsupported

__all__ = ["Adadelta", "adadelta_update"]


def adadelta_update(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    acc_delta: np.ndarray,
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
    scratch: tuple[np.ndarray, ...] | None = None,
) -> None:
    """One Adadelta step for one parameter, in place (see the module docstring).

    Args:
        param: the parameter's values, changed in place.
        grad: its gradient (not changed).
        square_avg: running average of ``grad * grad``, changed in place.
        acc_delta: running average of ``delta * delta``, changed in place.
        lr, rho, eps, weight_decay, maximize: the group's options.
        scratch: optional two work arrays shaped like ``param``.
    """
    std, delta = scratch if scratch is not None else (np.empty_like(param), np.empty_like(param))
    grad = effective_gradient(param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize)

    update_square_average(square_avg, grad, rho, std)  # square_avg = rho * square_avg + (1 - rho) * grad**2
    np.sqrt(np.add(square_avg, eps, out=std), out=std)  # std = sqrt(square_avg + eps)
    # delta = sqrt(acc_delta + eps) / std * grad
    np.sqrt(np.add(acc_delta, eps, out=delta), out=delta)
    delta /= std
    delta *= grad
    # acc_delta = rho * acc_delta + ((1 - rho) * delta) * delta   (std is free again)
    acc_delta *= rho
    acc_delta += np.multiply(np.multiply(delta, 1 - rho, out=std), delta, out=std)
    param -= np.multiply(delta, lr, out=delta)  # param - lr * delta


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

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one Adadelta step on every parameter that has a gradient."""
        loss = self._run_closure(closure)
        for group, params in self._params_with_grad():
            for p, grad in params:
                state = self._lazy_state(p, "square_avg", "acc_delta")
                self._next_step(state)  # counted as torch does, although the update ignores it
                self._update_in_blocks(
                    adadelta_update,
                    (p._data, grad, state["square_avg"]._data, state["acc_delta"]._data),
                    lr=float(group["lr"]),
                    rho=float(group["rho"]),
                    eps=float(group["eps"]),
                    weight_decay=float(group["weight_decay"]),
                    maximize=group["maximize"],
                )
        return loss
