"""How a tensor prints: like torch (``tensor([1.0000, 2.5000], requires_grad=True)``)."""
from __future__ import annotations

import numpy as np


def _float_formatter(array: np.ndarray):
    finite = array[np.isfinite(array)]
    if finite.size == 0 or np.all(finite == np.round(finite)):
        if finite.size and np.max(np.abs(finite)) >= 1e8:
            return lambda x: f"{x:.4e}"
        return lambda x: f"{x:.0f}." if np.isfinite(x) else str(x)
    largest = np.max(np.abs(finite))
    smallest = np.min(np.abs(finite[finite != 0])) if np.any(finite != 0) else 1.0
    if largest >= 1e8 or smallest < 1e-4:
        return lambda x: f"{x:.4e}"
    return lambda x: f"{x:.4f}" if np.isfinite(x) else str(x)


def tensor_repr(tensor) -> str:
    """torch-style text of a tensor: values, then dtype (if not default) and grad info."""
    array = tensor._data
    formatter = {}
    if array.dtype.kind == "f" and array.size:
        # torch right-aligns every element to the widest one (` 3.0000, -1.5000`).
        fmt = _float_formatter(array)
        width = max(len(fmt(x)) for x in array.reshape(-1)[:10_000])
        formatter = {"float_kind": lambda x: fmt(x).rjust(width)}
    body = np.array2string(
        array, separator=", ", prefix="tensor(", formatter=formatter, threshold=1000, edgeitems=3
    )
    extras = []
    if array.dtype not in (np.float32, np.int64, np.bool_) or (array.size == 0 and array.dtype != np.float32):
        extras.append(f"dtype={tensor.dtype!r}")
    if tensor.grad_fn is not None:
        extras.append(f"grad_fn={tensor.grad_fn!r}")
    elif tensor.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + ", ".join([body, *extras]) + ")"
