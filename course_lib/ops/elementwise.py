"""Elementwise maths: exp, log, tanh, sigmoid, relu, sqrt, abs, clamp, maximum, minimum, where.

Each op has micrograd's four parts (see ``course_lib.autograd``): compute the output with
numpy, define ``backward(g)`` from the derivative, ``record`` it, return. Where the
derivative is most cheaply written with the output (exp, tanh, sigmoid, sqrt), the
backward uses ``out`` instead of recomputing.
"""
from __future__ import annotations

import numbers

import numpy as np

from ..autograd import record
from ..tensor import Tensor
from ._broadcast import broadcast_error, unbroadcast
from ._operands import as_operand, promote


def _tensor(a, name: str) -> Tensor:
    if not isinstance(a, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' must be Tensor, not {type(a).__name__}. "
            "help: wrap numbers with course_lib.tensor(...)."
        )
    return a


def _float_out(values: np.ndarray, a: Tensor) -> np.ndarray:
    """Integer inputs give float32 (torch's default float), floats keep their dtype."""
    return promote(np.asarray(values), a._data)


def exp(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    r"""Elementwise :math:`e^{a}`; :math:`\partial/\partial a = e^{a}` (the output itself)."""
    a = _tensor(input, "exp")
    out = _float_out(np.exp(a._data), a)
    return record(Tensor(out), "ExpBackward0", (a,), lambda g: (g * out,))


def log(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    r"""Elementwise natural logarithm; :math:`\partial/\partial a = 1/a` (-inf at 0, nan below)."""
    a = _tensor(input, "log")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _float_out(np.log(a._data), a)
    return record(Tensor(out), "LogBackward0", (a,), lambda g: (g / a._data,))


def tanh(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    r""":math:`\tanh(a)`; :math:`\partial/\partial a = 1 - \tanh(a)^2`."""
    a = _tensor(input, "tanh")
    out = _float_out(np.tanh(a._data), a)
    return record(Tensor(out), "TanhBackward0", (a,), lambda g: (g * (1 - out * out),))


def _sigmoid_array(x: np.ndarray) -> np.ndarray:
    """:math:`1/(1+e^{-x})` without overflow: for x < 0 it is written :math:`e^{x}/(1+e^{x})`."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    r""":math:`\sigma(a) = 1/(1+e^{-a})`; :math:`\partial/\partial a = \sigma(a)(1-\sigma(a))`."""
    a = _tensor(input, "sigmoid")
    out = _float_out(_sigmoid_array(a._data), a)
    return record(Tensor(out), "SigmoidBackward0", (a,), lambda g: (g * out * (1 - out),))


def relu(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    r""":math:`\max(a, 0)`; the derivative is 1 where a > 0 and 0 elsewhere (also at 0, as torch)."""
    a = _tensor(input, "relu")
    out = np.maximum(a._data, 0)
    return record(Tensor(out), "ReluBackward0", (a,), lambda g: (g * (out > 0),))


def sqrt(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    r""":math:`\sqrt{a}`; :math:`\partial/\partial a = 1/(2\sqrt{a})`."""
    a = _tensor(input, "sqrt")
    with np.errstate(invalid="ignore"):
        out = _float_out(np.sqrt(a._data), a)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / (2 * out),)

    return record(Tensor(out), "SqrtBackward0", (a,), backward)


def abs(input: Tensor) -> Tensor:  # noqa: A001,A002 - torch's names
    r""":math:`|a|`; :math:`\partial/\partial a = \mathrm{sign}(a)` (0 at 0, as torch)."""
    a = _tensor(input, "abs")
    out = np.abs(a._data)
    return record(Tensor(out), "AbsBackward0", (a,), lambda g: (g * np.sign(a._data),))


def clamp(input: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - torch's names
    r"""Clip into ``[min, max]``; the gradient passes where ``min <= a <= max`` (bounds included).

    ``min``/``max`` are numbers (or 0-d/broadcastable tensors, used as constants: course_lib
    does not differentiate with respect to the bounds, unlike torch).
    """
    a = _tensor(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    low = None if min is None else as_operand(min, a)._data
    high = None if max is None else as_operand(max, a)._data
    for bound in (low, high):
        if bound is not None and not _broadcastable(a._data.shape, bound.shape):
            raise broadcast_error(a.shape, bound.shape)
    out = promote(np.asarray(np.clip(a._data, low, high)), a._data)

    def backward(g):
        inside = np.ones(a._data.shape, dtype=bool)
        if low is not None:
            inside &= a._data >= low
        if high is not None:
            inside &= a._data <= high
        return (g * inside,)

    return record(Tensor(out), "ClampBackward1", (a,), backward)


def _pairwise(a, b, name: str):
    a = a if isinstance(a, Tensor) else as_operand(a, _tensor(b, name))
    b = as_operand(b, a)
    try:
        np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        raise broadcast_error(a.shape, b.shape) from None
    return a, b


def maximum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - torch's names
    """Elementwise larger value; the gradient goes to the larger input, half to each on a tie (torch)."""
    a, b = _pairwise(input, other, "maximum")
    out = promote(np.maximum(a._data, b._data), a._data, b._data)

    def backward(g):
        share = np.where(a._data == b._data, 0.5, (a._data > b._data).astype(g.dtype)).astype(g.dtype)
        return unbroadcast(g * share, a.shape), unbroadcast(g * (1 - share), b.shape)

    return record(Tensor(out), "MaximumBackward0", (a, b), backward)


def minimum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - torch's names
    """Elementwise smaller value; the gradient goes to the smaller input, half to each on a tie (torch)."""
    a, b = _pairwise(input, other, "minimum")
    out = promote(np.minimum(a._data, b._data), a._data, b._data)

    def backward(g):
        share = np.where(a._data == b._data, 0.5, (a._data < b._data).astype(g.dtype)).astype(g.dtype)
        return unbroadcast(g * share, a.shape), unbroadcast(g * (1 - share), b.shape)

    return record(Tensor(out), "MinimumBackward0", (a, b), backward)


def _broadcastable(shape_a, shape_b) -> bool:
    try:
        np.broadcast_shapes(shape_a, shape_b)
    except ValueError:
        return False
    return True


def where(condition: Tensor, input=None, other=None):
    """``input`` where ``condition`` is True, else ``other`` (all three broadcast together).

    The gradient of ``input`` is ``g`` where the condition holds (0 elsewhere); ``other``
    gets the rest. ``where(condition)`` alone returns the indices of the True elements, as
    ``torch.where`` (a tuple of int64 tensors, one per dimension).
    """
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{Tensor(cond).dtype}. help: build it with a comparison, e.g. x > 0."
        )
    if input is None and other is None:
        return tuple(Tensor(i.astype(np.int64)) for i in np.nonzero(cond))
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("where(): at least one of 'input' and 'other' must be a Tensor")
    if isinstance(input, numbers.Number):
        input = as_operand(input, other)
    other = as_operand(other, input)
    if not _broadcastable(input.shape, other.shape):
        raise broadcast_error(input.shape, other.shape)
    values_shape = np.broadcast_shapes(input.shape, other.shape)
    if not _broadcastable(cond.shape, values_shape):
        raise broadcast_error(cond.shape, values_shape)
    out = promote(np.where(cond, input._data, other._data), input._data, other._data)

    def backward(g):
        zero = np.zeros((), dtype=g.dtype)
        return (
            unbroadcast(np.where(cond, g, zero), input.shape),
            unbroadcast(np.where(cond, zero, g), other.shape),
        )

    return record(Tensor(out), "WhereBackward0", (input, other), backward)
