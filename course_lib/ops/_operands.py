"""Turning the operands of an op into tensors with torch's type promotion.

What follows torch: a Python number adopts the tensor's dtype when its kind allows
(``float32_tensor * 2.5`` is float32, ``int64_tensor * 0.5`` is float32); two tensors
with dimensions promote as usual (float32 with float64 gives float64); integer results
of true division and of int-with-float32 stay float32 (numpy would say float64).

A corner course_lib does NOT follow (numpy's rule is used instead): torch does not let
a 0-d tensor raise the dtype of a tensor with dimensions of the same kind, so
``float32 (n,) + float64 0-d`` is float32 in torch and float64 here. Write the 0-d
operand as a Python number (``t + 1.0``) or convert it (``.float()``) to get torch's result.
"""
from __future__ import annotations

import numbers

import numpy as np

from ..tensor import Tensor


def as_operand(value, like) -> "Tensor":
    """``value`` as a Tensor that can meet the Tensor ``like`` in a binary op.

    A Python number takes the tensor's dtype when that keeps its value's kind (torch's
    rule: ``float32_tensor * 2.5`` stays float32), and float32 when a float meets an
    integer tensor (``int64_tensor * 0.5`` is float32, not numpy's float64).
    """
    if isinstance(value, Tensor):
        return value
    kind = like._data.dtype.kind
    if type(value) is float:  # the common case, decided without the slower checks below
        return Tensor(np.asarray(value, dtype=like._data.dtype if kind == "f" else np.float32))
    if type(value) is int:
        return Tensor(np.asarray(value, dtype=like._data.dtype if kind in "fiu" else np.int64))
    if isinstance(value, numbers.Number) and not isinstance(value, np.ndarray):
        if isinstance(value, (bool, np.bool_)):
            dtype = like._data.dtype
        elif isinstance(value, numbers.Integral):
            dtype = like._data.dtype if kind in "fiu" else np.int64
        elif isinstance(value, numbers.Real):
            dtype = like._data.dtype if kind == "f" else np.float32
        else:
            raise TypeError(f"complex numbers are not supported, got {value!r}")
        return Tensor(np.asarray(value, dtype=dtype))
    if isinstance(value, np.ndarray):
        return Tensor(value)
    raise TypeError(
        f"unsupported operand type: {type(value).__name__}; expected a Tensor or a number"
    )


def promote(out: np.ndarray, *inputs: np.ndarray) -> np.ndarray:
    """Keep float32 the default: numpy's float64 from int + float32 becomes float32."""
    if out.dtype == np.float64 and all(a.dtype != np.float64 for a in inputs):
        return out.astype(np.float32)
    return out
