"""Checking and normalising ``dim`` arguments with torch's errors."""
from __future__ import annotations

import numpy as np


def wrap_dim(dim, ndim: int) -> int:
    """``dim`` as a non-negative axis of an ``ndim``-dimensional tensor (negative counts from the end).

    A 0-d tensor accepts ``dim`` 0 and -1, as in torch.
    """
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return int(dim) % n


def wrap_dims(dim, ndim: int) -> tuple[int, ...] | None:
    """``dim`` (None, an int or a sequence of ints) as a sorted tuple of axes, None for all."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if not dims:  # torch reads an empty list of dims as "all of them"
        return None
    axes = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dim {axes} appears multiple times in the list of dims")
    if ndim == 0:
        return None
    return tuple(sorted(axes))
