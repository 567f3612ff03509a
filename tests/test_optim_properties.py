"""Properties of the pure update functions (hypothesis, bounded strategies).

* pure: the inputs (parameter, gradient, state arrays) are bit-identical after a call, and
  every array returned is a fresh one that shares no memory with an input;
* elementwise: updating two halves of the arrays separately gives exactly the numbers of one
  update of the whole;
* dtype: float32 arrays and Python-float options stay float32 (torch computes in the
  parameter's dtype);
* a zero learning rate never moves the parameter (decoupled weight decay included).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.optim import (
    adadelta, adafactor, adagrad, adam, adamax, adamw, asgd, lion, nadam, radam, rmsprop, rprop, schedule_free, sgd,
)

pytestmark = [pytest.mark.lesson05, pytest.mark.lesson06]

unit = st.floats(0.0, 0.99)
positive = st.floats(1e-4, 1.0)
flag = st.booleans()
betas = st.tuples(unit, unit)

# name -> (update function, its state keys after one step, strategy of options); state
# arrays are non-negative so that square averages stay valid.
UPDATES = {
    "sgd": (sgd.sgd_update, ("momentum_buffer",), st.fixed_dictionaries({
        "lr": positive, "momentum": unit, "dampening": unit, "weight_decay": unit,
        "nesterov": st.just(False), "maximize": flag,
    })),
    "adam": (adam.adam_update, ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"), st.fixed_dictionaries({
        "lr": positive, "betas": betas, "eps": positive, "weight_decay": unit,
        "amsgrad": flag, "maximize": flag, "decoupled_weight_decay": flag,
    })),
    "adamw": (adamw.adamw_update, ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"), st.fixed_dictionaries({
        "lr": positive, "betas": betas, "eps": positive, "weight_decay": unit, "amsgrad": flag,
        "maximize": flag,
    })),
    "rmsprop": (rmsprop.rmsprop_update, ("square_avg", "momentum_buffer", "grad_avg"), st.fixed_dictionaries({
        "lr": positive, "alpha": unit, "eps": positive, "weight_decay": unit, "momentum": unit,
        "centered": st.just(False), "maximize": flag,
    })),
    "adagrad": (adagrad.adagrad_update, ("sum",), st.fixed_dictionaries({
        "lr": positive, "lr_decay": unit, "weight_decay": unit, "eps": positive, "maximize": flag,
    })),
    "adadelta": (adadelta.adadelta_update, ("square_avg", "acc_delta"), st.fixed_dictionaries({
        "lr": positive, "rho": unit, "eps": positive, "weight_decay": unit, "maximize": flag,
    })),
    "adamax": (adamax.adamax_update, ("exp_avg", "exp_inf"), st.fixed_dictionaries({
        "lr": positive, "betas": betas, "eps": positive, "weight_decay": unit, "maximize": flag,
    })),
    "nadam": (nadam.nadam_update, ("exp_avg", "exp_avg_sq"), st.fixed_dictionaries({
        "lr": positive, "betas": betas, "eps": positive, "weight_decay": unit,
        "momentum_decay": st.floats(0.0, 0.01), "decoupled_weight_decay": flag, "maximize": flag,
    })),
    "lion": (lion.lion_update, ("exp_avg",), st.fixed_dictionaries({
        "lr": positive, "betas": betas, "weight_decay": unit,
    })),
    "schedule_free": (
        lambda p, g, s, **o: schedule_free.schedule_free_adamw_update(p, g, s, step=4, ckp1=0.25, **o),
        ("z", "exp_avg_sq", "x", "y"),
        st.fixed_dictionaries({
            "scheduled_lr": positive, "betas": betas, "eps": positive, "weight_decay": unit, "decay_at_z": flag,
        }),
    ),
    "radam": (radam.radam_update, ("exp_avg", "exp_avg_sq"), st.fixed_dictionaries({
        "lr": positive, "betas": st.tuples(unit, st.floats(0.9, 0.999)), "eps": positive,
        "weight_decay": unit, "decoupled_weight_decay": flag, "maximize": flag,
    })),
    "rprop": (rprop.rprop_update, ("prev", "step_size"), st.fixed_dictionaries({
        "lr": positive, "etas": st.tuples(st.floats(0.1, 0.9), st.floats(1.1, 2.0)),
        "step_sizes": st.tuples(st.floats(0.0, 1e-3), st.floats(1.0, 50.0)), "maximize": flag,
    })),
    "asgd": (asgd.asgd_update, ("ax",), st.fixed_dictionaries({
        "lr": positive, "lambd": st.floats(0.0, 0.1), "alpha": unit, "t0": st.floats(0.0, 10.0),
        "weight_decay": unit, "maximize": flag,
    })),
    "adafactor": (adafactor.adafactor_update, ("variance",), st.fixed_dictionaries({
        "lr": positive, "beta2_decay": st.floats(-1.0, 0.0),
        "eps": st.tuples(st.one_of(st.none(), st.floats(0.0, 1e-3)), st.floats(0.0, 1e-2)),
        "d": st.floats(1.0, 3.0), "weight_decay": unit, "maximize": flag,
    })),
}
# Adafactor is not elementwise: its step scales by the RMS of the whole parameter (alpha) and
# is clipped by the RMS of the whole update (denom), so splitting a vector changes both.
ELEMENTWISE = sorted(set(UPDATES) - {"adafactor"})
# Rprop moves by at least step_size_min even with lr=0 (lr only fills the first step sizes),
# as torch does; the zero-lr property is tested for it with step_size_min = 0 below.
ZERO_LR_OPTIONS = {"rprop": {"step_sizes": (0.0, 50.0)}}
# Rprop and ASGD read lr only when their state is created (step_size, eta): later steps use
# the stored values, so the zero-lr property is a first-step property for them.
LR_READ_AT_FIRST_STEP = {"rprop", "asgd"}


def arrays(seed: int, n: int, dtype, name: str):
    """Parameter, gradient and a state as after a few steps (non-negative arrays)."""
    rng = np.random.default_rng(seed)
    p, g = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
    state = {"step": 3.0}
    for key in UPDATES[name][1]:
        state[key] = np.abs(rng.standard_normal(n)).astype(dtype)
    if name == "nadam":
        state["mu_product"] = np.array(0.7, dtype=np.float32)
    if name == "asgd":  # float32 scalars whatever the dtype, as torch keeps them
        state["eta"] = np.array(0.01, dtype=np.float32)
        state["mu"] = np.array(0.5, dtype=np.float32)
    if name == "sgd":
        del state["step"]
    return p, g, state


def frozen_copy(p, g, state):
    return p.copy(), g.copy(), {k: np.copy(v) for k, v in state.items()}


@pytest.mark.parametrize("name", sorted(UPDATES))
@settings(max_examples=20, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), first_step=flag)
def test_update_is_pure(name, data, seed, first_step):
    update, _, options = UPDATES[name]
    p, g, state = arrays(seed, 7, np.float64, name)
    if first_step:
        state = {}
    before = frozen_copy(p, g, state)
    new_p, new_state = update(p, g, state, **data.draw(options))
    np.testing.assert_array_equal(p, before[0])
    np.testing.assert_array_equal(g, before[1])
    assert state.keys() == before[2].keys()
    for key, value in state.items():
        np.testing.assert_array_equal(value, before[2][key])
    inputs = [p, g, *[v for v in state.values() if isinstance(v, np.ndarray)]]
    for out in [new_p, *[v for v in new_state.values() if isinstance(v, np.ndarray)]]:
        assert not any(np.shares_memory(out, a) for a in inputs), f"{name} returned an input array"


@pytest.mark.parametrize("name", ELEMENTWISE)
@settings(max_examples=20, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), n=st.integers(2, 40), cut=st.integers(1, 39))
def test_update_is_elementwise(name, data, seed, n, cut):
    update, _, options = UPDATES[name]
    o = data.draw(options)
    cut = min(cut, n - 1)
    p, g, state = arrays(seed, n, np.float64, name)
    whole_p, whole_state = update(p, g, state, **o)
    for part in (slice(0, cut), slice(cut, n)):
        part_state = {k: v[part] if np.ndim(v) else v for k, v in state.items()}
        part_p, part_new = update(p[part], g[part], part_state, **o)
        np.testing.assert_array_equal(part_p, whole_p[part])
        for key, value in whole_state.items():
            np.testing.assert_array_equal(part_new[key], value[part] if np.ndim(value) else value)


@pytest.mark.parametrize("name", sorted(UPDATES))
@settings(max_examples=15, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_float32_stays_float32(name, data, seed):
    update, _, options = UPDATES[name]
    p, g, state = arrays(seed, 5, np.float32, name)
    new_p, new_state = update(p, g, state, **data.draw(options))
    assert new_p.dtype == np.float32
    assert all(v.dtype == np.float32 for k, v in new_state.items() if k != "step")


# Schedule-free is left out: with lr = 0 its parameter still moves to y = beta1 x + (1 - beta1) z.
@pytest.mark.parametrize("name", sorted(set(UPDATES) - {"schedule_free"}))
@settings(max_examples=15, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_zero_learning_rate_leaves_the_parameter_unchanged(name, data, seed):
    update, _, options = UPDATES[name]
    o = {**data.draw(options), "lr": 0.0, **ZERO_LR_OPTIONS.get(name, {})}
    p, g, state = arrays(seed, 6, np.float64, name)
    if name in LR_READ_AT_FIRST_STEP:
        state = {}
    new_p, _ = update(p, g, state, **o)
    np.testing.assert_array_equal(new_p, p)


def test_nadam_multiplies_mu_product_once_per_call():
    p, g, _ = arrays(0, 4, np.float32, "nadam")
    _, state = nadam.nadam_update(p, g, {}, lr=0.01)
    mu1 = 0.9 * (1.0 - 0.5 * 0.96 ** (1.0 * 4e-3))
    assert state["mu_product"].dtype == np.float32
    assert state["mu_product"] == np.float32(mu1)
