"""Schedulers made of schedulers: SequentialLR (one after another) and ChainedScheduler
(all at once, each multiplying what the previous one set)."""
from __future__ import annotations

from bisect import bisect_right
from typing import Any, Sequence

from ..optimizer import Optimizer
from .base import LRScheduler, _check_optimizer, _group_values
from .plateau import ReduceLROnPlateau


def _check_schedulers(owner: str, schedulers: Sequence[LRScheduler], optimizer: Optimizer) -> None:
    """torch's checks: each has an optimizer, none is ReduceLROnPlateau, all share one."""
    for idx, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(
                f"{owner} at index {idx} should have `optimizer` as its attribute. "
                "help: pass scheduler objects such as LinearLR(optimizer, ...)."
            )
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(
                f"{owner} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at "
                f"index {idx} in the given schedulers sequence. help: step "
                "ReduceLROnPlateau on its own, with the metric."
            )
        if scheduler.optimizer is not optimizer:
            raise ValueError(
                f"{owner} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(scheduler).__name__} at index {idx} has "
                f"{type(scheduler.optimizer).__name__}, which is different from "
                f"{type(optimizer).__name__}. help: build every scheduler on the same optimizer."
            )


class _ContainerState:
    """state_dict/load_state_dict for schedulers that hold schedulers."""

    def state_dict(self) -> dict[str, Any]:
        """The container's own state plus each inner scheduler's state, in order."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load the container's state and every inner scheduler's state.

        Args:
            state_dict: the dict returned by ``state_dict()`` (left unchanged).
        """
        self.__dict__.update({k: v for k, v in state_dict.items() if k != "_schedulers"})
        for scheduler, saved in zip(self._schedulers, state_dict["_schedulers"]):
            scheduler.load_state_dict(saved)


class SequentialLR(_ContainerState, LRScheduler):
    """Run schedulers one after another, switching at the milestones.

    With milestones ``m_1 < m_2 < ...``, scheduler ``k`` drives steps ``m_k <= t < m_{k+1}``
    and restarts from its own step 0 at ``m_k``. Closed form::

        lr_t = schedule_k(t - m_k),   k = number of milestones <= t   (m_0 = 0)

    e.g. warm-up then cosine: ``SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5),
    CosineAnnealingLR(opt, T_max=95)], milestones=[5])``. At a milestone the new
    scheduler is placed at its step 0 with its closed form where it has one (torch's
    mechanism); in between it is stepped normally.

    Args:
        optimizer: wrapped optimizer (the one every scheduler in the list uses).
        schedulers: the schedulers, in order.
        milestones: the steps at which to switch; one fewer than the schedulers.
        last_epoch: index of the last step; -1 starts a new schedule.

    Raises:
        ValueError: as torch (no scheduler, a ReduceLROnPlateau, another optimizer, wrong
            number of milestones), and, unlike torch, milestones that are not increasing
            (torch accepts them and switches at the wrong steps).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: list[LRScheduler],
        milestones: list[int],
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer)
        if len(schedulers) < 1:
            raise ValueError(
                "SequentialLR expects at least one scheduler, but got no scheduler. "
                "help: pass schedulers=[warmup, main] built on this optimizer."
            )
        _check_schedulers("SequentialLR", schedulers, optimizer)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                "than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to "
                f"{len(milestones)}. help: milestones[k] is the step at which "
                "schedulers[k + 1] takes over."
            )
        if any(b <= a for a, b in zip(milestones, milestones[1:])):
            raise ValueError(
                f"Expected strictly increasing milestones, but got {list(milestones)}. "
                "help: milestones are the steps at which the next scheduler starts, e.g. [5, 50]."
            )
        self._schedulers = schedulers
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # the inner schedulers' constructors moved lr: start again from initial_lr
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self.recursive_undo()
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = schedulers[idx].get_last_lr()

    def recursive_undo(self, sched: Any = None) -> None:
        """Undo the initial step that each (possibly nested) scheduler took when built."""
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for s in scheds._schedulers:
                self.recursive_undo(s)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self) -> None:  # type: ignore[override]
        """Step the scheduler that owns the new step (restarting it at its milestone)."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_ContainerState, LRScheduler):
    """Step several schedulers together, each one acting on the lr the previous one set.

    For chainable schedulers the factors multiply, e.g. ``ConstantLR(factor=0.1,
    total_iters=2)`` chained with ``ExponentialLR(gamma=0.9)`` gives
    ``lr_t = base_lr * 0.9 ** t * (0.1 if t < 2 else 1)``.

    Args:
        schedulers: the schedulers to step, in order.
        optimizer: the optimizer they share; default: the first scheduler's.
    """

    def __init__(
        self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None
    ) -> None:
        if len(schedulers) < 1:
            raise ValueError(
                "ChainedScheduler expects at least one scheduler to be chained, but got "
                "no scheduler. help: pass a list such as [warmup, decay]."
            )
        if optimizer is None:
            optimizer = getattr(schedulers[0], "optimizer", None)
        _check_schedulers("ChainedScheduler", schedulers, optimizer)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")

    def step(self) -> None:  # type: ignore[override]
        """Step every scheduler, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")
