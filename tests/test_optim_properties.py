"""Properties of the pure update functions (hypothesis, bounded strategies).

* elementwise: updating two halves of the arrays separately gives exactly the numbers of one
  update of the whole (what lets the optimizer classes work in cache-sized chunks);
* dtype: float32 arrays and Python-float options stay float32 (torch computes in the
  parameter's dtype);
* a zero learning rate never moves the parameter (decoupled weight decay included).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.optim import adadelta, adagrad, adam, adamax, nadam, radam, rmsprop, sgd

pytestmark = [pytest.mark.lesson05, pytest.mark.lesson06]

unit = st.floats(0.0, 0.99)
positive = st.floats(1e-4, 1.0)
flag = st.booleans()


def _sgd(p, g, s, o, scratch=None):
    buf = s[0] if o["momentum"] else None
    sgd.sgd_update(p, g, buf, scratch=scratch, **o)


def _adam(p, g, s, o, scratch=None):
    adam.adam_update(p, g, s[0], s[1], s[2] if o["amsgrad"] else None, scratch=scratch, step=3.0, **o)


def _rmsprop(p, g, s, o, scratch=None):
    rmsprop.rmsprop_update(
        p, g, s[0], s[1] if o["centered"] else None, s[2] if o["momentum"] else None, scratch=scratch, **o
    )


def _adagrad(p, g, s, o, scratch=None):
    adagrad.adagrad_update(p, g, s[0], step=4.0, scratch=scratch, **o)


def _adadelta(p, g, s, o, scratch=None):
    adadelta.adadelta_update(p, g, s[0], s[1], scratch=scratch, **o)


def _adamax(p, g, s, o, scratch=None):
    adamax.adamax_update(p, g, s[0], s[1], step=2.0, scratch=scratch, **o)


def _radam(p, g, s, o, scratch=None):
    radam.radam_update(p, g, s[0], s[1], step=8.0, scratch=scratch, **o)


# name -> (caller, strategy of options); state arrays are non-negative so that square
# averages stay valid.
UPDATES = {
    "sgd": (_sgd, st.fixed_dictionaries({
        "lr": positive, "momentum": unit, "dampening": unit, "weight_decay": unit,
        "nesterov": st.just(False), "maximize": flag,
    })),
    "adam": (_adam, st.fixed_dictionaries({
        "lr": positive, "beta1": unit, "beta2": unit, "eps": positive, "weight_decay": unit,
        "amsgrad": flag, "maximize": flag, "decoupled_weight_decay": flag,
    })),
    "rmsprop": (_rmsprop, st.fixed_dictionaries({
        "lr": positive, "alpha": unit, "eps": positive, "weight_decay": unit, "momentum": unit,
        "centered": st.just(False), "maximize": flag,
    })),
    "adagrad": (_adagrad, st.fixed_dictionaries({
        "lr": positive, "lr_decay": unit, "weight_decay": unit, "eps": positive, "maximize": flag,
    })),
    "adadelta": (_adadelta, st.fixed_dictionaries({
        "lr": positive, "rho": unit, "eps": positive, "weight_decay": unit, "maximize": flag,
    })),
    "adamax": (_adamax, st.fixed_dictionaries({
        "lr": positive, "beta1": unit, "beta2": unit, "eps": positive, "weight_decay": unit, "maximize": flag,
    })),
    "radam": (_radam, st.fixed_dictionaries({
        "lr": positive, "beta1": unit, "beta2": st.floats(0.9, 0.999), "eps": positive, "weight_decay": unit,
        "decoupled_weight_decay": flag, "maximize": flag,
    })),
}


def arrays(seed: int, n: int, dtype):
    """Parameter, gradient and three non-negative state arrays."""
    rng = np.random.default_rng(seed)
    p, g = rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)
    state = [np.abs(rng.standard_normal(n)).astype(dtype) for _ in range(3)]
    return p, g, state


@pytest.mark.parametrize("name", sorted(UPDATES))
@settings(max_examples=25, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), n=st.integers(2, 40), cut=st.integers(1, 39))
def test_update_is_elementwise(name, data, seed, n, cut):
    call, options = UPDATES[name]
    o = data.draw(options)
    cut = min(cut, n - 1)
    p1, g, s1 = arrays(seed, n, np.float64)
    p2, _, s2 = arrays(seed, n, np.float64)
    call(p1, g, s1, o)
    for part in (slice(0, cut), slice(cut, n)):
        call(p2[part], g[part], [s[part] for s in s2], o)
    np.testing.assert_array_equal(p1, p2)
    for a, b in zip(s1, s2):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(UPDATES))
@settings(max_examples=15, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_float32_stays_float32(name, data, seed):
    call, options = UPDATES[name]
    p, g, state = arrays(seed, 5, np.float32)
    call(p, g, state, data.draw(options))
    assert p.dtype == np.float32 and all(s.dtype == np.float32 for s in state)


@pytest.mark.parametrize("name", sorted(UPDATES))
@settings(max_examples=15, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_zero_learning_rate_leaves_the_parameter_unchanged(name, data, seed):
    call, options = UPDATES[name]
    o = {**data.draw(options), "lr": 0.0}
    p, g, state = arrays(seed, 6, np.float64)
    before = p.copy()
    call(p, g, state, o)
    np.testing.assert_array_equal(p, before)


def test_nadam_multiplies_mu_product_once_per_call():
    p, g, state = arrays(0, 4, np.float32)
    mu_product = np.ones((), dtype=np.float32)
    options = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                   decoupled_weight_decay=False, maximize=False)
    nadam.nadam_update(p, g, state[0], state[1], mu_product, step=1.0, **options)
    mu1 = 0.9 * (1.0 - 0.5 * 0.96 ** (1.0 * 4e-3))
    assert mu_product.dtype == np.float32
    assert mu_product == np.float32(mu1)
