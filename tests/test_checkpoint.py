"""course_lib.training's checkpoints: what is saved, what is restored, and exact resumes."""
from __future__ import annotations

import numpy as np
import pytest
from saved_trees import assert_same  # exact equality of saved trees, types included

import course_lib
from course_lib import nn, training
from course_lib.data import DataLoader, TensorDataset
from course_lib.optim import Adam, AdamW
from course_lib.optim.lr_scheduler import OneCycleLR

pytestmark = pytest.mark.lesson09

EPOCHS = 10


def data():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(32, 3)).astype(np.float32)
    return course_lib.tensor(X), course_lib.tensor(np.sin(X.sum(axis=1, keepdims=True)))


def make_model_and_optimizer(seed=0):
    course_lib.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    return model, Adam(model.parameters(), lr=0.01)


def make_run(seed=0):
    """A tanh MLP, Adam and a one-cycle schedule: every object carries state."""
    model, optimizer = make_model_and_optimizer(seed)
    return model, optimizer, OneCycleLR(optimizer, max_lr=0.05, total_steps=EPOCHS)


def train_epoch(model, optimizer, scheduler):
    X, y = data()
    optimizer.zero_grad()
    loss = nn.MSELoss()(model(X), y)
    loss.backward()
    optimizer.step()
    scheduler.step()
    return loss.item()


def trained_run(epochs):
    run = make_run()
    return run, [train_epoch(*run) for _ in range(epochs)]


def test_save_checkpoint_writes_the_three_state_dicts_and_the_epoch(tmp_path):
    (model, optimizer, scheduler), _ = trained_run(4)
    path = tmp_path / "run.ckpt"
    training.save_checkpoint(path, model, optimizer, scheduler, 4)
    saved = course_lib.load(path)
    assert sorted(saved) == sorted(training.CHECKPOINT_KEYS)
    assert saved["epoch"] == 4
    assert_same(saved["model"], model.state_dict())
    assert_same(saved["optimizer"], optimizer.state_dict())
    assert_same(saved["scheduler"], scheduler.state_dict())
    assert saved["optimizer"]["state"][0]["step"] == 4  # Adam's step count travels with its moments


def test_load_checkpoint_restores_a_differently_seeded_run_and_returns_the_epoch(tmp_path):
    source, _ = trained_run(4)
    path = tmp_path / "run.ckpt"
    training.save_checkpoint(path, *source, 4)
    target = make_run(seed=1)
    assert training.load_checkpoint(path, *target) == 4
    for original, restored in zip(source, target):
        assert_same(restored.state_dict(), original.state_dict())
    assert [train_epoch(*target) for _ in range(3)] == [train_epoch(*source) for _ in range(3)]


@pytest.mark.parametrize("done", [0, 3, EPOCHS - 1])
def test_resume_training_is_bit_identical_to_the_straight_run(tmp_path, done):
    _, straight = trained_run(EPOCHS)
    source, _ = trained_run(done)
    path = tmp_path / "run.ckpt"
    training.save_checkpoint(path, *source, done)
    assert training.resume_training(path, make_run, train_epoch, EPOCHS) == straight[done:]


def test_a_resume_without_the_optimizer_state_is_not_exact(tmp_path):
    # What makes the resume exact: the same checkpoint minus Adam's moments drifts away.
    _, straight = trained_run(EPOCHS)
    source, _ = trained_run(5)
    path = tmp_path / "run.ckpt"
    training.save_checkpoint(path, *source, 5)
    model, optimizer, scheduler = make_run()
    checkpoint = course_lib.load(path)
    model.load_state_dict(checkpoint["model"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    assert [train_epoch(model, optimizer, scheduler) for _ in range(5, EPOCHS)] != straight[5:]


def test_fit_resumed_from_a_checkpoint_equals_the_straight_fit(tmp_path):
    rng = np.random.default_rng(10)
    X = rng.normal(size=(40, 5)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + (X[:, 2] > 0.5).astype(np.int64)
    dataset = TensorDataset(course_lib.tensor(X), course_lib.tensor(y))
    val_loader = DataLoader(dataset, batch_size=40)

    def loader_for(epoch):
        return DataLoader(dataset, batch_size=16, shuffle=True, seed=epoch)

    def run():
        course_lib.manual_seed(0)
        model = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 3))
        optimizer = AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
        return model, optimizer, OneCycleLR(optimizer, max_lr=1e-2, total_steps=3 * 4)

    loss_fn = nn.CrossEntropyLoss()
    straight = training.fit(*run(), loader_for, val_loader, loss_fn, 4)
    model, optimizer, scheduler = run()
    first = training.fit(model, optimizer, scheduler, loader_for, val_loader, loss_fn, 2)
    training.save_checkpoint(tmp_path / "fit.ckpt", model, optimizer, scheduler, 2)
    model, optimizer, scheduler = run()
    start = training.load_checkpoint(tmp_path / "fit.ckpt", model, optimizer, scheduler)
    second = training.fit(model, optimizer, scheduler, loader_for, val_loader, loss_fn, 4, start_epoch=start)
    assert {key: first[key] + second[key] for key in straight} == straight


def test_load_checkpoint_rejects_a_file_that_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "weights.ckpt"
    model, optimizer, scheduler = make_run()
    course_lib.save(model.state_dict(), path)
    with pytest.raises(KeyError, match="is not a checkpoint.*help: write it with save_checkpoint"):
        training.load_checkpoint(path, model, optimizer, scheduler)


def test_the_initial_lr_help_leads_to_a_bit_identical_resume(tmp_path):
    # Lesson 09's bug 1: OneCycleLR(..., last_epoch=5) on a fresh optimizer raises a KeyError
    # whose help says how to resume. Do exactly what it says and the resume must be exact.
    (model, optimizer, scheduler), _ = trained_run(5)
    path = tmp_path / "run.ckpt"
    course_lib.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "scheduler": scheduler.state_dict()}, path)
    straight_run, straight = trained_run(EPOCHS)

    model, optimizer = make_model_and_optimizer(seed=1)
    with pytest.raises(KeyError) as error:
        OneCycleLR(optimizer, max_lr=0.05, total_steps=EPOCHS, last_epoch=5)
    help_text = str(error.value).split("help: ")[1]
    assert "last_epoch=-1" in help_text
    assert help_text.index("optimizer.load_state_dict") < help_text.index("scheduler.load_state_dict")

    checkpoint = course_lib.load(path)
    scheduler = OneCycleLR(optimizer, max_lr=0.05, total_steps=EPOCHS)  # last_epoch=-1
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    assert [train_epoch(model, optimizer, scheduler) for _ in range(5, EPOCHS)] == straight[5:]
    assert optimizer.param_groups[0]["lr"] == straight_run[1].param_groups[0]["lr"]
    assert scheduler.last_epoch == straight_run[2].last_epoch == EPOCHS
    for resumed, original in zip(model.parameters(), straight_run[0].parameters()):
        assert np.array_equal(resumed.detach().numpy(), original.detach().numpy())


def test_the_former_initial_lr_help_does_not_resume_exactly(tmp_path):
    # The help used to say "load the optimizer's state_dict before creating the scheduler":
    # followed with last_epoch=5, the scheduler takes one step too many (last_epoch 6).
    (model, optimizer, scheduler), _ = trained_run(5)
    saved = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
    (_, straight_optimizer, _), _ = trained_run(5)
    model, optimizer = make_model_and_optimizer(seed=1)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    scheduler = OneCycleLR(optimizer, max_lr=0.05, total_steps=EPOCHS, last_epoch=5)
    assert scheduler.last_epoch == 6
    assert optimizer.param_groups[0]["lr"] != straight_optimizer.param_groups[0]["lr"]
