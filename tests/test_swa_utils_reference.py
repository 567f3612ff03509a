"""course_lib.optim.swa_utils against torch 2.13: the committed reference numbers
(tests/reference/swa.json, made by tests/reference/gen_swa.py), and the same cases live
when torch is installed.

* SWALR: every group's ``lr`` at every step, rtol 1e-12 (Python floats, the same formula),
  and the final ``state_dict``.
* AveragedModel, trained: the averaged and the trained model's ``state_dict`` after every
  update (float32 rtol 1e-5, float64 1e-10: training itself goes through course_lib's
  autograd and SGD).
* AveragedModel, replayed: the model's weights are loaded from torch's recording before
  every update, so only the averaging is compared: float32 bit for bit, float64 to 1e-13
  (torch's lerp is a fused multiply-add, which numpy cannot do in float64: one ulp per
  update at most).
* update_bn: the state after one pass (running statistics, ``num_batches_tracked``), the
  restored momentum and training mode, and the output in eval mode.
"""
from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

import course_lib

REFERENCE = Path(__file__).parent / "reference"
_spec = importlib.util.spec_from_file_location("gen_swa", REFERENCE / "gen_swa.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
DATA = json.loads((REFERENCE / "swa.json").read_text())

SWALR_RTOL = 1e-12
TRAINED_RTOL = {"float32": 1e-5, "float64": 1e-10}
REPLAY_RTOL = {"float32": 0.0, "float64": 1e-13}
ATOL = {"float32": 1e-7, "float64": 1e-14}  # for values that are 0 up to rounding


def needs_batch_norm(needed: bool = True) -> None:
    """Skip, naming the reason, when the case needs nn.BatchNorm1d and it is not there yet."""
    if needed and not hasattr(course_lib.nn, "BatchNorm1d"):
        pytest.skip("course_lib.nn.BatchNorm1d is not available")


def worst_relative(got, want) -> float:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    scale = np.abs(want)
    mask = scale > 0
    return float(np.max(np.abs(got - want)[mask] / scale[mask], initial=0.0))


def assert_states_close(got: dict, want: dict, rtol: float, atol: float, what: str) -> float:
    """Same keys in the same order, values close; return the worst relative error."""
    assert list(got) == list(want), f"{what}: keys {list(got)}, torch has {list(want)}"
    worst = 0.0
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=rtol, atol=atol, err_msg=f"{what} {key}")
        worst = max(worst, worst_relative(got[key], want[key]))
    return worst


# ---------------------------------------------------------------- SWALR
def assert_lrs_close(got: list, want: list, what: str) -> None:
    assert len(got) == len(want), f"{what}: {len(got)} steps, torch has {len(want)}"
    for step, (row_got, row_want) in enumerate(zip(got, want)):
        for group, (g, w) in enumerate(zip(row_got, row_want, strict=True)):
            assert math.isclose(g, w, rel_tol=SWALR_RTOL), (
                f"{what} at step {step}, group {group}: {g!r}, torch gives {w!r}"
            )


def assert_swalr_state(got: dict, want: dict, what: str) -> None:
    assert sorted(got) == sorted(want), what
    for key in want:
        if key in ("_last_lr", "base_lrs"):
            np.testing.assert_allclose(got[key], want[key], rtol=SWALR_RTOL, err_msg=f"{what} {key}")
        else:
            assert got[key] == want[key], f"{what} {key}: {got[key]!r}, torch has {want[key]!r}"


@pytest.mark.parametrize("case", gen.SWALR_CASES, ids=[c["id"] for c in gen.SWALR_CASES])
def test_swalr_matches_torch_reference(case):
    want = DATA["swalr"][case["id"]]
    got = gen.run_swalr(course_lib, case)
    assert_lrs_close(got["lr"], want["lr"], case["id"])
    assert_swalr_state(got["state_dict"], want["state_dict"], case["id"])
    assert got["swa_lr"] == want["swa_lr"]


@pytest.mark.parametrize("case", gen.SWALR_CASES, ids=[c["id"] for c in gen.SWALR_CASES])
def test_swalr_matches_torch_live(case):
    torch = pytest.importorskip("torch")
    want = gen.run_swalr(torch, case)
    got = gen.run_swalr(course_lib, case)
    assert_lrs_close(got["lr"], want["lr"], case["id"])
    assert_swalr_state(got["state_dict"], want["state_dict"], case["id"])


# ---------------------------------------------------------------- AveragedModel
def compare_averaged(got: dict, want: dict, case: dict, rtol: float) -> None:
    dtype = case["dtype"]
    assert len(got["records"]) == len(want["records"])
    for i, (g, w) in enumerate(zip(got["records"], want["records"])):
        for part in ("averaged", "model"):
            assert_states_close(g[part], w[part], rtol, ATOL[dtype], f"{case['id']} update {i} {part}")
    np.testing.assert_allclose(got["output"], want["output"], rtol=max(rtol, 1e-6 if dtype == "float32" else 1e-12),
                               atol=ATOL[dtype], err_msg=f"{case['id']} output")


AVERAGED_IDS = [c["id"] for c in gen.AVERAGED_CASES]


@pytest.mark.parametrize("case", gen.AVERAGED_CASES, ids=AVERAGED_IDS)
def test_averaged_model_trained_matches_torch_reference(case):
    needs_batch_norm(case["bn"])
    want = DATA["averaged"][case["id"]]
    got = gen.run_averaged(course_lib, case)
    compare_averaged(got, want, case, TRAINED_RTOL[case["dtype"]])


@pytest.mark.parametrize("case", gen.AVERAGED_CASES, ids=AVERAGED_IDS)
def test_averaged_model_replayed_matches_torch_reference(case):
    """Only the averaging: the model's weights are torch's at every update."""
    needs_batch_norm(case["bn"])
    want = DATA["averaged"][case["id"]]
    got = gen.run_averaged(course_lib, case, replay=[r["model"] for r in want["records"]])
    dtype = case["dtype"]
    for i, (g, w) in enumerate(zip(got["records"], want["records"])):
        assert_states_close(g["averaged"], w["averaged"], REPLAY_RTOL[dtype], 0.0, f"{case['id']} update {i}")


@pytest.mark.parametrize("case", gen.AVERAGED_CASES, ids=AVERAGED_IDS)
def test_averaged_model_matches_torch_live(case):
    torch = pytest.importorskip("torch")
    needs_batch_norm(case["bn"])
    want = gen.run_averaged(torch, case)
    got = gen.run_averaged(course_lib, case)
    compare_averaged(got, want, case, TRAINED_RTOL[case["dtype"]])


# ---------------------------------------------------------------- update_bn
UPDATE_BN_IDS = [c["id"] for c in gen.UPDATE_BN_CASES]


def compare_update_bn(got: dict, want: dict, case: dict) -> None:
    dtype = case["dtype"]
    rtol = TRAINED_RTOL[dtype]
    assert_states_close(got["state"], want["state"], rtol, ATOL[dtype], case["id"])
    assert got["momentum"] == want["momentum"]
    assert got["training"] == want["training"]
    np.testing.assert_allclose(got["output"], want["output"], rtol=rtol, atol=ATOL[dtype])


@pytest.mark.parametrize("case", gen.UPDATE_BN_CASES, ids=UPDATE_BN_IDS)
def test_update_bn_matches_torch_reference(case):
    needs_batch_norm()
    compare_update_bn(gen.run_update_bn(course_lib, case), DATA["update_bn"][case["id"]], case)


@pytest.mark.parametrize("case", gen.UPDATE_BN_CASES, ids=UPDATE_BN_IDS)
def test_update_bn_matches_torch_live(case):
    torch = pytest.importorskip("torch")
    needs_batch_norm()
    compare_update_bn(gen.run_update_bn(course_lib, case), gen.run_update_bn(torch, case), case)


def test_reference_covers_every_averaging_rule():
    rules = {c["avg"].partition(":")[0] for c in gen.AVERAGED_CASES}
    assert rules == {"default", "swa_avg_fn", "swa_multi", "ema_avg_fn", "ema_multi"}
    strategies = {c["kwargs"].get("anneal_strategy", "cos") for c in gen.SWALR_CASES}
    assert strategies == {"cos", "linear"}

