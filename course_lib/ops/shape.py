"""Shape and copy ops: the values move, the gradient moves back the same way."""
from __future__ import annotations

import numpy as np

from ..autograd import record
from ..tensor import Tensor


def clone(a: Tensor) -> Tensor:
    """A copy with its own storage; d/da = 1."""
    return record(Tensor(a._data.copy()), "CloneBackward0", (a,), lambda g: (g,))


def to_dtype(a: Tensor, np_dtype: np.dtype) -> Tensor:
    """``a`` converted to ``np_dtype`` (``a`` itself when it already has it).

    Between float types the gradient is converted back to ``a``'s dtype, as in torch.
    """
    if a._data.dtype == np_dtype:
        return a
    out = Tensor(a._data.astype(np_dtype))
    if np_dtype.kind != "f":
        return out
    return record(out, "ToCopyBackward0", (a,), lambda g: (g.astype(a._data.dtype),))
