"""Activation layers: ReLU, Tanh, Sigmoid, Softmax, LogSoftmax (thin wrappers over functional)."""
from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module


class ReLU(Module):
    """:math:`\\max(x, 0)` elementwise."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        if inplace:
            raise NotImplementedError("course_lib's ReLU is never in place; use ReLU()")
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        """:math:`\\max(x, 0)` of every element of ``input``."""
        return F.relu(input)


class Tanh(Module):
    """:math:`\\tanh(x)` elementwise."""

    def forward(self, input: Tensor) -> Tensor:
        """:math:`\\tanh(x)` of every element of ``input``."""
        return F.tanh(input)


class Sigmoid(Module):
    """:math:`1/(1+e^{-x})` elementwise."""

    def forward(self, input: Tensor) -> Tensor:
        """:math:`1/(1+e^{-x})` of every element of ``input``."""
        return F.sigmoid(input)


class Softmax(Module):
    """Softmax along ``dim``."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """:math:`e^{x_i} / \\sum_j e^{x_j}` along ``self.dim``."""
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        """``dim=...``, shown inside the layer's repr."""
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """Log-softmax along ``dim``."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        """:math:`x_i - \\log \\sum_j e^{x_j}` along ``self.dim``."""
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        """``dim=...``, shown inside the layer's repr."""
        return f"dim={self.dim}"
