"""Adagrad: each coordinate's step shrinks with the sum of its squared gradients (Duchi et al.).

The algorithm, per parameter, in the symbols of :func:`adagrad_update` (as
``torch.optim.Adagrad``, in torch's order of floating-point operations)::

    input: lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize
    state: state_sum = initial_accumulator_value (everywhere), step = 0
    for step = 1, 2, ...:
        grad = -grad if maximize else grad
        if weight_decay != 0:
            grad = grad + weight_decay * param
        clr = lr / (1 + (step - 1) * lr_decay)
        state_sum = state_sum + grad * grad
        std = sqrt(state_sum) + eps
        param = param + (-clr * grad) / std

``state_sum`` is kept in ``optimizer.state[p]["sum"]`` (torch's key). Since it only grows, the effective learning rate ``clr / std`` only falls: good for
sparse features, too aggressive for long non-convex training (RMSprop's motivation).
As in torch, the state is created when the optimizer is built, and the sum starts at the
optimizer's ``initial_accumulator_value`` even for a param group that sets another one.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import effective_gradient, zeros_or
from ._validation import check_eps, check_lr, check_non_negative, check_weight_decay
from .optimizer import Optimizer, _check_unsupported

__all__ = ["Adagrad", "adagrad_update"]


def adagrad_update(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, Any],
    lr: float = 1e-2,
    lr_decay: float = 0,
    weight_decay: float = 0,
    eps: float = 1e-10,
    *,
    initial_accumulator_value: float = 0,
    maximize: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One Adagrad step for one parameter (see the module docstring); pure.

    Args:
        param: the parameter's values.
        grad: its gradient.
        state: ``{"step", "sum"}`` (``state_sum`` above) from the previous step; ``{}`` starts
            the sum at ``initial_accumulator_value``.
        lr, lr_decay, weight_decay, eps, initial_accumulator_value, maximize: the group's options.

    Returns:
        ``(new_param, new_state)``, with torch's state keys. The inputs are never changed.
    """
    step = state.get("step", 0.0) + 1
    state_sum = state.get("sum")
    if state_sum is None:
        state_sum = np.full_like(param, initial_accumulator_value)
    param, grad = effective_gradient(param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize)
    clr = lr / (1 + (step - 1) * lr_decay)
    state_sum = state_sum + grad * grad
    std = np.sqrt(state_sum) + eps
    return param + (-clr * grad) / std, {"step": step, "sum": state_sum}


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad``.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: learning rate.
        lr_decay: the learning rate at step t is ``lr / (1 + (t - 1) * lr_decay)``.
        weight_decay: L2 penalty added to the gradient.
        initial_accumulator_value: starting value of the sum of squared gradients.
        eps: added to the denominator for numerical stability.
        foreach, differentiable, fused: accepted with their default values only.
        maximize: maximize the objective instead of minimizing it.
    """

    _update = staticmethod(adagrad_update)
    _options = (
        "lr",
        "lr_decay",
        "weight_decay",
        "eps",
        "initial_accumulator_value",
        "maximize",
    )

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_lr(lr)
        check_non_negative("lr_decay", lr_decay, "use lr_decay >= 0.")
        check_weight_decay(weight_decay)
        check_non_negative(
            "initial_accumulator_value",
            initial_accumulator_value,
            "the accumulator holds a sum of squares, so start it at a value >= 0.",
        )
        check_eps(eps, typical="1e-10")
        _check_unsupported(foreach=foreach, differentiable=differentiable, fused=fused)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        # torch creates Adagrad's state here, not at the first step.
        for group in self.param_groups:
            for p in group["params"]:
                initial_sum = np.full_like(p._data, self.defaults["initial_accumulator_value"])
                self._write_state(p, {"step": 0.0, "sum": initial_sum})
