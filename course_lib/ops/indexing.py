"""Indexing: ``t[0]``, ``t[:, 1:3]``, ``t[idx]``, ``t[mask]`` and assignment ``t[idx] = v``.

The backward of indexing scatters ``g`` back into a zero tensor of the input's shape. With
integer arrays the same element can be picked several times (``t[[0, 0]]``); its gradient
is then the *sum* of the picks' gradients, which ``np.add.at`` computes (a plain
``grad[idx] += g`` would keep only the last one).
"""
from __future__ import annotations

import numpy as np

from ..autograd import record
from ..tensor import Tensor


def _index_part(part):
    """One element of an index as numpy understands it (Tensors and lists become arrays)."""
    if isinstance(part, Tensor):
        part = part._data
    elif isinstance(part, list):
        part = np.asarray(part)
    if isinstance(part, np.ndarray):
        if part.dtype.kind not in "biu":
            raise IndexError(
                "tensors used as indices must be long, int, byte or bool tensors. "
                "help: convert with .long()."
            )
        if part.dtype.kind == "b" and part.ndim == 0:
            return bool(part)
    return part


def _normalise(index) -> tuple:
    """The index as a tuple; boolean masks expanded into the integer arrays they select."""
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for part in map(_index_part, parts):
        if isinstance(part, np.ndarray) and part.dtype == np.bool_:
            out.extend(np.nonzero(part))
        else:
            out.append(part)
    return tuple(out)


def _is_basic(index: tuple) -> bool:
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in index)


def _name(index: tuple) -> str:
    """torch's grad_fn name: the last non-trivial op applied (select, slice, unsqueeze)."""
    if not _is_basic(index):
        return "IndexBackward0"
    for part in reversed(index):
        if isinstance(part, (int, np.integer)):
            return "SelectBackward0"
        if isinstance(part, slice) and part != slice(None):
            return "SliceBackward0"
        if part is None:
            return "UnsqueezeBackward0"
    return "AliasBackward0"


def getitem(a: Tensor, index) -> Tensor:
    """``a[index]``: the gradient goes back to the picked positions (summed over repeats)."""
    index = _normalise(index)
    basic = _is_basic(index)
    if basic and Ellipsis not in index:
        index = index + (Ellipsis,)  # numpy then returns a 0-d view instead of a scalar copy
    try:
        out = np.asarray(a._data[index])
    except IndexError as error:
        raise IndexError(str(error).replace("axis", "dimension")) from None
    shape = a._data.shape

    def backward(g):
        grad = np.zeros(shape, dtype=g.dtype)
        if basic:
            grad[index] = g  # basic indexing never picks an element twice
        else:
            np.add.at(grad, index, g)
        return (grad,)

    return record(Tensor(out), _name(index), (a,), backward)


def setitem(a: Tensor, index, value) -> None:
    """``a[index] = value`` in place (only outside autograd, like the other in-place ops)."""
    a._check_inplace()
    index = _normalise(index)
    a._data[index] = value._data if isinstance(value, Tensor) else value
