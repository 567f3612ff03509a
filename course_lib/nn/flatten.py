"""Flatten layer: merge dimensions, keeping the batch dimension by default."""
from __future__ import annotations

from ..tensor import Tensor
from .module import Module


class Flatten(Module):
    """``input.flatten(start_dim, end_dim)``; by default ``(N, *) -> (N, prod(*))``."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        """``input`` with dimensions ``start_dim..end_dim`` merged into one."""
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        """``start_dim=..., end_dim=...``, shown inside the layer's repr."""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
