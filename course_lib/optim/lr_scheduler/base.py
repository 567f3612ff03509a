"""The learning-rate scheduler base class: bookkeeping, step order, warnings, state.

A scheduler owns no learning rate of its own: it writes ``group["lr"]`` into the
optimizer's ``param_groups``. Constructing one records ``group["initial_lr"]`` (the
``base_lrs``) and performs the *initial step*, which moves ``last_epoch`` from -1 to 0
and sets the learning rate of step 0. Each later ``step()`` adds one to ``last_epoch``
and asks ``get_lr()`` for the new rates.

Most schedulers compute the new rate from the *current* ``group["lr"]`` (torch's
"chainable" form, e.g. StepLR multiplies by ``gamma`` every ``step_size`` steps), so two
schedulers on one optimizer compose, and an ``lr`` edited by hand between steps is
honoured. Where torch also has a closed form (``lr_t = f(base_lr, t)``) it is kept in
``_get_closed_form_lr`` and used by the deprecated ``step(epoch)`` and by ``SequentialLR``.

Differences from torch, on purpose: learning rates are Python floats only (torch also
accepts a Tensor ``lr``); the step order is detected from the optimizer's
``_opt_called`` flag (set by ``course_lib.optim.Optimizer.step``, cleared when the first
scheduler is attached, as torch's wrapper starts counting then) instead of wrapping
``optimizer.step``, so torch's "``optimizer.step()`` has been overridden" warning does
not exist here; ``state_dict()`` holds plain data only (numbers, strings, lists, tuples,
dicts, None), so it round-trips through ``course_lib.save``/``course_lib.load``.
"""
from __future__ import annotations

import numbers
from contextlib import contextmanager
from typing import Any, Iterator
import warnings

from ..optimizer import Optimizer

ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    "See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate "
    "help: in each iteration call optimizer.step() first, then scheduler.step()."
)

GET_LR_WARNING = (
    "To get the last learning rate computed by the scheduler, please use `get_last_lr()`."
)

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)


def _check_optimizer(optimizer: Any) -> None:
    """Raise torch's TypeError when ``optimizer`` is not a course_lib Optimizer."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{type(optimizer).__name__} is not an Optimizer. help: pass the optimizer "
            "itself, e.g. StepLR(optimizer, step_size=30), not its parameters or its lr."
        )


def _check_resumable(optimizer: Optimizer) -> None:
    """A scheduler built with ``last_epoch >= 0`` needs every group's ``initial_lr``."""
    for i, group in enumerate(optimizer.param_groups):
        if "initial_lr" not in group:
            raise KeyError(
                f"param 'initial_lr' is not specified in param_groups[{i}] when "
                "resuming scheduler with last_epoch >= 0. help: to resume, build "
                "the scheduler as for a fresh run (last_epoch=-1, the default), then "
                "call optimizer.load_state_dict(...) and scheduler.load_state_dict(...) "
                "with the saved states, in that order."
            )


def _format_param(name: str, optimizer: Optimizer, param: Any) -> list:
    """One value per param group: a scalar is repeated, a list/tuple must match in length."""
    if isinstance(param, (list, tuple)):
        if len(param) != len(optimizer.param_groups):
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(param)} values, param_groups has "
                f"{len(optimizer.param_groups)}. help: give one value, or one per group."
            )
        return list(param)
    return [param] * len(optimizer.param_groups)


def _group_values(optimizer: Optimizer, key: str) -> list:
    """``[group[key] for each param group]`` (a KeyError names a missing key)."""
    return [group[key] for group in optimizer.param_groups]


def _check_positive_int(name: str, value: Any, help_text: str) -> None:
    """course_lib's own check (torch accepts these and fails later): a positive integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"Expected positive integer {name}, but got {value}. help: {help_text}")


def _check_non_negative(name: str, value: Any, help_text: str) -> None:
    """course_lib's own check (torch accepts it silently): a number >= 0."""
    if not isinstance(value, numbers.Real) or value < 0:
        raise ValueError(f"Expected non-negative {name}, but got {value}. help: {help_text}")


class LRScheduler:
    """Base class of every learning-rate scheduler.

    Subclasses implement ``get_lr()`` (the rates at ``last_epoch``) and may override
    ``step()``. Construction sets ``group.setdefault("initial_lr", group["lr"])`` when
    ``last_epoch == -1`` (so a second scheduler on the same optimizer sees the same
    ``base_lrs``) and then performs the initial step (``last_epoch`` becomes 0).

    Args:
        optimizer: the optimizer whose ``param_groups[i]["lr"]`` this scheduler sets.
        last_epoch: index of the last step taken; -1 (default) starts a new schedule.
            Any other value requires ``initial_lr`` in every group and does not restore
            the schedule's state: to resume, build the scheduler with -1 and call
            ``scheduler.load_state_dict`` after ``optimizer.load_state_dict``.

    Attributes:
        base_lrs: ``[group["initial_lr"] for each group]``, the rates at step 0.
        last_epoch: the step counter ``t`` of the formulas (0 after construction).

    Warning:
        Call ``optimizer.step()`` before ``scheduler.step()`` in every iteration; the
        opposite order skips the first value of the schedule, and the first
        ``scheduler.step()`` warns about it (``UserWarning``, torch's words).
    """

    _get_lr_called_within_step: bool = False
    _is_initial: bool = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        # torch starts watching optimizer.step() when the first scheduler is attached (it
        # wraps step then): steps taken before that do not silence the order warning.
        if not getattr(optimizer, "_watched_by_lr_scheduler", False):
            optimizer._watched_by_lr_scheduler = True
            optimizer._opt_called = False
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            _check_resumable(optimizer)
        self.base_lrs: list[float] = _group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Reset the step counter and take step 0 (no order warning for this one)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    @contextmanager
    def _within_step(self) -> Iterator[None]:
        """Mark that ``get_lr()`` is being called by ``step()`` (no warning then)."""
        self._get_lr_called_within_step = True
        try:
            yield
        finally:
            self._get_lr_called_within_step = False

    def _warn_get_lr_outside_step(self) -> None:
        """Warn, as torch does, when a user calls ``get_lr()`` directly."""
        if not self._get_lr_called_within_step:
            warnings.warn(GET_LR_WARNING, UserWarning, stacklevel=3)

    def state_dict(self) -> dict[str, Any]:
        """Return the scheduler's state: every attribute except the optimizer.

        The values are plain data, so ``course_lib.save`` can write them.
        """
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state returned by ``state_dict()`` (the optimizer is not touched).

        Args:
            state_dict: the dict returned by ``state_dict()``.
        """
        self.__dict__.update(state_dict)

    def get_last_lr(self) -> list[float]:
        """Return the learning rates set by the last ``step()``, one per param group."""
        return list(self._last_lr)

    def get_lr(self) -> list[float]:
        """Compute the learning rates at ``last_epoch`` (called by ``step()``).

        To read the current rates use ``get_last_lr()``; calling ``get_lr()`` directly
        warns, as in torch, and for the chainable schedulers would apply a decay twice.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement get_lr(). help: subclass LRScheduler "
            "and return one learning rate per param group."
        )

    def step(self, epoch: int | None = None) -> None:
        """Advance the schedule by one step and write the new rates into the optimizer.

        Args:
            epoch: deprecated in torch and supported here as in torch: sets
                ``last_epoch = epoch`` and uses the closed form where the scheduler has
                one (with torch's deprecation ``UserWarning``). Use ``step()``.
        """
        if self._step_count == 1 and not getattr(self.optimizer, "_opt_called", False):
            warnings.warn(ORDER_WARNING, UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        """Move ``last_epoch`` (by one, or to ``epoch``) and set every group's ``lr``."""
        with self._within_step():
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = _group_values(self.optimizer, "lr")
