"""Adamax: Adam with the infinity norm in place of the root-mean-square (Kingma & Ba, 2014).

The algorithm, per parameter, in the symbols of :func:`adamax_update` (as
``torch.optim.Adamax``, in torch's order of floating-point operations)::

    input: lr, beta1, beta2, eps, weight_decay, maximize
    state: exp_avg = 0, exp_inf = 0, step = 0
    for step = 1, 2, ...:
        grad = -grad if maximize else grad
        if weight_decay != 0:
            grad = grad + weight_decay * param
        exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)          # m: lerp towards grad
        exp_inf = maximum(beta2 * exp_inf, abs(grad) + eps)          # u: decayed max of |g|
        bias_correction = 1 - beta1 ** step
        clr = lr / bias_correction
        param = param + (-clr * exp_avg) / exp_inf

``exp_inf`` needs no bias correction: a maximum is not pulled towards its zero start.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import effective_gradient, update_average
from ._validation import check_betas, check_eps, check_lr, check_weight_decay
from .optimizer import Optimizer, _check_unsupported

__all__ = ["Adamax", "adamax_update"]


def adamax_update(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_inf: np.ndarray,
    *,
    step: float,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
    scratch: tuple[np.ndarray, ...] | None = None,
) -> None:
    """One Adamax step for one parameter, in place (see the module docstring).

    Args:
        param: the parameter's values, changed in place.
        grad: its gradient (not changed).
        exp_avg: first-moment running average, changed in place.
        exp_inf: exponentially weighted infinity norm, changed in place.
        step: number of this step, counting from 1.
        lr, beta1, beta2, eps, weight_decay, maximize: the group's options.
        scratch: optional one work array shaped like ``param``.
    """
    tmp = scratch[0] if scratch is not None else np.empty_like(param)
    grad = effective_gradient(param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize)

    update_average(exp_avg, grad, beta1, tmp)  # exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)
    # exp_inf = maximum(beta2 * exp_inf, abs(grad) + eps)
    exp_inf *= beta2
    np.add(np.abs(grad, out=tmp), eps, out=tmp)
    np.maximum(exp_inf, tmp, out=exp_inf)

    bias_correction = 1 - beta1**step
    clr = lr / bias_correction
    # param = param + (-clr * exp_avg) / exp_inf
    param += np.divide(np.multiply(exp_avg, -clr, out=tmp), exp_inf, out=tmp)


class Adamax(Optimizer):
    """Adamax, as ``torch.optim.Adamax``.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: learning rate.
        betas: ``(beta1, beta2)``, decay rates of the average and of the infinity norm.
        eps: added to ``abs(grad)`` so the denominator is never zero.
        weight_decay: L2 penalty added to the gradient.
        foreach, differentiable, capturable: accepted with their default values only.
        maximize: maximize the objective instead of minimizing it.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_lr(lr)
        check_eps(eps)
        check_betas(betas)
        check_weight_decay(weight_decay)
        _check_unsupported(foreach=foreach, differentiable=differentiable, capturable=capturable)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one Adamax step on every parameter that has a gradient."""
        loss = self._run_closure(closure)
        for group, params in self._params_with_grad():
            beta1, beta2 = group["betas"]
            for p, grad in params:
                state = self._lazy_state(p, "exp_avg", "exp_inf")
                step = self._next_step(state)
                self._update_in_blocks(
                    adamax_update,
                    (p._data, grad, state["exp_avg"]._data, state["exp_inf"]._data),
                    1,
                    step=step,
                    lr=float(group["lr"]),
                    beta1=float(beta1),
                    beta2=float(beta2),
                    eps=float(group["eps"]),
                    weight_decay=float(group["weight_decay"]),
                    maximize=group["maximize"],
                )
        return loss
