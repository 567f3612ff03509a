"""The lesson-10 checkers: the reference passes, a stub is named, loop mistakes are diagnosed."""
from __future__ import annotations

import contextlib

import numpy as np
import pytest
from checks_helpers import checker_contract

import course_lib
from course_lib import training
from course_lib.checks import ExerciseError
from course_lib.checks.capstone import (
    check_evaluate,
    check_fit,
    check_make_optimizer_and_scheduler,
    check_train_one_epoch,
)

pytestmark = pytest.mark.lesson10

test_capstone_checkers_accept_the_reference, test_capstone_checkers_name_an_unfinished_exercise = checker_contract([
    (check_train_one_epoch, training.train_one_epoch, "train_one_epoch", "10.1"),
    (check_evaluate, training.evaluate, "evaluate", "10.2"),
    (check_make_optimizer_and_scheduler, training.make_optimizer_and_scheduler, "make_optimizer_and_scheduler", "10.3"),
    (check_fit, training.fit, "fit", "10.4"),
])


# ------------------------------------------------------------------ train_one_epoch
def _train(kind):
    def train_one_epoch(model, loader, optimizer, loss_fn, scheduler=None):
        model.train()
        losses, sizes = [], []
        for inputs, targets in loader:
            if kind not in ("no_zero_grad", "zero_grad_late"):
                optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            if kind == "zero_grad_late":
                optimizer.zero_grad()
            if scheduler is not None and kind == "scheduler_first":
                scheduler.step()
            optimizer.step()
            if scheduler is not None and kind not in ("scheduler_first", "per_epoch"):
                scheduler.step()
            losses.append(loss.item())
            sizes.append(len(targets))
        if scheduler is not None and kind in ("per_epoch", "extra_step"):
            scheduler.step()
        if kind == "unweighted":
            return float(np.mean(losses))
        if kind == "total":
            return float(np.dot(losses, sizes))
        if kind == "per_batch_count":
            return float(np.dot(losses, sizes) / len(sizes))
        if kind == "no_return":
            return None
        if kind == "batch_losses":
            return losses
        return float(np.dot(losses, sizes) / np.sum(sizes))

    return train_one_epoch


@pytest.mark.parametrize(
    "kind, message",
    [
        ("no_zero_grad", "gradients are never zeroed"),
        ("scheduler_first", r"scheduler.step\(\) comes before optimizer.step\(\)"),
        ("unweighted", "you averaged the batch means"),
        ("total", "divide it by the number of samples"),
        ("per_epoch", "stepped once per epoch"),
        ("extra_step", "stepped the scheduler 4 times for 3 batches"),
        ("zero_grad_late", r"between backward\(\) and step\(\) wipes the gradient"),
        ("per_batch_count", "divided the total loss by the number of batches"),
        ("no_return", "returned None, not one number"),
        ("batch_losses", r"returned \[.*\], not one number"),
    ],
)
def test_check_train_one_epoch_diagnoses_loop_mistakes(kind, message):
    with pytest.raises(ExerciseError, match=message):
        check_train_one_epoch(_train(kind))


def test_check_train_one_epoch_diagnoses_a_missing_model_train():
    def train_one_epoch(model, loader, optimizer, loss_fn, scheduler=None):
        model.train = lambda mode=True: model  # the reference with its model.train() forgotten
        return training.train_one_epoch(model, loader, optimizer, loss_fn, scheduler)

    with pytest.raises(ExerciseError, match=r"call model.train\(\)"):
        check_train_one_epoch(train_one_epoch)


def test_check_train_one_epoch_names_a_loss_tensor_added_to_the_total():
    def train_one_epoch(model, loader, optimizer, loss_fn, scheduler=None):
        model.train()
        total, count = 0.0, 0
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss * len(targets)  # the tensor, not loss.item()
            count += len(targets)
        return total / count

    with pytest.raises(ExerciseError, match=r"add loss.item\(\) \(a float\) to the running total") as info:
        check_train_one_epoch(train_one_epoch)
    assert "no_grad" not in str(info.value)  # not the hint for a parameter update recorded in the graph


# ------------------------------------------------------------------ evaluate
def test_check_evaluate_diagnoses_a_missing_eval():
    def evaluate(model, loader, loss_fn):
        model.eval = lambda: model  # the reference with its model.eval() forgotten
        return training.evaluate(model, loader, loss_fn)

    with pytest.raises(ExerciseError, match=r"call model.eval\(\)"):
        check_evaluate(evaluate)


def test_check_evaluate_diagnoses_a_missing_no_grad(monkeypatch):
    monkeypatch.setattr(training.loop, "no_grad", contextlib.nullcontext)  # the reference without no_grad

    with pytest.raises(ExerciseError, match="no_grad"):
        check_evaluate(training.evaluate)


def test_check_evaluate_diagnoses_a_count_instead_of_an_accuracy():
    def evaluate(model, loader, loss_fn):
        loss, accuracy = training.evaluate(model, loader, loss_fn)
        return loss, accuracy * 40

    with pytest.raises(ExerciseError, match="number of correct answers"):
        check_evaluate(evaluate)


def test_check_evaluate_diagnoses_averaged_batch_accuracies():
    def evaluate(model, loader, loss_fn):
        loss, _ = training.evaluate(model, loader, loss_fn)
        return loss, float(np.mean([training.evaluate(model, [batch], loss_fn)[1] for batch in loader]))

    with pytest.raises(ExerciseError, match="you averaged the batch accuracies"):
        check_evaluate(evaluate)


def test_check_evaluate_describes_the_accuracy_without_blaming_argmax_alone():
    def evaluate(model, loader, loss_fn):
        loss, accuracy = training.evaluate(model, loader, loss_fn)
        return loss, accuracy * 40 / len(loader)  # the correct predictions divided by the number of batches

    with pytest.raises(ExerciseError, match="over all batches, then divide by the number of samples"):
        check_evaluate(evaluate)


def test_check_evaluate_diagnoses_swapped_values():
    def evaluate(model, loader, loss_fn):
        loss, accuracy = training.evaluate(model, loader, loss_fn)
        return accuracy, loss

    with pytest.raises(ExerciseError, match="the two values are swapped"):
        check_evaluate(evaluate)


# ------------------------------------------------------------------ optimizer and scheduler
def test_check_make_optimizer_and_scheduler_diagnoses_adam_instead_of_adamw():
    def make(name, model, steps_per_epoch, epochs):
        if name == training.CONFIGS[2]:
            optimizer = course_lib.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-2)
            total = steps_per_epoch * epochs
            return optimizer, course_lib.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=total)
        return training.make_optimizer_and_scheduler(name, model, steps_per_epoch, epochs)

    with pytest.raises(ExerciseError, match="decoupled weight decay"):
        check_make_optimizer_and_scheduler(make)


def test_check_make_optimizer_and_scheduler_diagnoses_steplr_counted_in_epochs():
    def make(name, model, steps_per_epoch, epochs):
        if name == training.CONFIGS[0]:
            optimizer = course_lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
            return optimizer, course_lib.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.2)
        return training.make_optimizer_and_scheduler(name, model, steps_per_epoch, epochs)

    with pytest.raises(ExerciseError, match="step_size = 4 \\* steps_per_epoch"):
        check_make_optimizer_and_scheduler(make)


def test_check_make_optimizer_and_scheduler_names_a_wrong_gamma():
    def make(name, model, steps_per_epoch, epochs):
        if name == training.CONFIGS[0]:
            optimizer = course_lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
            return optimizer, course_lib.optim.lr_scheduler.StepLR(optimizer, step_size=4 * steps_per_epoch, gamma=0.1)
        return training.make_optimizer_and_scheduler(name, model, steps_per_epoch, epochs)

    with pytest.raises(ExerciseError, match="gamma=0.2"):
        check_make_optimizer_and_scheduler(make)


def test_check_make_optimizer_and_scheduler_names_a_swapped_pair():
    def make(name, model, steps_per_epoch, epochs):
        optimizer, scheduler = training.make_optimizer_and_scheduler(name, model, steps_per_epoch, epochs)
        return scheduler, optimizer

    with pytest.raises(ExerciseError, match=r"return \(optimizer, scheduler\), in that order"):
        check_make_optimizer_and_scheduler(make)


def test_check_make_optimizer_and_scheduler_diagnoses_a_short_one_cycle():
    def make(name, model, steps_per_epoch, epochs):
        if name == training.CONFIGS[2]:
            optimizer = course_lib.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
            return optimizer, course_lib.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=epochs)
        return training.make_optimizer_and_scheduler(name, model, steps_per_epoch, epochs)

    with pytest.raises(ExerciseError, match="total_steps = steps_per_epoch \\* epochs"):
        check_make_optimizer_and_scheduler(make)


# ------------------------------------------------------------------ fit
def test_check_fit_diagnoses_ignoring_start_epoch():
    def fit(model, optimizer, scheduler, train_loader_for, val_loader, loss_fn, epochs, start_epoch=0):
        return training.fit(model, optimizer, scheduler, train_loader_for, val_loader, loss_fn, epochs, 0)

    with pytest.raises(ExerciseError, match=r"range\(start_epoch, epochs\)"):
        check_fit(fit)


def test_check_fit_diagnoses_lr_recorded_after_the_epoch():
    def fit(model, optimizer, scheduler, train_loader_for, val_loader, loss_fn, epochs, start_epoch=0):
        history = training.fit(model, optimizer, scheduler, train_loader_for, val_loader, loss_fn, epochs, start_epoch)
        history["lr"] = history["lr"][1:] + [optimizer.param_groups[0]["lr"]]
        return history

    with pytest.raises(ExerciseError, match="at the start of each epoch"):
        check_fit(fit)


def test_check_fit_names_a_scheduler_not_passed_to_train_one_epoch():
    def fit(model, optimizer, scheduler, train_loader_for, val_loader, loss_fn, epochs, start_epoch=0):
        return training.fit(model, optimizer, None, train_loader_for, val_loader, loss_fn, epochs, start_epoch)

    with pytest.raises(ExerciseError, match=r"the lr never changes: pass the scheduler on"):
        check_fit(fit)


def _recipe_with(**changes):
    """make_optimizer_and_scheduler with one slip in the first recipe: ``options`` for the optimizer, ``model``, or
    ``scheduler_on`` (the optimizer given to StepLR)."""
    def make(name, model, steps_per_epoch, epochs):
        if name != training.CONFIGS[0]:
            return training.make_optimizer_and_scheduler(name, model, steps_per_epoch, epochs)
        optimizer = course_lib.optim.SGD(changes.get("model", model).parameters(), lr=0.1, momentum=0.9,
                                         **changes.get("options", {}))
        on = changes.get("scheduler_on", lambda o: o)(optimizer)
        return optimizer, course_lib.optim.lr_scheduler.StepLR(on, step_size=4 * steps_per_epoch, gamma=0.2)
    return make


@pytest.mark.parametrize("options, option", [({"nesterov": True}, "nesterov"), ({"dampening": 0.9}, "dampening")])
def test_check_make_optimizer_and_scheduler_rejects_an_option_the_table_does_not_have(options, option):
    with pytest.raises(ExerciseError, match=rf"(?s)element '{option}'.*leave every other option at its default"):
        check_make_optimizer_and_scheduler(_recipe_with(options=options))


def test_check_make_optimizer_and_scheduler_rejects_an_optimizer_of_another_model():
    with pytest.raises(ExerciseError, match=r"does not hold the parameters of `model`"):
        check_make_optimizer_and_scheduler(_recipe_with(model=course_lib.nn.Linear(5, 3)))


def test_check_make_optimizer_and_scheduler_rejects_a_scheduler_on_another_optimizer():
    def another(optimizer):
        return course_lib.optim.SGD(optimizer.param_groups[0]["params"], lr=0.1, momentum=0.9)

    with pytest.raises(ExerciseError, match=r"the scheduler drives another optimizer"):
        check_make_optimizer_and_scheduler(_recipe_with(scheduler_on=another))


def test_check_make_optimizer_and_scheduler_accepts_a_recipe_written_with_keywords(capsys):
    check_make_optimizer_and_scheduler(_recipe_with(options={"weight_decay": 0.0, "nesterov": False}))
    assert "3 configurations match" in capsys.readouterr().out


def _epoch_with(slip):
    """train_one_epoch with one slip: "batch_size" weights by loader.batch_size, "skip_last" drops the last batch."""
    def train_one_epoch(model, loader, optimizer, loss_fn, scheduler=None):
        model.train()
        total = 0.0
        for inputs, targets in list(loader)[:-1] if slip == "skip_last" else loader:
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total += loss.item() * (loader.batch_size if slip == "batch_size" else len(targets))
        return total / len(loader.dataset)
    return train_one_epoch


def test_check_train_one_epoch_names_batches_weighted_by_loader_batch_size():
    with pytest.raises(ExerciseError, match=r"weighted every batch by loader.batch_size \(16\).*only 8 samples"):
        check_train_one_epoch(_epoch_with("batch_size"))


def test_check_train_one_epoch_names_a_skipped_last_batch():
    with pytest.raises(ExerciseError, match=r"stepped the scheduler 2 times(?s:.*)is a batch skipped"):
        check_train_one_epoch(_epoch_with("skip_last"))

    def without_scheduler(model, loader, optimizer, loss_fn, scheduler=None):  # the slip in the second case only
        return _epoch_with(None if scheduler else "skip_last")(model, loader, optimizer, loss_fn, scheduler)

    with pytest.raises(ExerciseError, match=r"without its last batch \(8 samples\)"):
        check_train_one_epoch(without_scheduler)


def test_check_train_one_epoch_accepts_a_total_over_the_dataset(capsys):
    check_train_one_epoch(_epoch_with(None))
    assert "train_one_epoch: 2 cases match" in capsys.readouterr().out


def test_check_evaluate_names_batches_weighted_by_loader_batch_size():
    def evaluate(model, loader, loss_fn):
        model.eval()
        total, correct = 0.0, 0
        with course_lib.no_grad():
            for inputs, targets in loader:
                logits = model(inputs)
                total += loss_fn(logits, targets).item() * loader.batch_size
                correct += int((logits.argmax(dim=1) == targets).sum().item())
        return total / len(loader.dataset), correct / len(loader.dataset)

    with pytest.raises(ExerciseError, match=r"weighted every batch by loader.batch_size \(16\).*only 8 samples"):
        check_evaluate(evaluate)


def test_check_train_one_epoch_names_gradients_zeroed_after_the_step():
    def train_one_epoch(model, loader, optimizer, loss_fn, scheduler=None):
        model.train()
        total = 0.0
        for inputs, targets in loader:
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()  # the slip: the first step used the gradients the model came with
            if scheduler is not None:
                scheduler.step()
            total += loss.item() * len(targets)
        return total / len(loader.dataset)

    with pytest.raises(ExerciseError, match=r"zero the gradients after optimizer.step\(\)"):
        check_train_one_epoch(train_one_epoch)


def test_check_train_one_epoch_rejects_a_total_built_from_loss_tensors():
    def train_one_epoch(model, loader, optimizer, loss_fn, scheduler=None):
        model.train()
        total = 0.0
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total = total + loss * len(targets)  # the slip: a tensor, with the graph of every batch
        return total / len(loader.dataset)

    with pytest.raises(ExerciseError, match=r"returned a tensor, not a float(?s:.*)graph of every batch"):
        check_train_one_epoch(train_one_epoch)
