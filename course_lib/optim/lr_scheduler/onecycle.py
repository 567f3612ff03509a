"""OneCycleLR: the 1cycle policy (Smith & Topin, "Super-Convergence: Very Fast Training
of Neural Networks Using Large Learning Rates", https://arxiv.org/abs/1708.07120)."""
from __future__ import annotations

import math

from ..optimizer import Optimizer
from ._momentum import _CyclesMomentum, _momentum_key, _set_momentum
from .base import LRScheduler, _check_optimizer, _check_resumable, _format_param


def _annealing_cos(start: float, end: float, pct: float) -> float:
    """Cosine from ``start`` (pct = 0) to ``end`` (pct = 1)."""
    cos_out = math.cos(math.pi * pct) + 1
    return end + (start - end) / 2.0 * cos_out


def _annealing_linear(start: float, end: float, pct: float) -> float:
    """Straight line from ``start`` (pct = 0) to ``end`` (pct = 1)."""
    return (end - start) * pct + start


class OneCycleLR(_CyclesMomentum, LRScheduler):
    """Warm the learning rate up to ``max_lr``, then anneal it far below where it started.

    The schedule is a list of phases; with ``T = total_steps`` and ``p = pct_start``::

        initial_lr = max_lr / div_factor
        min_lr     = initial_lr / final_div_factor
        two phases (default, fastai's variant):
            steps 0 .. p*T - 1:       initial_lr -> max_lr
            steps p*T - 1 .. T - 1:   max_lr     -> min_lr
        three_phase=True (the paper's):
            steps 0 .. p*T - 1:         initial_lr -> max_lr
            steps p*T - 1 .. 2*p*T - 2: max_lr     -> initial_lr
            steps 2*p*T - 2 .. T - 1:   initial_lr -> min_lr

    Inside a phase from step ``s0`` to ``s1``, ``pct = (t - s0) / (s1 - s0)`` and
    ``lr_t = anneal(start, end, pct)``, with ``anneal`` either cosine,
    ``end + (start - end) / 2 * (1 + cos(pi * pct))``, or linear,
    ``start + (end - start) * pct``. The momentum moves the opposite way between
    ``max_momentum`` and ``base_momentum``. This closed form is what the code computes
    (the scheduler is not chainable). Stepping past ``total_steps`` raises ValueError.

    Args:
        optimizer: wrapped optimizer.
        max_lr: the peak learning rate(s), one value or one per group.
        total_steps: number of steps in the cycle; or give ``epochs`` and
            ``steps_per_epoch`` and it is their product.
        epochs: number of epochs (with ``steps_per_epoch``).
        steps_per_epoch: batches per epoch (with ``epochs``).
        pct_start: fraction of the cycle spent warming up, a float in [0, 1]. Default: 0.3.
        anneal_strategy: ``'cos'`` or ``'linear'``. Default: ``'cos'``.
        cycle_momentum: cycle the momentum (or Adam's ``beta1``). Default: True.
        base_momentum: momentum at the lr's peak. Default: 0.85.
        max_momentum: momentum at the start and the end. Default: 0.95.
        div_factor: ``initial_lr = max_lr / div_factor``. Default: 25.
        final_div_factor: ``min_lr = initial_lr / final_div_factor``. Default: 1e4.
        three_phase: use the paper's three phases. Default: False.
        last_epoch: index of the last batch; -1 starts a new schedule.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(
                    f"Expected positive integer total_steps, but got {total_steps}. "
                    "help: total_steps is the number of scheduler.step() calls planned."
                )
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(
                    f"Expected positive integer epochs, but got {epochs}. help: epochs is "
                    "the number of passes over the data, e.g. 10."
                )
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(
                    f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}. "
                    "help: steps_per_epoch is the number of batches, e.g. len(loader)."
                )
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(
                "You must define either total_steps OR (epochs AND steps_per_epoch). "
                "help: e.g. OneCycleLR(optimizer, max_lr=0.1, epochs=10, "
                "steps_per_epoch=len(loader))."
            )
        if not isinstance(pct_start, float) or pct_start < 0 or pct_start > 1:
            raise ValueError(
                f"Expected float between 0 and 1 pct_start, but got {pct_start}. "
                "help: e.g. pct_start=0.3 warms up over 30% of the steps."
            )
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                "anneal_strategy must be one of 'cos' or 'linear', instead got "
                f"{anneal_strategy}. help: 'cos' is the default and the paper's choice."
            )
        self._anneal_func_type = anneal_strategy
        max_lrs = _format_param("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for top, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _momentum_key(optimizer)
            max_momentums = _format_param("max_momentum", optimizer, max_momentum)
            base_momentums = _format_param("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                groups = optimizer.param_groups
                for m_max, m_base, group in zip(max_momentums, base_momentums, groups):
                    _set_momentum(group, m_max, self.use_beta1)
                    group["max_momentum"] = m_max
                    group["base_momentum"] = m_base
        if last_epoch != -1:
            _check_resumable(optimizer)  # before the phases read the groups: torch's error
        self._schedule_phases = self._phases(pct_start, three_phase)
        super().__init__(optimizer, last_epoch)

    def _phases(self, pct_start: float, three_phase: bool) -> list[dict]:
        """The phases: each one's last step, and per group the lr (and momentum) it goes between.

        The values are read once from the param groups (``initial_lr``, ``max_lr``,
        ``min_lr``, ``max_momentum``, ``base_momentum``, set above or by a loaded state).
        """
        warm_end = float(pct_start * self.total_steps) - 1
        last = self.total_steps - 1
        if three_phase:
            plan = [
                (warm_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (float(2 * pct_start * self.total_steps) - 2, "max_lr", "initial_lr",
                 "base_momentum", "max_momentum"),
                (last, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            plan = [
                (warm_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (last, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        groups = self.optimizer.param_groups
        return [
            {
                "end_step": end_step,
                "lrs": [(g[start_lr], g[end_lr]) for g in groups],
                "momentums": [(g[start_m], g[end_m]) for g in groups] if self.cycle_momentum else None,
            }
            for end_step, start_lr, end_lr, start_m, end_m in plan
        ]

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return _annealing_cos(start, end, pct)
        return _annealing_linear(start, end, pct)

    def _phase_at(self, step_num: int) -> tuple[dict, float]:
        """The phase that holds ``step_num`` and how far into it (``pct``) the step is."""
        start_step = 0.0
        for i, phase in enumerate(self._schedule_phases):
            end_step = phase["end_step"]
            if step_num <= end_step or i == len(self._schedule_phases) - 1:
                return phase, (step_num - start_step) / (end_step - start_step)
            start_step = end_step
        raise AssertionError("unreachable: the last phase always matches")

    def get_lr(self) -> list[float]:
        """The closed form at ``last_epoch`` (``step()`` then sets the momentum too).

        Raises:
            ValueError: stepped more than ``total_steps`` times (torch's message).
        """
        self._warn_get_lr_outside_step()
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(
                f"Tried to step {step_num} times. The specified number of total steps is "
                f"{self.total_steps}. help: make total_steps (or epochs * steps_per_epoch) "
                "equal to the number of scheduler.step() calls of the whole run."
            )
        phase, pct = self._phase_at(step_num)
        return [self._anneal(start, end, pct) for start, end in phase["lrs"]]

    def _momentums(self) -> list[float]:
        """The momentum of each group at ``last_epoch``: it moves opposite to the lr."""
        phase, pct = self._phase_at(self.last_epoch)
        return [self._anneal(start, end, pct) for start, end in phase["momentums"]]
