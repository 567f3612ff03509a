"""Lesson 09 (checkpoint and resume): checks of ``save_checkpoint``, ``load_checkpoint``,
``resume_training`` and ``freeze`` (answer keys in :mod:`course_lib.training`), each on a small
seeded run (a tanh MLP, Adam, OneCycleLR, full batch) next to the reference."""
from __future__ import annotations

import os
import tempfile
from typing import Any, Callable

import numpy as np

from .. import nn
from ..optim.adam import Adam
from ..optim.lr_scheduler import OneCycleLR
from ..random import manual_seed
from ..serialization import load
from ..tensor import Tensor
from ..training import CHECKPOINT_KEYS as KEYS, save_checkpoint
from ..training import freeze as reference_freeze
from ._core import call_student, compare, describe_difference, fail, format_value, report_success, require

__all__ = ["make_run", "train_epoch", "check_save_checkpoint", "check_load_checkpoint", "check_resume_training",
           "check_freeze"]


# ---------------------------------------------------------------------------- the test run
_X = np.random.default_rng(9).normal(size=(32, 3)).astype(np.float32)
_INPUTS, _TARGETS = Tensor(_X), Tensor(np.sin(_X.sum(axis=1, keepdims=True)))  # every run's one full batch


def make_run(seed: int = 0, total_steps: int = 12) -> tuple:
    """A small seeded run: ``(model, Adam optimizer, OneCycleLR scheduler)``."""
    manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    optimizer = Adam(model.parameters(), lr=0.01)
    return model, optimizer, OneCycleLR(optimizer, max_lr=0.05, total_steps=total_steps)


def train_epoch(model: nn.Module, optimizer: Any, scheduler: Any) -> float:
    """One full-batch epoch: zero_grad, loss, backward, optimizer.step, scheduler.step."""
    optimizer.zero_grad()
    loss = ((model(_INPUTS) - _TARGETS) ** 2).mean()
    loss.backward()
    optimizer.step()
    scheduler.step()
    return loss.item()


def _trained(epochs: int, checkpoint: dict | None = None, keys: tuple = ()) -> tuple[tuple, list[float]]:
    """``make_run()`` with ``keys`` of ``checkpoint`` loaded, after ``epochs`` more epochs, and their losses."""
    run = make_run()
    for part, key in zip(run, KEYS):
        if key in keys:
            part.load_state_dict(checkpoint[key])
    return run, [train_epoch(*run) for _ in range(epochs)]


# ---------------------------------------------------------------------------- checkers
def check_save_checkpoint(save_checkpoint: Callable[..., Any]) -> None:
    """Check ``save_checkpoint(path, model, optimizer, scheduler, epoch)`` on two runs."""
    cases = [3, 7]
    for steps in cases:
        run, _ = _trained(steps)
        where = f"save_checkpoint(path, model, optimizer, scheduler, {steps})"
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "checkpoint.npz")
            call_student(save_checkpoint, path, *run, steps, where=where, crashes=[
                (TypeError, "PathLike", "the object comes first, then the path: course_lib.save(checkpoint, path), "
                                        "as torch.save."),
                (Exception, "", "save the state_dict()s (dicts of numbers and tensors), not the objects: "
                                "course_lib.save refuses anything else.")])
            require([(not os.path.exists(path), f"{where} wrote nothing at the path it was given.",
                      "call course_lib.save(checkpoint, path) with that exact path.")])
            got = call_student(load, path, where=f"course_lib.load(path) after {where}", crashes=[
                (RuntimeError, "", "write it with course_lib.save (never pickle).")])
        where = f"the checkpoint saved after {steps} epochs"
        keys = sorted(got) if isinstance(got, dict) else type(got).__name__
        compare(keys, sorted(KEYS), f"{where} does not have this exercise's keys.", mistakes=[
            ("the tutorial names its keys 'model_state_dict', 'optimizer_state_dict', ...; this exercise (and "
             f"load_checkpoint) expects exactly {list(KEYS)}: save one dict under those names.",
             lambda k: any(str(x).endswith("_state_dict") for x in k)),
            (f"your keys are named differently: this exercise (and load_checkpoint) expects exactly {list(KEYS)}.",
             lambda k: isinstance(k, list) and any(x != e and (e in x or x in e) for x in map(str, k) for e in KEYS)),
            ("the model's weights are missing: save model.state_dict() under 'model'.", lambda k: "model" not in k),
            ("the optimizer state is missing: without optimizer.state_dict() Adam's moments and step counts restart "
             "at zero when you resume.", lambda k: "optimizer" not in k),
            ("the scheduler state is missing: without scheduler.state_dict() the schedule restarts from its first "
             "learning rate.", lambda k: "scheduler" not in k),
            ("the epoch is missing: save it so the resumed run knows where to continue.", lambda k: "epoch" not in k),
            (f"save exactly the keys {list(KEYS)}, nothing else.", lambda k: True)])
        expected = {**{key: part.state_dict() for key, part in zip(KEYS, run)}, "epoch": steps}
        for key in KEYS:
            problem = describe_difference(got[key], expected[key], rtol=0, atol=0)
            if problem:
                fail(f"{where}: checkpoint[{key!r}] is wrong.", difference=problem, hint=(
                     f"save epoch exactly as given ({steps} here): it counts the epochs already done."
                     if key == "epoch" else f"save {key}.state_dict() taken at the moment of saving."))
    report_success("save_checkpoint", len(cases))


def check_load_checkpoint(load_checkpoint: Callable[..., Any]) -> None:
    """Check ``load_checkpoint(path, model, optimizer, scheduler) -> epoch``."""
    cases = [4, 9]
    for steps in cases:
        source, target = _trained(steps)[0], make_run(seed=1)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "checkpoint.npz")
            save_checkpoint(path, *source, steps)
            returned = call_student(load_checkpoint, path, *target, crashes=[
                (KeyError, "_state_dict'", f"the checkpoint's keys are {list(KEYS)}, as save_checkpoint writes them "
                                           "(not the tutorial's 'model_state_dict', ...).")],
                where="load_checkpoint(path, model, optimizer, scheduler)")
        where = f"after loading a checkpoint saved after {steps} epochs"
        for key, got, expected, otherwise in zip(KEYS, target, source, [
                "the model keeps its own random weights", "Adam's moments restart from zero",
                "the schedule restarts (last_epoch goes back to 0)"]):
            problem = describe_difference(got.state_dict(), expected.state_dict(), rtol=0, atol=0)
            if problem:
                fail(f"{where}: {key}.state_dict() differs from the saved one.", difference=problem, hint=(
                     f"the {key} was not restored: call {key}.load_state_dict(checkpoint[{key!r}]) on the {key} "
                     f"you were given (a new or copied {key} is lost when load_checkpoint returns); otherwise "
                     f"{otherwise}."))
        compare(returned, steps, f"{where}, the epoch load_checkpoint returned",
                hint="return checkpoint['epoch'], the number of epochs already done.")
        # the proof: both runs continue identically
        compare([train_epoch(*target) for _ in range(3)], [train_epoch(*source) for _ in range(3)],
                f"{where}, the resumed run's next 3 losses differ from the original run's.",
                hint="load every part of the checkpoint into the objects you were given (not into new ones).",
                rtol=0, atol=0)
    report_success("load_checkpoint", len(cases))


def check_resume_training(resume_training: Callable[..., Any]) -> None:
    """Check ``resume_training(path, make_run, train_epoch, num_epochs)`` against a straight run."""
    num_epochs, cases = 10, [3, 6]
    straight = _trained(num_epochs)[1]
    for done in cases:
        where = f"resume_training from a checkpoint after {done} of {num_epochs} epochs"
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "checkpoint.npz")
            save_checkpoint(path, *_trained(done)[0], done)
            got = call_student(resume_training, path, make_run, train_epoch, num_epochs, where=where, crashes=[
                (ValueError, "Tried to step", "too many epochs were trained; after loading, train only the epochs "
                 "that remain, range(epoch, num_epochs) (OneCycleLR refuses to step past total_steps).")])
            checkpoint = load(path)
        expected = straight[done:]
        require([(not isinstance(got, (list, tuple)), f"{where} returned {format_value(got)}, not a list of "
                  f"{len(expected)} losses.", "collect the loss of every remaining epoch in a list and return the "
                  "whole list, not only the last loss.")])
        resumes = [(hint, _trained(num_epochs - done, checkpoint, keys)[1]) for hint, keys in [
            ("the checkpoint was not loaded: the run started from scratch.", ()),
            ("only the model was restored: load the optimizer's and the scheduler's state too (Adam's moments and "
             "the schedule restarted).", ("model",)),
            ("the optimizer state was not restored: Adam's moments restarted from zero.", ("model", "scheduler")),
            ("the scheduler state was not restored: the schedule restarted.", ("model", "optimizer"))]]
        compare(np.array(got, dtype=float), np.array(expected),
                f"{where}: your losses differ from the straight run's.", mistakes=[
                    ("you trained all num_epochs again: train only range(epoch, num_epochs) after loading.",
                     lambda g: len(g) == num_epochs),
                    ("off by one epoch: the checkpoint's epoch counts the epochs already done, so continue with "
                     "range(epoch, num_epochs).", lambda g: abs(len(g) - len(expected)) == 1),
                    *resumes,
                    ("rebuild with make_run(), load the checkpoint into those objects, then train.", lambda g: True)],
                rtol=0, atol=0)
    report_success("resume_training", len(cases), what="resumed runs")


def _flat(parameters: Any) -> np.ndarray:
    """The values of ``parameters``, one after another in one flat array."""
    return np.concatenate([p._data.ravel() for p in parameters])


def _freeze_run(freeze: Callable[..., Any], index: int) -> tuple:
    """``make_run()``'s model under Adam with weight decay, one param group per layer, six full-batch steps that
    keep zero gradients after the third, with ``freeze(optimizer, model[index])`` between the third and the fourth:
    ``(model, optimizer, {layer index: its parameters' values at the freeze})``."""
    model = make_run()[0]
    optimizer = Adam([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.03}], lr=0.05,
                     weight_decay=0.01)
    for step in range(6):
        if step == 3:  # freeze between the third and the fourth step
            before = {i: [p._data.copy() for p in model[i].parameters()] for i in (0, 2)}
            freeze(optimizer, model[index])
        optimizer.zero_grad(set_to_none=step < 3)
        ((model(_INPUTS) - _TARGETS) ** 2).mean().backward()
        optimizer.step()
    return model, optimizer, before


def check_freeze(freeze: Callable[..., Any]) -> None:
    """Check ``freeze(optimizer, module)``: the module never moves again, the rest trains as with the reference.
    After freezing, ``zero_grad(set_to_none=False)`` leaves zero gradients, and with them Adam still moves a layer
    that was only marked ``requires_grad_(False)``. Each layer has its own param group."""
    cases = {"first layer": 0, "last layer": 2}
    for label, index in cases.items():
        model, optimizer, before = _freeze_run(lambda o, m: call_student(
            freeze, o, m, where=f"freeze(optimizer, model[{index}])", crashes=[
                (RuntimeError, "must match the size", "`p in a_list` compares tensors element by element; compare "
                                                      "the objects themselves: any(p is q for q in frozen).")]), index)
        frozen, others = list(model[index].parameters()), list(model[2 - index].parameters())
        before, others_before = before[index], before[2 - index]
        where = f"after freeze(optimizer, model[{index}]) ({label}) and 3 more steps"
        moved = max(float(np.abs(p._data - b).max()) for p, b in zip(frozen, before))
        still_in = any(p is q for g in optimizer.param_groups for q in g["params"] for p in frozen)
        require([(moved > 0, f"{where}, the frozen weights moved by up to {moved:.3g}.",
                  "the parameters are still in the optimizer's param groups: with zero gradients (zero_grad("
                  "set_to_none=False)) Adam's momentum and weight decay still move them. Remove them from every "
                  "group['params']." if still_in else
                  "set the parameters' requires_grad to False so backward stops filling their .grad."),
                 (any(p.requires_grad for p in frozen), f"{where}, its parameters still require grad.",
                  "call module.requires_grad_(False) so backward stops computing gradients nobody uses."),
                 (all(np.array_equal(p._data, b) for p, b in zip(others, others_before)),
                  f"{where}, the other layer stopped training too.",
                  "an lr of 0 stops every parameter of its group; remove the module's parameters from the param "
                  "groups instead." if any(g["lr"] == 0 for g in optimizer.param_groups) else
                  "remove only the module's parameters from the param groups."),
                 (still_in, f"{where}, its parameters are still in the optimizer's param groups.",
                  "a group's lr of 0 does not stay (OneCycleLR writes its own rate at the next scheduler.step()): "
                  "remove the parameters from every group['params'] instead." if any(
                      g["lr"] == 0 for g in optimizer.param_groups) else
                  "remove them from every group['params'], not only from the first group: each group holds its own "
                  "list, and a parameter left in one is still the optimizer's to move.")])
        try:
            optimizer.state_dict()
        except KeyError:
            fail(f"{where}, optimizer.state_dict() fails with a KeyError.", hint="also delete the frozen parameters' "
                 "optimizer.state entries: state_dict() numbers the state by the parameters in the groups.")
        require([(any(p.grad is not None and np.any(p.grad._data) for p in frozen),
                  f"{where}, its parameters still hold a nonzero .grad from before the freeze.",
                  "set p.grad = None for each frozen parameter: the optimizer no longer clears the stale gradient.")])
        compare(_flat(others), _flat(_freeze_run(reference_freeze, index)[0][2 - index].parameters()),
                f"{where}, the other layer's weights differ from a run with the reference freeze.", mistakes=[
                    ("you cleared the whole optimizer.state: the other parameters' Adam moments and step counts "
                     "restarted. Delete only the frozen parameters' entries: optimizer.state.pop(p, None).",
                     _flat(_freeze_run(lambda o, m: (reference_freeze(o, m), o.state.clear()), index)[0][
                         2 - index].parameters())),
                    ("change only what belongs to the frozen parameters (their state entries, their place in the "
                     "groups); leave the other parameters, their groups' settings and their state as they were.",
                     lambda g: True)])
    report_success("freeze", len(cases))
