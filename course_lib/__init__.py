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
from .gradcheck import gradcheck
from .ops.arithmetic import matmul, pow  # noqa: A004
from .ops.elementwise import abs, clamp, exp, log, maximum, minimum, relu, sigmoid, sqrt, tanh, where  # noqa: A004
from .ops.joining import cat, stack
from .ops.reductions import argmax, argmin, max, mean, min, std, sum, var  # noqa: A004
from .ops.shape import flatten, permute, reshape, squeeze, transpose, unsqueeze
from .random import manual_seed
from .serialization import load, save
from .tensor import Size, Tensor

from . import nn  # noqa: E402 - nn builds on everything above
from .nn.functional import log_softmax, softmax  # noqa: E402

clip = clamp

from . import optim  # after Tensor: the optimizers build on it

__version__ = "0.1.0"

__all__ = [
    "Size",
    "Tensor",
    "abs",
    "arange",
    "argmax",
    "argmin",
    "bool",
    "cat",
    "clamp",
    "clip",
    "double",
    "dtype",
    "dtypes",
    "empty",
    "enable_grad",
    "exp",
    "flatten",
    "float",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "gradcheck",
    "int32",
    "int64",
    "is_grad_enabled",
    "linspace",
    "load",
    "log",
    "log_softmax",
    "long",
    "manual_seed",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "nn",
    "no_grad",
    "ones",
    "ones_like",
    "optim",
    "permute",
    "pow",
    "rand",
    "randint",
    "randn",
    "randperm",
    "relu",
    "reshape",
    "save",
    "sigmoid",
    "softmax",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sum",
    "tanh",
    "tensor",
    "transpose",
    "unsqueeze",
    "var",
    "where",
    "zeros",
    "zeros_like",
]
