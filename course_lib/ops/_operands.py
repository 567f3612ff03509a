"""Turning the operands of an op into tensors with torch's type promotion."""
from __future__ import annotations

import numbers

import numpy as np


def as_operand(value, like) -> "Tensor":
    """``value`` as a Tensor that can meet the Tensor ``like`` in a binary op.

    A Python number takes the tensor's dtype when that keeps its value's kind (torch's
    rule: ``float32_tensor * 2.5`` stays float32), and float32 when a float meets an
    integer tensor (``int64_tensor * 0.5`` is float32, not numpy's float64).
    """
    from ..tensor import Tensor

    if isinstance(value, Tensor):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, np.ndarray):
        kind = like._data.dtype.kind
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
