"""Reference values for ``F.batch_norm``, ``F.layer_norm``, ``nn.BatchNorm1d`` and ``nn.LayerNorm``,
made with torch 2.13.

Run from the repository root (needs torch; writes ``tests/reference/norm_reference.json``)::

    python tests/reference/gen_norm.py

The tables live here and ``tests/test_norm_reference.py`` imports them, so the test replays
exactly what made the data, with course_lib (and live with torch when it is installed).
Every row runs in float64 and in float32.

- ``FUNCTIONAL``: ``name -> (fn(lib, *tensors), specs)``; a spec is ``(shape, kind)`` with
  kind ``"x"`` (normal values, requires grad), ``"pos"`` (in [0.5, 2], requires grad),
  ``"const"`` / ``"pos_const"`` (the same without grad: running statistics). Recorded: the
  output, torch's ``grad_fn`` name, a fixed ``grad_output``, every input's gradient and every
  input's value after the call (``training=True`` updates the running statistics in place).
- ``MODULES``: ``name -> (class name, constructor kwargs, input shape)``. A trajectory of
  ``TRAIN_STEPS`` training batches then one evaluation batch, each a forward and a backward
  with a fixed ``grad_output``, starting from drawn ``weight``/``bias`` (when the layer has
  them). Recorded after each step: the output, the input's gradient, the parameters'
  gradients and the whole ``state_dict`` (keys in order, dtypes and values).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).with_name("norm_reference.json")
SEED = 20261130
DTYPES = ("float64", "float32")
TRAIN_STEPS = 3


def F(lib):
    """``lib.nn.functional``."""
    return lib.nn.functional


FUNCTIONAL = {
    "batch_norm_train_2d": (
        lambda lib, x, w, b: F(lib).batch_norm(x, None, None, w, b, training=True),
        [((5, 3), "x"), ((3,), "x"), ((3,), "x")],
    ),
    "batch_norm_train_3d_no_affine": (
        lambda lib, x: F(lib).batch_norm(x, None, None, training=True, eps=1e-3),
        [((4, 2, 3), "x")],
    ),
    "batch_norm_train_updates_running_stats": (
        lambda lib, x, rm, rv, w, b: F(lib).batch_norm(x, rm, rv, w, b, training=True, momentum=0.3),
        [((6, 4), "x"), ((4,), "const"), ((4,), "pos_const"), ((4,), "x"), ((4,), "x")],
    ),
    "batch_norm_train_3d_running_stats": (
        lambda lib, x, rm, rv: F(lib).batch_norm(x, rm, rv, training=True, momentum=1.0),
        [((2, 3, 4), "x"), ((3,), "const"), ((3,), "pos_const")],
    ),
    "batch_norm_train_two_values_per_channel": (
        lambda lib, x, w: F(lib).batch_norm(x, None, None, w, training=True),
        [((2, 3), "x"), ((3,), "x")],
    ),
    "batch_norm_eval_2d": (
        lambda lib, x, rm, rv, w, b: F(lib).batch_norm(x, rm, rv, w, b),
        [((4, 3), "x"), ((3,), "const"), ((3,), "pos_const"), ((3,), "x"), ((3,), "x")],
    ),
    "batch_norm_eval_3d_weight_only": (
        lambda lib, x, rm, rv, w: F(lib).batch_norm(x, rm, rv, w, None, False, 0.1, 1e-2),
        [((3, 2, 4), "x"), ((2,), "const"), ((2,), "pos_const"), ((2,), "x")],
    ),
    "batch_norm_eval_one_sample": (
        lambda lib, x, rm, rv: F(lib).batch_norm(x, rm, rv),
        [((1, 5), "x"), ((5,), "const"), ((5,), "pos_const")],
    ),
    "layer_norm_last": (
        lambda lib, x, w, b: F(lib).layer_norm(x, (4,), w, b),
        [((3, 4), "x"), ((4,), "x"), ((4,), "x")],
    ),
    "layer_norm_last_two": (
        lambda lib, x, w, b: F(lib).layer_norm(x, [3, 4], w, b, eps=1e-3),
        [((2, 3, 4), "x"), ((3, 4), "x"), ((3, 4), "x")],
    ),
    "layer_norm_all_dims_no_affine": (
        lambda lib, x: F(lib).layer_norm(x, (2, 5)),
        [((2, 5), "x")],
    ),
    "layer_norm_1d_input_weight_only": (
        lambda lib, x, w: F(lib).layer_norm(x, (6,), w),
        [((6,), "x"), ((6,), "x")],
    ),
    "layer_norm_bias_only": (
        lambda lib, x, b: F(lib).layer_norm(x, (3,), None, b),
        [((2, 2, 3), "x"), ((3,), "x")],
    ),
}

MODULES = {
    "batchnorm1d_default_2d": ("BatchNorm1d", {"num_features": 3}, (6, 3)),
    "batchnorm1d_default_3d": ("BatchNorm1d", {"num_features": 2}, (3, 2, 4)),
    "batchnorm1d_momentum_half": ("BatchNorm1d", {"num_features": 4, "momentum": 0.5}, (5, 4)),
    "batchnorm1d_cumulative_average": ("BatchNorm1d", {"num_features": 3, "momentum": None}, (4, 3)),
    "batchnorm1d_cumulative_average_3d": ("BatchNorm1d", {"num_features": 2, "momentum": None}, (2, 2, 3)),
    "batchnorm1d_no_affine": ("BatchNorm1d", {"num_features": 3, "affine": False, "eps": 1e-3}, (4, 3)),
    "batchnorm1d_no_bias": ("BatchNorm1d", {"num_features": 3, "bias": False}, (4, 3)),
    "batchnorm1d_no_running_stats": ("BatchNorm1d", {"num_features": 3, "track_running_stats": False}, (5, 3)),
    "batchnorm1d_bare": ("BatchNorm1d", {"num_features": 2, "affine": False, "track_running_stats": False}, (3, 2, 2)),
    "layernorm_int_shape": ("LayerNorm", {"normalized_shape": 5}, (3, 5)),
    "layernorm_two_dims": ("LayerNorm", {"normalized_shape": [3, 2], "eps": 1e-4}, (2, 4, 3, 2)),
    "layernorm_no_bias": ("LayerNorm", {"normalized_shape": (4,), "bias": False}, (2, 4)),
    "layernorm_no_affine": ("LayerNorm", {"normalized_shape": (4,), "elementwise_affine": False}, (3, 4)),
}


def _lib_dtype(lib, name: str):
    return {"float64": lib.float64, "float32": lib.float32}[name]


def make_functional_inputs(specs, rng: np.random.Generator) -> list[dict]:
    """Draw the inputs of one functional case: ``{"data", "requires_grad"}`` each."""
    out = []
    for shape, kind in specs:
        data = rng.uniform(0.5, 2.0, shape) if kind in ("pos", "pos_const") else rng.standard_normal(shape)
        out.append({"data": data.tolist(), "requires_grad": kind in ("x", "pos")})
    return out


def run_functional(lib, fn, inputs: list[dict], dtype: str, grad_output=None) -> dict:
    """One functional case with ``lib``: output, grad_fn name, grads and the inputs afterwards."""
    tensors = [lib.tensor(spec["data"], dtype=_lib_dtype(lib, dtype), requires_grad=spec["requires_grad"])
               for spec in inputs]
    out = fn(lib, *tensors)
    grad_fn = out.grad_fn.name() if callable(getattr(out.grad_fn, "name", None)) else out.grad_fn.name
    grads = None
    if grad_output is not None:
        out.backward(lib.tensor(grad_output, dtype=out.dtype))
        grads = [t.grad.tolist() if t.grad is not None else None for t in tensors]
    return {
        "output": out.detach().tolist(),
        "output_dtype": str(out.dtype).split(".")[-1],
        "grad_fn": grad_fn,
        "grads": grads,
        "after": [t.detach().tolist() for t in tensors],
    }


def make_module_data(cls: str, kwargs: dict, shape, rng: np.random.Generator) -> dict:
    """The drawn numbers of one module case: start weight/bias, batches and grad_outputs."""
    param_shape = (kwargs["num_features"],) if cls == "BatchNorm1d" else tuple(np.atleast_1d(kwargs["normalized_shape"]))
    batches = [rng.standard_normal(shape) * rng.uniform(0.5, 3.0) + rng.uniform(-1.0, 1.0)
               for _ in range(TRAIN_STEPS + 1)]
    return {
        "weight": rng.uniform(0.5, 1.5, param_shape).tolist(),
        "bias": rng.standard_normal(param_shape).tolist(),
        "batches": [b.tolist() for b in batches],
        "grad_outputs": [rng.standard_normal(shape).tolist() for _ in batches],
    }


def run_module(lib, cls: str, kwargs: dict, data: dict, dtype: str) -> dict:
    """The trajectory of one module case with ``lib``: one record per step (train..., eval)."""
    torch_dtype = _lib_dtype(lib, dtype)
    module = getattr(lib.nn, cls)(**kwargs, dtype=torch_dtype)
    with lib.no_grad():
        if module.weight is not None:
            module.weight.copy_(lib.tensor(data["weight"], dtype=torch_dtype))
        if module.bias is not None:
            module.bias.copy_(lib.tensor(data["bias"], dtype=torch_dtype))
    steps = []
    for i, (batch, grad_output) in enumerate(zip(data["batches"], data["grad_outputs"])):
        module.train(i < TRAIN_STEPS)
        module.zero_grad()
        x = lib.tensor(batch, dtype=torch_dtype, requires_grad=True)
        out = module(x)
        out.backward(lib.tensor(grad_output, dtype=torch_dtype))
        state = module.state_dict()
        steps.append({
            "training": module.training,
            "output": out.detach().tolist(),
            "input_grad": x.grad.tolist(),
            "param_grads": {name: p.grad.tolist() for name, p in module.named_parameters()},
            "state_keys": list(state),
            "state_dtypes": [str(v.dtype).split(".")[-1] for v in state.values()],
            "state": {k: v.tolist() for k, v in state.items()},
        })
    return {"repr": repr(module), "steps": steps}


def main() -> None:
    import torch

    rng = np.random.default_rng(SEED)
    data: dict = {"torch_version": torch.__version__, "functional": {}, "modules": {}}
    for name, (fn, specs) in FUNCTIONAL.items():
        inputs = make_functional_inputs(specs, rng)
        shape = run_functional(torch, fn, inputs, "float64")["output"]
        grad_output = rng.standard_normal(np.shape(shape)).tolist()
        data["functional"][name] = {
            "inputs": inputs,
            "grad_output": grad_output,
            "results": {dt: run_functional(torch, fn, inputs, dt, grad_output) for dt in DTYPES},
        }
    for name, (cls, kwargs, shape) in MODULES.items():
        drawn = make_module_data(cls, kwargs, shape, rng)
        data["modules"][name] = {
            "data": drawn,
            "results": {dt: run_module(torch, cls, kwargs, drawn, dt) for dt in DTYPES},
        }
    OUT.write_text(json.dumps(data, indent=None, separators=(",", ":"), allow_nan=False) + "\n")
    print(f"wrote {OUT} ({len(FUNCTIONAL)} functional, {len(MODULES)} module cases)", file=sys.stderr)


if __name__ == "__main__":
    main()
