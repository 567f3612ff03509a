"""What an optimizer costs in memory: the bytes of its state, read from ``state_dict()``.

An optimizer's memory is its per-parameter state (``state_dict()["state"]``): SGD with
momentum keeps one buffer the size of each parameter, Adam two (``exp_avg``,
``exp_avg_sq``) plus a 0-d ``step``, Adafactor a row and a column vector per matrix. The
``param_groups`` hold options and parameter indices, not arrays, and are not counted.
Lesson 12 has students write :func:`state_bytes`.

    state_bytes(sd) = sum over parameters i, over keys k of sd["state"][i]:
                      nbytes(sd["state"][i][k])     (numel * bytes per element; 0-d counts)
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..tensor import Tensor

__all__ = ["state_bytes"]


def _nbytes(value: Any) -> int:
    """Bytes of one state entry: a Tensor's or array's elements; a Python number holds none."""
    if isinstance(value, Tensor):
        return int(value._data.nbytes)
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    return 0


def state_bytes(state_dict: Mapping[str, Any]) -> int:
    """The bytes held by the tensors of an optimizer's ``state_dict()["state"]``.

    Args:
        state_dict: ``optimizer.state_dict()``: ``{"state": {index: {key: tensor}}, "param_groups": [...]}``.

    Returns:
        ``sum(t.numel() * t.element_size())`` over every tensor of every parameter's state
        (0-d tensors such as ``step`` included); 0 before the first step and for plain SGD.

    Example:
        >>> optimizer.step()
        >>> state_bytes(optimizer.state_dict()) / sum(p.numel() for p in model.parameters())
        8.0...   # Adam in float32: exp_avg and exp_avg_sq, 4 bytes each, per parameter element
    """
    return sum(_nbytes(value) for per_param in state_dict["state"].values() for value in per_param.values())
