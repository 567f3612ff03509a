"""course_lib.optim.swa_utils: the behaviour torch documents, checked from the maths (no
torch needed): the first update copies, SWA is the running mean, EMA the exponential
average, buffers are copied or averaged, SWALR's closed form and state, update_bn's pass.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import course_lib
from course_lib import nn
from course_lib.optim import swa_utils
from course_lib.optim.swa_utils import (
    SWALR,
    AveragedModel,
    get_ema_avg_fn,
    get_ema_multi_avg_fn,
    get_swa_avg_fn,
    get_swa_multi_avg_fn,
    update_bn,
)


class WithStats(nn.Module):
    """A Linear layer and two buffers: a float statistic and an integer counter."""

    def __init__(self, dtype=np.float32):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.register_buffer("stat", course_lib.tensor(np.zeros(2, dtype)))
        self.register_buffer("count", course_lib.tensor(0))
        self.to(course_lib.float64 if dtype == np.float64 else course_lib.float32)

    def forward(self, x):
        return self.fc(x)


def set_weights(model: nn.Module, value: float) -> None:
    """Fill every parameter with ``value`` (a stand-in for a training step)."""
    with course_lib.no_grad():
        for p in model.parameters():
            p.fill_(value)


# ---------------------------------------------------------------- averaging rules
def test_swa_avg_fn_is_the_running_mean_formula():
    avg, cur = course_lib.tensor([1.0, 2.0]), course_lib.tensor([4.0, -1.0])
    out = get_swa_avg_fn()(avg, cur, course_lib.tensor(2))
    assert out.tolist() == [2.0, 1.0]  # avg + (cur - avg) / 3
    assert out.dtype == course_lib.float32  # a count tensor does not promote the result


def test_ema_avg_fn_is_decay_times_average_plus_rest():
    avg, cur = course_lib.tensor([1.0, 2.0], dtype=course_lib.float64), course_lib.tensor([3.0, 0.0], dtype=course_lib.float64)
    out = get_ema_avg_fn(0.75)(avg, cur, 5)
    assert out.tolist() == [0.75 * 1.0 + 0.25 * 3.0, 0.75 * 2.0]


def test_multi_avg_fns_update_in_place_and_return_none():
    avg = [course_lib.tensor([1.0, 2.0]), course_lib.tensor([[0.0]])]
    storage = [a._data for a in avg]
    assert get_swa_multi_avg_fn()(avg, [course_lib.tensor([3.0, 4.0]), course_lib.tensor([[3.0]])], 1) is None
    assert [a.tolist() for a in avg] == [[2.0, 3.0], [[1.5]]]
    assert get_ema_multi_avg_fn(0.5)(avg, [course_lib.tensor([4.0, 5.0]), course_lib.tensor([[1.5]])], 0) is None
    assert [a.tolist() for a in avg] == [[3.0, 4.0], [[1.5]]]
    assert all(a._data is s for a, s in zip(avg, storage))


def test_swa_multi_weight_is_float32_when_the_count_is_a_tensor():
    """torch: 1 / (n + 1) of an int64 tensor is a float32 tensor, even for float64 params."""
    avg = [course_lib.tensor([0.0], dtype=course_lib.float64)]
    get_swa_multi_avg_fn()(avg, [course_lib.tensor([1.0], dtype=course_lib.float64)], course_lib.tensor(2))
    assert avg[0].item() == float(np.float32(1) / np.float32(3)) != 1 / 3
    avg = [course_lib.tensor([0.0], dtype=course_lib.float64)]
    get_swa_multi_avg_fn()(avg, [course_lib.tensor([1.0], dtype=course_lib.float64)], 2)
    assert avg[0].item() == 1 / 3


def test_ema_multi_on_integer_tensors_truncates_as_torch():
    avg = [course_lib.tensor([3, 4])]
    get_ema_multi_avg_fn(0.9)(avg, [course_lib.tensor([5, 9])], 2)
    assert avg[0].tolist() == [3, 4] and avg[0].dtype == course_lib.int64  # 3.2 -> 3, 4.5 -> 4


@pytest.mark.parametrize("weight", [0.0, 0.001, 0.25, 0.4999, 0.5, 0.7, 1.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lerp_is_exact_at_its_ends_and_close_to_the_formula(weight, dtype):
    rng = np.random.RandomState(0)
    start, end = rng.normal(size=50).astype(dtype), rng.normal(size=50).astype(dtype)
    out = swa_utils._lerp(start, end, weight)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, start + weight * (end - start), rtol=1e-6, atol=1e-6)
    if weight == 0.0:
        assert np.array_equal(out, start)
    if weight == 1.0:
        assert np.array_equal(out, end)


@pytest.mark.parametrize("decay", [0.0, 1.0])
def test_ema_decay_at_the_ends_of_its_range_is_accepted(decay):
    avg = course_lib.tensor([1.0])
    assert get_ema_avg_fn(decay)(avg, course_lib.tensor([3.0]), 1).item() == (1.0 if decay == 1.0 else 3.0)
    get_ema_multi_avg_fn(decay)


# ---------------------------------------------------------------- AveragedModel
def test_first_update_copies_and_counts():
    model = nn.Linear(3, 2)
    averaged = AveragedModel(model)
    assert averaged.n_averaged.item() == 0 and averaged.n_averaged.dtype == course_lib.int64
    set_weights(model, 0.5)
    averaged.update_parameters(model)
    assert all(np.all(p.detach().numpy() == 0.5) for p in averaged.parameters())
    assert averaged.n_averaged.item() == 1


def test_averaged_model_is_a_deep_copy_that_needs_no_grad_tracking():
    model = nn.Linear(2, 2)
    averaged = AveragedModel(model)
    assert averaged.module is not model and averaged.module.weight is not model.weight
    set_weights(model, 3.0)
    assert not np.any(averaged.module.weight.detach().numpy() == 3.0)
    averaged.update_parameters(model)  # no in-place error although parameters require grad
    assert averaged.module.weight.requires_grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_default_average_is_the_mean_of_every_model_seen(dtype):
    model = nn.Linear(2, 1).to(course_lib.float64 if dtype == np.float64 else course_lib.float32)
    averaged = AveragedModel(model)
    values = [0.5, -1.25, 2.0, 3.5, 0.125]
    for value in values:
        set_weights(model, value)
        averaged.update_parameters(model)
    assert averaged.n_averaged.item() == len(values)
    np.testing.assert_allclose(averaged.module.weight.detach().numpy(), np.mean(values), rtol=1e-6)


def test_ema_average_follows_its_recursion():
    model = nn.Linear(2, 1).double()
    averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.5))
    expected = None
    for value in [4.0, 0.0, 2.0]:
        set_weights(model, value)
        averaged.update_parameters(model)
        expected = value if expected is None else 0.5 * expected + 0.5 * value
    np.testing.assert_allclose(averaged.module.bias.detach().numpy(), expected)  # 4, 2, 2


def test_forward_runs_the_averaged_copy():
    model = nn.Linear(2, 1)
    averaged = AveragedModel(model)
    set_weights(model, 1.0)
    averaged.update_parameters(model)
    set_weights(model, 0.0)
    assert averaged(course_lib.ones(1, 2)).tolist() == [[3.0]]


def test_buffers_are_copied_without_use_buffers():
    model = WithStats()
    averaged = AveragedModel(model)
    for step, value in enumerate([1.0, 5.0]):
        set_weights(model, value)
        model.stat.fill_(value)
        model.count.fill_(step + 7)
        averaged.update_parameters(model)
    assert averaged.module.stat.tolist() == [5.0, 5.0]  # the model's, not the mean
    assert averaged.module.count.item() == 8
    assert averaged.module.fc.weight.detach().numpy().tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_use_buffers_averages_buffers_and_truncates_integer_ones():
    model = WithStats()
    averaged = AveragedModel(model, use_buffers=True)
    for value, count in [(1.0, 1), (4.0, 4)]:
        model.stat.fill_(value)
        model.count.fill_(count)
        averaged.update_parameters(model)
    assert averaged.module.stat.tolist() == [2.5, 2.5]
    assert averaged.module.count.item() == 2  # 1 + (4 - 1) / 2 = 2.5, truncated as torch


def test_avg_fn_gets_detached_tensors_and_the_count_tensor():
    seen = []

    def avg_fn(averaged_param, model_param, num_averaged):
        seen.append((averaged_param.requires_grad, model_param.requires_grad, num_averaged))
        return averaged_param + model_param

    model = nn.Linear(1, 1, bias=False)
    averaged = AveragedModel(model, avg_fn=avg_fn)
    set_weights(model, 1.0)
    averaged.update_parameters(model)
    averaged.update_parameters(model)
    assert len(seen) == 1 and seen[0][:2] == (False, False)
    assert seen[0][2] is averaged.n_averaged and averaged.module.weight.item() == 2.0


def test_multi_avg_fn_is_called_once_per_dtype():
    calls = []

    def multi_avg_fn(averaged_params, model_params, num_averaged):
        calls.append([str(p.dtype) for p in averaged_params])

    averaged = AveragedModel(WithStats(), multi_avg_fn=multi_avg_fn, use_buffers=True)
    averaged.update_parameters(WithStats())
    averaged.update_parameters(WithStats())
    assert calls == [["course_lib.float32"] * 3, ["course_lib.int64"]]


def test_state_dict_holds_n_averaged_and_the_module_and_round_trips(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    averaged = AveragedModel(model, avg_fn=get_ema_avg_fn(0.9))
    for value in (1.0, 2.0, 3.0):
        set_weights(model, value)
        averaged.update_parameters(model)
    state = averaged.state_dict()
    assert list(state) == ["n_averaged", "module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"]
    course_lib.save(state, tmp_path / "avg.npz")
    restored = AveragedModel(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)),
                             avg_fn=get_ema_avg_fn(0.9))
    restored.load_state_dict(course_lib.load(tmp_path / "avg.npz"))
    assert restored.n_averaged.item() == 3
    set_weights(model, 4.0)
    averaged.update_parameters(model)
    restored.update_parameters(model)
    for a, b in zip(averaged.parameters(), restored.parameters()):
        assert a.tolist() == b.tolist()


# ---------------------------------------------------------------- SWALR
def _optimizer(lrs=(0.1,)):
    groups = [{"params": [course_lib.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return course_lib.optim.SGD(groups, lr=lrs[0])


def _run(scheduler, optimizer, steps):
    lrs = [scheduler.get_last_lr()]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr())
    return lrs


@settings(max_examples=60, deadline=None)
@given(
    lr=st.floats(1e-4, 1.0), swa_lr=st.floats(1e-4, 1.0), anneal_epochs=st.integers(0, 15),
    strategy=st.sampled_from(["cos", "linear"]),
)
def test_swalr_follows_its_closed_form(lr, swa_lr, anneal_epochs, strategy):
    optimizer = _optimizer((lr,))
    scheduler = SWALR(optimizer, swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    for s, (got,) in enumerate(_run(scheduler, optimizer, anneal_epochs + 3)):
        t = min(1.0, max(s, 1 if anneal_epochs == 0 else 0) / max(1, anneal_epochs))
        alpha = (1 - math.cos(math.pi * t)) / 2 if strategy == "cos" else t
        assert math.isclose(got, alpha * swa_lr + (1 - alpha) * lr, rel_tol=1e-9)
        if s >= anneal_epochs:
            assert got == swa_lr


def test_swalr_per_group_swa_lr_and_tuple():
    optimizer = _optimizer((0.1, 0.2))
    scheduler = SWALR(optimizer, (0.01, 0.5), anneal_epochs=2, anneal_strategy="linear")
    assert [g["swa_lr"] for g in optimizer.param_groups] == [0.01, 0.5]
    assert _run(scheduler, optimizer, 3)[2:] == [[0.01, 0.5], [0.01, 0.5]]


def test_swalr_state_dict_is_plain_data_and_resumes_exactly(tmp_path):
    optimizer = _optimizer((0.3, 0.1))
    scheduler = SWALR(optimizer, [0.05, 0.2], anneal_epochs=8, anneal_strategy="linear")
    full = _run(scheduler, optimizer, 12)

    optimizer = _optimizer((0.3, 0.1))
    scheduler = SWALR(optimizer, [0.05, 0.2], anneal_epochs=8, anneal_strategy="linear")
    first = _run(scheduler, optimizer, 4)
    state = scheduler.state_dict()
    assert "anneal_func" not in state and "optimizer" not in state
    assert state["_anneal_strategy"] == "linear"
    course_lib.save({"scheduler": state, "optimizer": optimizer.state_dict()}, tmp_path / "ckpt.npz")

    saved = course_lib.load(tmp_path / "ckpt.npz")
    optimizer = _optimizer((0.3, 0.1))
    optimizer.load_state_dict(saved["optimizer"])
    scheduler = SWALR(optimizer, [0.05, 0.2], anneal_epochs=8)  # "cos" until the state says linear
    scheduler.load_state_dict(saved["scheduler"])
    assert scheduler.anneal_func(0.25) == 0.25
    assert first[:-1] + _run(scheduler, optimizer, 8) == full


def test_swalr_after_another_schedule_anneals_from_where_it_left():
    optimizer = _optimizer((0.1,))
    before = course_lib.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    scheduler = SWALR(optimizer, 0.01, anneal_epochs=1)
    for _ in range(2):
        optimizer.step()
        before.step()
    assert scheduler.get_last_lr() == [0.1] and optimizer.param_groups[0]["lr"] == 0.025
    optimizer.step()
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == 0.01


def test_swalr_get_lr_outside_step_warns_as_torch():
    optimizer = _optimizer()
    scheduler = SWALR(optimizer, 0.05)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        scheduler.get_lr()


def test_swalr_step_before_optimizer_step_warns_as_torch():
    scheduler = SWALR(_optimizer(), 0.05)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        scheduler.step()


def test_swalr_in_the_right_order_does_not_warn():
    optimizer = _optimizer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler = SWALR(optimizer, 0.05)
        _run(scheduler, optimizer, 3)


# ---------------------------------------------------------------- update_bn
def _bn_model(momentum=0.1):
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4, momentum=momentum), nn.ReLU(), nn.Linear(4, 1))


def _batches(n, seed=0):
    rng = np.random.RandomState(seed)
    return [course_lib.tensor(rng.normal(size=(5, 3)), dtype=course_lib.float32) for _ in range(n)]


def test_update_bn_gives_the_statistics_of_the_whole_pass():
    """momentum=None: the running mean is the mean over the batches of the batch means."""
    model = _bn_model()
    batches = _batches(4)
    model(course_lib.ones(2, 3))  # stale statistics, reset by update_bn
    update_bn(batches, model)
    with course_lib.no_grad():
        hidden = [model[0](b).numpy() for b in batches]
    bn = model[1]
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([h.mean(0) for h in hidden], 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([h.var(0, ddof=1) for h in hidden], 0), rtol=1e-5)
    assert bn.num_batches_tracked.item() == 4


def test_update_bn_restores_momentum_and_mode_and_takes_tuples():
    model = _bn_model(momentum=0.3).eval()
    batches = [(b, "target") for b in _batches(2)]
    update_bn(batches, model)
    assert model[1].momentum == 0.3 and model.training is False and model[1].training is False
    assert model[1].num_batches_tracked.item() == 2


def test_update_bn_without_batch_norm_does_nothing():
    class Loader:
        def __iter__(self):
            raise AssertionError("update_bn must not read the loader without BatchNorm layers")

    model = nn.Linear(3, 1).eval()
    update_bn(Loader(), model)
    assert model.training is False


def test_update_bn_through_an_averaged_model():
    model = _bn_model()
    averaged = AveragedModel(model)
    averaged.update_parameters(model)
    update_bn(_batches(3), averaged)
    assert averaged.module[1].num_batches_tracked.item() == 3
    assert model[1].num_batches_tracked.item() == 0  # the trained model is untouched


def test_update_bn_other_device_is_not_supported():
    with pytest.raises(NotImplementedError, match="CPU only"):
        update_bn(_batches(1), _bn_model(), device="cuda")
