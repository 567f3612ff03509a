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

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import effective_gradient, zeros_or
from ._validation import check_betas, check_eps, check_lr, check_weight_decay
from .optimizer import Optimizer, _check_unsupported

__all__ = ["Adamax", "adamax_update"]


def adamax_update(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, Any],
    lr: float = 2e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0,
    *,
    maximize: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One Adamax step for one parameter (see the module docstring); pure.

    Args:
        param: the parameter's values.
        grad: its gradient.
        state: ``{"step", "exp_avg", "exp_inf"}`` from the previous step, or ``{}``.
        lr, betas, eps, weight_decay, maximize: the group's options.

    Returns:
        ``(new_param, new_state)``, with torch's state keys. The inputs are never changed.
    """
    beta1, beta2 = betas
    step = state.get("step", 0.0) + 1
    param, grad = effective_gradient(param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize)
    exp_avg = zeros_or(state, "exp_avg", param)
    exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)
    exp_inf = np.maximum(beta2 * zeros_or(state, "exp_inf", param), np.abs(grad) + eps)
    clr = lr / (1 - beta1**step)
    return param + (-clr * exp_avg) / exp_inf, {"step": step, "exp_avg": exp_avg, "exp_inf": exp_inf}


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

    _update = staticmethod(adamax_update)
    _options = (
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "maximize",
    )

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
