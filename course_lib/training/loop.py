"""The training loop of lesson 10: one epoch of training, one pass of evaluation, a whole run.

The loop every training script repeats, written once::

    for epoch in range(start_epoch, epochs):
        lr = optimizer.param_groups[0]["lr"]          # the rate this epoch starts with
        train_one_epoch(model, loader, optimizer, loss_fn, scheduler)
        evaluate(model, val_loader, loss_fn)

Losses are averaged **per sample**: a loader's last batch may be smaller, so each batch's
mean loss is weighted by its size, :math:`\\bar L = \\sum_b n_b L_b / \\sum_b n_b`, which is
the mean over the whole data set whatever the batch size.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..autograd import no_grad
from ..nn.module import Module
from ..tensor import Tensor

__all__ = ["train_one_epoch", "evaluate", "fit"]

Batches = Iterable[tuple[Tensor, Tensor]]
LossFn = Callable[[Tensor, Tensor], Tensor]


def train_one_epoch(model: Module, loader: Batches, optimizer: Any, loss_fn: LossFn, scheduler: Any = None) -> float:
    """Train ``model`` for one pass over ``loader``; return the mean loss per sample.

    Per batch: ``optimizer.zero_grad()`` (``backward`` accumulates into ``.grad``), forward,
    loss, ``loss.backward()``, ``optimizer.step()``, then ``scheduler.step()`` when a
    scheduler is given: here schedules count optimizer steps, and stepping the scheduler
    first would skip the schedule's first rate.

    Args:
        model: switched to training mode first (``evaluate`` leaves it in eval mode).
        loader: yields ``(inputs, targets)`` batches, e.g. a ``DataLoader``.
        optimizer: any ``course_lib.optim`` optimizer over ``model``'s parameters.
        loss_fn: ``loss_fn(outputs, targets)`` returns a batch's mean loss (a 0-d tensor).
        scheduler: optional learning-rate scheduler, stepped once per batch.

    Returns:
        :math:`\\sum_b n_b L_b / \\sum_b n_b`, with :math:`L_b` the loss of batch :math:`b`
        (computed before its update) and :math:`n_b` its number of samples.
    """
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        total += loss.item() * len(targets)
        count += len(targets)
    return total / count


def evaluate(model: Module, loader: Batches, loss_fn: LossFn) -> tuple[float, float]:
    """Mean loss per sample and accuracy of a classifier over ``loader``, without training.

    ``model.eval()`` switches dropout and batch norm to inference behaviour; ``no_grad``
    records no graph (less memory and time, and nothing can leak into a later backward).
    The predicted class of a row is ``argmax`` of its logits.

    Args:
        model: a classifier returning logits of shape ``(batch, classes)``; left in eval mode.
        loader: yields ``(inputs, targets)`` with integer class targets of shape ``(batch,)``.
        loss_fn: ``loss_fn(logits, targets)`` returns a batch's mean loss.

    Returns:
        ``(loss, accuracy)``: :math:`\\sum_b n_b L_b / N` and
        :math:`\\frac{1}{N} \\#\\{i : \\arg\\max_c z_{ic} = y_i\\}`, a fraction in ``[0, 1]``.
    """
    model.eval()
    total, correct, count = 0.0, 0, 0
    with no_grad():
        for inputs, targets in loader:
            logits = model(inputs)
            total += loss_fn(logits, targets).item() * len(targets)
            correct += int((logits.argmax(dim=1) == targets).sum().item())
            count += len(targets)
    return total / count, correct / count


def fit(model: Module, optimizer: Any, scheduler: Any, train_loader_for: Callable[[int], Batches],
        val_loader: Batches, loss_fn: LossFn, epochs: int, start_epoch: int = 0) -> dict[str, list[float]]:
    """Train epochs ``start_epoch, ..., epochs - 1``, evaluating after each; return the history.

    Args:
        model, optimizer, scheduler: the run (the scheduler steps once per batch).
        train_loader_for: ``train_loader_for(epoch)`` gives that epoch's training loader;
            seeding its shuffle by the epoch number lets a resumed run see the same batches.
        val_loader: the validation batches, evaluated after every epoch.
        loss_fn: the loss, as for :func:`train_one_epoch`.
        epochs: the total length of the run.
        start_epoch: the number of epochs already done (0 for a new run, the saved epoch
            when resuming from a checkpoint).

    Returns:
        ``{"lr": [...], "train_loss": [...], "val_loss": [...], "val_acc": [...]}``, one value
        per epoch trained; ``lr`` is ``optimizer.param_groups[0]["lr"]`` at the epoch's start.
    """
    history: dict[str, list[float]] = {"lr": [], "train_loss": [], "val_loss": [], "val_acc": []}
    for epoch in range(start_epoch, epochs):
        history["lr"].append(optimizer.param_groups[0]["lr"])
        history["train_loss"].append(train_one_epoch(model, train_loader_for(epoch), optimizer, loss_fn, scheduler))
        val_loss, val_acc = evaluate(model, val_loader, loss_fn)
        history["val_loss"].append(val_loss)
        history["val_acc"].append(val_acc)
    return history
