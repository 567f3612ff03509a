"""Reference optimizer trajectories for ``course_lib.optim``, made with torch 2.13.

Run from the repository root (needs torch; writes ``tests/reference/optim.json``)::

    python tests/reference/gen_optim.py

The problem, the configuration table and :func:`run_config` live here and are imported by
``tests/test_optim_reference.py``, so the test replays exactly what made the data, with
``course_lib`` (and with torch too, when it is installed).

The problem: a 2-layer tanh network ``pred = tanh(X @ W1.T + b1) @ w2`` (20 parameters in 3
tensors) fitted to fixed data by mean squared error, a non-convex loss. Gradients come from
the explicit numpy formula in :func:`loss_and_grads`, in the parameters' dtype, and are
assigned to ``p.grad`` of torch's and course_lib's parameters alike: the optimizers are the
only thing compared (course_lib's autograd has its own tests).

A configuration: an optimizer name, constructor kwargs, optionally ``groups`` (param groups
as lists of parameter indices with their own options) and ``frozen`` (indices of parameters
whose ``.grad`` stays None: the optimizer must skip them). Each runs ``STEPS`` steps in
float32 and in float64; the parameters are recorded after the steps in ``CHECKPOINTS`` and
the optimizer's state at the end (``state_dict()["state"]``, tensors flattened to lists).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).with_name("optim.json")
STEPS = 30
CHECKPOINTS = [1, 2, 3, 4, 5, 10, 15, 20, 25, 30]
DTYPES = ["float32", "float64"]

# name -> (optimizer, kwargs, extra); extra may hold "groups" and "frozen".
CONFIGS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    # SGD: every flag that changes the maths, alone and combined
    "sgd_plain": ("SGD", {"lr": 0.1}, {}),
    "sgd_momentum": ("SGD", {"lr": 0.05, "momentum": 0.9}, {}),
    "sgd_dampening": ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}, {}),
    "sgd_nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, {}),
    "sgd_weight_decay": ("SGD", {"lr": 0.1, "weight_decay": 0.1}, {}),
    "sgd_maximize": ("SGD", {"lr": 0.01, "maximize": True}, {}),
    "sgd_momentum_weight_decay_maximize": (
        "SGD",
        {"lr": 0.002, "momentum": 0.5, "weight_decay": 0.05, "nesterov": True, "maximize": True},
        {},
    ),
    "sgd_frozen_param": ("SGD", {"lr": 0.05, "momentum": 0.9}, {"frozen": [1]}),
    # Adam
    "adam_default": ("Adam", {"lr": 0.01}, {}),
    "adam_amsgrad": ("Adam", {"lr": 0.01, "amsgrad": True}, {}),
    "adam_weight_decay": ("Adam", {"lr": 0.01, "weight_decay": 0.1}, {}),
    "adam_maximize": ("Adam", {"lr": 0.01, "maximize": True}, {}),
    "adam_decoupled_weight_decay": (
        "Adam",
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {},
    ),
    "adam_betas_eps": ("Adam", {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-6}, {}),
    "adam_amsgrad_weight_decay_maximize": (
        "Adam",
        {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05, "maximize": True},
        {},
    ),
    "adam_frozen_param": ("Adam", {"lr": 0.01}, {"frozen": [0]}),
    # AdamW
    "adamw_default": ("AdamW", {"lr": 0.01}, {}),
    "adamw_amsgrad": ("AdamW", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05}, {}),
    "adamw_maximize": ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}, {}),
    # RMSprop
    "rmsprop_default": ("RMSprop", {"lr": 0.01}, {}),
    "rmsprop_centered": ("RMSprop", {"lr": 0.01, "centered": True}, {}),
    "rmsprop_momentum": ("RMSprop", {"lr": 0.005, "momentum": 0.9}, {}),
    "rmsprop_centered_momentum": ("RMSprop", {"lr": 0.005, "momentum": 0.5, "centered": True}, {}),
    "rmsprop_weight_decay": ("RMSprop", {"lr": 0.01, "weight_decay": 0.1, "alpha": 0.9}, {}),
    "rmsprop_maximize": ("RMSprop", {"lr": 0.002, "maximize": True, "eps": 1e-6}, {}),
    # Adagrad
    "adagrad_default": ("Adagrad", {"lr": 0.1}, {}),
    "adagrad_lr_decay": ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}, {}),
    "adagrad_initial_accumulator_value": ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5}, {}),
    "adagrad_weight_decay": ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}, {}),
    "adagrad_maximize": ("Adagrad", {"lr": 0.05, "maximize": True, "eps": 1e-6}, {}),
    # Adadelta
    "adadelta_default": ("Adadelta", {}, {}),
    "adadelta_rho_eps_lr": ("Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-4}, {}),
    "adadelta_weight_decay": ("Adadelta", {"weight_decay": 0.1}, {}),
    "adadelta_maximize": ("Adadelta", {"maximize": True}, {}),
    # Adamax
    "adamax_default": ("Adamax", {"lr": 0.01}, {}),
    "adamax_weight_decay": ("Adamax", {"lr": 0.01, "weight_decay": 0.1, "betas": [0.8, 0.99]}, {}),
    "adamax_maximize": ("Adamax", {"lr": 0.01, "maximize": True}, {}),
    # NAdam
    "nadam_default": ("NAdam", {"lr": 0.01}, {}),
    "nadam_weight_decay": ("NAdam", {"lr": 0.01, "weight_decay": 0.1}, {}),
    "nadam_decoupled_weight_decay": (
        "NAdam",
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {},
    ),
    "nadam_momentum_decay": ("NAdam", {"lr": 0.01, "momentum_decay": 0.1}, {}),
    "nadam_maximize": ("NAdam", {"lr": 0.01, "maximize": True}, {}),
    # RAdam (rho_t > 5 from step 6 with beta2 = 0.999: both branches are exercised)
    "radam_default": ("RAdam", {"lr": 0.01}, {}),
    "radam_weight_decay": ("RAdam", {"lr": 0.01, "weight_decay": 0.1}, {}),
    "radam_decoupled_weight_decay": (
        "RAdam",
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {},
    ),
    "radam_maximize": ("RAdam", {"lr": 0.01, "maximize": True, "betas": [0.9, 0.99]}, {}),
    # two param groups with different options
    "sgd_two_groups": (
        "SGD",
        {"lr": 0.05},
        {"groups": [{"params": [0], "momentum": 0.9, "nesterov": True}, {"params": [1, 2], "lr": 0.1, "weight_decay": 0.01}]},
    ),
    "adam_two_groups": (
        "Adam",
        {"lr": 0.01},
        {"groups": [{"params": [0, 2], "amsgrad": True}, {"params": [1], "lr": 0.03, "betas": [0.8, 0.9], "weight_decay": 0.1}]},
    ),
    "rmsprop_two_groups": (
        "RMSprop",
        {"lr": 0.01},
        {"groups": [{"params": [1, 2], "centered": True, "momentum": 0.5}, {"params": [0], "alpha": 0.9}]},
    ),
}


# --------------------------------------------------------------------------- the problem
def make_problem() -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Fixed data ``X`` (8, 3), targets ``y`` (8,) and initial ``[W1 (4, 3), b1 (4,), w2 (4,)]``."""
    rng = np.random.default_rng(20240613)
    X = rng.standard_normal((8, 3))
    y = np.sin(X @ np.array([1.0, -2.0, 0.5])) + 0.1 * rng.standard_normal(8)
    params = [rng.standard_normal((4, 3)) * 0.7, rng.standard_normal(4) * 0.3, rng.standard_normal(4) * 0.7]
    return X, y, params


def loss_and_grads(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """Mean squared error of ``tanh(X @ W1.T + b1) @ w2`` and its gradients, in the params' dtype.

    Backward by hand: ``r = pred - y``, ``dpred = 2 r / N``, ``dw2 = h.T @ dpred``,
    ``dz = outer(dpred, w2) * (1 - h**2)``, ``dW1 = dz.T @ X``, ``db1 = dz.sum(0)``.
    """
    W1, b1, w2 = params
    X = X.astype(W1.dtype)
    y = y.astype(W1.dtype)
    h = np.tanh(X @ W1.T + b1)
    r = h @ w2 - y
    dpred = 2 * r / len(y)
    dz = np.outer(dpred, w2) * (1 - h * h)
    return float(np.mean(r * r)), [dz.T @ X, dz.sum(axis=0), h.T @ dpred]


def build_optimizer(lib: Any, name: str, params: list, kwargs: dict, extra: dict):
    """``lib.optim.<name>`` over ``params`` (lib is torch or course_lib); JSON lists become tuples."""
    def fix(options: dict) -> dict:
        return {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}

    cls = getattr(lib.optim, name)
    if "groups" in extra:
        groups = [{**fix(g), "params": [params[i] for i in g["params"]]} for g in extra["groups"]]
        return cls(groups, **fix(kwargs))
    return cls(params, **fix(kwargs))


def run_config(lib: Any, config: str, dtype: str, configs: dict | None = None) -> dict[str, Any]:
    """Run one configuration of ``configs`` (this file's ``CONFIGS`` by default) with ``lib``
    (torch or course_lib); return what the JSON stores.

    Returns:
        ``{"params": [[flattened params] per checkpoint], "state": {index: {key: list or
        number}}}``.
    """
    name, kwargs, extra = (configs or CONFIGS)[config]
    X, y, init = make_problem()
    np_dtype = np.dtype(dtype)
    params = [lib.tensor(p.astype(np_dtype), requires_grad=True) for p in init]
    optimizer = build_optimizer(lib, name, params, kwargs, extra)
    frozen = set(extra.get("frozen", []))
    record = []
    for step in range(1, STEPS + 1):
        arrays = [p.detach().numpy().copy() for p in params]
        _, grads = loss_and_grads(arrays, X, y)
        for i, (p, g) in enumerate(zip(params, grads)):
            p.grad = None if i in frozen else lib.from_numpy(np.ascontiguousarray(g, dtype=np_dtype))
        optimizer.step()
        if step in CHECKPOINTS:
            record.append(flat_params(params))
    return {"params": record, "state": flat_state(optimizer.state_dict()["state"])}


def flat_params(params: list) -> list[float]:
    """All parameters' values, flattened and concatenated, as Python floats."""
    return [float(v) for p in params for v in p.detach().numpy().reshape(-1)]


def flat_state(state: dict) -> dict[str, dict[str, Any]]:
    """``state_dict()["state"]`` with tensors as flat lists of floats (JSON keys are strings)."""
    out = {}
    for index, buffers in state.items():
        out[str(index)] = {
            key: [float(v) for v in np.asarray(value.detach().numpy() if hasattr(value, "detach") else value).reshape(-1)]
            for key, value in buffers.items()
        }
    return out


def main() -> None:
    import torch

    torch.set_num_threads(1)
    data = {
        "torch_version": torch.__version__,
        "steps": STEPS,
        "checkpoints": CHECKPOINTS,
        "configs": {
            config: {dtype: run_config(torch, config, dtype) for dtype in DTYPES} for config in CONFIGS
        },
    }
    OUT.write_text(json.dumps(data, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {len(CONFIGS)} configurations x {len(DTYPES)} dtypes to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
