"""Lesson 10 (capstone): checks of ``train_one_epoch``, ``evaluate``, ``make_optimizer_and_scheduler``
and ``fit`` (answer keys in :mod:`course_lib.training`), each next to the reference on a tiny
seeded classification problem."""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from .. import nn, training
from ..autograd import is_grad_enabled
from ..data import DataLoader, TensorDataset
from ..optim import SGD, Optimizer
from ..optim.lr_scheduler import StepLR
from ..random import manual_seed
from ..tensor import Tensor
from ._core import allclose, call_student, compare, format_value, report_success, require
from ._schedules import lr_trajectory

__all__ = ["check_train_one_epoch", "check_evaluate", "check_make_optimizer_and_scheduler", "check_fit"]


class _Spy(nn.Linear):
    """A seeded linear classifier (5 to 3) recording, at each forward, its mode and whether grad is on."""

    def __init__(self) -> None:
        manual_seed(0)
        super().__init__(5, 3)
        self.seen: list[tuple[bool, bool]] = []

    def forward(self, x: Tensor) -> Tensor:
        self.seen.append((self.training, is_grad_enabled()))
        return super().forward(x)


def _with_old_gradients(model: _Spy) -> _Spy:
    """``model`` with gradients left over from an earlier backward(): a loop that zeroes them only after its step
    uses them in its first step."""
    for p in model.parameters():
        p.grad = Tensor(np.full(p.shape, 0.5, dtype=np.float32))
    return model


def _dataset(n: int = 40) -> TensorDataset:
    X = np.random.default_rng(10).normal(size=(n, 5)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 0.5).astype(np.int64)
    return TensorDataset(Tensor(X), Tensor(y))


def _epoch(loader: Any, with_scheduler: bool, zero_grad: str | None = "first") -> tuple[list[float], list]:
    """The reference loop by hand (``zero_grad="last"``: optimizer.zero_grad() after the step, None: never), from a
    model with old gradients: the batch losses and the final params."""
    model = _with_old_gradients(_Spy())
    optimizer = SGD(model.parameters(), lr=0.5, momentum=0.9)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5) if with_scheduler else None
    losses = []
    for inputs, targets in loader:
        if zero_grad == "first":
            optimizer.zero_grad()
        loss = nn.CrossEntropyLoss()(model(inputs), targets)
        loss.backward()
        optimizer.step()
        if zero_grad == "last":
            optimizer.zero_grad()
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.item())
    return losses, [p._data.copy() for p in model.parameters()]


def check_train_one_epoch(train_one_epoch: Callable[..., float]) -> None:
    """Check ``train_one_epoch(model, loader, optimizer, loss_fn, scheduler=None) -> mean loss``."""
    loader = DataLoader(_dataset(), batch_size=16)
    n = [len(targets) for _, targets in loader]  # 16, 16 and 8
    cases = {"with a scheduler": True, "without a scheduler": False}
    for label, with_scheduler in cases.items():
        model = _with_old_gradients(_Spy().eval())  # the student's function must switch training mode on itself
        optimizer = SGD(model.parameters(), lr=0.5, momentum=0.9)
        scheduler = StepLR(optimizer, step_size=1, gamma=0.5) if with_scheduler else None
        args = (model, loader, optimizer, nn.CrossEntropyLoss()) + ((scheduler,) if with_scheduler else ())
        with warnings.catch_warnings(record=True) as caught:  # torch's warning when the scheduler steps first
            warnings.simplefilter("always")
            got = call_student(train_one_epoch, *args, where=f"train_one_epoch {label}", crashes=[(
                RuntimeError, "in-place operation", "add loss.item() (a float) to the running total, not the loss "
                                                    "tensor: `total += loss` changes a tensor of the graph in place.")])
        inputs = f"{label}: a linear classifier, SGD(lr=0.5, momentum=0.9), 3 batches of 16, 16 and 8 samples"
        steps = scheduler.last_epoch if with_scheduler else len(loader)
        times = "once" if steps == 1 else f"{steps} times"
        require([(steps != len(loader), f"train_one_epoch stepped the scheduler {times} for 3 batches ({label}).", {
                      0: "the scheduler never steps: call scheduler.step() after optimizer.step() in every batch.",
                      1: "the scheduler stepped once per epoch; the schedules of this lesson count optimizer steps: "
                         "call scheduler.step() right after optimizer.step(), inside the loop over the batches.",
                      len(loader) - 1: "the scheduler stepped once less than there are batches: is a batch skipped "
                                       "(the last, smaller one)? Train on every batch the loader gives.",
                  }.get(steps, "call scheduler.step() exactly once per batch, right after optimizer.step(), and "
                               "nowhere else.")),
                 (any(not in_training for in_training, _ in model.seen), "train_one_epoch ran the model in eval mode.",
                  "call model.train() at the start: evaluate() leaves the model in eval mode, where dropout is off."),
                 (isinstance(got, Tensor), f"train_one_epoch ({label}) returned a tensor, not a float.", "add "
                  "loss.item() (a float) to the running total: a total built from loss tensors (total = total + loss "
                  "* n) keeps the graph of every batch alive until the epoch ends."),
                 (not isinstance(got, (int, float, np.number)), f"train_one_epoch ({label}) returned "
                  f"{format_value(got)}, not one number.", "return the mean loss per sample, one float: the sum of "
                  "loss.item() * len(targets) over the batches, divided by the number of samples.")],
                inputs)
        losses, params = _epoch(loader, with_scheduler)
        unzeroed, unzeroed_params = _epoch(loader, with_scheduler, zero_grad=None)
        zeroed_last = _epoch(loader, with_scheduler, zero_grad="last")[1]
        skipped_params = _epoch(list(loader)[:-1], with_scheduler)[1]
        compare((float(got), [p._data.copy() for p in model.parameters()]),
                (np.dot(losses, n) / np.sum(n), params),
                f"train_one_epoch ({label}): the returned loss or the weights after the epoch are wrong.", inputs,
                mistakes=[
                    ("scheduler.step() comes before optimizer.step(): the first learning rate of the schedule is "
                     "skipped; call optimizer.step() first.",
                     lambda _: any("before `optimizer.step()`" in str(w.message) for w in caught)),
                    ("gradients are never zeroed: call optimizer.zero_grad() before each backward(), otherwise every "
                     "batch's gradient is added to all the previous ones.",
                     (np.dot(unzeroed, n) / np.sum(n), unzeroed_params)),
                    ("you zero the gradients after optimizer.step(), so the first step also uses the gradients "
                     "the model came with (from an earlier backward()); call optimizer.zero_grad() first in each "
                     "batch, before the forward pass.", lambda g: allclose(g[1], zeroed_last)),
                    ("the weights never changed: call optimizer.zero_grad(), loss.backward() and optimizer.step(), in "
                     "that order (a zero_grad() between backward() and step() wipes the gradient).",
                     lambda g: allclose(g[1], [p._data for p in _Spy().parameters()])),
                    (f"your weights match an epoch without its last batch ({n[-1]} samples): train on every batch "
                     "the loader gives, the smaller last one too.", lambda g: allclose(g[1], skipped_params)),
                    ("you averaged the batch means: the last batch is smaller, so weight each batch loss by its size: "
                     "sum(loss * n) / sum(n).", (np.mean(losses), params)),
                    (f"you weighted every batch by loader.batch_size ({n[0]}), but the last batch holds only {n[-1]} "
                     "samples: weight each batch loss by len(targets).", (n[0] * np.sum(losses) / np.sum(n), params)),
                    ("you returned the last batch's loss: return the mean over the whole epoch.", (losses[-1], params)),
                    ("you returned the sum of the batch losses: return the mean per sample.", (np.sum(losses), params)),
                    ("you returned the total loss, sum(loss * n): divide it by the number of samples, sum(n).",
                     (np.dot(losses, n), params)),
                    ("you divided the total loss by the number of batches: divide it by the number of samples, sum(n).",
                     (np.dot(losses, n) / len(n), params)),
                ], rtol=1e-6, atol=1e-7)
    report_success("train_one_epoch", len(cases))


def check_evaluate(evaluate: Callable[..., tuple]) -> None:
    """Check ``evaluate(model, loader, loss_fn) -> (mean loss, accuracy)``."""
    cases = {"batches of 16 (the last has 8)": 16, "one batch": 40}
    loss_fn = nn.CrossEntropyLoss()
    for label, batch_size in cases.items():
        loader = DataLoader(_dataset(), batch_size=batch_size)
        model = _Spy()
        got = call_student(evaluate, model, loader, loss_fn, where=f"evaluate on {label}")
        expected = training.evaluate(_Spy(), loader, loss_fn)
        inputs = f"a linear classifier on 40 samples, {label}"
        require([(any(in_training for in_training, _ in model.seen), "evaluate ran the model in training mode.",
                  "call model.eval() first: in training mode dropout drops units, batch norm uses batch statistics."),
                 (any(grad_on for _, grad_on in model.seen), "evaluate recorded the autograd graph.",
                  "wrap the loop in `with course_lib.no_grad():`: evaluation needs no gradients, and the graph costs "
                  "memory and time.")], inputs)
        batch_losses, batch_accuracies = zip(*[training.evaluate(_Spy(), [batch], loss_fn) for batch in loader])
        got = tuple(float(v) for v in got) if isinstance(got, (tuple, list)) and len(got) == 2 else got
        loss, accuracy = expected
        compare(got, expected, f"evaluate returns a wrong (loss, accuracy) ({inputs}).", mistakes=[
            ("return a pair: (mean loss, accuracy).", lambda g: not (isinstance(g, tuple) and len(g) == 2)),
            ("the two values are swapped: return (mean loss, accuracy), in that order.", (accuracy, loss)),
            ("you averaged the batch means: weight each batch loss by its size.", (np.mean(batch_losses), accuracy)),
            (f"you weighted every batch by loader.batch_size ({batch_size}), but the last batch holds only "
             f"{40 - batch_size * (len(loader) - 1)} samples: weight each batch loss by len(targets).",
             (batch_size * np.sum(batch_losses) / 40, accuracy) if 40 % batch_size else None),
            ("you averaged the batch accuracies: the last batch is smaller, so count the correct predictions of all "
             "batches and divide by the number of samples.", lambda g: np.isclose(g[1], np.mean(batch_accuracies))),
            ("you returned the number of correct answers: divide by the number of samples.", (loss, accuracy * 40)),
            ("you returned a percentage: return a fraction between 0 and 1.", (loss, accuracy * 100)),
            ("count the correct predictions, (logits.argmax(dim=1) == targets).sum() (one class per row), over all "
             "batches, then divide by the number of samples.",
             lambda g: np.isclose(g[0], loss, rtol=1e-6, atol=1e-7)),
        ], rtol=1e-6, atol=1e-7)
    report_success("evaluate", len(cases))


_FLAGS = ("foreach", "fused", "capturable", "differentiable")  # how an optimizer computes, not what


def check_make_optimizer_and_scheduler(make_optimizer_and_scheduler: Callable[..., tuple]) -> None:
    """Check each configuration: optimizer class and options, and the lr at every step."""
    steps_per_epoch, epochs = 5, 6
    total = steps_per_epoch * epochs
    for name in training.CONFIGS:
        where = f"make_optimizer_and_scheduler({name!r}, model, steps_per_epoch={steps_per_epoch}, epochs={epochs})"
        model = _Spy()
        got = call_student(make_optimizer_and_scheduler, name, model, steps_per_epoch, epochs, where=where)
        optimizer, scheduler = training.make_optimizer_and_scheduler(name, _Spy(), steps_per_epoch, epochs)
        require([(not (isinstance(got, tuple) and len(got) == 2), f"{where} returned {format_value(got)}, not a pair.",
                  "return (optimizer, scheduler)."),
                 (lambda: not isinstance(got[0], Optimizer), f"{where} returned a pair whose first element is not an "
                  "optimizer.", "return (optimizer, scheduler), in that order."),
                 (lambda: [id(p) for group in got[0].param_groups for p in group["params"]] != list(
                     map(id, model.parameters())), f"{where}: the optimizer does not hold the parameters of `model`.",
                  "build the optimizer on model.parameters() of the model you are given, or it trains another one."),
                 (lambda: getattr(got[1], "optimizer", None) is not got[0], f"{where}: the scheduler drives another "
                  "optimizer than the one returned.", "build the scheduler on the optimizer you return (lesson 07's "
                  "slip): the returned optimizer's lr would never change.")])
        options = [k for k in optimizer.defaults if k not in _FLAGS]  # every option of the table and its defaults
        yours, reference = ({"optimizer": type(o).__name__, "scheduler": type(s).__name__,
                             **{k: o.defaults.get(k) for k in options}} for o, s in (got, (optimizer, scheduler)))
        compare(yours, reference, f"for {name!r} the optimizer or the scheduler", mistakes=[
            ("Adam(weight_decay=...) adds an L2 penalty to the gradient; AdamW decays the weights directly (decoupled "
             "weight decay, lesson 06).", lambda g: (g["optimizer"], reference["optimizer"]) == ("Adam", "AdamW")),
            ("use the options of the table, and leave every other option at its default.",
             lambda g: g["optimizer"] == reference["optimizer"] and g["scheduler"] == reference["scheduler"])])
        # the lr at steps 0 .. total - 1, and the run's last scheduler.step() (OneCycleLR refuses one too many)
        expected = lr_trajectory(optimizer, scheduler, total + 1)[:-1]
        lrs = call_student(lr_trajectory, *got, total + 1, where=f"for {name!r} stepping the scheduler {total} times",
                           crashes=[(ValueError, "", "schedules here count optimizer steps: total_steps = "
                                                     "steps_per_epoch * epochs.")])[:-1]
        compare(lrs, expected, f"for {name!r} the learning rates at steps 0-{total - 1} are wrong.",
                f"steps_per_epoch={steps_per_epoch}, epochs={epochs}", hint={
                    "SGD+momentum / StepLR": "StepLR counts optimizer steps here: step_size = 4 * steps_per_epoch, "
                    "with gamma=0.2.",
                    "Adam / warm-up+cosine": "the warm-up lasts one epoch of steps (LinearLR(start_factor=0.1, "
                    "total_iters=steps_per_epoch)), then the cosine runs for the remaining steps (T_max = total - "
                    "steps_per_epoch), milestones=[steps_per_epoch].",
                    "AdamW / OneCycleLR": "OneCycleLR(max_lr=1e-2, total_steps=steps_per_epoch * epochs).",
                }[name], rtol=1e-9, atol=1e-12)
    report_success("make_optimizer_and_scheduler", len(training.CONFIGS), what="configurations")


def check_fit(fit: Callable[..., dict]) -> None:
    """Check ``fit(model, optimizer, scheduler, train_loader_for, val_loader, loss_fn, epochs, start_epoch)``."""
    data, val_loader = _dataset(), DataLoader(_dataset(24), batch_size=16)

    def run(fn: Callable, where: str, start_epoch: int) -> Any:
        model = _Spy()
        optimizer = SGD(model.parameters(), lr=0.2, momentum=0.9)
        return call_student(fn, model, optimizer, StepLR(optimizer, step_size=2, gamma=0.7),
                            lambda epoch: DataLoader(data, batch_size=16, shuffle=True, seed=epoch), val_loader,
                            nn.CrossEntropyLoss(), 4, start_epoch, where=where)

    for start_epoch in (0, 2):
        where = f"fit(..., epochs=4, start_epoch={start_epoch})"
        got, expected = run(fit, where, start_epoch), run(training.fit, where, start_epoch)
        require([(not isinstance(got, dict) or set(got) != set(expected), f"{where} returned {format_value(got)}, "
                  f"not a dict with the keys {sorted(expected)}.", "return the history dict, one list per key.")])
        for key, hint in [
            ("lr", "record optimizer.param_groups[0]['lr'] at the start of each epoch, before training it."),
            ("train_loss", "use train_loader_for(epoch) for each epoch, and your train_one_epoch with the scheduler."),
            *[(key, "evaluate on val_loader after each epoch's training.") for key in ("val_loss", "val_acc")],
        ]:
            compare(np.array(got[key], dtype=float), np.array(expected[key]), f"{where}: {key!r}", hint=(
                    "train epochs range(start_epoch, epochs), one entry per epoch."
                    if len(got[key]) != len(expected[key]) else None), mistakes=[
                ("the lr never changes: pass the scheduler on, train_one_epoch(..., scheduler), so that it steps after "
                 "every batch.", [expected[key][0]] * len(expected[key]) if key == "lr" else None),
                (hint, lambda g: True)],
                rtol=1e-6, atol=1e-7)
    report_success("fit", 2, what="runs")
