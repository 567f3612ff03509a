"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2017).

Plain Adam's ``weight_decay`` adds ``weight_decay * param`` to the gradient, so the penalty
is then divided by ``sqrt(v)`` like everything else: parameters with large gradients are
barely decayed. AdamW shrinks the parameter directly, before and apart from the adaptive
step. The algorithm, per parameter, in the symbols of :func:`adamw_update`::

    input: lr, beta1, beta2, eps, weight_decay, amsgrad, maximize
    for step = 1, 2, ...:
        grad = -grad if maximize else grad
        param = param * (1 - lr * weight_decay)                    # decoupled decay
        exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)
        exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
        bias_correction1 = 1 - beta1 ** step
        bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
        step_size = lr / bias_correction1
        if amsgrad:
            max_exp_avg_sq = maximum(max_exp_avg_sq, exp_avg_sq)
            denom = sqrt(max_exp_avg_sq) / bias_correction2_sqrt + eps
        else:
            denom = sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
        param = param + (-step_size * exp_avg) / denom

As in torch 2.x, ``AdamW`` is ``Adam`` with ``decoupled_weight_decay=True`` (and a default
``weight_decay`` of 1e-2 instead of 0).
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from .adam import Adam, adam_update

__all__ = ["AdamW", "adamw_update"]


def adamw_update(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, Any],
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    *,
    amsgrad: bool = False,
    maximize: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One AdamW step for one parameter: :func:`adam_update` with decoupled decay; pure.

    Args:
        param: the parameter's values.
        grad: its gradient.
        state: Adam's state from the previous step, or ``{}`` before the first.
        lr, betas, eps, weight_decay, amsgrad, maximize: the group's options.

    Returns:
        ``(new_param, new_state)``. The inputs are never changed.
    """
    return adam_update(
        param, grad, state, lr, betas, eps, weight_decay,
        amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True,
    )


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: learning rate.
        betas: ``(beta1, beta2)``, decay rates of the moment averages.
        eps: added to the denominator for numerical stability.
        weight_decay: decoupled decay rate: each step multiplies ``param`` by
            ``1 - lr * weight_decay``.
        amsgrad: use the running maximum of ``exp_avg_sq`` (AMSGrad).
        maximize: maximize the objective instead of minimizing it.
        foreach, capturable, differentiable, fused: accepted with their default values only.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
