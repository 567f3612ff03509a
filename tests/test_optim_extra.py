"""Rprop, ASGD and Adafactor: the behaviours their pseudo-code promises, beyond the trajectories.

Each test states one property a student can read off the module docstring (Rprop's lr is
only the first step size, ASGD's ``ax`` is the mean of the iterates after ``t0``, ...); where
torch shows the same behaviour, the test also runs it live against torch.
"""
from __future__ import annotations

import numpy as np
import pytest

import course_lib
from course_lib import optim
from course_lib.optim.adafactor import adafactor_update, lerp
from course_lib.optim.asgd import asgd_update
from course_lib.optim.rprop import rprop_update


def run(lib, name, kwargs, grads, dtype="float64", start=(1.0, -2.0, 0.5)):
    """Parameter values after each of ``grads`` (hand-set gradients), with ``lib``'s optimizer."""
    w = lib.tensor(np.array(start, dtype=dtype), requires_grad=True)
    optimizer = getattr(lib.optim, name)([w], **kwargs)
    values = []
    for g in grads:
        w.grad = lib.from_numpy(np.array(g, dtype=dtype))
        optimizer.step()
        values.append(w.detach().numpy().copy())
    return values, optimizer, w


# --------------------------------------------------------------------------- Rprop
def test_rprop_moves_by_step_size_min_even_with_zero_lr():
    values, _, _ = run(course_lib, "Rprop", {"lr": 0.0}, [[1.0, -1.0, 0.0]])
    np.testing.assert_array_equal(values[0], [1.0 - 1e-6, -2.0 + 1e-6, 0.5])


def test_rprop_grows_shrinks_and_skips_as_the_signs_say():
    grads = [[1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]
    param, state = np.array([0.0, 0.0]), {}
    for g in grads:
        param, state = rprop_update(param, np.array(g), state, lr=0.1)
    # element 0: same sign three times, 0.1 -> 0.12 -> 0.144; element 1: flip on step 2
    # (step size 0.05, no move, prev = 0), then sign 0 on step 3 (size kept, moves again).
    np.testing.assert_allclose(param, [-(0.1 + 0.12 + 0.144), -0.1 - 0.05])
    np.testing.assert_allclose(state["step_size"], [0.144, 0.05])
    np.testing.assert_array_equal(state["prev"], [1.0, 1.0])


def test_rprop_lr_set_after_the_first_step_changes_nothing():
    _, optimizer, w = run(course_lib, "Rprop", {"lr": 0.01}, [[1.0, 1.0, 1.0]])
    optimizer.param_groups[0]["lr"] = 100.0
    before = w.detach().numpy().copy()
    w.grad = course_lib.tensor(np.ones(3))
    optimizer.step()
    np.testing.assert_allclose(before - w.detach().numpy(), 0.012)


@pytest.mark.parametrize("lr", [0.0, 0.01])
def test_rprop_matches_torch_live_on_sign_changes(lr):
    torch = pytest.importorskip("torch")
    grads = [[1.0, -1.0, 0.0], [-1.0, -1.0, 2.0], [0.0, 1.0, 2.0], [3.0, 1.0, -2.0]]
    ours, _, _ = run(course_lib, "Rprop", {"lr": lr}, grads)
    theirs, _, _ = run(torch, "Rprop", {"lr": lr}, grads)
    np.testing.assert_array_equal(ours, theirs)


# --------------------------------------------------------------------------- ASGD
def test_asgd_ax_is_the_mean_of_the_iterates_after_t0():
    """mu = 1 / (step - t0): ax averages the parameters from step t0 + 2 on (t0 + 1 is copied)."""
    grads = [[0.5, -1.0, 2.0], [1.0, 1.0, -1.0], [-0.5, 2.0, 0.0], [0.3, 0.1, -0.2], [1.0, -1.0, 1.0]]
    values, optimizer, w = run(course_lib, "ASGD", {"lr": 0.1, "t0": 1}, grads)
    np.testing.assert_allclose(optimizer.state[w]["ax"]._data, np.mean(values[2:], axis=0), rtol=1e-6)


def test_asgd_without_averaging_keeps_ax_equal_to_the_parameter():
    values, optimizer, w = run(course_lib, "ASGD", {}, [[0.5, -1.0, 2.0]] * 3)
    np.testing.assert_array_equal(optimizer.state[w]["ax"]._data, values[-1])
    assert optimizer.state[w]["ax"]._data is not w._data


def test_asgd_eta_decays_as_the_pseudo_code_says():
    state = {}
    param, grad = np.array([1.0]), np.array([1.0])
    for _ in range(3):
        param, state = asgd_update(param, grad, state, lr=0.5, lambd=0.1, alpha=0.5)
    assert state["eta"] == np.float32(0.5 / (1 + 0.1 * 0.5 * 3) ** 0.5)
    assert state["eta"].dtype == np.float32 and state["mu"].dtype == np.float32


def test_asgd_eta_and_mu_take_the_parameter_dtype_after_load_state_dict_as_torch():
    """torch casts every state tensor but step to the parameter's dtype when loading."""
    grads = [[0.5, -1.0, 2.0], [1.0, 1.0, -1.0]]
    _, source, _ = run(course_lib, "ASGD", {"t0": 0}, grads)
    w = course_lib.tensor(np.zeros(3), requires_grad=True)
    target = optim.ASGD([w], t0=0)
    target.load_state_dict(source.state_dict())
    assert target.state[w]["eta"]._data.dtype == np.float64
    w.grad = course_lib.tensor(np.ones(3))
    target.step()
    assert target.state[w]["eta"]._data.dtype == np.float64
    assert target.state[w]["mu"]._data.dtype == np.float64


def test_asgd_resumed_float64_run_matches_torch_live():
    torch = pytest.importorskip("torch")
    grads = [[0.5, -1.0, 2.0], [1.0, 1.0, -1.0], [-0.5, 2.0, 0.0], [0.3, 0.1, -0.2]]
    found = []
    for lib in (course_lib, torch):
        _, source, w0 = run(lib, "ASGD", {"t0": 1, "lr": 0.1}, grads[:2])
        w = lib.tensor(w0.detach().numpy().copy(), requires_grad=True)
        target = lib.optim.ASGD([w], t0=1, lr=0.1)
        target.load_state_dict(source.state_dict())
        for g in grads[2:]:
            w.grad = lib.from_numpy(np.array(g))
            target.step()
        state = target.state_dict()["state"][0]
        found.append((w.detach().numpy().copy(), {k: v.detach().numpy() for k, v in state.items()}))
    np.testing.assert_allclose(found[0][0], found[1][0], rtol=1e-12)
    for key, value in found[1][1].items():
        assert found[0][1][key].dtype == value.dtype, key
        np.testing.assert_allclose(found[0][1][key], value, rtol=1e-12, err_msg=key)


# --------------------------------------------------------------------------- Adafactor
def test_lerp_uses_torchs_two_forms():
    start, end = np.array([1.0, -3.0]), np.array([0.1, 7.0])
    np.testing.assert_array_equal(lerp(start, end, 1.0), end)  # exact at weight 1
    np.testing.assert_array_equal(lerp(start, end, 0.25), start + 0.25 * (end - start))
    np.testing.assert_array_equal(lerp(start, end, 0.75), end - (end - start) * 0.25)


def test_adafactor_eps1_none_is_the_dtypes_machine_epsilon():
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        param, grad = rng.standard_normal((3, 4)).astype(dtype), rng.standard_normal((3, 4)).astype(dtype)
        grad[0] = 0.0  # a row of zeros: eps1 decides its update
        default, _ = adafactor_update(param, grad, {})
        explicit, _ = adafactor_update(param, grad, {}, eps=(float(np.finfo(dtype).eps), 1e-3))
        np.testing.assert_array_equal(default, explicit)


def test_adafactor_first_step_of_a_rank_one_gradient_is_its_sign_times_alpha():
    """Step 1: the factored estimate is exact for grad**2 of rank 1, so update = sign(grad)."""
    grad = np.outer([1.0, -2.0, 3.0], [0.5, 1.0])
    param = np.full((3, 2), 2.0)  # RMS(param) = 2, rho_1 = min(lr, 1) = lr
    new, state = adafactor_update(param, grad, {}, lr=0.01)
    np.testing.assert_allclose(new, param - 0.02 * np.sign(grad), rtol=1e-12)
    assert state["row_var"].shape == (3, 1) and state["col_var"].shape == (1, 2)


def test_adafactor_clips_the_update_to_rms_d():
    """A vector's first update is sign(grad) (RMS 1); d = 1 leaves it, so alpha sets the step."""
    param, grad = np.array([3.0, 4.0]), np.array([1e-3, -5.0])
    new, _ = adafactor_update(param, grad, {}, lr=0.1)
    alpha = np.sqrt((9 + 16) / 2) * 0.1
    np.testing.assert_allclose(new, param - alpha * np.sign(grad), rtol=1e-12)
