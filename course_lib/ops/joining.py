"""Joining tensors: ``stack`` (along a new dimension) and ``cat`` (along an existing one).

The backward cuts ``g`` into the pieces that came from each input.
"""
from __future__ import annotations

import numpy as np

from ..autograd import record
from ..tensor import Tensor
from ._dims import wrap_dim
from ._operands import promote


def _tensors(tensors, name: str) -> list[Tensor]:
    if isinstance(tensors, Tensor):
        raise TypeError(
            f"{name}(): argument 'tensors' must be tuple of Tensors, not Tensor. "
            f"help: pass a list, e.g. course_lib.{name}([a, b])."
        )
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"torch.{name}(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{name}(): argument 'tensors' must be tuple of Tensors, but found element of "
                f"type {type(t).__name__} at pos {i}"
            )
    return tensors


def stack(tensors, dim: int = 0) -> Tensor:
    """Stack equal-shaped tensors along a new dimension ``dim``."""
    tensors = _tensors(tensors, "stack")
    first = tensors[0].shape
    for i, t in enumerate(tensors[1:], start=1):
        if t.shape != first:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(first)} at entry 0 "
                f"and {list(t.shape)} at entry {i}"
            )
    axis = wrap_dim(dim, len(first) + 1)
    arrays = [t._data for t in tensors]
    out = promote(np.stack(arrays, axis=axis), *arrays)

    def backward(g):
        return tuple(np.take(g, i, axis=axis) for i in range(len(tensors)))

    return record(Tensor(out), "StackBackward0", tensors, backward)


def cat(tensors, dim: int = 0) -> Tensor:
    """Concatenate along an existing dimension ``dim``; other sizes must match."""
    tensors = _tensors(tensors, "cat")
    ndim = tensors[0].ndim
    if ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    axis = wrap_dim(dim, ndim)
    first = tensors[0].shape
    for i, t in enumerate(tensors[1:], start=1):
        if t.ndim != ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ndim} and {t.ndim}"
            )
        for d in range(ndim):
            if d != axis and t.shape[d] != first[d]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {axis}. Expected size "
                    f"{first[d]} but got size {t.shape[d]} for tensor number {i} in the list."
                )
    arrays = [t._data for t in tensors]
    out = promote(np.concatenate(arrays, axis=axis), *arrays)
    bounds = np.cumsum([a.shape[axis] for a in arrays])[:-1]

    def backward(g):
        return tuple(np.split(g, bounds, axis=axis))

    return record(Tensor(out), "CatBackward0", tensors, backward)
