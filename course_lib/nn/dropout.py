"""Dropout layer: random zeroing in training, the identity in evaluation."""
from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module


class Dropout(Module):
    """Zero each element with probability ``p`` during training and scale the rest by 1/(1-p).

    In ``eval()`` mode it returns its input unchanged. The mask comes from course_lib's
    generator (``course_lib.manual_seed``).
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        if inplace:
            raise NotImplementedError("course_lib's Dropout is never in place; use inplace=False")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """:math:`x \\cdot m / (1-p)` with :math:`m_i \\sim \\mathrm{Bernoulli}(1-p)` in training, ``x`` in eval."""
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        """``p=..., inplace=...``, shown inside the layer's repr."""
        return f"p={self.p}, inplace={self.inplace}"
