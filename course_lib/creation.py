"""Functions that make new tensors: from data, filled with a value, ranges, random."""
from __future__ import annotations

import numpy as np

from . import dtypes
from . import random as _random
from .tensor import Tensor, _to_array


def _shape(size) -> tuple[int, ...]:
    """Accept ``zeros(2, 3)`` and ``zeros((2, 3))`` alike, as torch does."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"size must be a tuple of ints, but got an element of type {type(n).__name__}")
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {tuple(size)}")
    return tuple(int(n) for n in size)


def _float_dtype(dtype) -> np.dtype:
    return dtypes.to_numpy_dtype(dtype) or dtypes.DEFAULT_FLOAT.numpy


def tensor(data, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (Python floats become float32, ints int64).

    A numpy array keeps its dtype and is copied, as ``torch.tensor`` does; use
    ``from_numpy`` to share its memory instead.
    """
    return Tensor(_to_array(data, dtype), requires_grad=requires_grad)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor that shares memory with ``ndarray`` and keeps its dtype."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    dtypes.from_numpy_dtype(ndarray.dtype)
    return Tensor(ndarray)


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of the given shape (float32 by default)."""
    return Tensor(np.zeros(_shape(size), _float_dtype(dtype)), requires_grad=requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given shape (float32 by default)."""
    return Tensor(np.ones(_shape(size), _float_dtype(dtype)), requires_grad=requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor in torch; here zeros, so programs stay deterministic."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size, fill_value, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred as ``tensor`` does)."""
    np_dtype = dtypes.to_numpy_dtype(dtype) or Tensor(fill_value)._data.dtype
    return Tensor(np.full(_shape((size,)), fill_value, np_dtype), requires_grad=requires_grad)


def zeros_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """Zeros with ``input``'s shape and dtype."""
    np_dtype = dtypes.to_numpy_dtype(dtype) or input._data.dtype
    return Tensor(np.zeros(input._data.shape, np_dtype), requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype=None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """Ones with ``input``'s shape and dtype."""
    np_dtype = dtypes.to_numpy_dtype(dtype) or input._data.dtype
    return Tensor(np.ones(input._data.shape, np_dtype), requires_grad=requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    """``fill_value`` everywhere, with ``input``'s shape and dtype."""
    np_dtype = dtypes.to_numpy_dtype(dtype) or input._data.dtype
    return Tensor(np.full(input._data.shape, fill_value, np_dtype), requires_grad=requires_grad)


def arange(start, end=None, step=1, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` by ``step``.

    int64 when every argument is an integer, float32 otherwise, as in torch.
    """
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    all_ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    np_dtype = dtypes.to_numpy_dtype(dtype) or (np.int64 if all_ints else dtypes.DEFAULT_FLOAT.numpy)
    # Count in float64 then cast, so float32 ranges hold the same values as torch's.
    values = np.arange(start, end, step, dtype=np.float64 if not all_ints else np.int64)
    return Tensor(values.astype(np_dtype), requires_grad=requires_grad)


def linspace(start, end, steps: int, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    if steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be non-negative, got {steps}")
    values = np.linspace(start, end, steps, dtype=np.float64)
    return Tensor(values.astype(_float_dtype(dtype)), requires_grad=requires_grad)


def randn(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Samples from the standard normal distribution N(0, 1) (seed with ``manual_seed``)."""
    values = _random.generator().standard_normal(_shape(size))
    return Tensor(values.astype(_float_dtype(dtype)), requires_grad=requires_grad)


def rand(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Samples from the uniform distribution on [0, 1) (seed with ``manual_seed``)."""
    values = _random.generator().random(_shape(size))
    return Tensor(values.astype(_float_dtype(dtype)), requires_grad=requires_grad)


def randint(low, high=None, size=None, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """Random integers in ``[low, high)``: ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing required argument 'size' (a tuple of ints)")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    values = _random.generator().integers(low, high, _shape((size,)))
    return Tensor(values.astype(dtypes.to_numpy_dtype(dtype) or np.int64), requires_grad=requires_grad)


def randperm(n: int, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1``."""
    values = _random.generator().permutation(n)
    return Tensor(values.astype(dtypes.to_numpy_dtype(dtype) or np.int64), requires_grad=requires_grad)
