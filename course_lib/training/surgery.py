"""Param-group surgery (lesson 09): stop an optimizer from ever moving part of a model.

Marking parameters ``requires_grad_(False)`` is not enough: after
``zero_grad(set_to_none=False)`` their ``.grad`` is a zero tensor, and an optimizer still
updates them, by momentum (``exp_avg`` keeps its value) and by weight decay
(:math:`\\theta \\leftarrow \\theta - \\gamma \\lambda \\theta`). Only a parameter that is in no
param group is never touched.
"""
from __future__ import annotations

from typing import Any

from ..nn.module import Module

__all__ = ["freeze"]


def freeze(optimizer: Any, module: Module) -> None:
    """Stop training ``module``: no gradients, out of the param groups, no optimizer state.

    Each parameter of ``module`` gets ``requires_grad=False`` and ``grad=None``, leaves every
    ``group["params"]`` and loses its ``optimizer.state`` entry (``state_dict()`` numbers the
    state by the parameters in the groups, so a leftover entry breaks it). Parameters are
    compared with ``is``: ``p in list`` would compare tensors elementwise.

    Args:
        optimizer: the optimizer that trains ``module`` (and possibly more).
        module: the part of the model to freeze; the other parameters keep training.
    """
    frozen = list(module.parameters())
    for p in frozen:
        p.requires_grad_(False)
        p.grad = None
        optimizer.state.pop(p, None)
    for group in optimizer.param_groups:
        group["params"] = [p for p in group["params"] if not any(p is q for q in frozen)]
