"""The first lines many update rules share, in one place and in torch's order of operations."""
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
) -> tuple[np.ndarray, np.ndarray]:
    """The parameter and the gradient an update rule goes on with: ``(param, grad)``.

    .. code-block:: text

        grad = -grad if maximize else grad
        if weight_decay != 0:
            if decoupled_weight_decay:  param = param * (1 - lr * weight_decay)   # AdamW
            else:                       grad = grad + weight_decay * param        # L2 penalty

    Pure: new arrays are returned where a value changes; the inputs are never changed.
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            param = param * (1 - lr * weight_decay)
        else:
            grad = grad + weight_decay * param
    return param, grad


def zeros_or(state: dict, key: str, like: np.ndarray) -> np.ndarray:
    """``state[key]``, or zeros shaped like ``like`` before the first step (torch's initial state)."""
    value = state.get(key)
    return np.zeros_like(like) if value is None else value
