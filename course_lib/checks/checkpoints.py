"""Lesson 09 (checkpoint and resume): the checkers of its four exercises.

The answer keys live in :mod:`course_lib.training` (``save_checkpoint``,
``load_checkpoint``, ``resume_training``, ``freeze``). Each ``check_*`` runs the student's
version on a small seeded run (a tanh MLP trained with Adam and OneCycleLR, full batch)
next to the reference, prints one line when everything agrees, and otherwise raises
:class:`~course_lib.checks._core.ExerciseError` with the likely mistake: the optimizer or
scheduler not saved or not restored (Adam's moments and the schedule restart), the epoch
counted wrong, a frozen layer that still moves.
"""
from __future__ import annotations

import os
import tempfile
from typing import Any, Callable

import numpy as np

from .. import nn
from ..random import manual_seed
from ..serialization import load
from ..tensor import Tensor
from ..training import CHECKPOINT_KEYS as KEYS
from ..training import save_checkpoint
from ._core import ExerciseError, call_student, format_value, report_success

__all__ = [
    "make_run",
    "train_epoch",
    "check_save_checkpoint",
    "check_load_checkpoint",
    "check_resume_training",
    "check_freeze",
]


# ---------------------------------------------------------------------------- the test run
def _data() -> tuple[Tensor, Tensor]:
    rng = np.random.default_rng(9)
    X = rng.normal(size=(32, 3)).astype(np.float32)
    y = np.sin(X.sum(axis=1, keepdims=True)).astype(np.float32)
    return Tensor(X), Tensor(y)


def make_run(seed: int = 0, total_steps: int = 12) -> tuple:
    """A small seeded run: ``(model, Adam optimizer, OneCycleLR scheduler)``."""
    from ..optim.adam import Adam
    from ..optim.lr_scheduler import OneCycleLR

    manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    optimizer = Adam(model.parameters(), lr=0.01)
    scheduler = OneCycleLR(optimizer, max_lr=0.05, total_steps=total_steps)
    return model, optimizer, scheduler


def train_epoch(model: nn.Module, optimizer: Any, scheduler: Any) -> float:
    """One full-batch epoch: zero_grad, loss, backward, optimizer.step, scheduler.step."""
    X, y = _data()
    optimizer.zero_grad()
    loss = ((model(X) - y) ** 2).mean()
    loss.backward()
    optimizer.step()
    scheduler.step()
    return loss.item()


def _tree_difference(got: Any, expected: Any, where: str) -> str | None:
    """Where two saved structures first differ (exact comparison), or None."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{where} is {type(got).__name__}, expected a dict"
        missing = [k for k in expected if k not in got and str(k) not in got]
        if missing:
            return f"{where} lacks the keys {missing}"
        for k, v in expected.items():
            problem = _tree_difference(got[k] if k in got else got[str(k)], v, f"{where}[{k!r}]")
            if problem:
                return problem
        return None
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(expected):
            return f"{where} is {format_value(got)}, expected {format_value(expected)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = _tree_difference(g, e, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(expected, Tensor):
        g = got._data if isinstance(got, Tensor) else np.asarray(got)
        if g.shape != expected._data.shape or not np.array_equal(g, expected._data):
            return f"{where} is {format_value(got)}, expected {format_value(expected)}"
        return None
    if got != expected:
        return f"{where} is {format_value(got)}, expected {format_value(expected)}"
    return None


def _call(fn: Callable, what: str, *args: Any, hint: str | None = None) -> Any:
    try:
        return call_student(fn, *args)
    except ExerciseError:
        raise
    except Exception as error:
        note = f"(while checking {what})"
        if hint:
            note += f"\nlikely mistake: {hint}"
        error.add_note(note)
        raise


# ---------------------------------------------------------------------------- checkers
_SAVE_HINTS = {
    "model": "the model's weights are missing: save model.state_dict() under 'model'.",
    "optimizer": "the optimizer state is missing: without optimizer.state_dict() Adam's moments "
                 "and step counts restart at zero when you resume.",
    "scheduler": "the scheduler state is missing: without scheduler.state_dict() the schedule "
                 "restarts from its first learning rate.",
    "epoch": "the epoch is missing: save it so the resumed run knows where to continue.",
}


def check_save_checkpoint(save_checkpoint: Callable[..., Any]) -> None:
    """Check ``save_checkpoint(path, model, optimizer, scheduler, epoch)`` on two runs."""
    cases = [3, 7]
    for steps in cases:
        model, optimizer, scheduler = make_run()
        for _ in range(steps):
            train_epoch(model, optimizer, scheduler)
        expected = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "epoch": steps}
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "checkpoint.npz")
            _call(save_checkpoint, f"save_checkpoint(path, model, optimizer, scheduler, {steps})",
                  path, model, optimizer, scheduler, steps,
                  hint="save the state_dict()s (dicts of numbers and tensors), not the objects: "
                       "course_lib.save refuses anything else.")
            if not os.path.exists(path):
                raise ExerciseError(
                    "save_checkpoint wrote nothing at the path it was given.\n"
                    "  likely mistake: call course_lib.save(checkpoint, path) with that exact path."
                )
            try:
                got = load(path)
            except RuntimeError as error:
                raise ExerciseError(
                    f"the file save_checkpoint wrote cannot be read by course_lib.load: {error}\n"
                    "  likely mistake: write it with course_lib.save (never pickle)."
                ) from None
        where = f"after {steps} epochs"
        if not isinstance(got, dict):
            raise ExerciseError(
                f"{where} the checkpoint holds {type(got).__name__}, expected a dict with keys {list(KEYS)}.\n"
                "  likely mistake: save one dict: {'model': ..., 'optimizer': ..., 'scheduler': ..., 'epoch': ...}."
            )
        for key in KEYS:
            if key not in got:
                raise ExerciseError(f"{where} the checkpoint has keys {sorted(got)}, expected {list(KEYS)}.\n"
                                    f"  likely mistake: {_SAVE_HINTS[key]}")
        for key in KEYS:
            problem = _tree_difference(got[key], expected[key], f"checkpoint[{key!r}]")
            if problem:
                hint = (f"save epoch exactly as given ({steps} here): it counts the epochs already done."
                        if key == "epoch" else f"save {key}.state_dict() taken at the moment of saving.")
                raise ExerciseError(f"{where}: {problem}.\n  likely mistake: {hint}")
    report_success("save_checkpoint", len(cases))


def _state_after_load(load_fn: Callable, steps: int) -> tuple:
    """Save a run after ``steps`` epochs; load into a fresh, differently seeded run."""
    source = make_run()
    for _ in range(steps):
        train_epoch(*source)
    target = make_run(seed=1)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "checkpoint.npz")
        save_checkpoint(path, *source, steps)
        returned = _call(load_fn, "load_checkpoint(path, model, optimizer, scheduler)", path, *target)
    return source, target, returned


def check_load_checkpoint(load_checkpoint: Callable[..., Any]) -> None:
    """Check ``load_checkpoint(path, model, optimizer, scheduler) -> epoch``."""
    cases = [4, 9]
    for steps in cases:
        source, target, returned = _state_after_load(load_checkpoint, steps)
        where = f"loading a checkpoint saved after {steps} epochs"
        checks = [
            ("model", source[0].state_dict(), target[0].state_dict(),
             "the weights were not restored: call model.load_state_dict(checkpoint['model'])."),
            ("optimizer", source[1].state_dict(), target[1].state_dict(),
             "the optimizer was not restored: call optimizer.load_state_dict(checkpoint['optimizer']); "
             "otherwise Adam's moments restart from zero."),
            ("scheduler", source[2].state_dict(), target[2].state_dict(),
             "the scheduler was not restored: call scheduler.load_state_dict(checkpoint['scheduler']); "
             "otherwise the schedule restarts (last_epoch goes back to 0)."),
        ]
        for name, expected, got, hint in checks:
            problem = _tree_difference(got, expected, f"{name}.state_dict()")
            if problem:
                raise ExerciseError(f"after {where}: {problem}.\n  likely mistake: {hint}")
        if returned != steps:
            raise ExerciseError(
                f"after {where} load_checkpoint returned {format_value(returned)}, expected {steps}.\n"
                "  likely mistake: return checkpoint['epoch'], the number of epochs already done."
            )
        # the proof: both runs continue identically
        ahead = [train_epoch(*source) for _ in range(3)]
        resumed = [train_epoch(*target) for _ in range(3)]
        if ahead != resumed:
            raise ExerciseError(
                f"after {where} the resumed losses {format_value(resumed)} differ from the original "
                f"run's {format_value(ahead)}.\n  likely mistake: load every part of the checkpoint "
                "into the objects you were given (not into new ones)."
            )
    report_success("load_checkpoint", len(cases))


def check_resume_training(resume_training: Callable[..., Any]) -> None:
    """Check ``resume_training(path, make_run, train_epoch, num_epochs)`` against a straight run."""
    num_epochs = 10
    straight_run = make_run()
    straight = [train_epoch(*straight_run) for _ in range(num_epochs)]
    cases = [3, 6]
    for done in cases:
        source = make_run()
        for _ in range(done):
            train_epoch(*source)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "checkpoint.npz")
            save_checkpoint(path, *source, done)
            try:
                got = _call(resume_training, f"resume_training(path, make_run, train_epoch, {num_epochs})",
                            path, make_run, train_epoch, num_epochs)
            except ValueError as error:
                if "Tried to step" not in str(error):
                    raise
                raise ExerciseError(
                    f"resume_training from a checkpoint after {done} of {num_epochs} epochs stepped the "
                    f"scheduler too often: {str(error).splitlines()[0]}\n"
                    "  likely mistake: too many epochs were trained; after loading, train only the "
                    "epochs that remain, range(epoch, num_epochs) (OneCycleLR refuses to step past "
                    "total_steps)."
                ) from None
            variants = _resume_variants(path, done, num_epochs)
        expected = straight[done:]
        if got is None:
            raise ExerciseError("resume_training returned None.\n  likely mistake: return the list of "
                                "losses of the epochs you trained.")
        if not isinstance(got, (list, tuple)):
            raise ExerciseError(
                f"resume_training returned {type(got).__name__}, expected a list of "
                f"{len(expected)} losses.\n  likely mistake: collect the loss of every remaining "
                "epoch in a list and return the whole list, not only the last loss."
            )
        got = list(got)
        if len(got) == len(expected) and all(float(a) == float(b) for a, b in zip(got, expected)):
            continue
        hint = None
        if len(got) == num_epochs:
            hint = "you trained all num_epochs again: train only range(epoch, num_epochs) after loading."
        elif len(got) in (len(expected) - 1, len(expected) + 1):
            hint = ("off by one epoch: the checkpoint's epoch counts the epochs already done, so continue "
                    "with range(epoch, num_epochs).")
        else:
            for text, values in variants.items():
                if len(values) == len(got) and np.allclose(got, values, rtol=0, atol=0):
                    hint = text
                    break
        raise ExerciseError(
            f"resume_training from a checkpoint after {done} of {num_epochs} epochs is wrong.\n"
            f"  your losses:     {format_value(np.array(got, dtype=float))}\n"
            f"  straight run's:  {format_value(np.array(expected))}\n"
            + (f"  likely mistake: {hint}" if hint else
               "  likely mistake: rebuild with make_run(), load the checkpoint into those objects, then train.")
        )
    report_success("resume_training", len(cases), what="resumed runs")


def _resume_variants(path: str, done: int, num_epochs: int) -> dict[str, list[float]]:
    """Losses of the usual broken resumes, to recognise the student's."""
    checkpoint = load(path)
    out = {}
    fresh = make_run()
    out["the checkpoint was not loaded: the run started from scratch."] = [
        train_epoch(*fresh) for _ in range(done, num_epochs)]
    model, optimizer, scheduler = make_run()
    model.load_state_dict(checkpoint["model"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    out["the optimizer state was not restored: Adam's moments restarted from zero."] = [
        train_epoch(model, optimizer, scheduler) for _ in range(done, num_epochs)]
    model, optimizer, scheduler = make_run()
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    out["the scheduler state was not restored: the schedule restarted."] = [
        train_epoch(model, optimizer, scheduler) for _ in range(done, num_epochs)]
    return out


def check_freeze(freeze: Callable[..., Any]) -> None:
    """Check ``freeze(optimizer, module)``: the module never moves again, the rest still trains.

    The run uses ``zero_grad(set_to_none=False)`` after freezing: gradients become zero
    tensors, the case in which Adam's momentum alone would still move a layer that was only
    marked ``requires_grad_(False)``.
    """
    from ..optim.adam import Adam

    X, y = _data()
    cases = {"first layer": 0, "last layer": 2}
    for label, index in cases.items():
        manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
        optimizer = Adam(model.parameters(), lr=0.05, weight_decay=0.01)
        for _ in range(3):
            optimizer.zero_grad()
            ((model(X) - y) ** 2).mean().backward()
            optimizer.step()
        frozen, others = model[index], model[2 - index]
        before = [p._data.copy() for p in frozen.parameters()]
        others_before = [p._data.copy() for p in others.parameters()]
        _call(freeze, f"freeze(optimizer, model[{index}])", optimizer, frozen,
              hint="compare parameters with `is` (`p in list` compares tensors elementwise).")
        for _ in range(3):
            optimizer.zero_grad(set_to_none=False)
            ((model(X) - y) ** 2).mean().backward()
            optimizer.step()
        moved = max(float(np.abs(p._data - b).max()) for p, b in zip(frozen.parameters(), before))
        if moved > 0:
            still_in = any(p is q for g in optimizer.param_groups for q in g["params"] for p in frozen.parameters())
            hint = ("the parameters are still in the optimizer's param groups: with zero gradients "
                    "(zero_grad(set_to_none=False)) Adam's momentum and weight decay still move them. "
                    "Remove them from every group['params']." if still_in else
                    "set the parameters' requires_grad to False so backward stops filling their .grad.")
            raise ExerciseError(
                f"after freeze(optimizer, model[{index}]) ({label}) and 3 more steps, the frozen weights "
                f"moved by up to {moved:.3g}.\n  likely mistake: {hint}"
            )
        if any(p.requires_grad for p in frozen.parameters()):
            raise ExerciseError(
                f"after freeze(optimizer, model[{index}]) its parameters still require grad.\n"
                "  likely mistake: call p.requires_grad_(False) (or module.requires_grad_(False)) so "
                "backward stops computing gradients nobody uses."
            )
        if all(np.array_equal(p._data, b) for p, b in zip(others.parameters(), others_before)):
            raise ExerciseError(
                f"after freeze(optimizer, model[{index}]) the other layer stopped training too.\n"
                "  likely mistake: remove only the module's parameters from the param groups."
            )
        try:
            optimizer.state_dict()
        except KeyError:
            raise ExerciseError(
                f"after freeze(optimizer, model[{index}]) optimizer.state_dict() fails with a KeyError.\n"
                "  likely mistake: also delete the frozen parameters' optimizer.state entries: "
                "state_dict() numbers the state by the parameters in the groups."
            ) from None
        if any(p.grad is not None and np.any(p.grad._data) for p in frozen.parameters()):
            raise ExerciseError(
                f"after freeze(optimizer, model[{index}]) its parameters still hold a nonzero .grad "
                "from before the freeze.\n  likely mistake: set p.grad = None for each frozen "
                "parameter: the optimizer no longer clears it, so the stale gradient would stay."
            )
    report_success("freeze", len(cases))
