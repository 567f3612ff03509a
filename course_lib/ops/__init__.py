"""Differentiable operations, one module per family, each op's forward beside its backward."""
