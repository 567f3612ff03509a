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
    ``group["params"]`` (and its name leaves ``group["param_names"]`` when the optimizer was
    built from ``named_parameters()``) and loses its ``optimizer.state`` entry
    (``state_dict()`` numbers the state by the parameters in the groups, so a leftover entry
    breaks it). Parameters are compared by identity: ``p in list`` would compare tensors
    elementwise.

    Args:
        optimizer: the optimizer that trains ``module`` (and possibly more).
        module: the part of the model to freeze; the other parameters keep training.
    """
    frozen = list(module.parameters())
    for p in frozen:
        p.requires_grad_(False)
        p.grad = None
        optimizer.state.pop(p, None)
    frozen_ids = {id(p) for p in frozen}
    for group in optimizer.param_groups:
        keep = [id(p) not in frozen_ids for p in group["params"]]
        # Built from named_parameters(), a group also holds each parameter's name, in step.
        if "param_names" in group:
            group["param_names"] = [name for name, kept in zip(group["param_names"], keep) if kept]
        group["params"] = [p for p, kept in zip(group["params"], keep) if kept]
