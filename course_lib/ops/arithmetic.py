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
    if not isinstance(a, Tensor):  # `1 - t` is torch's rsub: the number is no input of the graph
        a, b, out = _binary(a, b, np.subtract)
        return record(Tensor(out), "RsubBackward1", (b,), lambda g: (unbroadcast(-g, b.shape),))
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


def rdiv(number, t: Tensor) -> Tensor:
    """``number / t``, computed as torch does: ``t.reciprocal() * number``."""
    return mul(_reciprocal(t), number)


def _reciprocal(a: Tensor) -> Tensor:
    """``1 / a`` (torch's ``reciprocal``, a float result); d/da = -out**2."""
    data = a._data if a._data.dtype.kind == "f" else a._data.astype(np.float32)
    out = np.reciprocal(data)
    return record(Tensor(out), "ReciprocalBackward0", (a,), lambda g: (g * -(out * out),))


def neg(a: Tensor) -> Tensor:
    """``-a``; d/da = -1."""
    return record(Tensor(np.negative(a._data)), "NegBackward0", (a,), lambda g: (-g,))


def pow(input, exponent) -> Tensor:  # noqa: A001,A002 - torch's name
    """``a ** b``; d/da = b * a**(b-1) (0 when b == 0), d/db = a**b * log(a) (0 where a == 0 and b >= 0)."""
    # torch names the three forms: tensor ** number, tensor ** tensor, number ** tensor.
    name = "PowBackward1" if isinstance(exponent, Tensor) else "PowBackward0"
    name = name if isinstance(input, Tensor) else "PowBackward2"
    input, exponent, out = _binary(input, exponent, np.power)
    # A number (base or exponent) is no input of torch's graph: next_functions leaves it out.
    inputs = {
        "PowBackward0": (input,), "PowBackward1": (input, exponent), "PowBackward2": (exponent,)
    }[name]

    def backward(g):
        grad_a = grad_b = None
        if input.requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                local = np.where(
                    exponent._data == 0, 0, exponent._data * np.power(input._data, exponent._data - 1)
                )
            grad_a = unbroadcast(g * local, input.shape)
        if exponent.requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                local = np.where(
                    (input._data == 0) & (exponent._data >= 0), 0, out * np.log(input._data)
                )
            grad_b = unbroadcast(g * local, exponent.shape)
        return {"PowBackward0": (grad_a,), "PowBackward1": (grad_a, grad_b), "PowBackward2": (grad_b,)}[name]

    return record(Tensor(out), name, inputs, backward)


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


def matmul(input, other) -> Tensor:  # noqa: A002 - torch's names
    """``a @ b`` with numpy's (and torch's) rules for 1-D and batched operands.

    For matrices: d/da = g @ b.T, d/db = a.T @ g. A 1-D operand is treated as a row
    (left) or a column (right) vector and the gradient is squeezed back.
    """
    input = input if isinstance(input, Tensor) else as_operand(input, other)
    other = as_operand(other, input)
    if input._data.dtype != other._data.dtype:  # torch does not promote in matmul
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_c_name(input)} != {_c_name(other)}. "
            "help: convert one side with .float() or .double()."
        )
    try:
        out = np.matmul(input._data, other._data)
    except ValueError:
        raise _matmul_error(input.shape, other.shape) from None
    out = promote(np.asarray(out), input._data, other._data)

    def backward(g):
        A, B = input._data, other._data
        if A.ndim == 1 and B.ndim == 1:  # dot product
            return g * B, g * A
        A2 = A[None, :] if A.ndim == 1 else A
        B2 = B[:, None] if B.ndim == 1 else B
        g2 = np.expand_dims(g, -2) if A.ndim == 1 else g
        g2 = np.expand_dims(g2, -1) if B.ndim == 1 else g2
        grad_a = np.matmul(g2, np.swapaxes(B2, -1, -2)) if input.requires_grad else None
        grad_b = np.matmul(np.swapaxes(A2, -1, -2), g2) if other.requires_grad else None
        if grad_a is not None:
            grad_a = unbroadcast(grad_a.squeeze(-2) if A.ndim == 1 else grad_a, A.shape)
        if grad_b is not None:
            grad_b = unbroadcast(grad_b.squeeze(-1) if B.ndim == 1 else grad_b, B.shape)
        return grad_a, grad_b

    return record(Tensor(out), _matmul_name(input.ndim, other.ndim), (input, other), backward)


def _c_name(t: Tensor) -> str:
    """The C type names torch's matmul errors use."""
    names = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int", "bool": "bool"}
    return names[t.dtype.name]


def _matmul_name(ndim_a: int, ndim_b: int) -> str:
    """torch's grad_fn name for each form of matmul."""
    if ndim_a == 1 and ndim_b == 1:
        return "DotBackward0"
    if ndim_a == 2 and ndim_b == 2:
        return "MmBackward0"
    if ndim_a == 2 and ndim_b == 1:
        return "MvBackward0"
    if ndim_a == 1 and ndim_b == 2:
        return "SqueezeBackward4"
    return "UnsafeViewBackward0"


def compare(a, b, fn) -> Tensor:
    """An elementwise comparison (``<``, ``==``, ...): a bool tensor, never differentiated."""
    _, _, out = _binary(a, b, fn)
    return Tensor(out)
