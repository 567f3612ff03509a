"""Reductions: sum, mean, max, min, argmax, argmin, var, std (with ``dim`` and ``keepdim``).

A reduction's backward spreads ``g`` back over the elements that were reduced: every
element for sum and mean, the chosen element(s) for max and min, and the derivative of
the deviation from the mean for var and std.
"""
from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from ..autograd import record
from ..tensor import Tensor
from ._dims import wrap_dim, wrap_dims


class MaxResult(NamedTuple):
    """What ``max(dim)``/``min(dim)`` return, like ``torch.return_types.max``: (values, indices)."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return f"course_lib.return_types.max(\nvalues={self.values!r},\nindices={self.indices!r})"


def _expand_grad(g: np.ndarray, shape: tuple, axes, keepdim: bool) -> np.ndarray:
    """``g`` of a reduced shape broadcast back to ``shape`` (a read-only view, no copy)."""
    if axes is not None and not keepdim:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


def _count(shape: tuple, axes) -> int:
    return int(np.prod(shape if axes is None else [shape[i] for i in axes], dtype=np.int64))


def sum(input: Tensor, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001,A002
    r""":math:`\sum_i a_i` over ``dim`` (all elements by default); d/da = 1 for every element.

    Integer and bool tensors sum to int64, as in torch.
    """
    from .. import dtypes

    axes = wrap_dims(dim, input.ndim)
    np_dtype = dtypes.to_numpy_dtype(dtype)
    if np_dtype is None and input._data.dtype.kind in "biu":
        np_dtype = np.dtype(np.int64)
    out = np.asarray(input._data.sum(axis=axes, keepdims=keepdim, dtype=np_dtype))
    shape = input._data.shape
    name = "SumBackward0" if dim is None else "SumBackward1"
    return record(Tensor(out), name, (input,), lambda g: (_expand_grad(g, shape, axes, keepdim),))


def mean(input: Tensor, dim: int | tuple[int, ...] | None = None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002 - torch's names
    r""":math:`\frac{1}{N}\sum_i a_i` over ``dim``; d/da = 1/N for every element."""
    from .. import dtypes

    np_dtype = dtypes.to_numpy_dtype(dtype)
    if (np_dtype or input._data.dtype).kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {dtypes.torch_name(input._data.dtype)}. help: call .float() first."
        )
    axes = wrap_dims(dim, input.ndim)
    data = input._data if np_dtype is None else input._data.astype(np_dtype)
    out = np.asarray(data.mean(axis=axes, keepdims=keepdim))
    shape, count = data.shape, _count(data.shape, axes)
    name = "MeanBackward0" if dim is None else "MeanBackward1"
    return record(
        Tensor(out), name, (input,), lambda g: (_expand_grad(g / count, shape, axes, keepdim),)
    )


def _extreme(a: Tensor, dim, keepdim: bool, kind: str):
    """Shared body of max and min."""
    pick, arg = (np.max, np.argmax) if kind == "max" else (np.min, np.argmin)
    label = kind.capitalize()
    if dim is None:
        if a._data.size == 0:
            raise RuntimeError(
                f"{kind}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        out = np.asarray(pick(a._data))

        def backward(g):
            # Ties share the gradient evenly, as torch's full max/min does.
            chosen = a._data == out
            return (g * chosen / np.count_nonzero(chosen),)

        return record(Tensor(out), f"{label}Backward1", (a,), backward)
    axis = wrap_dim(dim, a.ndim)
    data = a._data.reshape(1) if a._data.ndim == 0 else a._data
    index = np.expand_dims(arg(data, axis=axis), axis)
    values = np.take_along_axis(data, index, axis)
    if not keepdim or a._data.ndim == 0:
        values, index = values.squeeze(axis), index.squeeze(axis)
    shape = a._data.shape

    def backward(g):
        grad = np.zeros(data.shape, dtype=g.dtype)
        keep = (lambda x: x) if keepdim else (lambda x: np.expand_dims(x, axis))
        np.put_along_axis(grad, keep(index), keep(g), axis)
        return (grad.reshape(shape),)

    values_t = record(Tensor(values), f"{label}Backward0", (a,), backward)
    return MaxResult(values_t, Tensor(index.astype(np.int64)))


def max(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001,A002
    """The largest value, or ``(values, indices)`` along ``dim`` (a namedtuple, as torch).

    ``max(a, other_tensor)`` is the elementwise :func:`maximum`. The gradient goes to the
    element(s) chosen; on ties in a full reduction it is shared evenly.
    """
    if isinstance(dim, Tensor):
        from .elementwise import maximum

        return maximum(input, dim)
    return _extreme(input, dim, keepdim, "max")


def min(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001,A002
    """The smallest value, or ``(values, indices)`` along ``dim``; see :func:`max`."""
    if isinstance(dim, Tensor):
        from .elementwise import minimum

        return minimum(input, dim)
    return _extreme(input, dim, keepdim, "min")


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002 - torch's names
    """Index of the largest value (of the flattened tensor when ``dim`` is None); first on ties."""
    return _arg(input, dim, keepdim, np.argmax)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002 - torch's names
    """Index of the smallest value (of the flattened tensor when ``dim`` is None); first on ties."""
    return _arg(input, dim, keepdim, np.argmin)


def _arg(a: Tensor, dim, keepdim: bool, fn) -> Tensor:
    if dim is None:
        index = np.asarray(fn(a._data), dtype=np.int64)
        return Tensor(index.reshape((1,) * a._data.ndim) if keepdim else index)
    axis = wrap_dim(dim, a.ndim)
    data = a._data.reshape(1) if a._data.ndim == 0 else a._data
    index = np.asarray(fn(data, axis=axis), dtype=np.int64)
    return Tensor(np.expand_dims(index, axis) if keepdim and a._data.ndim else index)


def _correction(name: str, unbiased, correction) -> float:
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{name}(): can't pass both 'unbiased' and 'correction'")
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _deviations(a: Tensor, name: str, dim, unbiased, correction):
    """Axes, mean-centred values and the divisor ``N - correction``, shared by var and std."""
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"{name}(): std and var only support floating point and complex dtypes")
    if isinstance(dim, bool):  # torch's overload x.var(False) means unbiased=False
        dim, unbiased = None, dim
    c = _correction(name, unbiased, correction)
    axes = wrap_dims(dim, a.ndim)
    divisor = _count(a._data.shape, axes) - c
    if divisor <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=4,
        )
    centred = a._data - a._data.mean(axis=axes, keepdims=True)
    return axes, centred, divisor


def var(
    input: Tensor,  # noqa: A002 - torch's name
    dim: int | tuple[int, ...] | None = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    r"""Variance :math:`\frac{1}{N-c}\sum_i (a_i-\bar a)^2` with torch's default correction ``c = 1``.

    ``unbiased=False`` (or ``correction=0``) divides by N. d/da_i = 2 (a_i - ā)/(N - c).
    """
    axes, centred, divisor = _deviations(input, "var", dim, unbiased, correction)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(np.sum(centred * centred, axis=axes, keepdims=keepdim) / divisor)
    out = out.astype(input._data.dtype, copy=False)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (_expand_grad(g, centred.shape, axes, keepdim) * (2 / divisor) * centred,)

    return record(Tensor(out), "VarBackward0", (input,), backward)


def std(
    input: Tensor,  # noqa: A002 - torch's name
    dim: int | tuple[int, ...] | None = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    r"""Standard deviation :math:`\sqrt{\mathrm{var}(a)}` (torch's correction ``c = 1`` by default).

    d/da_i = (a_i - ā) / ((N - c) std); where std is 0 this is nan, as in torch.
    """
    axes, centred, divisor = _deviations(input, "std", dim, unbiased, correction)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.sqrt(np.sum(centred * centred, axis=axes, keepdims=True) / divisor)
    out = out.astype(input._data.dtype, copy=False)
    if keepdim:
        shaped = out
    else:
        shaped = out.reshape(()) if axes is None else out.squeeze(axes)

    def backward(g):
        g_full = _expand_grad(g, centred.shape, axes, keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g_full * centred / (divisor * out),)

    return record(Tensor(shaped), "StdBackward0", (input,), backward)
