"""Rprop: resilient backpropagation, steps that follow only the *sign* of the gradient.

Each element has its own step size. It grows (times ``etaplus``) while the gradient keeps its
sign, shrinks (times ``etaminus``) when the sign flips, which means the last step jumped over
a minimum, and the parameter moves by the step size against the gradient's sign; the size of
the gradient is never used. Made for full-batch training (Riedmiller & Braun, 1993): with
mini-batches the signs flip from noise alone.

The algorithm, per parameter, in the symbols of :func:`rprop_update` (as ``torch.optim.Rprop``,
in torch's order of floating-point operations)::

    input: lr, etaminus, etaplus (etas), step_size_min, step_size_max (step_sizes), maximize
    state: step = 0, prev = 0, step_size = lr (one per element)
    for step = 1, 2, ...:
        grad = -grad if maximize else grad
        sign = sign(grad * prev)                   # +1 same sign as last step, -1 flipped, 0 either is 0
        eta = etaplus where sign > 0, etaminus where sign < 0, 1 where sign == 0
        step_size = clamp(step_size * eta, step_size_min, step_size_max)
        grad = 0 where sign < 0                    # after a flip: no step now, and no flip next time
        param = param - sign(grad) * step_size
        prev = grad

``lr`` is read once, on the first step, to fill ``step_size``: changing a group's ``lr`` later
(a scheduler) changes nothing for parameters that already have state, as in torch. Even with
``lr=0`` the parameters move, by ``step_size_min``, since the step size is clamped.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import zeros_or
from ._validation import check_etas, check_lr
from .optimizer import Optimizer, _check_unsupported

__all__ = ["Rprop", "rprop_update"]


def rprop_update(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, Any],
    lr: float = 1e-2,
    etas: tuple[float, float] = (0.5, 1.2),
    step_sizes: tuple[float, float] = (1e-6, 50),
    *,
    maximize: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One Rprop step for one parameter (see the module docstring); pure.

    Args:
        param: the parameter's values.
        grad: its gradient.
        state: ``{"step", "prev", "step_size"}`` from the previous step, or ``{}`` before the
            first (then ``prev`` is zeros and ``step_size`` is ``lr`` everywhere).
        lr, etas, step_sizes, maximize: the group's options.

    Returns:
        ``(new_param, new_state)``, with torch's state keys. The inputs are never changed.
    """
    etaminus, etaplus = etas
    step_size_min, step_size_max = step_sizes
    if maximize:
        grad = -grad
    prev = zeros_or(state, "prev", param)
    step_size = state.get("step_size")
    if step_size is None:
        step_size = np.full_like(param, lr)
    sign = np.sign(grad * prev)
    # torch writes etaplus/etaminus/1 into a tensor of the parameter's dtype: round them alike
    eta = np.where(sign > 0, etaplus, np.where(sign < 0, etaminus, 1.0)).astype(param.dtype)
    step_size = np.clip(step_size * eta, step_size_min, step_size_max)
    grad = np.where(sign < 0, 0, grad)
    param = param - np.sign(grad) * step_size
    return param, {"step": state.get("step", 0.0) + 1, "prev": grad, "step_size": step_size}


class Rprop(Optimizer):
    """The resilient backpropagation algorithm, as ``torch.optim.Rprop``.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: the initial step size of every element.
        etas: ``(etaminus, etaplus)``, the factors that shrink and grow a step size
            (``0 < etaminus < 1 < etaplus``).
        step_sizes: ``(step_size_min, step_size_max)``, the bounds of a step size.
        capturable, foreach, differentiable: accepted with their default values only.
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> optimizer = Rprop(model.parameters(), lr=0.01)   # full-batch gradients work best
    """

    _update = staticmethod(rprop_update)
    _options = ("lr", "etas", "step_sizes", "maximize")

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        check_etas(etas)
        _check_unsupported(capturable=capturable, foreach=foreach, differentiable=differentiable)
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)
