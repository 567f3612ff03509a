"""RAdam: Adam whose adaptive step is switched on only once its variance is tractable (Liu et al.).

The algorithm, per parameter, in the symbols of :func:`radam_update` (as ``torch.optim.RAdam``,
in torch's order of floating-point operations)::

    input: lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, maximize
    state: exp_avg = 0, exp_avg_sq = 0, step = 0
    for step = 1, 2, ...:
        grad = -grad if maximize else grad
        if weight_decay != 0:
            if decoupled_weight_decay:
                param = param * (1 - lr * weight_decay)
            else:
                grad = grad + weight_decay * param
        exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)
        exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        bias_corrected_exp_avg = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1                       # max length of the SMA
        rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
        if rho_t > 5:                                       # variance is tractable
            rect = sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive_lr = 1 / (sqrt(exp_avg_sq) + eps) * sqrt(bias_correction2)
            param = param - bias_corrected_exp_avg * lr * adaptive_lr * rect
        else:                                               # plain SGD with momentum
            param = param - bias_corrected_exp_avg * lr
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import effective_gradient, update_average, update_square_average
from ._validation import check_betas, check_eps, check_lr, check_weight_decay
from .optimizer import Optimizer, _check_unsupported

__all__ = ["RAdam", "radam_update"]


def radam_update(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    *,
    step: float,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
    scratch: tuple[np.ndarray, ...] | None = None,
) -> None:
    """One RAdam step for one parameter, in place (see the module docstring).

    Args:
        param: the parameter's values, changed in place.
        grad: its gradient (not changed).
        exp_avg, exp_avg_sq: first and second moment running averages, changed in place.
        step: number of this step, counting from 1.
        lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, maximize: the group's
            options.
        scratch: optional two work arrays shaped like ``param``.
    """
    update, tmp = scratch if scratch is not None else (np.empty_like(param), np.empty_like(param))
    grad = effective_gradient(
        param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize,
        decoupled_weight_decay=decoupled_weight_decay,
    )

    update_average(exp_avg, grad, beta1, tmp)  # exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)
    update_square_average(exp_avg_sq, grad, beta2, tmp)  # exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad**2

    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    np.divide(exp_avg, bias_correction1, out=update)  # bias_corrected_exp_avg
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2

    update *= lr
    if rho_t > 5.0:
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        # adaptive_lr = 1 / (sqrt(exp_avg_sq) + eps) * sqrt(bias_correction2)
        adaptive_lr = np.add(np.sqrt(exp_avg_sq, out=tmp), eps, out=tmp)
        np.reciprocal(adaptive_lr, out=adaptive_lr)
        adaptive_lr *= bias_correction2**0.5
        update *= adaptive_lr
        update *= rect
    param -= update


class RAdam(Optimizer):
    """RAdam, as ``torch.optim.RAdam``.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: learning rate.
        betas: ``(beta1, beta2)``, decay rates of the moment averages.
        eps: added to the denominator for numerical stability.
        weight_decay: weight decay (L2 penalty, or decoupled, see below).
        decoupled_weight_decay: shrink the parameters directly (as AdamW) instead of adding
            ``weight_decay * param`` to the gradient.
        foreach, capturable, differentiable: accepted with their default values only.
        maximize: maximize the objective instead of minimizing it.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
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
        _check_unsupported(foreach=foreach, capturable=capturable, differentiable=differentiable)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one RAdam step on every parameter that has a gradient."""
        loss = self._run_closure(closure)
        for group, params in self._params_with_grad():
            beta1, beta2 = group["betas"]
            for p, grad in params:
                state = self._lazy_state(p, "exp_avg", "exp_avg_sq")
                step = self._next_step(state)
                self._update_in_blocks(
                    radam_update,
                    (p._data, grad, state["exp_avg"]._data, state["exp_avg_sq"]._data),
                    step=step,
                    lr=float(group["lr"]),
                    beta1=float(beta1),
                    beta2=float(beta2),
                    eps=float(group["eps"]),
                    weight_decay=float(group["weight_decay"]),
                    decoupled_weight_decay=group["decoupled_weight_decay"],
                    maximize=group["maximize"],
                )
        return loss
