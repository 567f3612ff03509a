"""Three optimizer + schedule recipes (lesson 10's grid); every scheduler steps once per batch.

With ``total = steps_per_epoch * epochs`` optimizer steps:

==========================  ==================================  =============================================
name                        optimizer                           schedule (counted in optimizer steps)
==========================  ==================================  =============================================
``SGD+momentum / StepLR``   ``SGD(lr=0.1, momentum=0.9)``       ``StepLR(step_size=4 * steps_per_epoch,
                                                                gamma=0.2)``
``Adam / warm-up+cosine``   ``Adam(lr=3e-3)``                   ``SequentialLR([LinearLR(start_factor=0.1,
                                                                total_iters=steps_per_epoch),
                                                                CosineAnnealingLR(T_max=total -
                                                                steps_per_epoch)], milestones=[steps_per_epoch])``
``AdamW / OneCycleLR``      ``AdamW(lr=3e-3,                    ``OneCycleLR(max_lr=1e-2, total_steps=total)``
                            weight_decay=1e-2)``
==========================  ==================================  =============================================
"""
from __future__ import annotations

from typing import Any

from ..nn.module import Module
from ..optim import SGD, Adam, AdamW
from ..optim.lr_scheduler import CosineAnnealingLR, LinearLR, OneCycleLR, SequentialLR, StepLR

__all__ = ["CONFIGS", "make_optimizer_and_scheduler"]

CONFIGS = ("SGD+momentum / StepLR", "Adam / warm-up+cosine", "AdamW / OneCycleLR")
"""The names of the recipes, in the order of the table above."""


def make_optimizer_and_scheduler(name: str, model: Module, steps_per_epoch: int, epochs: int) -> tuple[Any, Any]:
    """Build the ``(optimizer, scheduler)`` of recipe ``name`` for ``model``'s parameters.

    Args:
        name: one of :data:`CONFIGS`.
        model: the model to train.
        steps_per_epoch: batches per epoch (``len(train_loader)``).
        epochs: the length of the run; the schedules end after ``steps_per_epoch * epochs``.

    Raises:
        ValueError: ``name`` is not a recipe.
    """
    total = steps_per_epoch * epochs
    if name == CONFIGS[0]:
        optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
        return optimizer, StepLR(optimizer, step_size=4 * steps_per_epoch, gamma=0.2)
    if name == CONFIGS[1]:
        optimizer = Adam(model.parameters(), lr=3e-3)
        warmup = LinearLR(optimizer, start_factor=0.1, total_iters=steps_per_epoch)
        cosine = CosineAnnealingLR(optimizer, T_max=total - steps_per_epoch)
        return optimizer, SequentialLR(optimizer, [warmup, cosine], milestones=[steps_per_epoch])
    if name == CONFIGS[2]:
        optimizer = AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
        return optimizer, OneCycleLR(optimizer, max_lr=1e-2, total_steps=total)
    raise ValueError(f"unknown configuration {name!r}; help: use one of {list(CONFIGS)}")
