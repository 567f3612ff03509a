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

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import effective_gradient, zeros_or
from ._validation import check_betas, check_eps, check_lr, check_weight_decay
from .optimizer import Optimizer, _check_unsupported

__all__ = ["Adam", "adam_denominator", "adam_moments", "adam_update", "amsgrad_denominator"]


def adam_update(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, Any],
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0,
    *,
    amsgrad: bool = False,
    maximize: bool = False,
    decoupled_weight_decay: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One Adam (or AdamW) step for one parameter (see the module docstring); pure.

    Args:
        param: the parameter's values.
        grad: its gradient.
        state: ``{"step", "exp_avg", "exp_avg_sq"}`` (and ``"max_exp_avg_sq"`` with amsgrad)
            from the previous step, or ``{}`` before the first.
        lr, betas, eps, weight_decay, amsgrad, maximize: the group's options.
        decoupled_weight_decay: True for AdamW (shrink ``param``, not the gradient).

    Returns:
        ``(new_param, new_state)``, with torch's state keys. The inputs are never changed.
    """
    beta1, beta2 = betas
    param, grad = effective_gradient(
        param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize,
        decoupled_weight_decay=decoupled_weight_decay,
    )
    new_state = adam_moments(grad, state, betas, amsgrad=amsgrad)
    step_size = lr / (1 - beta1 ** new_state["step"])
    denom = adam_denominator(new_state, beta2, eps)
    return param + (-step_size * new_state["exp_avg"]) / denom, new_state


def adam_moments(
    grad: np.ndarray, state: dict[str, Any], betas: tuple[float, float], *, amsgrad: bool = False
) -> dict[str, Any]:
    """Adam's state after one more gradient: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v)
    and, with amsgrad, ``max_exp_avg_sq`` (the running maximum of v); pure.

    .. code-block:: text

        exp_avg    = exp_avg + (1 - beta1) * (grad - exp_avg)      # torch's lerp
        exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
    """
    beta1, beta2 = betas
    exp_avg = zeros_or(state, "exp_avg", grad)
    new_state = {
        "step": state.get("step", 0.0) + 1,
        "exp_avg": exp_avg + (1 - beta1) * (grad - exp_avg),
        "exp_avg_sq": beta2 * zeros_or(state, "exp_avg_sq", grad) + (1 - beta2) * grad * grad,
    }
    if amsgrad:
        new_state["max_exp_avg_sq"] = np.maximum(zeros_or(state, "max_exp_avg_sq", grad), new_state["exp_avg_sq"])
    return new_state


def adam_denominator(state: dict[str, Any], beta2: float, eps: float) -> np.ndarray:
    """``sqrt(v) / sqrt(1 - beta2**step) + eps``, with ``v`` the running maximum under amsgrad.

    torch adds ``eps`` after dividing by the bias correction (the paper adds it to
    ``sqrt(v_hat)``, the same thing); lesson 06's ``amsgrad_denominator`` is this line.
    """
    v = state.get("max_exp_avg_sq", state["exp_avg_sq"])
    return np.sqrt(v) / (1 - beta2 ** state["step"]) ** 0.5 + eps


def amsgrad_denominator(
    exp_avg_sq: np.ndarray, max_exp_avg_sq: np.ndarray, step: float, beta2: float, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """AMSGrad's ``(denom, new_max_exp_avg_sq)`` at step number ``step`` (from 1); pure.

    ``new_max = maximum(max_exp_avg_sq, exp_avg_sq)`` (of the raw ``v``), then the bias
    correction: ``denom = sqrt(new_max) / sqrt(1 - beta2**step) + eps``. Lesson 06's exercise;
    :func:`adam_update` computes the same through :func:`adam_moments` and :func:`adam_denominator`.
    """
    new_max = np.maximum(max_exp_avg_sq, exp_avg_sq)
    state = {"step": step, "exp_avg_sq": exp_avg_sq, "max_exp_avg_sq": new_max}
    return adam_denominator(state, beta2, eps), new_max


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

    _update = staticmethod(adam_update)
    _options = (
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "amsgrad",
        "maximize",
        "decoupled_weight_decay",
    )

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
