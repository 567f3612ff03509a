"""course_lib: a small numpy-only mirror of the part of PyTorch that trains networks.

``import course_lib as torch`` and the course's code runs unchanged: tensors, autograd,
``nn``, ``optim`` and ``optim.lr_scheduler``, with torch's names, defaults and numbers.
"""
from . import dtypes
from .autograd import enable_grad, is_grad_enabled, no_grad
from .creation import (
    arange,
    empty,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import bool, double, dtype, float, float32, float64, int32, int64, long  # noqa: A004
from .random import manual_seed
from .tensor import Size, Tensor

__version__ = "0.1.0"

__all__ = [
    "Size",
    "Tensor",
    "arange",
    "bool",
    "double",
    "dtype",
    "dtypes",
    "empty",
    "enable_grad",
    "float",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "int32",
    "int64",
    "is_grad_enabled",
    "linspace",
    "long",
    "manual_seed",
    "no_grad",
    "ones",
    "ones_like",
    "rand",
    "randint",
    "randn",
    "randperm",
    "tensor",
    "zeros",
    "zeros_like",
]
