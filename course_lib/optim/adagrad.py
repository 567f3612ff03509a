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

from typing import Any, Callable, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import effective_gradient
from ._validation import check_eps, check_lr, check_non_negative, check_weight_decay
from .optimizer import Optimizer, _check_unsupported

__all__ = ["Adagrad", "adagrad_update"]


def adagrad_update(
    param: np.ndarray,
    grad: np.ndarray,
    state_sum: np.ndarray,
    *,
    step: float,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
    scratch: tuple[np.ndarray, ...] | None = None,
) -> None:
    """One Adagrad step for one parameter, in place (see the module docstring).

    Args:
        param: the parameter's values, changed in place.
        grad: its gradient (not changed).
        state_sum: running sum of ``grad * grad`` (torch's state ``"sum"``), changed in place.
        step: number of this step, counting from 1.
        lr, lr_decay, weight_decay, eps, maximize: the group's options.
        scratch: optional two work arrays shaped like ``param``.
    """
    std, tmp = scratch if scratch is not None else (np.empty_like(param), np.empty_like(param))
    grad = effective_gradient(param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize)
    clr = lr / (1 + (step - 1) * lr_decay)

    state_sum += np.multiply(grad, grad, out=tmp)
    np.sqrt(state_sum, out=std)
    std += eps
    # param = param + (-clr * grad) / std
    param += np.divide(np.multiply(grad, -clr, out=tmp), std, out=tmp)


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
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p: Tensor) -> None:
        """Create ``step`` and ``sum`` (filled with the default initial_accumulator_value)."""
        state = self.state[p]
        state["step"] = self._new_step()
        state["sum"] = Tensor(np.full_like(p._data, self.defaults["initial_accumulator_value"]))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one Adagrad step on every parameter that has a gradient."""
        loss = self._run_closure(closure)
        for group, params in self._params_with_grad():
            for p, grad in params:
                state = self.state[p]
                if len(state) == 0:  # a parameter added later with add_param_group
                    self._init_state(p)
                step = self._next_step(state)
                self._update_in_blocks(
                    adagrad_update,
                    (p._data, grad, state["sum"]._data),
                    step=step,
                    lr=float(group["lr"]),
                    lr_decay=float(group["lr_decay"]),
                    weight_decay=float(group["weight_decay"]),
                    eps=float(group["eps"]),
                    maximize=group["maximize"],
                )
        return loss
