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

from typing import Any, Callable, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import effective_gradient, update_average, update_square_average
from ._validation import check_betas, check_eps, check_lr, check_non_negative, check_weight_decay
from .optimizer import Optimizer, _check_unsupported

__all__ = ["NAdam", "nadam_update"]


def nadam_update(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    mu_product: np.ndarray,
    *,
    step: float,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    momentum_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
    scratch: tuple[np.ndarray, ...] | None = None,
) -> None:
    """One NAdam step for one parameter, in place (see the module docstring).

    Args:
        param: the parameter's values, changed in place.
        grad: its gradient (not changed).
        exp_avg, exp_avg_sq: first and second moment running averages, changed in place.
        mu_product: 0-d array holding the product of the momentum schedule so far (float32,
            as torch keeps it), changed in place. Call once per parameter and step.
        step: number of this step, counting from 1.
        lr, beta1, beta2, eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize:
            the group's options.
        scratch: optional two work arrays shaped like ``param``.
    """
    denom, tmp = scratch if scratch is not None else (np.empty_like(param), np.empty_like(param))
    grad = effective_gradient(
        param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize,
        decoupled_weight_decay=decoupled_weight_decay,
    )
    bias_correction2 = 1 - beta2**step

    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    mu_product *= mu  # in the 0-d array's own dtype (float32 by default), as torch

    update_average(exp_avg, grad, beta1, tmp)  # exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)
    update_square_average(exp_avg_sq, grad, beta2, tmp)  # exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad**2
    # denom = sqrt(exp_avg_sq / bias_correction2) + eps
    np.sqrt(np.divide(exp_avg_sq, bias_correction2, out=denom), out=denom)

    mu_product_now = float(mu_product)
    mu_product_next = mu_product_now * mu_next
    denom += eps
    # param = param + (value * grad) / denom, then the same with exp_avg
    value = -lr * (1.0 - mu) / (1.0 - mu_product_now)
    param += np.divide(np.multiply(grad, value, out=tmp), denom, out=tmp)
    value = (-lr * mu_next) / (1.0 - mu_product_next)
    param += np.divide(np.multiply(exp_avg, value, out=tmp), denom, out=tmp)


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

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one NAdam step on every parameter that has a gradient."""
        loss = self._run_closure(closure)
        for group, params in self._params_with_grad():
            beta1, beta2 = group["betas"]
            for p, grad in params:
                state = self.state[p]
                if len(state) == 0:  # not _lazy_state: mu_product starts at 1, before the averages
                    state["step"] = self._new_step()
                    state["mu_product"] = Tensor(np.ones((), dtype=np.float32))
                    state["exp_avg"] = Tensor(np.zeros_like(p._data))
                    state["exp_avg_sq"] = Tensor(np.zeros_like(p._data))
                step = self._next_step(state)
                # Not in blocks: mu_product must be multiplied once per step.
                nadam_update(
                    p._data,
                    grad,
                    state["exp_avg"]._data,
                    state["exp_avg_sq"]._data,
                    state["mu_product"]._data,
                    step=step,
                    lr=float(group["lr"]),
                    beta1=float(beta1),
                    beta2=float(beta2),
                    eps=float(group["eps"]),
                    weight_decay=float(group["weight_decay"]),
                    momentum_decay=float(group["momentum_decay"]),
                    decoupled_weight_decay=group["decoupled_weight_decay"],
                    maximize=group["maximize"],
                    scratch=self._scratch(p._data),
                )
        return loss
