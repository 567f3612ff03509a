"""``course_lib.nn.functional`` (import it as ``F``): layers and losses as plain functions.

``linear``, ``relu``, ``softmax``/``log_softmax`` and the losses are each ONE recorded op
with a hand-written backward (rather than a chain of primitive ops), because they are
the hot path of every training step; the formulas are in each docstring.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import dtypes
from .. import random as _random
from ..autograd import record
from ..ops import elementwise as _elem
from ..ops._dims import wrap_dim
from ..ops._softmax import log_softmax_array
from ..tensor import Tensor
from ._losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from ._norms import batch_norm, layer_norm

__all__ = [
    "batch_norm",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "l1_loss",
    "layer_norm",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)`` elementwise (see :func:`course_lib.relu`)."""
    if inplace:
        raise NotImplementedError("course_lib's relu is never in place; use inplace=False")
    return _elem.relu(input)


def tanh(input: Tensor) -> Tensor:
    """``tanh(x)`` elementwise."""
    return _elem.tanh(input)


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))`` elementwise."""
    return _elem.sigmoid(input)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    r"""Affine map :math:`y = x W^\top + b`; ``x`` is ``(*, in)``, ``W`` is ``(out, in)``, ``b`` is ``(out,)``.

    Backward (with ``x`` flattened to rows ``(n, in)`` and ``g`` to ``(n, out)``):
    :math:`\partial L/\partial x = g W`, :math:`\partial L/\partial W = g^\top x`,
    :math:`\partial L/\partial b = \sum_n g_n`.
    """
    x, w = input._data, weight._data
    if x.dtype != w.dtype or (bias is not None and bias._data.dtype != w.dtype):
        dtype_names = [dtypes.torch_name(x.dtype), dtypes.torch_name(w.dtype)]
        if bias is None:
            raise RuntimeError(
                f"expected m1 and m2 to have the same dtype, but got: "
                f"{dtype_names[0].lower()} != {dtype_names[1].lower()}. "
                "help: convert the input with .float() (or the model with .double())."
            )
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {dtype_names[0]} and {dtype_names[1]}. "
            "help: convert the input with .float() (or the model with .double())."
        )
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        rows = int(np.prod(x.shape[:-1], dtype=np.int64)) if x.ndim else 1
        cols = x.shape[-1] if x.ndim else 1
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and {w.shape[1]}x{w.shape[0]}). "
            f"help: the input's last size must equal in_features ({w.shape[1]})."
        )
    out = x @ w.T
    if bias is not None:
        out += bias._data  # out is a fresh array, so adding in place is safe

    def backward(g):
        # Rows of g and x: (n, out) and (n, in) whatever the leading dimensions were.
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        grad_x = (g @ w) if input.requires_grad else None
        grad_w = (g2.T @ x2) if weight.requires_grad else None
        grad_b = np.add.reduce(g2, axis=0) if bias is not None and bias.requires_grad else None
        return grad_x, grad_w, grad_b

    if x.ndim == 2:
        name = "AddmmBackward0" if bias is not None else "MmBackward0"
    else:
        name = "ViewBackward0"
    inputs = (input, weight) if bias is None else (input, weight, bias)
    return record(Tensor(out), name, inputs, backward)


def _softmax_dim(name: str, ndim: int, dim) -> int:
    if dim is None:
        warnings.warn(
            f"Implicit dimension choice for {name} has been deprecated. "
            "Change the call to include dim=X as an argument.",
            UserWarning,
            stacklevel=3,
        )
        dim = 0 if ndim in (0, 1, 3) else 1
    return wrap_dim(dim, ndim)


def _as_float(input: Tensor, dtype, name: str) -> np.ndarray:
    x = input._data if dtype is None else input._data.astype(dtypes.to_numpy_dtype(dtype))
    if x.dtype.kind != "f":
        raise RuntimeError(f'"{name}" not implemented for \'{dtypes.torch_name(x.dtype)}\'')
    return x


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    r""":math:`\mathrm{softmax}(x)_i = e^{x_i} / \sum_j e^{x_j}` along ``dim``.

    Backward: :math:`\partial L/\partial x = s \odot (g - \sum_j g_j s_j)`.
    """
    x = _as_float(input, dtype, "softmax_lastdim_kernel_impl")
    axis = _softmax_dim("softmax", x.ndim, dim)
    _, s = log_softmax_array(x, axis)

    def backward(g):
        return (s * (g - (g * s).sum(axis=axis, keepdims=True)),)

    return record(Tensor(s), "SoftmaxBackward0", (input,), backward)


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    r""":math:`\log\mathrm{softmax}(x)` along ``dim``, computed without overflow.

    Backward: :math:`\partial L/\partial x = g - \mathrm{softmax}(x) \sum_j g_j`.
    """
    x = _as_float(input, dtype, "log_softmax_lastdim_kernel_impl")
    axis = _softmax_dim("log_softmax", x.ndim, dim)
    logp, s = log_softmax_array(x, axis)

    def backward(g):
        return (g - s * g.sum(axis=axis, keepdims=True),)

    return record(Tensor(logp), "LogSoftmaxBackward0", (input,), backward)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    r"""Zero each element with probability ``p`` and scale the rest by :math:`1/(1-p)`.

    The mask is drawn from course_lib's generator (``manual_seed``), so the numbers differ
    from torch's. In evaluation (``training=False``) or with ``p = 0`` it returns ``input``.
    Backward: ``g * mask / (1 - p)``.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if inplace:
        raise NotImplementedError("course_lib's dropout is never in place; use inplace=False")
    if not training or p == 0.0:
        return input
    x = input._data
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    keep = _random.generator().random(x.shape) >= p
    factor = (keep * scale).astype(x.dtype)
    return record(Tensor(x * factor), "MulBackward0", (input,), lambda g: (g * factor,))
