"""CyclicLR: the learning rate cycles between two bounds, stepped after every batch.

It cycles the momentum inversely to the learning rate unless ``cycle_momentum=False``
(see ``_momentum.py``, shared with OneCycleLR in ``onecycle.py``). It is not chainable:
the rate is a closed-form function of the step.
"""
from __future__ import annotations

import math
import types
from typing import Any, Callable

from ..optimizer import Optimizer
from ._momentum import _CyclesMomentum, _momentum_key, _set_momentum
from .base import LRScheduler, _check_optimizer, _format_param


class CyclicLR(_CyclesMomentum, LRScheduler):
    """Cycle the learning rate between ``base_lr`` and ``max_lr`` (Smith, "Cyclical
    Learning Rates for Training Neural Networks", https://arxiv.org/abs/1506.01186).

    Closed form (also the form the code uses), with ``t`` the batch index and
    ``total = step_size_up + step_size_down``::

        cycle = floor(1 + t / total)                    # 1, 2, 3, ...
        x     = 1 + t / total - cycle                   # position in the cycle, [0, 1)
        scale = x / r if x <= r else (x - 1) / (r - 1)  # r = step_size_up / total
        lr_t  = base_lr + (max_lr - base_lr) * scale * scale_fn(cycle or t)
        momentum_t = max_momentum - (max_momentum - base_momentum) * scale * scale_fn(...)

    ``scale_fn`` is 1 for ``mode='triangular'``, ``1 / 2 ** (cycle - 1)`` for
    ``'triangular2'`` (the amplitude halves each cycle), ``gamma ** t`` for ``'exp_range'``;
    a custom ``scale_fn`` replaces ``mode`` and is evaluated on the cycle number or on
    ``t`` according to ``scale_mode``.

    Args:
        optimizer: wrapped optimizer.
        base_lr: lower learning rate(s) of the cycle (one value or one per group).
        max_lr: upper learning rate(s) of the cycle.
        step_size_up: batches in the rising half of a cycle. Default: 2000.
        step_size_down: batches in the falling half; None means ``step_size_up``.
        mode: ``'triangular'``, ``'triangular2'`` or ``'exp_range'``.
        gamma: the constant of ``'exp_range'``. Default: 1.0.
        scale_fn: custom scaling policy, ``0 <= scale_fn(x) <= 1``; overrides ``mode``.
        scale_mode: ``'cycle'`` or ``'iterations'``, the argument given to ``scale_fn``.
        cycle_momentum: cycle the momentum inversely to the lr. Default: True.
        base_momentum: lower momentum(s) (at the lr's peak). Default: 0.8.
        max_momentum: upper momentum(s) (at the lr's bottom). Default: 0.9.
        last_epoch: index of the last batch; -1 starts a new schedule.

    Raises:
        ValueError: unknown ``mode`` without ``scale_fn``, no momentum to cycle (as torch);
            also, deliberately unlike torch, ``step_size_up <= 0``, ``step_size_down < 0``
            (torch divides by zero later) and an unknown ``scale_mode`` (torch silently
            treats it as ``'iterations'``).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float = 0.8,
        max_momentum: float = 0.9,
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        base_lrs = _format_param("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _format_param("max_lr", optimizer, max_lr)
        if step_size_up <= 0 or (step_size_down is not None and step_size_down < 0):
            raise ValueError(
                f"Expected step_size_up > 0 and step_size_down >= 0, but got {step_size_up} "
                f"and {step_size_down}. help: these count batches, e.g. 4 to 8 epochs' worth."
            )
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(
                "mode is invalid and scale_fn is None. help: mode is one of 'triangular', "
                "'triangular2', 'exp_range', or pass your own scale_fn."
            )
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(
                f"scale_mode {scale_mode!r} is unknown. help: use 'cycle' or 'iterations'."
            )
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_mode()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _momentum_key(optimizer)
            self.base_momentums = _format_param("base_momentum", optimizer, base_momentum)
            self.max_momentums = _format_param("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for m_max, m_base, group in zip(
                    self.max_momentums, self.base_momentums, optimizer.param_groups
                ):
                    _set_momentum(group, m_max, self.use_beta1)
                    group["max_momentum"] = m_max
                    group["base_momentum"] = m_base
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_mode(self) -> None:
        """The built-in modes fix what ``scale_fn`` is evaluated on."""
        if self._scale_fn_custom is None:
            self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x: float) -> float:
        """The amplitude scaling policy at ``x`` (the cycle number or the batch index)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def _position(self) -> tuple[float, float]:
        """``(scale_factor, scale)`` at ``last_epoch``: where in the cycle, and its amplitude."""
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        return scale_factor, self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)

    def get_lr(self) -> list[float]:
        """The closed form at ``last_epoch`` (``step()`` then sets the momentum too)."""
        self._warn_get_lr_outside_step()
        scale_factor, scale = self._position()
        return [
            base + (top - base) * scale_factor * scale
            for base, top in zip(self.base_lrs, self.max_lrs, strict=True)
        ]

    def _momentums(self) -> list[float]:
        """The momentum of each group at ``last_epoch``: high where the lr is low."""
        scale_factor, scale = self._position()
        return [
            m_max - (m_max - m_base) * scale_factor * scale
            for m_base, m_max in zip(self.base_momentums, self.max_momentums, strict=True)
        ]

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state; a custom ``scale_fn`` is saved only as a callable
        object's ``__dict__`` (functions and lambdas are None), as in torch."""
        state = super().state_dict()
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None
        if fn is not None and not isinstance(fn, types.FunctionType) and hasattr(fn, "__dict__"):
            state["_scale_fn_custom"] = dict(fn.__dict__)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load the state; a custom ``scale_fn`` stays the one given to the constructor.

        Args:
            state_dict: the dict returned by ``state_dict()`` (left unchanged).
        """
        saved_fn = state_dict.get("_scale_fn_custom")
        super().load_state_dict({k: v for k, v in state_dict.items() if k != "_scale_fn_custom"})
        if saved_fn is not None and self._scale_fn_custom is not None:
            self._scale_fn_custom.__dict__.update(saved_fn)
        self._init_scale_mode()
