"""Reference trajectories of Muon and L-BFGS for ``course_lib.optim``, made with torch 2.13.

Run from the repository root (needs torch; writes ``tests/reference/lbfgs_muon.json``)::

    python tests/reference/gen_lbfgs_muon.py

The problems, the configuration tables and the ``run_*`` functions live here and are imported
by ``tests/test_optim_lbfgs_muon.py``, which replays them with ``course_lib`` (and with torch
too, when it is installed).

**Muon** needs 2-D parameters: a bias-free 2-layer tanh network ``pred = tanh(X @ W1.T) @
W2.T`` with ``W1`` (6, 3) (taller than wide: Newton-Schulz runs on its transpose) and ``W2``
(2, 6), fitted to fixed data by mean squared error. Gradients come from the explicit numpy
formula of :func:`mlp_loss_and_grads`, in the parameters' dtype, and are assigned to
``p.grad``. The configurations are the rows of torch's own option grid
(``optim_inputs_func_muon`` in ``torch/testing/_internal/common_optimizers.py``, copied as
literal rows, without its "Tensor lr" row: course_lib's learning rates are Python floats),
plus the options that grid leaves out (``nesterov=False``, both ``adjust_lr_fn``) and two
param groups. 30 steps, float32 and float64; parameters after every step and the final state.

**L-BFGS** runs on a real closure: a logistic regression (weights ``w`` (4,) and bias ``b``
(1,), 40 fixed points that are not linearly separable) whose loss and gradients come from the
library's own autograd (``F.binary_cross_entropy_with_logits`` and ``backward()`` of torch or
of course_lib). The configurations are the rows of ``optim_inputs_func_lbfgs`` (without
"Tensor lr"), plus a short history, few iterations, and strong Wolfe with each. 30 calls of
``step(closure)``; after each, the returned loss, the parameters, the number of closure calls
made during that step, and the state's ``n_iter`` and ``func_evals``; the final state.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).with_name("lbfgs_muon.json")
STEPS = 30
DTYPES = ["float32", "float64"]

# name -> (kwargs, groups or None); groups index the parameters [W1, W2].
MUON_CONFIGS: dict[str, tuple[dict[str, Any], list[dict[str, Any]] | None]] = {
    # torch's optim_inputs_func_muon
    "default": ({}, None),
    "non-default lr": ({"lr": 0.01}, None),
    "non-default weight_decay": ({"weight_decay": 0.2}, None),
    "non-default momentum": ({"momentum": 0.8}, None),
    "passing alternative ns_steps": ({"ns_steps": 6}, None),
    "passing alternative ns_coefficients": ({"ns_coefficients": [3.4, -4.7, 2.0]}, None),
    # the options torch's grid leaves out
    "no nesterov": ({"lr": 0.01, "nesterov": False}, None),
    "adjust_lr_fn original": ({"lr": 0.01, "adjust_lr_fn": "original"}, None),
    "adjust_lr_fn match_rms_adamw": ({"lr": 0.01, "adjust_lr_fn": "match_rms_adamw"}, None),
    "momentum 0.3 no weight decay": ({"lr": 0.02, "momentum": 0.3, "weight_decay": 0.0}, None),
    "two groups": (
        {"lr": 0.01},
        [
            {"params": [0], "momentum": 0.9, "adjust_lr_fn": "match_rms_adamw"},
            {"params": [1], "lr": 0.02, "nesterov": False, "weight_decay": 0.0, "ns_steps": 3},
        ],
    ),
}

# name -> kwargs
LBFGS_CONFIGS: dict[str, dict[str, Any]] = {
    # torch's optim_inputs_func_lbfgs
    "default": {},
    "non-default lr": {"lr": 0.01},
    "tolerance_grad": {"tolerance_grad": 1e-6},
    "strong_wolfe": {"line_search_fn": "strong_wolfe"},
    # more of the options
    "short history, few iterations": {"history_size": 3, "max_iter": 4},
    "strong_wolfe, short history, few iterations": {
        "line_search_fn": "strong_wolfe", "history_size": 2, "max_iter": 3,
    },
    "strong_wolfe, lr 0.5, max_eval 7": {"line_search_fn": "strong_wolfe", "lr": 0.5, "max_eval": 7},
    "strong_wolfe, lr 5 (zoom)": {"line_search_fn": "strong_wolfe", "lr": 5},
    "strong_wolfe, lr 0.05 (bracketing)": {"line_search_fn": "strong_wolfe", "lr": 0.05},
    "lr 0.3, tolerance_change 1e-4": {"lr": 0.3, "tolerance_change": 1e-4},
}


# --------------------------------------------------------------------------- Muon's problem
def mlp_problem() -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Fixed data ``X`` (10, 3), targets ``Y`` (10, 2) and initial ``[W1 (6, 3), W2 (2, 6)]``."""
    rng = np.random.default_rng(20251130)
    X = rng.standard_normal((10, 3))
    Y = np.stack([np.sin(X @ [1.0, -2.0, 0.5]), np.cos(X @ [0.3, 1.0, -1.0])], axis=1)
    return X, Y, [rng.standard_normal((6, 3)) * 0.5, rng.standard_normal((2, 6)) * 0.5]


def mlp_loss_and_grads(params: list[np.ndarray], X: np.ndarray, Y: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """Mean squared error of ``tanh(X @ W1.T) @ W2.T`` and its gradients, in the params' dtype.

    Backward by hand: ``R = pred - Y``, ``dpred = 2 R / R.size``, ``dW2 = dpred.T @ H``,
    ``dZ = (dpred @ W2) * (1 - H**2)``, ``dW1 = dZ.T @ X``.
    """
    W1, W2 = params
    X, Y = X.astype(W1.dtype), Y.astype(W1.dtype)
    H = np.tanh(X @ W1.T)
    R = H @ W2.T - Y
    dpred = 2 * R / R.size
    dZ = (dpred @ W2) * (1 - H * H)
    return float(np.mean(R * R)), [dZ.T @ X, dpred.T @ H]


def build_muon(lib: Any, params: list, config: str):
    """``lib.optim.Muon`` over ``params`` for one configuration (JSON lists become tuples)."""
    kwargs, groups = MUON_CONFIGS[config]

    def fix(options: dict) -> dict:
        return {k: tuple(v) if k == "ns_coefficients" else v for k, v in options.items() if k != "params"}

    if groups is None:
        return lib.optim.Muon(params, **fix(kwargs))
    return lib.optim.Muon(
        [{**fix(g), "params": [params[i] for i in g["params"]]} for g in groups], **fix(kwargs)
    )


def run_muon(lib: Any, config: str, dtype: str) -> dict[str, Any]:
    """``STEPS`` Muon steps with ``lib`` (torch or course_lib): ``{"params": [...] per step, "state"}``."""
    X, Y, init = mlp_problem()
    params = [lib.tensor(p.astype(dtype), requires_grad=True) for p in init]
    optimizer = build_muon(lib, params, config)
    record = []
    for _ in range(STEPS):
        _, grads = mlp_loss_and_grads([p.detach().numpy().copy() for p in params], X, Y)
        for p, g in zip(params, grads):
            p.grad = lib.from_numpy(np.ascontiguousarray(g, dtype=dtype))
        optimizer.step()
        record.append(flat_values(params))
    return {"params": record, "state": flat_state(optimizer.state_dict()["state"])}


# --------------------------------------------------------------------------- L-BFGS's problem
def logistic_problem() -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Fixed points ``X`` (40, 4), labels ``y`` (40,) in {0, 1}, initial ``[w (4,), b (1,)]``."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((40, 4))
    logits = X @ [1.5, -2.0, 0.5, 0.0] + 0.3
    y = (rng.random(40) < 1 / (1 + np.exp(-logits))).astype(np.float64)  # noisy: not separable
    return X, y, [rng.standard_normal(4) * 0.1, np.zeros(1)]


def run_lbfgs(lib: Any, config: str, dtype: str) -> dict[str, Any]:
    """``STEPS`` calls of ``step(closure)`` with ``lib``: per step the returned loss, the
    parameters, the closure calls, ``n_iter`` and ``func_evals``; the final state."""
    X_np, y_np, init = logistic_problem()
    X, y = lib.tensor(X_np.astype(dtype)), lib.tensor(y_np.astype(dtype))
    params = [lib.tensor(p.astype(dtype), requires_grad=True) for p in init]
    optimizer = lib.optim.LBFGS(params, **LBFGS_CONFIGS[config])
    calls = [0]

    def closure():
        calls[0] += 1
        optimizer.zero_grad()
        w, b = params
        loss = lib.nn.functional.binary_cross_entropy_with_logits(X @ w + b, y)
        loss.backward()
        return loss

    record: dict[str, list] = {"loss": [], "params": [], "closure_calls": [], "n_iter": [], "func_evals": []}
    for _ in range(STEPS):
        calls[0] = 0
        loss = optimizer.step(closure)
        state = optimizer.state[params[0]]
        record["loss"].append(float(loss.detach()))
        record["params"].append(flat_values(params))
        record["closure_calls"].append(calls[0])
        record["n_iter"].append(int(state["n_iter"]))
        record["func_evals"].append(int(state["func_evals"]))
    record["state"] = flat_state(optimizer.state_dict()["state"])
    return record


# --------------------------------------------------------------------------- recording
def flat_values(params: list) -> list[float]:
    """All parameters' values, flattened and concatenated, as Python floats."""
    return [float(v) for p in params for v in p.detach().numpy().reshape(-1)]


def _plain(value: Any) -> Any:
    """A state value as JSON: tensors as flat lists of floats, lists element by element."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    array = np.asarray(value.detach().numpy() if hasattr(value, "detach") else value)
    return [float(v) for v in array.reshape(-1)]


def flat_state(state: dict) -> dict[str, dict[str, Any]]:
    """``state_dict()["state"]`` as JSON (string keys); 0-d tensors become one-element lists."""
    return {str(index): {k: _plain(v) for k, v in buffers.items()} for index, buffers in state.items()}


def main() -> None:
    import torch

    torch.set_num_threads(1)
    data = {
        "torch_version": torch.__version__,
        "steps": STEPS,
        "muon": {c: {d: run_muon(torch, c, d) for d in DTYPES} for c in MUON_CONFIGS},
        "lbfgs": {c: {d: run_lbfgs(torch, c, d) for d in DTYPES} for c in LBFGS_CONFIGS},
    }
    OUT.write_text(json.dumps(data, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {len(MUON_CONFIGS)} Muon and {len(LBFGS_CONFIGS)} LBFGS configurations x "
          f"{len(DTYPES)} dtypes to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
