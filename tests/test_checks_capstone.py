"""The lesson-10 checkers: the reference passes, a stub is named, loop mistakes are diagnosed."""
from __future__ import annotations

import numpy as np
import pytest

import course_lib
from course_lib.checks import ExerciseError
from course_lib.checks import capstone as ref
from course_lib.checks.capstone import (
    check_evaluate,
    check_fit,
    check_make_optimizer_and_scheduler,
    check_train_one_epoch,
)

pytestmark = pytest.mark.lesson10


def _stub(name: str, number: int):
    def stub(*args, **kwargs):
        raise NotImplementedError(f"Exercise 10.{number}: complete `{name}`, then run the check below.")

    return stub


CHECKERS = [
    (check_train_one_epoch, ref.train_one_epoch, "train_one_epoch", 1),
    (check_evaluate, ref.evaluate, "evaluate", 2),
    (check_make_optimizer_and_scheduler, ref.make_optimizer_and_scheduler, "make_optimizer_and_scheduler", 3),
    (check_fit, ref.fit, "fit", 4),
]


@pytest.mark.parametrize("checker, reference, name, number", CHECKERS)
def test_capstone_checkers_accept_the_reference(checker, reference, name, number, capsys):
    checker(reference)
    assert capsys.readouterr().out.startswith(f"\u2713 {name}")


@pytest.mark.parametrize("checker, reference, name, number", CHECKERS)
def test_capstone_checkers_name_an_unfinished_exercise(checker, reference, name, number):
    with pytest.raises(ExerciseError, match=rf"Exercise 10\.{number} is not done yet: complete `{name}`"):
        checker(_stub(name, number))


# ------------------------------------------------------------------ train_one_epoch
def _train(kind):
    def train_one_epoch(model, loader, optimizer, loss_fn, scheduler=None):
        model.train()
        losses, sizes = [], []
        for inputs, targets in loader:
            if kind != "no_zero_grad":
                optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            if scheduler is not None and kind == "scheduler_first":
                scheduler.step()
            optimizer.step()
            if scheduler is not None and kind != "scheduler_first":
                scheduler.step()
            losses.append(loss.item())
            sizes.append(len(targets))
        if kind == "unweighted":
            return float(np.mean(losses))
        return float(np.dot(losses, sizes) / np.sum(sizes))

    return train_one_epoch


@pytest.mark.parametrize(
    "kind, message",
    [
        ("no_zero_grad", "gradients are never zeroed"),
        ("scheduler_first", r"scheduler.step\(\) comes before optimizer.step\(\)"),
        ("unweighted", "you averaged the batch means"),
    ],
)
def test_check_train_one_epoch_diagnoses_loop_mistakes(kind, message):
    with pytest.raises(ExerciseError, match=message):
        check_train_one_epoch(_train(kind))


def test_check_train_one_epoch_diagnoses_a_missing_model_train():
    def train_one_epoch(model, loader, optimizer, loss_fn, scheduler=None):
        return _no_train_mode(model, loader, optimizer, loss_fn, scheduler)  # model.train() forgotten

    with pytest.raises(ExerciseError, match=r"call model.train\(\)"):
        check_train_one_epoch(train_one_epoch)


def _no_train_mode(model, loader, optimizer, loss_fn, scheduler):
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


# ------------------------------------------------------------------ evaluate
def test_check_evaluate_diagnoses_a_missing_eval():
    def evaluate(model, loader, loss_fn):
        with course_lib.no_grad():
            return _measure(model, loader, loss_fn)

    with pytest.raises(ExerciseError, match=r"call model.eval\(\)"):
        check_evaluate(evaluate)


def test_check_evaluate_diagnoses_a_missing_no_grad():
    def evaluate(model, loader, loss_fn):
        model.eval()
        return _measure(model, loader, loss_fn)

    with pytest.raises(ExerciseError, match="no_grad"):
        check_evaluate(evaluate)


def test_check_evaluate_diagnoses_a_count_instead_of_an_accuracy():
    def evaluate(model, loader, loss_fn):
        model.eval()
        with course_lib.no_grad():
            loss, accuracy = _measure(model, loader, loss_fn)
        return loss, accuracy * 40

    with pytest.raises(ExerciseError, match="number of correct answers"):
        check_evaluate(evaluate)


def _measure(model, loader, loss_fn):
    total, correct, count = 0.0, 0, 0
    for inputs, targets in loader:
        logits = model(inputs)
        total += loss_fn(logits, targets).item() * len(targets)
        correct += int((logits.argmax(dim=1) == targets).sum().item())
        count += len(targets)
    return total / count, correct / count


# ------------------------------------------------------------------ optimizer and scheduler
def test_check_make_optimizer_and_scheduler_diagnoses_steplr_counted_in_epochs():
    def make(name, model, steps_per_epoch, epochs):
        if name == ref.CONFIGS[0]:
            optimizer = course_lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
            return optimizer, course_lib.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.2)
        return ref.make_optimizer_and_scheduler(name, model, steps_per_epoch, epochs)

    with pytest.raises(ExerciseError, match="step_size = 4 \\* steps_per_epoch"):
        check_make_optimizer_and_scheduler(make)


def test_check_make_optimizer_and_scheduler_diagnoses_a_short_one_cycle():
    def make(name, model, steps_per_epoch, epochs):
        if name == ref.CONFIGS[2]:
            optimizer = course_lib.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
            return optimizer, course_lib.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=epochs)
        return ref.make_optimizer_and_scheduler(name, model, steps_per_epoch, epochs)

    with pytest.raises(ExerciseError, match="total_steps = steps_per_epoch \\* epochs"):
        check_make_optimizer_and_scheduler(make)


# ------------------------------------------------------------------ fit
def test_check_fit_diagnoses_ignoring_start_epoch():
    def fit(model, optimizer, scheduler, train_loader_for, val_loader, loss_fn, epochs, start_epoch=0):
        return ref.fit(model, optimizer, scheduler, train_loader_for, val_loader, loss_fn, epochs, 0)

    with pytest.raises(ExerciseError, match=r"range\(start_epoch, epochs\)"):
        check_fit(fit)


def test_check_fit_diagnoses_lr_recorded_after_the_epoch():
    def fit(model, optimizer, scheduler, train_loader_for, val_loader, loss_fn, epochs, start_epoch=0):
        history = ref.fit(model, optimizer, scheduler, train_loader_for, val_loader, loss_fn, epochs, start_epoch)
        history["lr"] = history["lr"][1:] + [optimizer.param_groups[0]["lr"]]
        return history

    with pytest.raises(ExerciseError, match="at the start of each epoch"):
        check_fit(fit)
