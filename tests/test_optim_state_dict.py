"""Optimizer.state_dict / load_state_dict: torch's layout, copies, casts, errors, exact resume."""
from __future__ import annotations

import numpy as np
import pytest

import course_lib
from course_lib import nn, optim

pytestmark = pytest.mark.lesson09

OPTIMIZERS = {
    "SGD": {"lr": 0.05, "momentum": 0.9},
    "Adam": {"lr": 0.01, "amsgrad": True},
    "AdamW": {"lr": 0.01},
    "RMSprop": {"lr": 0.01, "momentum": 0.5, "centered": True},
    "Adagrad": {"lr": 0.1},
    "Adadelta": {},
    "Adamax": {"lr": 0.01},
    "NAdam": {"lr": 0.01},
    "RAdam": {"lr": 0.01},
    "Rprop": {"lr": 0.01},
    "ASGD": {"lr": 0.01, "t0": 5},  # averaging (mu < 1) starts at step 7
    "Adafactor": {"lr": 0.01, "weight_decay": 0.01},
}


def two_groups(name: str, dtype=np.float32):
    """Three parameters in two groups (``[w]`` and ``[b, c]``) with one step taken."""
    w = course_lib.tensor(np.array([[1.0, -2.0], [0.5, 3.0]], dtype=dtype), requires_grad=True)
    b = course_lib.tensor(np.array([0.1, -0.2], dtype=dtype), requires_grad=True)
    c = course_lib.tensor(np.array([2.0], dtype=dtype), requires_grad=True)
    optimizer = getattr(optim, name)([{"params": [w]}, {"params": [b, c], "lr": 0.5}], **OPTIMIZERS[name])
    for p in (w, b, c):
        p.grad = course_lib.tensor(np.full(p.shape, 0.25, dtype=dtype))
    optimizer.step()
    return optimizer, (w, b, c)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_dict_uses_torch_layout(name):
    optimizer, _ = two_groups(name)
    sd = optimizer.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1, 2]]
    assert sd["param_groups"][1]["lr"] == 0.5
    assert set(sd["state"]) == {0, 1, 2}
    if "step" in sd["state"][0]:
        step = sd["state"][0]["step"]
        assert step.shape == () and step.dtype == course_lib.float32 and step.item() == 1.0


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_dict_layout_matches_torch_live(name):
    torch = pytest.importorskip("torch")
    optimizer, _ = two_groups(name)
    ws = [torch.zeros(2, 2, requires_grad=True), torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)]
    reference = getattr(torch.optim, name)([{"params": ws[:1]}, {"params": ws[1:], "lr": 0.5}], **OPTIMIZERS[name])
    for p in ws:
        p.grad = torch.full(p.shape, 0.25)
    reference.step()
    got, want = optimizer.state_dict(), reference.state_dict()
    assert got["param_groups"] == want["param_groups"]
    assert {i: sorted(s) for i, s in got["state"].items()} == {i: sorted(s) for i, s in want["state"].items()}
    for index, buffers in want["state"].items():
        for key, value in buffers.items():
            assert got["state"][index][key].shape == tuple(value.shape), (index, key)
            assert str(got["state"][index][key].dtype).split(".")[-1] == str(value.dtype).split(".")[-1]


def test_state_dict_is_a_copy_that_training_does_not_change():
    optimizer, (w, b, c) = two_groups("Adam")
    sd = optimizer.state_dict()
    saved = sd["state"][0]["exp_avg"].tolist()
    optimizer.step()
    assert sd["state"][0]["exp_avg"].tolist() == saved
    assert sd["state"][0]["step"].item() == 1.0
    assert optimizer.state[w]["step"].item() == 2.0
    sd["param_groups"][0]["lr"] = 123.0
    assert optimizer.param_groups[0]["lr"] != 123.0


def test_load_state_dict_restores_state_and_group_options_as_copies():
    source, _ = two_groups("SGD")
    source.param_groups[0]["lr"] = 0.007
    sd = source.state_dict()
    target, (w, b, c) = two_groups("SGD")
    target.param_groups[0]["momentum"] = 0.1
    target.load_state_dict(sd)
    assert target.param_groups[0]["lr"] == 0.007 and target.param_groups[0]["momentum"] == 0.9
    assert target.param_groups[0]["params"][0] is w
    np.testing.assert_array_equal(target.state[w]["momentum_buffer"]._data, sd["state"][0]["momentum_buffer"]._data)
    sd["state"][0]["momentum_buffer"]._data[...] = 99.0
    assert 99.0 not in target.state[w]["momentum_buffer"].tolist()


def test_load_state_dict_casts_buffers_to_the_parameter_dtype_except_step():
    source, _ = two_groups("Adam", np.float32)
    target, (w, b, c) = two_groups("Adam", np.float64)
    target.load_state_dict(source.state_dict())
    assert target.state[w]["exp_avg"]._data.dtype == np.float64
    assert target.state[w]["max_exp_avg_sq"]._data.dtype == np.float64
    assert target.state[w]["step"]._data.dtype == np.float32


def test_load_state_dict_accepts_string_indices_from_json():
    source, _ = two_groups("SGD")
    sd = source.state_dict()
    sd["state"] = {str(k): v for k, v in sd["state"].items()}
    target, (w, b, c) = two_groups("SGD")
    target.load_state_dict(sd)
    assert set(target.state) == {w, b, c}


def test_load_state_dict_with_a_different_number_of_groups_raises():
    source, _ = two_groups("SGD")
    target = optim.SGD([course_lib.zeros(2, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict has a different number of parameter groups"):
        target.load_state_dict(source.state_dict())


def test_load_state_dict_with_a_different_group_size_raises():
    source, _ = two_groups("SGD")
    ws = [course_lib.zeros(2, requires_grad=True) for _ in range(3)]
    target = optim.SGD([{"params": ws[:2]}, {"params": ws[2:]}], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        target.load_state_dict(source.state_dict())


# --------------------------------------------------------------------------- exact resume
def make_model(seed: int):
    course_lib.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))


def train(model, optimizer, steps: int, start: int) -> None:
    """``steps`` steps on fixed mini-batches (batch k depends only on the step number)."""
    loss_fn = nn.MSELoss()
    for k in range(start, start + steps):
        rng = np.random.default_rng(k)
        x = course_lib.tensor(rng.standard_normal((8, 3)).astype(np.float32))
        y = course_lib.tensor(rng.standard_normal((8, 1)).astype(np.float32))
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_save_and_resume_is_bit_identical_to_training_straight_through(name, tmp_path):
    straight = make_model(0)
    straight_opt = getattr(optim, name)(straight.parameters(), **OPTIMIZERS[name])
    train(straight, straight_opt, 40, start=0)

    first = make_model(0)
    first_opt = getattr(optim, name)(first.parameters(), **OPTIMIZERS[name])
    train(first, first_opt, 20, start=0)
    course_lib.save({"model": first.state_dict(), "optimizer": first_opt.state_dict()}, tmp_path / "ckpt")
    train(first, first_opt, 5, start=100)  # keep training the old run: the file must not change

    checkpoint = course_lib.load(tmp_path / "ckpt")
    resumed = make_model(1)  # different initial weights, all overwritten by the checkpoint
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt = getattr(optim, name)(resumed.parameters(), **OPTIMIZERS[name])
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    train(resumed, resumed_opt, 20, start=20)

    for p, q in zip(straight.parameters(), resumed.parameters(), strict=True):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    for p, q in zip(straight.parameters(), resumed.parameters()):
        for key, value in straight_opt.state[p].items():
            np.testing.assert_array_equal(value._data, resumed_opt.state[q][key]._data, err_msg=key)
