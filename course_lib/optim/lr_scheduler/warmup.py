"""Schedules over a fixed number of steps, typical for warm-up and decay-to-zero:
ConstantLR, LinearLR, PolynomialLR.

Each runs for ``total_iters`` steps and then leaves the learning rate alone. The code
uses torch's chainable forms (a ratio applied to the current ``group["lr"]``); each
docstring shows the closed form that the ratios multiply up to.
"""
from __future__ import annotations

import numbers

from ..optimizer import Optimizer
from .base import LRScheduler, _check_positive_int, _group_values


def _check_positive_total_iters(total_iters: object) -> None:
    """course_lib's own check: torch accepts ``total_iters <= 0`` and then never changes the
    lr (LinearLR stays at ``start_factor``) or divides by zero in ``step(epoch)``."""
    if (isinstance(total_iters, bool) or not isinstance(total_iters, numbers.Real)
            or total_iters <= 0):
        raise ValueError(
            f"Expected positive total_iters, but got {total_iters}. help: total_iters is the "
            "number of steps the change lasts, e.g. 5."
        )


class ConstantLR(LRScheduler):
    """Multiply the learning rate by a constant ``factor`` for the first ``total_iters`` steps.

    Closed form::

        lr_t = base_lr * factor    if t < total_iters
        lr_t = base_lr             if t >= total_iters

    The code uses the chainable form: multiply ``group["lr"]`` by ``factor`` at step 0
    and by ``1 / factor`` at step ``total_iters``.

    Args:
        optimizer: wrapped optimizer.
        factor: the factor applied until ``total_iters``, in (0, 1]. Default: 1/3.
        total_iters: number of steps the factor applies. Default: 5.
        last_epoch: index of the last step; -1 starts a new schedule.

    Raises:
        ValueError: ``factor`` outside [0, 1] (as torch). Deliberate differences, refused
            at once: ``factor == 0`` (torch fails with ZeroDivisionError at step
            ``total_iters``) and a ``total_iters`` that is not a positive integer (torch
            then never restores the lr: ``0`` or ``2.5`` is never reached).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if factor > 1.0 or factor < 0:
            raise ValueError(
                "Constant multiplicative factor expected to be between 0 and 1. "
                f"Got {factor}. help: e.g. factor=0.5 halves the lr for total_iters steps."
            )
        if factor == 0:
            raise ValueError(
                "Constant multiplicative factor expected to be between 0 and 1, and not 0: "
                "the lr could never be restored from 0 (torch fails later with "
                "ZeroDivisionError). help: use a small positive factor such as 1e-3."
            )
        _check_positive_int("total_iters", total_iters, "the factor applies for total_iters steps.")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """``lr * factor`` at step 0, ``lr / factor`` at step ``total_iters``, else ``lr``."""
        self._warn_get_lr_outside_step()
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * (1.0 / self.factor) for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        """The closed form at ``last_epoch`` (for ``step(epoch)`` and SequentialLR)."""
        restored = self.last_epoch >= self.total_iters
        return [base * (self.factor + restored * (1 - self.factor)) for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Change the learning rate's factor linearly from ``start_factor`` to ``end_factor``
    over ``total_iters`` steps (linear warm-up when ``start_factor < end_factor``).

    Closed form::

        lr_t = base_lr * (start_factor
                          + (end_factor - start_factor) * min(t, total_iters) / total_iters)

    The code uses the chainable form: at step 0 multiply by ``start_factor``; at step
    ``1 <= t <= total_iters`` multiply by the ratio of consecutive factors,
    ``1 + (end - start) / (total_iters * start + (t - 1) * (end - start))``.

    Args:
        optimizer: wrapped optimizer.
        start_factor: the factor at step 0, in (0, 1]. Default: 1/3.
        end_factor: the factor from step ``total_iters`` on, in [0, 1]. Default: 1.0.
        total_iters: number of steps of the linear change. Default: 5.
        last_epoch: index of the last step; -1 starts a new schedule.

    Raises:
        ValueError: a factor out of its range (torch's messages); also, unlike torch,
            ``total_iters <= 0`` (torch keeps ``start_factor`` forever).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or "
                f"equal to 1. Got {start_factor}. help: e.g. start_factor=0.1 starts at "
                "a tenth of the lr."
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(
                "Ending multiplicative factor expected to be between 0 and 1. "
                f"Got {end_factor}. help: end_factor=1.0 ends at the optimizer's lr."
            )
        _check_positive_total_iters(total_iters)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Apply the ratio between the factors of steps ``t`` and ``t - 1``."""
        self._warn_get_lr_outside_step()
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_values(self.optimizer, "lr")
        slope = self.end_factor - self.start_factor
        ratio = 1.0 + slope / (self.total_iters * self.start_factor + (self.last_epoch - 1) * slope)
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        """The closed form at ``last_epoch`` (for ``step(epoch)`` and SequentialLR)."""
        slope = self.end_factor - self.start_factor
        progress = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * (self.start_factor + slope * progress) for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the learning rate polynomially to 0 over ``total_iters`` steps.

    Closed form::

        lr_t = base_lr * (1 - min(t, total_iters) / total_iters) ** power

    The code uses the chainable form: at step ``1 <= t <= total_iters`` multiply by
    ``((1 - t / total_iters) / (1 - (t - 1) / total_iters)) ** power``.

    Args:
        optimizer: wrapped optimizer.
        total_iters: number of steps of the decay. Default: 5.
        power: the power of the polynomial (1.0 is a straight line). Default: 1.0.
        last_epoch: index of the last step; -1 starts a new schedule.

    Raises:
        ValueError: ``total_iters <= 0``; torch accepts it, never decays, and divides by
            zero in ``step(epoch)`` (a deliberate difference).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        total_iters: int = 5,
        power: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        _check_positive_total_iters(total_iters)
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Apply the ratio between the polynomial at steps ``t`` and ``t - 1``."""
        self._warn_get_lr_outside_step()
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_values(self.optimizer, "lr")
        decay = (
            (1.0 - self.last_epoch / self.total_iters)
            / (1.0 - (self.last_epoch - 1) / self.total_iters)
        ) ** self.power
        return [group["lr"] * decay for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        """The closed form at ``last_epoch`` (for ``step(epoch)`` and SequentialLR)."""
        remaining = 1.0 - min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * remaining**self.power for base in self.base_lrs]
