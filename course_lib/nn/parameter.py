"""Parameter: a Tensor that a Module registers as one of its learnable weights."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default and is found by ``Module.parameters()``.

    Assigning a Parameter as a Module attribute (``self.weight = Parameter(...)``) registers
    it. Like ``torch.nn.Parameter``, it shares storage with the tensor it wraps.

    Args:
        data: the initial values (a Tensor, whose storage is shared, or array-like).
        requires_grad: whether it is trained (True by default).
    """

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.zeros(0, dtype=np.float32)
        super().__init__(data._data if isinstance(data, Tensor) else data)
        if requires_grad:
            self.requires_grad_(True)

    def __deepcopy__(self, memo: dict) -> "Parameter":
        """A copy with its own storage and the same ``requires_grad``, without ``.grad``.

        As ``torch.nn.Parameter``: ``copy.deepcopy(model)`` (e.g. inside
        ``swa_utils.AveragedModel``) gives fresh weights whose gradients start at None.
        """
        if id(self) not in memo:
            memo[id(self)] = type(self)(self._data.copy(), self.requires_grad)
        return memo[id(self)]

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
