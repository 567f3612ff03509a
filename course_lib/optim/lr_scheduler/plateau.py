"""ReduceLROnPlateau: cut the learning rate when a monitored metric stops improving."""
from __future__ import annotations

import math
from typing import Any, SupportsFloat
import warnings

from ..optimizer import Optimizer
from .base import EPOCH_DEPRECATION_WARNING, LRScheduler, _check_optimizer, _group_values


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rate by ``factor`` after ``patience`` steps without improvement.

    ``step(metrics)`` is called once per epoch with, e.g., the validation loss. The rule
    (the code follows it directly)::

        better(a, best) = a < best * (1 - threshold)   mode='min', threshold_mode='rel'
                          a < best - threshold         mode='min', threshold_mode='abs'
                          a > best * (1 + threshold)   mode='max', threshold_mode='rel'
                          a > best + threshold         mode='max', threshold_mode='abs'
        if better(metric, best): best = metric; num_bad_epochs = 0
        else:                    num_bad_epochs += 1
        in cooldown (cooldown_counter > 0): cooldown_counter -= 1; num_bad_epochs = 0
        if num_bad_epochs > patience:
            lr = max(lr * factor, min_lr)   (kept only if it drops the lr by more than eps)
            cooldown_counter = cooldown; num_bad_epochs = 0

    As in torch, this scheduler does not set ``initial_lr``, takes no initial step, and
    does not warn about the call order.

    Args:
        optimizer: wrapped optimizer.
        mode: ``'min'`` (lower is better, e.g. a loss) or ``'max'`` (e.g. an accuracy).
        factor: multiplies the lr on a plateau; must be < 1.0. Default: 0.1.
        patience: bad steps tolerated before the lr is cut. Default: 10.
        threshold: how much better counts as an improvement. Default: 1e-4.
        threshold_mode: ``'rel'`` or ``'abs'``. Default: ``'rel'``.
        cooldown: steps to wait after a cut before counting bad steps again. Default: 0.
        min_lr: lower bound of the lr, one value or one per group. Default: 0.
        eps: a cut smaller than ``eps`` is skipped. Default: 1e-8.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: list[float] | float = 0,
        eps: float = 1e-8,
    ) -> None:
        if factor >= 1.0:
            raise ValueError(
                f"Factor should be < 1.0. Got {factor}. help: factor multiplies the lr on "
                "a plateau, e.g. 0.1 or 0.5."
            )
        self.factor = factor
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(
                    f"expected {len(optimizer.param_groups)} min_lrs, got {len(min_lr)}. "
                    "help: give one min_lr, or one per param group."
                )
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = _group_values(optimizer, "lr")
        self._init_is_better(mode=mode, threshold=threshold, threshold_mode=threshold_mode)
        self._reset()

    def _reset(self) -> None:
        """Forget the best value and both counters."""
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(  # type: ignore[override]
        self, metrics: SupportsFloat, epoch: int | None = None
    ) -> None:
        """Record one value of the monitored metric and cut the lr on a plateau.

        Args:
            metrics: the metric's value (a number or a one-element Tensor).
            epoch: deprecated, as in torch (warns); sets ``last_epoch``.
        """
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _group_values(self.optimizer, "lr")

    def _reduce_lr(self) -> None:
        if len(self.optimizer.param_groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    "The number of param groups in the `optimizer` "
                    f"({len(self.optimizer.param_groups)}) differs from when "
                    f"`ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), usually due "
                    "to a new param group being added to the optimizer. Please modify the "
                    "`min_lrs` field to match the length of the `optimizer` param groups."
                )
            self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)
        for i, group in enumerate(self.optimizer.param_groups):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    @property
    def in_cooldown(self) -> bool:
        """True while the cooldown after a cut is running."""
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold
        if self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in {"min", "max"}:
            raise ValueError(f"mode {mode} is unknown! help: use mode='min' or mode='max'.")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError(
                f"threshold mode {threshold_mode} is unknown! help: use 'rel' or 'abs'."
            )
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load the state returned by ``state_dict()``.

        Args:
            state_dict: the dict returned by ``state_dict()``.
        """
        super().load_state_dict(state_dict)
        self._init_is_better(
            mode=self.mode, threshold=self.threshold, threshold_mode=self.threshold_mode
        )
