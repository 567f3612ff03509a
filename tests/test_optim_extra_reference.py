"""Rprop, ASGD and Adafactor against torch 2.13: committed trajectories and live comparison.

The data (tests/reference/optim_extra.json) was made by tests/reference/gen_optim_extra.py,
which defines the configurations (torch's own option grids for the three optimizers, plus
two-group, frozen-parameter and averaging rows) on the problem of gen_optim.py, and a 3-D
Adafactor parameter with fixed gradients. Each runs 30 steps in float32 and float64; the
parameters after steps 1, 2, 3, 4, 5, 10, ..., 30 and the final state are compared. When
torch is installed the same runs are compared live.

Tolerances (``|got - want| <= atol + rtol * |want|``), as for the other optimizers: float32
rtol 1e-5, atol 1e-6; float64 rtol 1e-10, atol 1e-12. The ``step`` counter must match
exactly. Rprop needs no tolerance at all in practice (its steps are sign * step size, exact in
both libraries); ASGD and Adafactor differ from torch by fused multiply-adds and the order of
the sums inside a norm.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import course_lib
from trajectories import assert_run_matches  # the one comparison of two runs

REFERENCE = Path(__file__).parent / "reference"
_spec = importlib.util.spec_from_file_location("gen_optim_extra", REFERENCE / "gen_optim_extra.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
DATA = json.loads((REFERENCE / "optim_extra.json").read_text())

TOLERANCES = {"float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12)}
ROWS = [(config, dtype) for dtype in gen.DTYPES for config in gen.CONFIGS]
TENSOR_ROWS = [(case, dtype) for dtype in gen.DTYPES for case in gen.TENSOR_CASES]


def test_reference_data_covers_every_configuration():
    assert sorted(DATA["configs"]) == sorted(gen.CONFIGS)
    assert sorted(DATA["tensor_cases"]) == sorted(gen.TENSOR_CASES)
    assert DATA["torch_version"].startswith("2.13")
    assert DATA["checkpoints"] == gen.CHECKPOINTS
    names = {name for name, _, _ in gen.CONFIGS.values()}
    assert names == {"Rprop", "ASGD", "Adafactor"}


@pytest.mark.parametrize(("config", "dtype"), ROWS, ids=[f"{c}-{d}" for c, d in ROWS])
def test_optimizer_matches_torch_reference(config, dtype):
    got = gen.run_config(course_lib, config, dtype)
    assert_run_matches(got, DATA["configs"][config][dtype], gen.CHECKPOINTS, *TOLERANCES[dtype])


@pytest.mark.parametrize(("config", "dtype"), ROWS, ids=[f"{c}-{d}" for c, d in ROWS])
def test_optimizer_matches_torch_live(config, dtype):
    torch = pytest.importorskip("torch")
    got = gen.run_config(course_lib, config, dtype)
    assert_run_matches(got, gen.run_config(torch, config, dtype), gen.CHECKPOINTS, *TOLERANCES[dtype])


@pytest.mark.parametrize(("case", "dtype"), TENSOR_ROWS, ids=[f"{c}-{d}" for c, d in TENSOR_ROWS])
def test_adafactor_on_a_3d_parameter_matches_torch_reference(case, dtype):
    got = gen.run_tensor_case(course_lib, case, dtype)
    assert_run_matches(got, DATA["tensor_cases"][case][dtype], gen.CHECKPOINTS, *TOLERANCES[dtype])


@pytest.mark.parametrize(("case", "dtype"), TENSOR_ROWS, ids=[f"{c}-{d}" for c, d in TENSOR_ROWS])
def test_adafactor_on_a_3d_parameter_matches_torch_live(case, dtype):
    torch = pytest.importorskip("torch")
    got = gen.run_tensor_case(course_lib, case, dtype)
    assert_run_matches(got, gen.run_tensor_case(torch, case, dtype), gen.CHECKPOINTS, *TOLERANCES[dtype])


def test_rprop_is_bit_identical_to_torch():
    """Rprop's arithmetic is a product, a clamp and a subtraction: nothing to round differently."""
    for config in ("rprop_default", "rprop_two_groups_frozen"):
        for dtype in gen.DTYPES:
            got = gen.run_config(course_lib, config, dtype)
            assert got["params"] == DATA["configs"][config][dtype]["params"], (config, dtype)


def test_adafactor_keeps_torchs_state_shapes():
    """A (4, 3) matrix keeps row_var (4, 1) and col_var (1, 3); a vector its full variance."""
    w = course_lib.tensor(np.ones((4, 3)), requires_grad=True)
    b = course_lib.tensor(np.ones(4), requires_grad=True)
    optimizer = course_lib.optim.Adafactor([w, b])
    w.grad, b.grad = course_lib.ones(4, 3, dtype=course_lib.float64), course_lib.ones(4, dtype=course_lib.float64)
    optimizer.step()
    assert {k: v.shape for k, v in optimizer.state[w].items()} == {"step": (), "row_var": (4, 1), "col_var": (1, 3)}
    assert {k: v.shape for k, v in optimizer.state[b].items()} == {"step": (), "variance": (4,)}


def test_asgd_keeps_eta_and_mu_as_float32_scalars_for_float64_parameters():
    """torch creates eta and mu in its default dtype (float32) whatever the parameter's dtype."""
    w = course_lib.tensor(np.ones(3), requires_grad=True)
    optimizer = course_lib.optim.ASGD([w], lr=0.1, t0=0)
    for _ in range(3):
        w.grad = course_lib.tensor(np.array([0.5, -1.0, 2.0]))
        optimizer.step()
    state = optimizer.state[w]
    assert state["eta"].shape == () and state["eta"]._data.dtype == np.float32
    assert state["mu"].shape == () and state["mu"]._data.dtype == np.float32
    assert state["ax"]._data.dtype == np.float64
    assert state["eta"].item() == float(np.float32(0.1 / (1 + 1e-4 * 0.1 * 3) ** 0.75))
    assert state["mu"].item() == float(np.float32(1 / 3))
