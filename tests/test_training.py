"""course_lib.training's loop, recipes and freeze: the answer keys of lessons 09 and 10.

Expected numbers come from maths done in numpy: SGD steps with the analytic gradient of the
mean squared error, cross-entropy as ``logsumexp(z) - z_y``, the schedules' closed forms.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import course_lib
from course_lib import nn, training
from course_lib.autograd import is_grad_enabled
from course_lib.data import DataLoader, TensorDataset
from course_lib.optim import SGD, Adam, AdamW
from course_lib.optim.lr_scheduler import OneCycleLR, StepLR

pytestmark = pytest.mark.lesson10


class Spy(nn.Module):
    """A linear layer that records, at each forward, (training mode, grad enabled)."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        course_lib.manual_seed(0)
        self.layer = nn.Linear(n_in, n_out)
        self.seen: list[tuple[bool, bool]] = []

    def forward(self, x):
        self.seen.append((self.training, is_grad_enabled()))
        return self.layer(x)


def regression(n: int = 40) -> TensorDataset:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    y = (X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32)
    return TensorDataset(course_lib.tensor(X), course_lib.tensor(y))


def weights(model: nn.Module) -> tuple[np.ndarray, np.ndarray]:
    return model.layer.weight.detach().numpy().astype(np.float64), model.layer.bias.detach().numpy().astype(np.float64)


def sgd_steps_by_hand(w, b, batches, lrs):
    """Plain SGD on the MSE, one step per batch: grad_w = 2/n (Xw^T + b - y)^T X."""
    for (X, y), lr in zip(batches, lrs):
        X, y = X.numpy().astype(np.float64), y.numpy().astype(np.float64)
        residual = X @ w.T + b - y
        w = w - lr * 2 / len(X) * residual.T @ X
        b = b - lr * 2 / len(X) * residual.sum(axis=0)
    return w, b


# ------------------------------------------------------------------ train_one_epoch
def test_train_one_epoch_returns_the_mean_loss_per_sample():
    model = Spy(3, 1)
    data = regression()
    w, b = weights(model)
    X, y = data.tensors[0].numpy().astype(np.float64), data.tensors[1].numpy().astype(np.float64)
    squared = ((X @ w.T + b - y) ** 2).ravel()
    loss = training.train_one_epoch(model, DataLoader(data, batch_size=16), SGD(model.parameters(), lr=0.0),
                                    nn.MSELoss())
    assert loss == pytest.approx(squared.mean(), rel=1e-5)
    batch_means = [squared[:16].mean(), squared[16:32].mean(), squared[32:].mean()]
    assert not np.isclose(loss, np.mean(batch_means), rtol=1e-5)  # the batches of 16, 16 and 8 are weighted


def test_train_one_epoch_takes_one_sgd_step_per_batch_with_fresh_gradients():
    model = Spy(3, 1)
    loader = DataLoader(regression(), batch_size=20)
    expected = sgd_steps_by_hand(*weights(model), list(loader), [0.1, 0.1])
    training.train_one_epoch(model, loader, SGD(model.parameters(), lr=0.1), nn.MSELoss())
    for got, want in zip(weights(model), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_train_one_epoch_steps_the_scheduler_after_each_optimizer_step():
    model = Spy(3, 1)
    loader = DataLoader(regression(), batch_size=20)
    optimizer = SGD(model.parameters(), lr=0.1)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
    expected = sgd_steps_by_hand(*weights(model), list(loader), [0.1, 0.05])  # the first batch uses lr itself
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the step-order warning would fail the test
        training.train_one_epoch(model, loader, optimizer, nn.MSELoss(), scheduler)
    assert scheduler.last_epoch == 2
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.025)
    for got, want in zip(weights(model), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_train_one_epoch_switches_the_model_to_training_mode():
    model = Spy(3, 1)
    model.eval()
    training.train_one_epoch(model, DataLoader(regression(), batch_size=16), SGD(model.parameters(), lr=0.01),
                             nn.MSELoss())
    assert model.seen == [(True, True)] * 3


# ------------------------------------------------------------------ evaluate
def classification() -> tuple[Spy, DataLoader, float, float]:
    """An identity classifier on 4 rows (3 predicted right) and the maths' loss and accuracy."""
    model = Spy(3, 3)
    with course_lib.no_grad():
        model.layer.weight.copy_(course_lib.tensor(np.eye(3, dtype=np.float32)))
        model.layer.bias.zero_()
    z = np.array([[2.0, 0.0, 1.0], [0.0, 3.0, 0.0], [0.5, 0.0, 1.5], [1.0, 2.0, 0.0]], dtype=np.float32)
    y = np.array([0, 1, 2, 0])  # the last row predicts class 1
    logsumexp = np.log(np.exp(z.astype(np.float64)).sum(axis=1))
    loss = float(np.mean(logsumexp - z[np.arange(4), y]))
    loader = DataLoader(TensorDataset(course_lib.tensor(z), course_lib.tensor(y)), batch_size=3)
    return model, loader, loss, 3 / 4


def test_evaluate_returns_the_mean_loss_per_sample_and_the_accuracy():
    model, loader, loss, accuracy = classification()
    got_loss, got_accuracy = training.evaluate(model, loader, nn.CrossEntropyLoss())
    assert got_loss == pytest.approx(loss, rel=1e-6)
    assert got_accuracy == accuracy


def test_evaluate_runs_in_eval_mode_without_recording_a_graph():
    model, loader, _, _ = classification()
    training.evaluate(model, loader, nn.CrossEntropyLoss())
    assert model.seen == [(False, False)] * 2
    assert not model.training and is_grad_enabled()
    assert all(p.grad is None for p in model.parameters())


# ------------------------------------------------------------------ fit
def test_fit_records_the_lr_at_the_start_of_each_epoch_and_evaluates_after_it():
    model = Spy(3, 1)
    data = regression()
    optimizer = SGD(model.parameters(), lr=0.1)
    scheduler = StepLR(optimizer, step_size=2, gamma=0.5)  # 2 batches per epoch: halves every epoch
    val_loader = DataLoader(regression(12), batch_size=12)

    def loader_for(epoch):
        return DataLoader(data, batch_size=20, shuffle=True, seed=epoch)

    history = training.fit(model, optimizer, scheduler, loader_for, val_loader, nn.MSELoss(), 4, start_epoch=1)
    assert history["lr"] == pytest.approx([0.1, 0.05, 0.025])
    assert {key: len(values) for key, values in history.items()} == {
        "lr": 3, "train_loss": 3, "val_loss": 3, "val_acc": 3}
    X, y = (t.numpy().astype(np.float64) for t in regression(12).tensors)
    w, b = weights(model)
    assert history["val_loss"][-1] == pytest.approx(float(((X @ w.T + b - y) ** 2).mean()), rel=1e-5)


# ------------------------------------------------------------------ recipes
@pytest.mark.parametrize("name, optimizer_cls, options", [
    ("SGD+momentum / StepLR", SGD, {"lr": 0.1, "momentum": 0.9}),
    ("Adam / warm-up+cosine", Adam, {"lr": 3e-3}),
    ("AdamW / OneCycleLR", AdamW, {"lr": 3e-3, "weight_decay": 1e-2}),
])
def test_recipes_build_the_documented_optimizers(name, optimizer_cls, options):
    optimizer, _ = training.make_optimizer_and_scheduler(name, Spy(3, 1), 5, 6)
    assert type(optimizer) is optimizer_cls
    assert {key: optimizer.defaults[key] for key in options} == options


def lr_sequence(optimizer, scheduler, steps):
    lrs = []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def test_recipe_schedules_follow_their_closed_forms():
    spe, epochs = 5, 6
    total = spe * epochs
    closed_forms = {
        "SGD+momentum / StepLR": lambda k: 0.1 * 0.2 ** (k // (4 * spe)),
        "Adam / warm-up+cosine": lambda k: (3e-3 * (0.1 + 0.9 * k / spe) if k < spe else
                                            3e-3 * (1 + math.cos(math.pi * (k - spe) / (total - spe))) / 2),
    }
    for name, formula in closed_forms.items():
        lrs = lr_sequence(*training.make_optimizer_and_scheduler(name, Spy(3, 1), spe, epochs), total)
        assert lrs == pytest.approx([formula(k) for k in range(total)], rel=1e-9, abs=1e-15), name
    optimizer, scheduler = training.make_optimizer_and_scheduler("AdamW / OneCycleLR", Spy(3, 1), spe, epochs)
    assert type(scheduler) is OneCycleLR
    lrs = lr_sequence(optimizer, scheduler, total)
    # one-cycle: max_lr / div_factor (25) at the start, max_lr after 30% of the steps, /1e4 at the end
    peak = int(0.3 * total) - 1
    assert (lrs[0], lrs[peak], lrs[-1]) == pytest.approx((1e-2 / 25, 1e-2, 1e-2 / 25 / 1e4), rel=1e-9)


def test_unknown_recipe_is_a_value_error():
    with pytest.raises(ValueError, match="unknown configuration 'SGD'.*help: use one of"):
        training.make_optimizer_and_scheduler("SGD", Spy(3, 1), 5, 6)


# ------------------------------------------------------------------ freeze
def two_layer_run():
    course_lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    optimizer = Adam(model.parameters(), lr=0.05, weight_decay=0.01)
    X, y = regression().tensors

    def step(set_to_none=True):
        optimizer.zero_grad(set_to_none=set_to_none)
        nn.MSELoss()(model(X), y).backward()
        optimizer.step()

    for _ in range(3):
        step()
    return model, optimizer, step


@pytest.mark.lesson09
def test_freeze_keeps_the_module_fixed_while_the_rest_trains():
    model, optimizer, step = two_layer_run()
    frozen_before = [p.detach().numpy().copy() for p in model[0].parameters()]
    others_before = [p.detach().numpy().copy() for p in model[2].parameters()]
    training.freeze(optimizer, model[0])
    for _ in range(3):
        step(set_to_none=False)  # zero gradients: Adam's momentum and weight decay would still move them
    for p, before in zip(model[0].parameters(), frozen_before):
        np.testing.assert_array_equal(p.detach().numpy(), before)
        assert not p.requires_grad and p.grad is None
    for p, before in zip(model[2].parameters(), others_before):
        assert not np.array_equal(p.detach().numpy(), before)  # the other layer still trains


@pytest.mark.lesson09
def test_freeze_drops_the_frozen_parameters_from_groups_and_state():
    model, optimizer, _ = two_layer_run()
    training.freeze(optimizer, model[2])
    remaining = optimizer.param_groups[0]["params"]
    assert len(remaining) == 2 and all(a is b for a, b in zip(remaining, model[0].parameters()))
    assert not any(p is q for p in model[2].parameters() for q in optimizer.state)
    assert sorted(optimizer.state_dict()["state"]) == [0, 1]


@pytest.mark.lesson09
def test_freeze_drops_the_names_of_named_parameters_too():
    course_lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    optimizer = Adam(model.named_parameters(), lr=0.05)
    X, y = regression().tensors
    nn.MSELoss()(model(X), y).backward()
    optimizer.step()
    training.freeze(optimizer, model[0])
    group = optimizer.param_groups[0]
    assert group["param_names"] == ["2.weight", "2.bias"]
    assert all(a is b for a, b in zip(group["params"], model[2].parameters()))
    saved = optimizer.state_dict()["param_groups"][0]
    assert saved["params"] == [0, 1] and saved["param_names"] == ["2.weight", "2.bias"]
    # The state_dict loads back into an optimizer built over the same named parameters.
    fresh = Adam(model[2].named_parameters(prefix="2"), lr=0.05)
    fresh.load_state_dict(optimizer.state_dict())
    assert fresh.param_groups[0]["param_names"] == ["2.weight", "2.bias"]
