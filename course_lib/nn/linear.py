"""Linear (fully connected) layer and Identity."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


class Linear(Module):
    r"""``y = x W^T + b`` with ``weight`` of shape ``(out_features, in_features)``.

    Initialised as torch does: ``kaiming_uniform_(weight, a=sqrt(5))``, which is
    :math:`U(-1/\sqrt{in}, 1/\sqrt{in})`, and the bias from the same interval, drawn from
    course_lib's generator (seed it with ``course_lib.manual_seed``).

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: whether to add a learnable bias.
        dtype: parameter dtype (float32 by default).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        if device not in (None, "cpu"):
            raise NotImplementedError("course_lib runs on the CPU only")
        np_dtype = dtypes.to_numpy_dtype(dtype) or dtypes.DEFAULT_FLOAT.numpy
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(Tensor(np.empty((out_features, in_features), np_dtype)))
        if bias:
            self.bias = Parameter(Tensor(np.empty(out_features, np_dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's initialisation: both weight and bias uniform in ``±1/sqrt(in_features)``."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        """:math:`y = x W^T + b` for ``input`` of shape ``(*, in_features)``."""
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        """The layer's sizes and whether it has a bias, shown inside its repr."""
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged (a placeholder layer)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        """``input`` itself."""
        return input
