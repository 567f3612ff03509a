"""Norm layers against torch's numbers (tests/reference/norm_reference.json, from gen_norm.py).

Each row of ``gen_norm.FUNCTIONAL`` and ``gen_norm.MODULES`` is replayed with course_lib in
float64 (rtol 1e-6, as the core ops) and float32 (rtol 1e-5) and compared with what torch
2.13 produced: outputs, grad_fn names, every gradient, the running statistics after each
step, and the ``state_dict`` keys, order and dtypes. With torch installed the same rows also
run live.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import course_lib

REFERENCE = Path(__file__).with_name("reference")
_spec = importlib.util.spec_from_file_location("gen_norm", REFERENCE / "gen_norm.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
DATA = json.loads((REFERENCE / "norm_reference.json").read_text())

TOLERANCES = {"float64": (1e-6, 1e-12), "float32": (1e-5, 1e-6)}  # (rtol, atol)


def _close(actual, expected, dtype: str, what: str) -> None:
    rtol, atol = TOLERANCES[dtype]
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                               rtol=rtol, atol=atol, err_msg=what)


def compare_functional(ours: dict, theirs: dict, dtype: str) -> None:
    """Output, dtype, grad_fn, gradients and the inputs after the call (running statistics)."""
    assert ours["output_dtype"] == theirs["output_dtype"] == dtype
    assert np.shape(ours["output"]) == np.shape(theirs["output"])
    _close(ours["output"], theirs["output"], dtype, "output")
    assert ours["grad_fn"] == theirs["grad_fn"]
    for i, (got, want) in enumerate(zip(ours["grads"], theirs["grads"])):
        assert (got is None) == (want is None), f"input {i}: gradient presence differs"
        if want is not None:
            _close(got, want, dtype, f"gradient of input {i}")
    for i, (got, want) in enumerate(zip(ours["after"], theirs["after"])):
        _close(got, want, dtype, f"input {i} after the call")


def compare_module(ours: dict, theirs: dict, dtype: str) -> None:
    """Every step of a trajectory: output, gradients, state_dict keys, dtypes and values."""
    assert ours["repr"] == theirs["repr"]
    assert len(ours["steps"]) == len(theirs["steps"])
    for i, (got, want) in enumerate(zip(ours["steps"], theirs["steps"])):
        where = f"step {i} ({'train' if want['training'] else 'eval'})"
        _close(got["output"], want["output"], dtype, f"{where}: output")
        _close(got["input_grad"], want["input_grad"], dtype, f"{where}: input gradient")
        assert list(got["param_grads"]) == list(want["param_grads"])
        for name in want["param_grads"]:
            _close(got["param_grads"][name], want["param_grads"][name], dtype, f"{where}: {name}.grad")
        assert got["state_keys"] == want["state_keys"], where
        assert got["state_dtypes"] == want["state_dtypes"], where
        for key in want["state"]:
            _close(got["state"][key], want["state"][key], dtype, f"{where}: state_dict[{key!r}]")


def test_reference_covers_every_row():
    assert set(DATA["functional"]) == set(gen.FUNCTIONAL)
    assert set(DATA["modules"]) == set(gen.MODULES)


def test_reference_state_dict_keys_are_torchs_names():
    keys = DATA["modules"]["batchnorm1d_default_2d"]["results"]["float64"]["steps"][0]["state_keys"]
    assert keys == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


FUNCTIONAL_ROWS = [(name, dt) for name in sorted(gen.FUNCTIONAL) for dt in gen.DTYPES]
MODULE_ROWS = [(name, dt) for name in sorted(gen.MODULES) for dt in gen.DTYPES]


@pytest.mark.parametrize(("name", "dtype"), FUNCTIONAL_ROWS, ids=[f"{n}-{d}" for n, d in FUNCTIONAL_ROWS])
def test_functional_norm_matches_torch_reference(name, dtype):
    case = DATA["functional"][name]
    fn, _ = gen.FUNCTIONAL[name]
    ours = gen.run_functional(course_lib, fn, case["inputs"], dtype, case["grad_output"])
    compare_functional(ours, case["results"][dtype], dtype)


@pytest.mark.parametrize(("name", "dtype"), MODULE_ROWS, ids=[f"{n}-{d}" for n, d in MODULE_ROWS])
def test_norm_module_trajectory_matches_torch_reference(name, dtype):
    cls, kwargs, _ = gen.MODULES[name]
    case = DATA["modules"][name]
    ours = gen.run_module(course_lib, cls, kwargs, case["data"], dtype)
    compare_module(ours, case["results"][dtype], dtype)


# ---------------------------------------------------------------- live, when torch is there
@pytest.mark.parametrize(("name", "dtype"), FUNCTIONAL_ROWS, ids=[f"{n}-{d}" for n, d in FUNCTIONAL_ROWS])
def test_functional_norm_matches_torch_live(name, dtype):
    torch = pytest.importorskip("torch")
    case = DATA["functional"][name]
    fn, _ = gen.FUNCTIONAL[name]
    ours = gen.run_functional(course_lib, fn, case["inputs"], dtype, case["grad_output"])
    compare_functional(ours, gen.run_functional(torch, fn, case["inputs"], dtype, case["grad_output"]), dtype)


@pytest.mark.parametrize(("name", "dtype"), MODULE_ROWS, ids=[f"{n}-{d}" for n, d in MODULE_ROWS])
def test_norm_module_trajectory_matches_torch_live(name, dtype):
    torch = pytest.importorskip("torch")
    cls, kwargs, _ = gen.MODULES[name]
    data = gen.make_module_data(cls, kwargs, gen.MODULES[name][2], np.random.default_rng(len(name)))
    ours = gen.run_module(course_lib, cls, kwargs, data, dtype)
    compare_module(ours, gen.run_module(torch, cls, kwargs, data, dtype), dtype)
