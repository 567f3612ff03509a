"""LayerNorm: normalise each sample over its last dimensions (no batch statistics)."""
from __future__ import annotations

import numbers

import numpy as np

from .. import dtypes
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


class LayerNorm(Module):
    r"""Layer normalisation over the last ``len(normalized_shape)`` dimensions (as torch).

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    with the mean and biased variance taken over those dimensions of each sample
    separately, so it behaves the same in training and evaluation and keeps no buffers.

    Args:
        normalized_shape: the trailing shape to normalise over (an int means ``(int,)``).
        eps: added to the variance, for numerical stability.
        elementwise_affine: whether to learn ``weight`` (:math:`\gamma`, starts at 1) and
            ``bias`` (:math:`\beta`, starts at 0), both of shape ``normalized_shape``.
        bias: with ``elementwise_affine``, whether to learn ``bias`` too.
        dtype: the parameters' dtype (float32 by default).
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        if device not in (None, "cpu"):
            raise NotImplementedError("course_lib runs on the CPU only")
        np_dtype = dtypes.to_numpy_dtype(dtype) or dtypes.DEFAULT_FLOAT.numpy
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(Tensor(np.empty(self.normalized_shape, np_dtype)))
            if bias:
                self.bias = Parameter(Tensor(np.empty(self.normalized_shape, np_dtype)))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``weight`` to 1 and ``bias`` to 0."""
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        """Normalise ``input`` of shape ``(*, *normalized_shape)`` sample by sample."""
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """The layer's settings, as torch prints them."""
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )
