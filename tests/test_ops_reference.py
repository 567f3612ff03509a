"""course_lib's ops, autograd and nn against torch's numbers (tests/reference/core_reference.json).

Each case of ``gen_core.CASES`` is replayed with course_lib in float64 and compared with the
values torch 2.13 produced (output, grad_fn name and every input's gradient, rtol 1e-6);
with torch installed the same cases also run live.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import course_lib

REFERENCE = Path(__file__).with_name("reference")
_spec = importlib.util.spec_from_file_location("gen_core", REFERENCE / "gen_core.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
DATA = json.loads((REFERENCE / "core_reference.json").read_text())

RTOL, ATOL = 1e-6, 1e-12  # float64 rows


def _close(actual, expected, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64), rtol=rtol, atol=atol)


def test_reference_covers_every_case():
    assert set(DATA["cases"]) == set(gen.CASES)


@pytest.mark.parametrize("name", sorted(gen.CASES))
def test_op_matches_torch_reference(name):
    case = DATA["cases"][name]
    fn, _ = gen.CASES[name]
    out, grad_fn, grads, _ = gen.run_case(course_lib, fn, case["inputs"], case["grad_output"])
    assert out.dtype.name == case["output_dtype"]
    assert list(out.shape) == list(np.shape(case["output"]))
    _close(out.detach().tolist(), case["output"])
    assert grad_fn == case["grad_fn"]
    if case["grads"] is None:
        assert grads is None
        return
    for i, (got, want) in enumerate(zip(grads, case["grads"])):
        if want is None:
            assert got is None, f"input {i} should get no gradient"
        else:
            _close(got, want)


@pytest.mark.parametrize("name", [c[0] for c in gen.CLIP_CASES])
def test_clip_grad_norm_matches_torch_reference(name):
    _, grads, max_norm, norm_type = next(c for c in gen.CLIP_CASES if c[0] == name)
    total, clipped = gen.run_clip_grad_norm(course_lib, grads, max_norm, norm_type)
    want = DATA["clip_grad_norm"][name]
    _close(total, want["total_norm"])
    for got, expected in zip(clipped, want["grads"]):
        _close(got, expected)


def test_seed_example_linear_cross_entropy_with_probability_target():
    """The course's first example: Linear(5, 2), x (5,), CrossEntropyLoss, target [1., 2.]."""
    ref = DATA["seed_example"]
    weight = np.array(ref["weight"], dtype=np.float32)
    bias = np.array(ref["bias"], dtype=np.float32)
    x = np.array(ref["x"], dtype=np.float32)
    loss, model = gen.run_seed_example(course_lib, weight, bias, x)
    assert loss.dtype == course_lib.float32 and loss.shape == ()
    _close(loss.item(), ref["loss"], rtol=1e-5, atol=1e-7)
    _close(model.weight.grad.tolist(), ref["weight_grad"], rtol=1e-5, atol=1e-7)
    _close(model.bias.grad.tolist(), ref["bias_grad"], rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- live, when torch is there
@pytest.mark.parametrize("name", sorted(gen.CASES))
def test_op_matches_torch_live(name):
    torch = pytest.importorskip("torch")
    case = DATA["cases"][name]
    fn, _ = gen.CASES[name]
    ours = gen.run_case(course_lib, fn, case["inputs"], case["grad_output"])
    theirs = gen.run_case(torch, fn, case["inputs"], case["grad_output"])
    _close(ours[0].detach().tolist(), theirs[0].detach().tolist())
    assert ours[1] == theirs[1]
    for got, want in zip(ours[2] or [], theirs[2] or []):
        if want is not None:
            _close(got, want)


def test_seed_example_matches_torch_live_with_fresh_weights():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    weight = rng.uniform(-1, 1, (2, 5)).astype(np.float32)
    bias = rng.uniform(-1, 1, 2).astype(np.float32)
    x = rng.standard_normal(5).astype(np.float32)
    loss, model = gen.run_seed_example(course_lib, weight, bias, x)
    t_loss, t_model = gen.run_seed_example(torch, weight, bias, x)
    _close(loss.item(), t_loss.item(), rtol=1e-5, atol=1e-7)
    _close(model.weight.grad.tolist(), t_model.weight.grad.tolist(), rtol=1e-5, atol=1e-7)
    _close(model.bias.grad.tolist(), t_model.bias.grad.tolist(), rtol=1e-5, atol=1e-7)
