"""Cosine annealing: CosineAnnealingLR (one half-cosine, then back up) and
CosineAnnealingWarmRestarts (SGDR: the half-cosine restarted again and again).

Both follow Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm
Restarts" (https://arxiv.org/abs/1608.03983).
"""
from __future__ import annotations

import math
import numbers
from typing import Any

from ..optimizer import Optimizer
from .base import LRScheduler, _group_values


class CosineAnnealingLR(LRScheduler):
    """Anneal the learning rate along a half cosine from ``base_lr`` to ``eta_min``
    in ``T_max`` steps (and, past ``T_max``, back up along the same cosine).

    Closed form::

        lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2

    The code uses torch's chainable (recursive) form, so that it composes with other
    schedulers::

        lr_t = eta_min + (lr_{t-1} - eta_min)
                         * (1 + cos(pi * t / T_max)) / (1 + cos(pi * (t - 1) / T_max))

    except at the bottom of each period (``(t - 1 - T_max) % (2 * T_max) == 0``), where
    the ratio would be 0/0 and the step ``(base_lr - eta_min) * (1 - cos(pi / T_max)) / 2``
    is added instead. When no other scheduler or hand edit touches ``lr``, both forms
    agree (to rounding).

    Args:
        optimizer: wrapped optimizer.
        T_max: number of steps from ``base_lr`` down to ``eta_min``.
        eta_min: the lowest learning rate. Default: 0.0.
        last_epoch: index of the last step; -1 starts a new schedule.

    Raises:
        ValueError: ``T_max <= 0``; torch accepts it and fails at the first step with
            ZeroDivisionError (a deliberate difference).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if isinstance(T_max, bool) or not isinstance(T_max, numbers.Real) or T_max <= 0:
            raise ValueError(
                f"Expected positive T_max, but got {T_max}. help: T_max is the number of "
                "steps of the cosine, e.g. the number of epochs."
            )
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """One step of the recursive cosine (see the class docstring)."""
        self._warn_get_lr_outside_step()
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        groups = self.optimizer.param_groups
        t, T_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._step_count == 1 and t > 0:
            # Reached only by a direct get_lr() call on a scheduler built with last_epoch > 0,
            # before any step(): there is no previous step to recurse from, so, as torch
            # does, the closed form at t.
            return [
                eta_min + (base - eta_min) * (1 + math.cos(t * math.pi / T_max)) / 2
                for base in self.base_lrs
            ]
        if (t - 1 - T_max) % (2 * T_max) == 0:
            return [
                group["lr"] + (base - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
                for base, group in zip(self.base_lrs, groups)
            ]
        ratio = (1 + math.cos(math.pi * t / T_max)) / (1 + math.cos(math.pi * (t - 1) / T_max))
        return [ratio * (group["lr"] - eta_min) + eta_min for group in groups]

    def _get_closed_form_lr(self) -> list[float]:
        """The closed form at ``last_epoch`` (for ``step(epoch)`` and SequentialLR)."""
        cosine = 1 + math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base - self.eta_min) * cosine / 2 for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing with warm restarts (SGDR).

    Closed form, with ``T_cur`` the steps since the last restart and ``T_i`` the length of
    the current period (``T_0``, then ``T_0 * T_mult``, ``T_0 * T_mult**2``, ...)::

        lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2

    The code uses this closed form (as torch: this scheduler is not chainable). It
    overrides ``step(epoch=None)``: without an argument ``T_cur`` grows by one and wraps
    to 0 at ``T_i``; ``step(epoch)`` with a (possibly fractional) epoch, e.g.
    ``scheduler.step(epoch + i / iters)`` after each batch, places ``T_cur`` and ``T_i``
    directly. As in torch, this ``step`` does not warn about the call order.

    Args:
        optimizer: wrapped optimizer.
        T_0: number of steps until the first restart (a positive int).
        T_mult: factor by which ``T_i`` grows after each restart (an int >= 1). Default: 1.
        eta_min: the lowest learning rate. Default: 0.0.
        last_epoch: index of the last step; -1 starts a new schedule.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(
                f"Expected positive integer T_0, but got {T_0}. help: T_0 is the number "
                "of steps before the first restart, e.g. 10."
            )
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(
                f"Expected integer T_mult >= 1, but got {T_mult}. help: T_mult=1 keeps every "
                "period T_0 long, T_mult=2 doubles it after each restart."
            )
        if not isinstance(eta_min, (float, int)):
            raise ValueError(
                f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}. "
                "help: eta_min is the lowest learning rate, e.g. 0.0 or 1e-5."
            )
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """``eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``."""
        self._warn_get_lr_outside_step()
        cosine = 1 + math.cos(math.pi * self.T_cur / self.T_i)
        return [self.eta_min + (base - self.eta_min) * cosine / 2 for base in self.base_lrs]

    def step(self, epoch: Any = None) -> None:
        """Advance ``T_cur`` by one (``epoch=None``), or jump to a (fractional) ``epoch``.

        Args:
            epoch: optional epoch, may be fractional (``epoch + batch / batches``).

        Raises:
            ValueError: a negative ``epoch``.
        """
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(
                    f"Expected non-negative epoch, but got {epoch}. help: epochs count from 0."
                )
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    # restarts so far: the largest n with
                    # T_0 * (T_mult**n - 1) / (T_mult - 1) <= epoch
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult**n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        with self._within_step():
            values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = _group_values(self.optimizer, "lr")
