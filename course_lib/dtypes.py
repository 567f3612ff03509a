"""Data types: course_lib's names for the numpy dtypes a tensor can hold.

As in torch, floating-point tensors default to ``float32``; ``float64`` is there for
gradient checks and exact comparisons, ``int64`` for class indices and ``bool`` for masks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class dtype:
    """A tensor's element type: a name (as torch prints it) over a numpy dtype."""

    name: str
    numpy: np.dtype

    @property
    def is_floating_point(self) -> bool:
        """True for float32 and float64, as ``torch.dtype.is_floating_point``."""
        return self.numpy.kind == "f"

    def __repr__(self) -> str:
        return f"course_lib.{self.name}"


float32 = dtype("float32", np.dtype(np.float32))
float64 = dtype("float64", np.dtype(np.float64))
int64 = dtype("int64", np.dtype(np.int64))
int32 = dtype("int32", np.dtype(np.int32))
bool = dtype("bool", np.dtype(np.bool_))  # noqa: A001 - torch's name, shadowing on purpose

_BY_NUMPY = {d.numpy: d for d in (float32, float64, int64, int32, bool)}

# Aliases torch accepts as well.
float = float32  # noqa: A001
double = float64
long = int64

DEFAULT_FLOAT = float32


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    """The course_lib dtype of a numpy dtype; other numpy types raise TypeError."""
    try:
        return _BY_NUMPY[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype)}. The only supported "
            "types are: float64, float32, int64, int32 and bool."
        ) from None


_TORCH_NAMES = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int", "bool": "Bool"}


def torch_name(np_dtype) -> str:
    """The name torch's C++ messages use for a dtype: Float, Double, Long, Int, Bool."""
    return _TORCH_NAMES[from_numpy_dtype(np_dtype).name]


def to_numpy_dtype(d) -> np.dtype | None:
    """Accept a course_lib dtype, a numpy dtype or None (keep numpy's choice)."""
    if d is None:
        return None
    if isinstance(d, dtype):
        return d.numpy
    return from_numpy_dtype(d).numpy
