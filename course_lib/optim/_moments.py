"""The steps many update rules share, each in one place and in torch's order of operations.

All work in place on numpy arrays; ``tmp`` is a scratch array shaped like the others, so
the hot path allocates nothing.
"""
from __future__ import annotations

import numpy as np


def effective_gradient(
    param: np.ndarray,
    grad: np.ndarray,
    *,
    lr: float,
    weight_decay: float,
    maximize: bool,
    decoupled_weight_decay: bool = False,
) -> np.ndarray:
    """The gradient an update rule follows, and decoupled weight decay applied to ``param``.

    .. code-block:: text

        grad = -grad if maximize else grad
        if weight_decay != 0:
            if decoupled_weight_decay:  param = param * (1 - lr * weight_decay)   # AdamW
            else:                       grad = grad + weight_decay * param        # L2 penalty

    The caller's ``grad`` is never changed (a new array is returned when it must differ).
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            param *= 1 - lr * weight_decay
        else:
            grad = grad + weight_decay * param
    return grad


def update_average(average: np.ndarray, value: np.ndarray, beta: float, tmp: np.ndarray) -> None:
    """``average = average + (1 - beta) * (value - average)``: torch's ``lerp_(value, 1 - beta)``.

    The same as ``beta * average + (1 - beta) * value`` (Adam's first moment ``m``).
    """
    average += np.multiply(np.subtract(value, average, out=tmp), 1 - beta, out=tmp)


def update_square_average(average: np.ndarray, grad: np.ndarray, beta: float, tmp: np.ndarray) -> None:
    """``average = beta * average + ((1 - beta) * grad) * grad`` (Adam's ``v``, RMSprop's ``square_avg``).

    torch's ``mul_(beta).addcmul_(grad, grad, value=1 - beta)``.
    """
    average *= beta
    average += np.multiply(np.multiply(grad, 1 - beta, out=tmp), grad, out=tmp)
