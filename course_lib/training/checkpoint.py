"""Checkpoints (lesson 09): save a run, load it back, continue it as if it never stopped.

A run has three stateful objects, and a checkpoint holds the ``state_dict`` of each plus the
number of epochs already done, in one file written by :func:`course_lib.save` (no pickle)::

    {"model": model.state_dict(),          # weights
     "optimizer": optimizer.state_dict(),  # Adam's moments, step counts, param groups' lr
     "scheduler": scheduler.state_dict(),  # last_epoch, base_lrs, ...
     "epoch": epoch}                       # epochs finished: resume with range(epoch, N)

Leaving out the optimizer restarts Adam's moments at zero; leaving out the scheduler
restarts the schedule. With all of it (and the data order seeded by the epoch) a resumed
run is bit-identical to a straight one.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..nn.module import Module
from ..serialization import load, save

__all__ = ["CHECKPOINT_KEYS", "save_checkpoint", "load_checkpoint", "resume_training"]

CHECKPOINT_KEYS = ("model", "optimizer", "scheduler", "epoch")


def save_checkpoint(path: str | os.PathLike, model: Module, optimizer: Any, scheduler: Any, epoch: int) -> None:
    """Write ``{"model", "optimizer", "scheduler": state_dict(), "epoch": epoch}`` to ``path``.

    Args:
        path: the file to write (overwritten if it exists).
        model, optimizer, scheduler: the run; their ``state_dict()`` is taken now.
        epoch: the number of epochs already finished, so a resumed run continues with
            ``range(epoch, num_epochs)``.
    """
    save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
          "scheduler": scheduler.state_dict(), "epoch": epoch}, path)


def load_checkpoint(path: str | os.PathLike, model: Module, optimizer: Any, scheduler: Any) -> int:
    """Restore ``model``, ``optimizer`` and ``scheduler`` in place from ``path``; return its epoch.

    The objects must be built as for the saved run (same layers, same param groups, same
    scheduler class and arguments); ``load_state_dict`` then overwrites weights, moments,
    step counts, learning rates and ``last_epoch``.

    Raises:
        KeyError: the file is not a checkpoint written by :func:`save_checkpoint`.
    """
    checkpoint = load(path)
    missing = [key for key in CHECKPOINT_KEYS if not isinstance(checkpoint, dict) or key not in checkpoint]
    if missing:
        raise KeyError(f"{os.fspath(path)!r} is not a checkpoint: it lacks {missing}; "
                       "help: write it with save_checkpoint(path, model, optimizer, scheduler, epoch).")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    return checkpoint["epoch"]


def resume_training(path: str | os.PathLike, make_run: Callable[[], tuple[Module, Any, Any]],
                    train_epoch: Callable[[Module, Any, Any], float], num_epochs: int) -> list[float]:
    """Rebuild a run with ``make_run()``, load the checkpoint, train up to ``num_epochs``.

    Args:
        path: the checkpoint written by :func:`save_checkpoint`.
        make_run: builds a fresh ``(model, optimizer, scheduler)``, as for the original run.
        train_epoch: ``train_epoch(model, optimizer, scheduler) -> loss`` runs one epoch.
        num_epochs: the total length of the run.

    Returns:
        The losses of epochs ``epoch, ..., num_epochs - 1`` (those not done before saving).
    """
    model, optimizer, scheduler = make_run()
    done = load_checkpoint(path, model, optimizer, scheduler)
    return [train_epoch(model, optimizer, scheduler) for _ in range(done, num_epochs)]
