"""Cycling the momentum against the learning rate, shared by CyclicLR and OneCycleLR.

The momentum lives in ``group["momentum"]`` for SGD and RMSprop and in the first entry of
``group["betas"]`` for Adam-style optimizers. A cycling scheduler computes its rates in
``get_lr()`` (no side effects) and its momenta in ``_momentums()``; the mixin writes both.
"""
from __future__ import annotations

from ..optimizer import Optimizer


def _momentum_key(optimizer: Optimizer) -> bool:
    """True when momentum lives in ``betas[0]`` (Adam-style), False for ``momentum``."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(
            "optimizer must support momentum or beta1 with `cycle_momentum` option enabled. "
            "help: pass cycle_momentum=False, or use an optimizer with momentum (SGD) or "
            "betas (Adam)."
        )
    return "betas" in optimizer.defaults


def _set_momentum(group: dict, momentum: float, use_beta1: bool) -> None:
    """Write the cycled momentum into the group (``betas[0]`` or ``momentum``)."""
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


class _CyclesMomentum:
    """Mixin for a scheduler with ``cycle_momentum``, ``use_beta1`` and ``_momentums()``."""

    def _update_lr(self, epoch: int | None = None) -> None:
        """Set every group's ``lr`` (see LRScheduler), then its momentum for the same step."""
        super()._update_lr(epoch)
        if self.cycle_momentum:
            for group, momentum in zip(self.optimizer.param_groups, self._momentums(), strict=True):
                _set_momentum(group, momentum, self.use_beta1)
