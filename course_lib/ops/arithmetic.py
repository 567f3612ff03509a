"""Arithmetic with broadcasting: + - * / ** @ and unary minus, forward beside backward.

Each op follows the same four parts (see ``course_lib.autograd``). Broadcast inputs get
their gradient summed back to their own shape by ``unbroadcast``.
"""
from __future__ import annotations

import numpy as np

from ..autograd import record
from ..tensor import Tensor
from ._broadcast import broadcast_error, unbroadcast
from ._operands import as_operand, promote


def _binary(a, b, fn):
    """Evaluate ``fn`` on the arrays of ``a`` and ``b``, with torch's promotion and errors."""
    a = a if isinstance(a, Tensor) else as_operand(a, b)
    b = as_operand(b, a)
    try:
        out = fn(a._data, b._data)
    except ValueError:
        raise broadcast_error(a.shape, b.shape) from None
    return a, b, promote(np.asarray(out), a._data, b._data)


def add(a, b) -> Tensor:
    """``a + b``; d/da = 1, d/db = 1."""
    a, b, out = _binary(a, b, np.add)

    def backward(g):
        return unbroadcast(g, a.shape), unbroadcast(g, b.shape)

    return record(Tensor(out), "AddBackward0", (a, b), backward)


def sub(a, b) -> Tensor:
    """``a - b``; d/da = 1, d/db = -1."""
    a, b, out = _binary(a, b, np.subtract)

    def backward(g):
        return unbroadcast(g, a.shape), unbroadcast(-g, b.shape)

    return record(Tensor(out), "SubBackward0", (a, b), backward)


def mul(a, b) -> Tensor:
    """``a * b``; d/da = b, d/db = a."""
    a, b, out = _binary(a, b, np.multiply)

    def backward(g):
        return unbroadcast(g * b._data, a.shape), unbroadcast(g * a._data, b.shape)

    return record(Tensor(out), "MulBackward0", (a, b), backward)


def div(a, b) -> Tensor:
    """``a / b`` (true division, float result); d/da = 1/b, d/db = -a/b**2."""
    a, b, out = _binary(a, b, np.true_divide)

    def backward(g):
        grad_a = unbroadcast(g / b._data, a.shape)
        grad_b = unbroadcast(-g * a._data / (b._data * b._data), b.shape)
        return grad_a, grad_b

    return record(Tensor(out), "DivBackward0", (a, b), backward)


def neg(a: Tensor) -> Tensor:
    """``-a``; d/da = -1."""
    return record(Tensor(np.negative(a._data)), "NegBackward0", (a,), lambda g: (-g,))


def pow(a, b) -> Tensor:  # noqa: A001 - torch's name
    """``a ** b``; d/da = b * a**(b-1), d/db = a**b * log(a)."""
    a, b, out = _binary(a, b, np.power)

    def backward(g):
        grad_a = unbroadcast(g * b._data * np.power(a._data, b._data - 1), a.shape)
        grad_b = None
        if b.requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_b = unbroadcast(g * out * np.log(a._data), b.shape)
        return grad_a, grad_b

    return record(Tensor(out), "PowBackward0", (a, b), backward)


def _matmul_error(shape_a, shape_b) -> RuntimeError:
    if len(shape_a) <= 2 and len(shape_b) <= 2:
        rows = "x".join(map(str, shape_a))
        cols = "x".join(map(str, shape_b))
        return RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows} and {cols}). "
            "help: the last size of the left operand must equal the first size of the right one."
        )
    return RuntimeError(
        f"matmul: shapes {tuple(shape_a)} and {tuple(shape_b)} cannot be multiplied: the last "
        "size of the left operand must equal the second-to-last size of the right one."
    )


def matmul(a, b) -> Tensor:
    """``a @ b`` with numpy's (and torch's) rules for 1-D and batched operands.

    For matrices: d/da = g @ b.T, d/db = a.T @ g. A 1-D operand is treated as a row
    (left) or a column (right) vector and the gradient is squeezed back.
    """
    a = a if isinstance(a, Tensor) else as_operand(a, b)
    b = as_operand(b, a)
    try:
        out = np.matmul(a._data, b._data)
    except ValueError:
        raise _matmul_error(a.shape, b.shape) from None
    out = promote(np.asarray(out), a._data, b._data)

    def backward(g):
        A, B = a._data, b._data
        if A.ndim == 1 and B.ndim == 1:  # dot product
            return g * B, g * A
        A2 = A[None, :] if A.ndim == 1 else A
        B2 = B[:, None] if B.ndim == 1 else B
        g2 = np.expand_dims(g, -2) if A.ndim == 1 else g
        g2 = np.expand_dims(g2, -1) if B.ndim == 1 else g2
        grad_a = np.matmul(g2, np.swapaxes(B2, -1, -2)) if a.requires_grad else None
        grad_b = np.matmul(np.swapaxes(A2, -1, -2), g2) if b.requires_grad else None
        if grad_a is not None:
            grad_a = unbroadcast(grad_a.squeeze(-2) if A.ndim == 1 else grad_a, A.shape)
        if grad_b is not None:
            grad_b = unbroadcast(grad_b.squeeze(-1) if B.ndim == 1 else grad_b, B.shape)
        return grad_a, grad_b

    return record(Tensor(out), "MmBackward0", (a, b), backward)


def compare(a, b, fn) -> Tensor:
    """An elementwise comparison (``<``, ``==``, ...): a bool tensor, never differentiated."""
    _, _, out = _binary(a, b, fn)
    return Tensor(out)
