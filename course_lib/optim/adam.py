"""Adam: momentum on the gradient, divided by a running root-mean-square of the gradient.

The algorithm, per parameter, in the symbols of :func:`adam_update` (as ``torch.optim.Adam``,
in torch's order of floating-point operations)::

    input: lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay
    state: exp_avg = 0, exp_avg_sq = 0, max_exp_avg_sq = 0 (amsgrad only), step = 0
    for step = 1, 2, ...:
        grad = -grad if maximize else grad
        if weight_decay != 0:
            if decoupled_weight_decay:                      # AdamW
                param = param * (1 - lr * weight_decay)
            else:                                            # L2 penalty in the gradient
                grad = grad + weight_decay * param
        exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)          # m: lerp towards grad
        exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad * grad  # v
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2 ** 0.5
        if amsgrad:
            max_exp_avg_sq = maximum(max_exp_avg_sq, exp_avg_sq)
            denom = sqrt(max_exp_avg_sq) / bias_correction2_sqrt + eps
        else:
            denom = sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
        param = param + (-step_size * exp_avg) / denom

In the paper's words: ``m_hat = exp_avg / bias_correction1``,
``v_hat = exp_avg_sq / bias_correction2`` and ``param -= lr * m_hat / (sqrt(v_hat) + eps')``
(torch's ``eps`` is added after dividing by ``bias_correction2_sqrt``, so it acts like
``eps * sqrt(bias_correction2)`` in the paper's form).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import effective_gradient, update_average, update_square_average
from ._validation import check_betas, check_eps, check_lr, check_weight_decay
from .optimizer import Optimizer, _check_unsupported

__all__ = ["Adam", "adam_update"]


def adam_update(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray | None,
    *,
    step: float,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    maximize: bool,
    decoupled_weight_decay: bool = False,
    scratch: tuple[np.ndarray, ...] | None = None,
) -> None:
    """One Adam (or AdamW) step for one parameter, in place (see the module docstring).

    Args:
        param: the parameter's values, changed in place.
        grad: its gradient (not changed).
        exp_avg: first-moment running average ``m``, changed in place.
        exp_avg_sq: second-moment running average ``v``, changed in place.
        max_exp_avg_sq: running maximum of ``v`` (changed in place) when ``amsgrad``, else None.
        step: number of this step, counting from 1.
        lr, beta1, beta2, eps, weight_decay, amsgrad, maximize: the group's options.
        decoupled_weight_decay: True for AdamW (shrink ``param``, not the gradient).
        scratch: optional two work arrays shaped like ``param`` (saves allocations).
    """
    tmp, update = scratch if scratch is not None else (np.empty_like(param), np.empty_like(param))
    grad = effective_gradient(
        param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize,
        decoupled_weight_decay=decoupled_weight_decay,
    )

    update_average(exp_avg, grad, beta1, tmp)  # exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)
    update_square_average(exp_avg_sq, grad, beta2, tmp)  # exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad**2

    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2**0.5

    if amsgrad:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second_moment = max_exp_avg_sq
    else:
        second_moment = exp_avg_sq
    # denom = sqrt(second_moment) / bias_correction2_sqrt + eps
    denom = np.sqrt(second_moment, out=tmp)
    denom /= bias_correction2_sqrt
    denom += eps
    # param = param + (-step_size * exp_avg) / denom
    np.multiply(exp_avg, -step_size, out=update)
    update /= denom
    param += update


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014), optionally AMSGrad, as ``torch.optim.Adam``.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: learning rate.
        betas: ``(beta1, beta2)``, decay rates of the first and second moment averages.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty added to the gradient (or decoupled, see below).
        amsgrad: use the running maximum of ``exp_avg_sq`` (AMSGrad).
        foreach, capturable, differentiable, fused: accepted with their default values only.
        maximize: maximize the objective instead of minimizing it.
        decoupled_weight_decay: shrink the parameters directly (AdamW) instead of adding
            ``weight_decay * param`` to the gradient.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        check_lr(lr)
        check_eps(eps)
        check_betas(betas)
        check_weight_decay(weight_decay)
        if not (isinstance(betas[0], float) and isinstance(betas[1], float)):
            raise ValueError(
                "betas must be either both floats or both Tensors. help: write them as floats, "
                "e.g. betas=(0.9, 0.999) or (0.0, 0.99)."
            )
        _check_unsupported(
            foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused
        )
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one Adam step on every parameter that has a gradient."""
        loss = self._run_closure(closure)
        for group, params in self._params_with_grad():
            beta1, beta2 = group["betas"]
            for p, grad in params:
                state = self._lazy_state(
                    p, "exp_avg", "exp_avg_sq", max_exp_avg_sq=group["amsgrad"]
                )
                step = self._next_step(state)
                max_exp_avg_sq = state["max_exp_avg_sq"]._data if group["amsgrad"] else None
                self._update_in_blocks(
                    adam_update,
                    (p._data, grad, state["exp_avg"]._data, state["exp_avg_sq"]._data, max_exp_avg_sq),
                    step=step,
                    lr=float(group["lr"]),
                    beta1=float(beta1),
                    beta2=float(beta2),
                    eps=float(group["eps"]),
                    weight_decay=float(group["weight_decay"]),
                    amsgrad=group["amsgrad"],
                    maximize=group["maximize"],
                    decoupled_weight_decay=group["decoupled_weight_decay"],
                )
        return loss
