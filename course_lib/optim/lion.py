"""Lion: the sign of an interpolation of momentum and gradient (Chen et al., 2023).

Lion ("EvoLved Sign Momentum") was found by a program search over update rules. It keeps a
single buffer (half of Adam's optimizer memory) and every coordinate moves by exactly
``lr`` per step, up or down. Not in ``torch.optim``: course_lib's numbers follow the
authors' reference implementation (the ``lion-pytorch`` package, used once to make the
committed reference data in ``tests/reference/``). Lesson 12 has students write
:func:`lion_update`.

The algorithm, per parameter, in the symbols of :func:`lion_update`::

    input: lr, beta1, beta2, weight_decay
    state: exp_avg = 0
    for step = 1, 2, ...:
        param = param * (1 - lr * weight_decay)                    # decoupled decay
        update = sign(beta1 * exp_avg + (1 - beta1) * grad)         # interpolate, then sign
        param = param - lr * update
        exp_avg = beta2 * exp_avg + (1 - beta2) * grad              # momentum, after the step

Two betas play two parts: ``beta1`` mixes the gradient into the direction of *this* step,
``beta2`` (closer to 1) is the memory of the momentum kept for the next ones. Because the
step's size is ``lr`` in every coordinate, Lion wants a learning rate 3-10x smaller than
AdamW's and a weight decay 3-10x larger, so that ``lr * weight_decay`` stays the same.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import zeros_or
from ._validation import check_betas, check_lr, check_weight_decay
from .optimizer import Optimizer

__all__ = ["Lion", "lion_update"]


def lion_update(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, Any],
    lr: float = 1e-4,
    betas: tuple[float, float] = (0.9, 0.99),
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One Lion step for one parameter (see the module docstring); pure.

    Args:
        param: the parameter's values.
        grad: its gradient.
        state: ``{"exp_avg": m}`` from the previous step, or ``{}`` before the first.
        lr, betas, weight_decay: the group's options.

    Returns:
        ``(new_param, {"exp_avg": new_m})``. The inputs are never changed.
    """
    beta1, beta2 = betas
    exp_avg = zeros_or(state, "exp_avg", param)
    param = param * (1 - lr * weight_decay)
    update = np.sign(beta1 * exp_avg + (1 - beta1) * grad)
    param = param - lr * update
    exp_avg = beta2 * exp_avg + (1 - beta2) * grad
    return param, {"exp_avg": exp_avg}


class Lion(Optimizer):
    """Lion, as the authors' reference implementation (``lion_pytorch.Lion``); course-only.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: learning rate: the size of every coordinate's step (typically 3-10x below AdamW's).
        betas: ``(beta1, beta2)``: the interpolation of this step's direction, and the decay
            of the momentum kept for the next steps.
        weight_decay: decoupled decay rate: each step multiplies ``param`` by
            ``1 - lr * weight_decay``.

    Differences from ``lion_pytorch.Lion``, on purpose: bad options raise ``ValueError`` (it
    uses ``assert``); ``beta = 1`` is rejected as for every other optimizer here; the
    ``use_triton`` and ``decoupled_weight_decay`` switches are not offered.
    """

    _update = staticmethod(lion_update)
    _options = ("lr", "betas", "weight_decay")

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
    ) -> None:
        check_lr(lr)
        check_betas(betas)
        check_weight_decay(weight_decay)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "weight_decay": weight_decay})
