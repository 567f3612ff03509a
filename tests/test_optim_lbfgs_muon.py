"""Muon and L-BFGS against torch 2.13: committed trajectories, live runs, closure counts.

The data (tests/reference/lbfgs_muon.json) was made by tests/reference/gen_lbfgs_muon.py,
which also defines the two problems and the configuration tables; every configuration is
replayed here with course_lib (and with torch too, when it is installed).

Tolerances (``|got - want| <= atol + rtol * |want|``):

* float64: rtol 1e-10, atol 1e-12, for everything (parameters, losses, state); closure calls,
  ``n_iter`` and ``func_evals`` exactly.
* float32 Muon: rtol 1e-5, atol 1e-6. Newton-Schulz runs in bfloat16 in torch and here, bit
  for bit on these small matrices (see course_lib/optim/muon.py).
* float32 L-BFGS, line search None and ``lr >= 1``: rtol 1e-5, atol 1e-6 and exact counts.
  With ``line_search_fn="strong_wolfe"`` or a fixed step ``lr < 1``, float32 runs are decided
  by rounding noise: the closure's loss and gradients differ from torch's in the last bit
  (numpy and torch sum ``X @ w`` in different orders), and (a) the strong Wolfe tests compare
  losses that differ by less than float32's resolution once near the optimum, (b) with small
  fixed steps ``y = grad_new - grad_old`` cancels catastrophically. Each library then takes
  its own (equally valid) noise-driven path. For these options float32 compares the loss
  after each step (rtol 1e-4) and the parameters to atol 2e-2 (a loss change of one float32
  ulp moves the parameters by about sqrt(ulp / curvature) ~ 1e-3 along the flattest
  direction), not the counts; float64 checks them exactly.

L-BFGS's final state: after 30 steps the memory ``(s, y)`` holds differences of parameters
and gradients at the optimum, where cancellation amplifies the last-bit differences of the
closure (``ro = 1 / y.s`` ~ 1e7). float64 compares it with rtol 1e-6 (the parameters, losses
and counts stay at 1e-10 and exact); float32 compares its keys only (its memory is rounding
noise, in torch as here).
L-BFGS's ``state["al"]`` is torch's scratch list of the first loop's coefficients (each entry
is overwritten before it is read; stale entries stay from earlier iterations): it is compared
by which entries are set, not by value, since its entries are ``ro * (s . q)`` with ``q``
nearly orthogonal to ``s`` near the optimum, where cancellation makes them noise. The resume
tests check it bit for bit.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import course_lib
from course_lib import optim
from course_lib.optim.lbfgs import lbfgs_direction, lbfgs_memory_update
from course_lib.optim.muon import muon_update, newton_schulz, to_bfloat16

REFERENCE = Path(__file__).parent / "reference"
_spec = importlib.util.spec_from_file_location("gen_lbfgs_muon", REFERENCE / "gen_lbfgs_muon.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
DATA = json.loads((REFERENCE / "lbfgs_muon.json").read_text())

pytestmark = [pytest.mark.lesson12, pytest.mark.lesson13]

STRICT = {"float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12)}


def lbfgs_float32_is_noise_driven(options: dict) -> bool:
    """Options under which float32 L-BFGS follows rounding noise (see the module docstring)."""
    return options.get("line_search_fn") is not None or options.get("lr", 1) < 1


def close(got, want, rtol: float, atol: float, what: str) -> None:
    np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float), rtol=rtol, atol=atol, err_msg=what)


def assert_state_matches(got: dict, want: dict, rtol: float, atol: float) -> None:
    """Every state entry: the same keys, numbers (or lists of numbers) within tolerance."""
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in want.items()}
    for index, buffers in want.items():
        for key, value in buffers.items():
            mine = got[index][key]
            if key == "al":  # scratch (see the module docstring): compare its shape only
                assert [v is None for v in mine] == [v is None for v in value], "state['al']"
                continue
            if isinstance(value, list) and value and isinstance(value[0], list) or (
                isinstance(value, list) and None in value
            ):
                assert len(mine) == len(value), f"state[{index}][{key!r}] length"
                for i, (m, w) in enumerate(zip(mine, value)):
                    assert (m is None) == (w is None), f"state[{index}][{key!r}][{i}]"
                    if w is not None:
                        close(m, w, rtol, atol, f"state[{index}][{key!r}][{i}]")
            elif isinstance(value, (int, float)) and isinstance(mine, (int, float)):
                close(mine, value, rtol, atol, f"state[{index}][{key!r}]")
                assert type(mine) is type(value) or key == "t", f"state[{index}][{key!r}] type"
            else:
                close(mine, value, rtol, atol, f"state[{index}][{key!r}]")


# --------------------------------------------------------------------------- Muon
MUON_ROWS = [(c, d) for d in gen.DTYPES for c in gen.MUON_CONFIGS]
MUON_IDS = [f"{c}-{d}".replace(" ", "_") for c, d in MUON_ROWS]


def assert_muon_matches(got: dict, want: dict, dtype: str) -> None:
    rtol, atol = STRICT[dtype]
    for step, (g, w) in enumerate(zip(got["params"], want["params"], strict=True), start=1):
        close(g, w, rtol, atol, f"parameters after step {step}")
    assert_state_matches(got["state"], want["state"], rtol, atol)


def test_reference_data_covers_every_configuration():
    assert DATA["torch_version"].startswith("2.13")
    assert sorted(DATA["muon"]) == sorted(gen.MUON_CONFIGS)
    assert sorted(DATA["lbfgs"]) == sorted(gen.LBFGS_CONFIGS)


@pytest.mark.parametrize(("config", "dtype"), MUON_ROWS, ids=MUON_IDS)
def test_muon_matches_torch_reference(config, dtype):
    assert_muon_matches(gen.run_muon(course_lib, config, dtype), DATA["muon"][config][dtype], dtype)


@pytest.mark.parametrize(("config", "dtype"), MUON_ROWS, ids=MUON_IDS)
def test_muon_matches_torch_live(config, dtype):
    torch = pytest.importorskip("torch")
    assert_muon_matches(gen.run_muon(course_lib, config, dtype), gen.run_muon(torch, config, dtype), dtype)


def test_newton_schulz_matches_torch_bit_for_bit_on_small_matrices():
    torch = pytest.importorskip("torch")
    from torch.optim._muon import _zeropower_via_newtonschulz

    rng = np.random.default_rng(0)
    for shape in [(6, 3), (3, 6), (2, 6), (12, 8), (16, 16)]:
        for coefficients in [(3.4445, -4.775, 2.0315), (3.4, -4.7, 2.0)]:
            G = rng.standard_normal(shape).astype(np.float32)
            want = _zeropower_via_newtonschulz(torch.from_numpy(G), coefficients, 5, 1e-7).float().numpy()
            np.testing.assert_array_equal(newton_schulz(G, 5, coefficients), want)


def test_to_bfloat16_rounds_to_nearest_even():
    one_ulp = 2.0**-7  # bfloat16 keeps 7 bits of mantissa
    x = np.array([1.0 + one_ulp / 2, 1.0 + 1.5 * one_ulp, 1.0 + 0.6 * one_ulp, -3.0], dtype=np.float32)
    np.testing.assert_array_equal(to_bfloat16(x), [1.0, 1.0 + 2 * one_ulp, 1.0 + one_ulp, -3.0])


def test_newton_schulz_textbook_form_orthogonalises():
    """Without bfloat16, enough steps of the classic cubic (1.5, -0.5, 0) give U V^T."""
    rng = np.random.default_rng(1)
    G = rng.standard_normal((5, 3))
    X = newton_schulz(G, 60, (1.5, -0.5, 0.0), bfloat16=False)
    np.testing.assert_allclose(X.T @ X, np.eye(3), atol=1e-10)
    U, _, Vt = np.linalg.svd(G, full_matrices=False)
    np.testing.assert_allclose(X, U @ Vt, atol=1e-10)


def test_muon_update_is_pure_and_keeps_the_dtype():
    rng = np.random.default_rng(2)
    p, g = rng.standard_normal((4, 6)).astype(np.float32), rng.standard_normal((4, 6)).astype(np.float32)
    state = {"momentum_buffer": rng.standard_normal((4, 6)).astype(np.float32)}
    before = p.copy(), g.copy(), state["momentum_buffer"].copy()
    new_p, new_state = muon_update(p, g, state, lr=0.02)
    np.testing.assert_array_equal(p, before[0])
    np.testing.assert_array_equal(g, before[1])
    np.testing.assert_array_equal(state["momentum_buffer"], before[2])
    assert new_p.dtype == np.float32 and new_state["momentum_buffer"].dtype == np.float32
    assert not np.shares_memory(new_p, p) and not np.shares_memory(new_state["momentum_buffer"], state["momentum_buffer"])


# --------------------------------------------------------------------------- L-BFGS
# The final memory holds differences of nearly equal vectors (see the module docstring).
LBFGS_STATE_RTOL = 1e-6
LBFGS_ROWS = [(c, d) for d in gen.DTYPES for c in gen.LBFGS_CONFIGS]
LBFGS_IDS = [f"{c}-{d}".replace(" ", "_") for c, d in LBFGS_ROWS]


def assert_lbfgs_matches(got: dict, want: dict, config: str, dtype: str) -> None:
    if dtype == "float32" and lbfgs_float32_is_noise_driven(gen.LBFGS_CONFIGS[config]):
        close(got["loss"], want["loss"], 1e-4, 0.0, "loss after each step")
        close(got["params"], want["params"], 0.0, 2e-2, "parameters after each step")
        return
    rtol, atol = STRICT[dtype]
    for key in ("closure_calls", "n_iter", "func_evals"):
        assert got[key] == want[key], f"{key} per step"
    close(got["loss"], want["loss"], rtol, atol, "loss returned by each step")
    for step, (g, w) in enumerate(zip(got["params"], want["params"], strict=True), start=1):
        close(g, w, rtol, atol, f"parameters after step {step}")
    if dtype == "float32":  # the final memory is float32 noise (see the module docstring)
        assert {k: sorted(v) for k, v in got["state"].items()} == {k: sorted(v) for k, v in want["state"].items()}
        return
    assert_state_matches(got["state"], want["state"], LBFGS_STATE_RTOL, atol)


@pytest.mark.parametrize(("config", "dtype"), LBFGS_ROWS, ids=LBFGS_IDS)
def test_lbfgs_matches_torch_reference(config, dtype):
    assert_lbfgs_matches(gen.run_lbfgs(course_lib, config, dtype), DATA["lbfgs"][config][dtype], config, dtype)


@pytest.mark.parametrize(("config", "dtype"), LBFGS_ROWS, ids=LBFGS_IDS)
def test_lbfgs_matches_torch_live(config, dtype):
    torch = pytest.importorskip("torch")
    assert_lbfgs_matches(gen.run_lbfgs(course_lib, config, dtype), gen.run_lbfgs(torch, config, dtype), config, dtype)


def test_the_reference_exercises_both_phases_of_the_line_search(monkeypatch):
    """Bracketing (interpolation with bounds) and zoom (without) both run in the table."""
    from course_lib.optim import _line_search

    calls = {"bracket": 0, "zoom": 0}
    original = _line_search.cubic_interpolate

    def spy(*args, bounds=None):
        calls["bracket" if bounds is not None else "zoom"] += 1
        return original(*args, bounds=bounds)

    monkeypatch.setattr(_line_search, "cubic_interpolate", spy)
    for config, options in gen.LBFGS_CONFIGS.items():
        if options.get("line_search_fn"):
            gen.run_lbfgs(course_lib, config, "float64")
    assert calls["bracket"] > 0 and calls["zoom"] > 0


def logistic(dtype=np.float64, **options):
    """A fresh logistic regression, its LBFGS optimizer and a closure that counts its calls."""
    X_np, y_np, init = gen.logistic_problem()
    X, y = course_lib.tensor(X_np.astype(dtype)), course_lib.tensor(y_np.astype(dtype))
    params = [course_lib.tensor(p.astype(dtype), requires_grad=True) for p in init]
    optimizer = optim.LBFGS(params, **options)
    calls = [0]

    def closure():
        calls[0] += 1
        optimizer.zero_grad()
        loss = course_lib.nn.functional.binary_cross_entropy_with_logits(X @ params[0] + params[1], y)
        loss.backward()
        return loss

    return params, optimizer, closure, calls


def test_lbfgs_without_line_search_skips_the_evaluation_after_the_last_iteration():
    """max_iter iterations cost 1 + (max_iter - 1) closure calls: the last move is not re-evaluated."""
    _, optimizer, closure, calls = logistic(max_iter=3, max_eval=10)
    optimizer.step(closure)
    assert calls[0] == 3
    state = optimizer.state[optimizer.param_groups[0]["params"][0]]
    assert state["n_iter"] == 3 and state["func_evals"] == 3


def test_lbfgs_stops_at_max_eval_closure_calls():
    """The default max_eval is max_iter * 5 // 4: max_iter=3 allows 3 evaluations (2 iterations)."""
    _, optimizer, closure, calls = logistic(max_iter=3)
    optimizer.step(closure)
    assert optimizer.param_groups[0]["max_eval"] == 3
    assert calls[0] == 3 and optimizer.state[optimizer.param_groups[0]["params"][0]]["n_iter"] == 2


def test_lbfgs_step_returns_the_first_loss_of_the_step():
    params, optimizer, closure, _ = logistic(max_iter=5)
    first = float(closure())
    assert float(optimizer.step(closure)) == first


def test_lbfgs_keeps_torch_state_under_the_first_parameter():
    params, optimizer, closure, _ = logistic(max_iter=4)
    optimizer.step(closure)
    optimizer.step(closure)
    assert set(optimizer.state) == {params[0]}
    assert set(optimizer.state[params[0]]) == {
        "func_evals", "n_iter", "al", "d", "t", "old_dirs", "old_stps", "ro", "H_diag",
        "prev_flat_grad", "prev_loss",
    }


def lbfgs_resume_runs(tmp_path, options):
    """Six steps straight through, and three + save/load + three: both final parameters and states."""
    params, optimizer, closure, _ = logistic(**options)
    for _ in range(6):
        optimizer.step(closure)
    straight = [p.detach().numpy().copy() for p in params], optimizer.state_dict()

    params, optimizer, closure, _ = logistic(**options)
    for _ in range(3):
        optimizer.step(closure)
    course_lib.save({"params": [p.detach() for p in params], "optimizer": optimizer.state_dict()}, tmp_path / "ckpt")
    checkpoint = course_lib.load(tmp_path / "ckpt")
    params, optimizer, closure, _ = logistic(**options)
    for p, saved in zip(params, checkpoint["params"]):
        np.copyto(p._data, saved.numpy())
    optimizer.load_state_dict(checkpoint["optimizer"])
    for _ in range(3):
        optimizer.step(closure)
    return straight, ([p.detach().numpy().copy() for p in params], optimizer.state_dict())


@pytest.mark.parametrize("options", [{"max_iter": 2, "history_size": 3}, {"max_iter": 2, "line_search_fn": "strong_wolfe"}])
def test_lbfgs_resumes_bit_identically_after_save_and_load(tmp_path, options):
    (want_params, want_sd), (got_params, got_sd) = lbfgs_resume_runs(tmp_path, options)
    for g, w in zip(got_params, want_params):
        np.testing.assert_array_equal(g, w)
    want, got = want_sd["state"][0], got_sd["state"][0]
    assert sorted(got) == sorted(want)
    for key, value in want.items():
        if isinstance(value, list):
            assert [None if v is None else v.tolist() for v in got[key]] == [None if v is None else v.tolist() for v in value]
        elif isinstance(value, course_lib.Tensor):
            np.testing.assert_array_equal(got[key].numpy(), value.numpy())
        else:
            assert got[key] == value, key


def test_muon_resumes_bit_identically_after_save_and_load(tmp_path):
    X, Y, init = gen.mlp_problem()

    def run(params, optimizer, steps):
        for _ in range(steps):
            _, grads = gen.mlp_loss_and_grads([p.detach().numpy().copy() for p in params], X, Y)
            for p, g in zip(params, grads):
                p.grad = course_lib.tensor(g.astype(np.float32))
            optimizer.step()

    def fresh():
        params = [course_lib.tensor(p.astype(np.float32), requires_grad=True) for p in init]
        return params, optim.Muon(params, lr=0.02)

    params, optimizer = fresh()
    run(params, optimizer, 6)
    want = [p.detach().numpy().copy() for p in params]
    params, optimizer = fresh()
    run(params, optimizer, 3)
    course_lib.save({"params": [p.detach() for p in params], "optimizer": optimizer.state_dict()}, tmp_path / "m")
    checkpoint = course_lib.load(tmp_path / "m")
    params, optimizer = fresh()
    for p, saved in zip(params, checkpoint["params"]):
        np.copyto(p._data, saved.numpy())
    optimizer.load_state_dict(checkpoint["optimizer"])
    run(params, optimizer, 3)
    for g, w in zip(params, want):
        np.testing.assert_array_equal(g.detach().numpy(), w)


def test_lbfgs_direction_is_the_dense_bfgs_inverse_hessian_times_the_gradient():
    """Two loops == H_k g with H built by the BFGS formula from H_diag * I, pair by pair."""
    rng = np.random.default_rng(3)
    n, pairs = 6, 3
    A = rng.standard_normal((n, n))
    A = A @ A.T + n * np.eye(n)  # a positive definite curvature: y = A s
    old_stps = [rng.standard_normal(n) for _ in range(pairs)]
    old_dirs = [A @ s for s in old_stps]
    ro = [1.0 / (y @ s) for y, s in zip(old_dirs, old_stps)]
    H_diag = (old_dirs[-1] @ old_stps[-1]) / (old_dirs[-1] @ old_dirs[-1])
    g = rng.standard_normal(n)
    H = H_diag * np.eye(n)
    for y, s, r in zip(old_dirs, old_stps, ro):
        V = np.eye(n) - r * np.outer(y, s)
        H = V.T @ H @ V + r * np.outer(s, s)
    frozen = [a.copy() for a in (g, *old_dirs, *old_stps)]
    d, al = lbfgs_direction(g, old_dirs, old_stps, ro, H_diag)
    np.testing.assert_allclose(d, -H @ g, rtol=1e-10, atol=1e-12)
    assert len(al) == pairs
    for before, after in zip(frozen, (g, *old_dirs, *old_stps)):  # pure: inputs unchanged
        np.testing.assert_array_equal(before, after)


def test_lbfgs_memory_update_keeps_history_size_pairs_and_skips_bad_curvature():
    y, s = np.array([1.0, 0.0]), np.array([2.0, 0.0])
    dirs, stps, ro, H = lbfgs_memory_update([], [], [], 1, y, s, history_size=2)
    assert len(dirs) == 1 and ro == [0.5] and H == 2.0
    dirs, stps, ro, H = lbfgs_memory_update(dirs, stps, ro, H, y, s, 2)
    dirs3, stps3, ro3, H3 = lbfgs_memory_update(dirs, stps, ro, H, 2 * y, s, 2)
    assert len(dirs3) == 2 and dirs3[-1].tolist() == [2.0, 0.0] and len(dirs) == 2  # input list kept
    same = lbfgs_memory_update(dirs3, stps3, ro3, H3, -y, s, 2)  # y.s < 0: not a curvature pair
    assert [a.tolist() for a in same[0]] == [a.tolist() for a in dirs3] and same[3] == H3


def test_lbfgs_float32_stays_float32():
    params, optimizer, closure, _ = logistic(np.float32, max_iter=4, line_search_fn="strong_wolfe")
    optimizer.step(closure)
    optimizer.step(closure)
    state = optimizer.state[params[0]]
    assert all(p.dtype == course_lib.float32 for p in params)
    for key in ("d", "prev_flat_grad", "H_diag"):
        assert state[key]._data.dtype == np.float32, key
    assert all(r._data.dtype == np.float32 for r in state["ro"])
