"""Schedules that multiply the learning rate: LambdaLR, MultiplicativeLR, StepLR,
MultiStepLR, ExponentialLR.

Each class docstring gives the closed form ``lr_t`` as a function of the step ``t``
(``last_epoch``) and says which form the code uses. The chainable ones multiply the
*current* ``group["lr"]``, as torch does, so they compose with other schedulers and
honour an ``lr`` edited by hand.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import Counter
import numbers
import types
from typing import Any, Callable, Iterable

from ..optimizer import Optimizer
from .base import (
    LRScheduler,
    _check_non_negative,
    _check_optimizer,
    _check_positive_int,
    _group_values,
)


def _lambda_list(optimizer: Optimizer, lr_lambda: Any) -> list[Callable[[int], float]]:
    """One callable per param group (a single callable is shared by all groups)."""
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != len(optimizer.param_groups):
            raise ValueError(
                f"Expected {len(optimizer.param_groups)} lr_lambdas, but got "
                f"{len(lr_lambda)}. help: give one function, or one per param group."
            )
        lambdas = list(lr_lambda)
    else:
        lambdas = [lr_lambda] * len(optimizer.param_groups)
    for fn in lambdas:
        if not callable(fn):
            raise TypeError(
                f"lr_lambda should be a function, but got {type(fn).__name__}. "
                "help: pass e.g. lr_lambda=lambda epoch: 0.95 ** epoch."
            )
    return lambdas


def _lambdas_state(lambdas: list[Callable]) -> list[dict | None]:
    """torch's rule: a plain function or lambda is not saved (None); a callable object's
    ``__dict__`` is."""
    saved: list[dict | None] = []
    for fn in lambdas:
        if isinstance(fn, types.FunctionType) or not hasattr(fn, "__dict__"):
            saved.append(None)
        else:
            saved.append(dict(fn.__dict__))
    return saved


class _LambdaScheduler(LRScheduler):
    """What LambdaLR and MultiplicativeLR share: one ``lr_lambda`` per param group, and a
    ``state_dict`` that cannot hold functions."""

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer)  # before _lambda_list reads optimizer.param_groups
        self.optimizer = optimizer
        self.lr_lambdas = _lambda_list(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state; ``lr_lambdas`` holds None for functions and lambdas
        (they cannot be saved) and the ``__dict__`` of callable objects."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = _lambdas_state(self.lr_lambdas)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load the state; the functions themselves are the ones given to the constructor.

        Args:
            state_dict: the dict returned by ``state_dict()`` (left unchanged).
        """
        self.__dict__.update({k: v for k, v in state_dict.items() if k != "lr_lambdas"})
        for fn, saved in zip(self.lr_lambdas, state_dict["lr_lambdas"]):
            if saved is not None:
                fn.__dict__.update(saved)


class LambdaLR(_LambdaScheduler):
    """Set the learning rate to the initial rate times a function of the step.

    Closed form (also the form the code uses)::

        lr_t = base_lr * lr_lambda(t)

    Args:
        optimizer: wrapped optimizer.
        lr_lambda: a function of the integer step ``t`` giving a factor, or a list of such
            functions, one per param group.
        last_epoch: index of the last step; -1 starts a new schedule.
    """

    def get_lr(self) -> list[float]:
        """``base_lr * lr_lambda(last_epoch)`` for each group."""
        self._warn_get_lr_outside_step()
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_LambdaScheduler):
    """Multiply the learning rate by a function of the step, at every step.

    Closed form::

        lr_t = base_lr * lr_lambda(1) * lr_lambda(2) * ... * lr_lambda(t)

    The code uses the chainable form ``lr_t = lr_{t-1} * lr_lambda(t)`` (the initial
    step leaves ``lr`` unchanged).

    Args:
        optimizer: wrapped optimizer.
        lr_lambda: a function of the integer step ``t`` giving a factor, or one per group.
        last_epoch: index of the last step; -1 starts a new schedule.
    """

    def get_lr(self) -> list[float]:
        """``group["lr"] * lr_lambda(last_epoch)`` (unchanged at the initial step)."""
        self._warn_get_lr_outside_step()
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        return [
            group["lr"] * fn(self.last_epoch)
            for fn, group in zip(self.lr_lambdas, self.optimizer.param_groups)
        ]


class StepLR(LRScheduler):
    """Decay the learning rate by ``gamma`` every ``step_size`` steps.

    Closed form::

        lr_t = base_lr * gamma ** (t // step_size)

    The code uses the chainable form: ``lr_t = lr_{t-1} * gamma`` when ``t`` is a
    non-zero multiple of ``step_size``, else ``lr_t = lr_{t-1}``.

    Args:
        optimizer: wrapped optimizer.
        step_size: period of the decay, in steps.
        gamma: multiplicative factor of the decay. Default: 0.1.
        last_epoch: index of the last step; -1 starts a new schedule.

    Raises:
        ValueError: ``step_size`` is not a positive integer, or ``gamma < 0``. A deliberate
            difference from torch, which accepts both and then fails at the first step
            (ZeroDivisionError) or produces negative learning rates.
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        _check_positive_int("step_size", step_size, "the lr decays every step_size steps, e.g. 30.")
        _check_non_negative("gamma", gamma, "gamma multiplies the lr, e.g. 0.1.")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Multiply ``group["lr"]`` by ``gamma`` when ``last_epoch`` is a multiple of step_size."""
        self._warn_get_lr_outside_step()
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        """The closed form at ``last_epoch`` (for ``step(epoch)`` and SequentialLR)."""
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Decay the learning rate by ``gamma`` at each milestone.

    Closed form::

        lr_t = base_lr * gamma ** (number of milestones <= t)

    The code uses the chainable form: at a milestone ``m`` listed ``k`` times,
    ``lr_m = lr_{m-1} * gamma ** k``; elsewhere ``lr_t = lr_{t-1}``.

    Args:
        optimizer: wrapped optimizer.
        milestones: step indices (torch's docs say increasing; any order works, as in torch).
        gamma: multiplicative factor of the decay. Default: 0.1.
        last_epoch: index of the last step; -1 starts a new schedule.

    Raises:
        ValueError: ``gamma < 0`` (torch accepts it and produces negative learning rates),
            or a milestone that is not an integer (torch never reaches it).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        milestones = list(milestones)
        for m in milestones:
            if isinstance(m, bool) or not isinstance(m, numbers.Integral):
                raise ValueError(
                    f"Expected integer milestones, but got {m!r}. help: milestones are "
                    "step indices such as [30, 80]."
                )
        _check_non_negative("gamma", gamma, "gamma multiplies the lr, e.g. 0.1.")
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Multiply ``group["lr"]`` by ``gamma ** k`` when ``last_epoch`` is a milestone."""
        self._warn_get_lr_outside_step()
        if self.last_epoch not in self.milestones:
            return _group_values(self.optimizer, "lr")
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        """The closed form at ``last_epoch`` (for ``step(epoch)`` and SequentialLR)."""
        milestones = sorted(self.milestones.elements())
        passed = bisect_right(milestones, self.last_epoch)
        return [base * self.gamma**passed for base in self.base_lrs]

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state; ``milestones`` is saved as a plain ``{step: count}`` dict."""
        state = super().state_dict()
        state["milestones"] = {int(k): int(v) for k, v in self.milestones.items()}
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load the state returned by ``state_dict()``.

        Args:
            state_dict: the dict returned by ``state_dict()``.
        """
        super().load_state_dict(state_dict)
        self.milestones = Counter({int(k): int(v) for k, v in state_dict["milestones"].items()})


class ExponentialLR(LRScheduler):
    """Decay the learning rate by ``gamma`` at every step.

    Closed form::

        lr_t = base_lr * gamma ** t

    The code uses the chainable form ``lr_t = lr_{t-1} * gamma`` (the initial step
    leaves ``lr`` unchanged).

    Args:
        optimizer: wrapped optimizer.
        gamma: multiplicative factor of the decay.
        last_epoch: index of the last step; -1 starts a new schedule.

    Raises:
        ValueError: ``gamma < 0``; torch accepts it and the lr flips sign every step.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _check_non_negative("gamma", gamma, "gamma multiplies the lr every step, e.g. 0.95.")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """``group["lr"] * gamma`` (unchanged at the initial step)."""
        self._warn_get_lr_outside_step()
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        """The closed form at ``last_epoch`` (for ``step(epoch)`` and SequentialLR)."""
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]
