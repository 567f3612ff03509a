"""NAdam: Adam with Nesterov momentum and a momentum warm-up schedule (Dozat, 2016).

The algorithm, per parameter, in the symbols of :func:`nadam_update` (as ``torch.optim.NAdam``,
in torch's order of floating-point operations)::

    input: lr, beta1, beta2, eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize
    state: exp_avg = 0, exp_avg_sq = 0, mu_product = 1 (float32 scalar), step = 0
    for step = 1, 2, ...:
        grad = -grad if maximize else grad
        bias_correction2 = 1 - beta2 ** step
        if weight_decay != 0:
            if decoupled_weight_decay:
                param = param * (1 - lr * weight_decay)
            else:
                grad = grad + weight_decay * param
        mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentum_decay))          # momentum schedule
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
        mu_product = mu_product * mu                                        # prod of mu_1..mu_t
        exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)
        exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
        denom = sqrt(exp_avg_sq / bias_correction2) + eps
        mu_product_next = mu_product * mu_next
        param = param + (-lr * (1 - mu) / (1 - mu_product)) * grad / denom
        param = param + (-lr * mu_next / (1 - mu_product_next)) * exp_avg / denom

The two last lines are the Nesterov look-ahead: part of the step uses the current gradient,
part the momentum that the *next* step will apply.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import effective_gradient, zeros_or
from ._validation import check_betas, check_eps, check_lr, check_non_negative, check_weight_decay
from .optimizer import Optimizer, _check_unsupported

__all__ = ["NAdam", "nadam_update"]


def nadam_update(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, Any],
    lr: float = 2e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0,
    momentum_decay: float = 4e-3,
    *,
    decoupled_weight_decay: bool = False,
    maximize: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One NAdam step for one parameter (see the module docstring); pure.

    Args:
        param: the parameter's values.
        grad: its gradient.
        state: ``{"step", "mu_product", "exp_avg", "exp_avg_sq"}`` from the previous step, or
            ``{}``. ``mu_product`` is a float32 0-d array, as torch keeps it.
        lr, betas, eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize: the
            group's options.

    Returns:
        ``(new_param, new_state)``, with torch's state keys. The inputs are never changed.
    """
    beta1, beta2 = betas
    step = state.get("step", 0.0) + 1
    param, grad = effective_gradient(
        param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize,
        decoupled_weight_decay=decoupled_weight_decay,
    )
    bias_correction2 = 1 - beta2**step
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    mu_product = state.get("mu_product", np.ones((), dtype=np.float32)) * mu  # float32, as torch
    exp_avg = zeros_or(state, "exp_avg", param)
    exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)
    exp_avg_sq = beta2 * zeros_or(state, "exp_avg_sq", param) + (1 - beta2) * grad * grad
    denom = np.sqrt(exp_avg_sq / bias_correction2) + eps
    mu_product_next = float(mu_product) * mu_next
    param = param + (-lr * (1.0 - mu) / (1.0 - float(mu_product))) * grad / denom
    param = param + ((-lr * mu_next) / (1.0 - mu_product_next)) * exp_avg / denom
    new_state = {"step": step, "mu_product": mu_product, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
    return param, new_state


class NAdam(Optimizer):
    """NAdam, as ``torch.optim.NAdam``.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: learning rate.
        betas: ``(beta1, beta2)``, decay rates of the moment averages.
        eps: added to the denominator for numerical stability.
        weight_decay: weight decay (L2 penalty, or decoupled, see below).
        momentum_decay: how fast the momentum schedule ``mu`` warms up to ``beta1``.
        decoupled_weight_decay: shrink the parameters directly (as AdamW) instead of adding
            ``weight_decay * param`` to the gradient.
        foreach, capturable, differentiable: accepted with their default values only.
        maximize: maximize the objective instead of minimizing it.
    """

    _update = staticmethod(nadam_update)
    _options = (
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "momentum_decay",
        "decoupled_weight_decay",
        "maximize",
    )

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        check_eps(eps)
        check_betas(betas)
        check_weight_decay(weight_decay)
        check_non_negative("momentum_decay", momentum_decay, "use momentum_decay >= 0.")
        _check_unsupported(foreach=foreach, capturable=capturable, differentiable=differentiable)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)
