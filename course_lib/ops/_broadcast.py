"""Broadcasting helpers shared by every op: undo it in gradients, explain it in errors."""
from __future__ import annotations

import numpy as np


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: the gradient of a broadcast input.

    Broadcasting copies an input along new leading axes and along axes of size 1, so the
    gradient of that input is the sum of the gradients of all its copies.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def broadcast_error(shape_a: tuple[int, ...], shape_b: tuple[int, ...]) -> RuntimeError:
    """torch's error for shapes that do not broadcast, naming both shapes."""
    ndim = max(len(shape_a), len(shape_b))
    a = (1,) * (ndim - len(shape_a)) + tuple(shape_a)
    b = (1,) * (ndim - len(shape_b)) + tuple(shape_b)
    for dim in range(ndim - 1, -1, -1):
        if a[dim] != b[dim] and a[dim] != 1 and b[dim] != 1:
            return RuntimeError(
                f"The size of tensor a ({a[dim]}) must match the size of tensor b ({b[dim]}) "
                f"at non-singleton dimension {dim} (shapes {tuple(shape_a)} and {tuple(shape_b)}). "
                "help: two shapes broadcast when, from the right, each pair of sizes is equal "
                "or one of them is 1."
            )
    return RuntimeError(f"shapes {tuple(shape_a)} and {tuple(shape_b)} do not broadcast")
