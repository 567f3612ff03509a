"""swa_utils' averaging rules as pure functions (lesson 13's answer key): the formulas, purity,
and the same numbers as the multi-tensor averages AveragedModel calls."""
from __future__ import annotations

import numpy as np
import pytest

import course_lib
from course_lib.optim.swa_utils import (
    AveragedModel, ema_average, get_ema_multi_avg_fn, get_swa_multi_avg_fn, swa_average,
)

pytestmark = pytest.mark.lesson13


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_swa_average_is_the_running_mean_and_pure(dtype):
    rng = np.random.default_rng(0)
    ws = [rng.normal(size=(2, 3)).astype(dtype) for _ in range(6)]
    avg = np.full((2, 3), 123.0, dtype=dtype)  # any finite values at n = 0
    for n, w in enumerate(ws):
        before = (avg.copy(), w.copy())
        new = swa_average(avg, w, n)
        np.testing.assert_array_equal(avg, before[0])
        np.testing.assert_array_equal(w, before[1])
        avg = new
    assert avg.dtype == dtype
    np.testing.assert_allclose(avg, np.mean(ws, axis=0), rtol=1e-6 if dtype == np.float32 else 1e-14)


@pytest.mark.parametrize("decay", [0.0, 0.5, 0.9, 0.999, 1.0])
def test_ema_average_is_decay_times_old_plus_the_rest_times_new(decay):
    ema, w = np.array([1.0, -2.0, 3.0]), np.array([0.5, 4.0, -1.0])
    np.testing.assert_allclose(ema_average(ema, w, decay), decay * ema + (1 - decay) * w, rtol=1e-15, atol=1e-15)
    np.testing.assert_array_equal(ema, [1.0, -2.0, 3.0])


@pytest.mark.parametrize("multi_avg_fn, pure", [
    (get_ema_multi_avg_fn(0.9), lambda avg, w, n: ema_average(avg, w, 0.9)),
    (get_swa_multi_avg_fn(), lambda avg, w, n: swa_average(avg, w, np.float32(n))),
], ids=["ema", "swa"])
@pytest.mark.parametrize("dtype", [course_lib.float32, course_lib.float64])
def test_averaged_model_gives_the_pure_rules_numbers_bit_for_bit(multi_avg_fn, pure, dtype):
    course_lib.manual_seed(0)
    model = course_lib.nn.Linear(4, 3).to(dtype)
    averaged = AveragedModel(model, multi_avg_fn=multi_avg_fn)
    mine = None
    rng = np.random.default_rng(1)
    for n in range(5):
        with course_lib.no_grad():
            for p in model.parameters():
                p.add_(course_lib.tensor(rng.normal(size=p.shape), dtype=dtype))
        averaged.update_parameters(model)
        weights = [p.detach().numpy().copy() for p in model.parameters()]
        mine = weights if mine is None else [pure(a, w, n) for a, w in zip(mine, weights)]
    for a, p in zip(mine, averaged.module.parameters()):
        np.testing.assert_array_equal(a, p.detach().numpy())
