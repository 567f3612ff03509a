"""Reference trajectories for Rprop, ASGD and Adafactor, made with torch 2.13.

Run from the repository root (needs torch; writes ``tests/reference/optim_extra.json``)::

    python tests/reference/gen_optim_extra.py

The problem and the helpers are those of ``gen_optim.py`` (imported from the file beside this
one): the 20-parameter tanh network ``tanh(X @ W1.T + b1) @ w2`` with gradients from an
explicit numpy formula, ``STEPS`` = 30 steps in float32 and in float64, parameters recorded
after the steps in ``CHECKPOINTS`` and the final ``state_dict()["state"]``. ``W1`` is a
matrix, so Adafactor's factored ``row_var``/``col_var`` and its full ``variance`` (``b1``,
``w2``) are both compared.

The configurations are torch's own option grids, ``optim_inputs_func_rprop``,
``optim_inputs_func_asgd`` and ``optim_inputs_func_adafactor`` of
``torch/testing/_internal/common_optimizers.py`` in torch 2.13, copied as literal rows (only
the CUDA-only ``capturable`` and Tensor-``lr`` rows are left out), plus rows of our own, each
marked: two param groups, a frozen parameter, and for ASGD a ``t0`` small enough that the
averaging starts within 30 steps (torch's ``t0=100`` row never averages in 30 steps).

``TENSOR_CASES`` add Adafactor on a 3-D parameter (factored over its last two dimensions)
with fixed gradients, since the network has no such parameter.
"""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

_spec = importlib.util.spec_from_file_location("gen_optim", Path(__file__).with_name("gen_optim.py"))
gen_optim = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_optim)

OUT = Path(__file__).with_name("optim_extra.json")
STEPS = gen_optim.STEPS
CHECKPOINTS = gen_optim.CHECKPOINTS
DTYPES = gen_optim.DTYPES

# name -> (optimizer, kwargs, extra); extra may hold "groups" and "frozen" (as in gen_optim).
CONFIGS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    # optim_inputs_func_rprop
    "rprop_default": ("Rprop", {}, {}),
    "rprop_non_default_lr": ("Rprop", {"lr": 2e-4}, {}),
    "rprop_non_default_etas": ("Rprop", {"etas": [0.5, 1.5]}, {}),
    "rprop_non_default_step_sizes": ("Rprop", {"step_sizes": [2e-6, 100]}, {}),
    "rprop_maximize": ("Rprop", {"maximize": True}, {}),
    # ours
    "rprop_two_groups_frozen": (
        "Rprop",
        {"lr": 0.05},
        {"groups": [{"params": [0], "etas": [0.3, 1.3], "step_sizes": [1e-3, 0.2]}, {"params": [1, 2], "maximize": True}], "frozen": [2]},
    ),
    # optim_inputs_func_asgd
    "asgd_default": ("ASGD", {}, {}),
    "asgd_non_default_lambd": ("ASGD", {"lambd": 0.1}, {}),
    "asgd_non_default_lr": ("ASGD", {"lr": 0.02}, {}),
    "asgd_t0": ("ASGD", {"t0": 100}, {}),
    "asgd_maximize": ("ASGD", {"maximize": True}, {}),
    "asgd_nonzero_weight_decay": ("ASGD", {"weight_decay": 0.1}, {}),
    "asgd_maximize_nonzero_weight_decay": ("ASGD", {"weight_decay": 0.1, "maximize": True}, {}),
    # ours: averaging starts at step 12 (mu = 1 / (step - t0) < 1)
    "asgd_averaging": ("ASGD", {"lr": 0.05, "t0": 10, "lambd": 0.01}, {}),
    "asgd_two_groups": (
        "ASGD",
        {"lr": 0.05},
        {"groups": [{"params": [0, 2], "t0": 5, "alpha": 0.5}, {"params": [1], "lr": 0.1, "weight_decay": 0.05, "t0": 0}]},
    ),
    # optim_inputs_func_adafactor
    "adafactor_default": ("Adafactor", {}, {}),
    "adafactor_nonzero_weight_decay": ("Adafactor", {"weight_decay": 0.1, "lr": 0.01}, {}),
    "adafactor_maximize": ("Adafactor", {"weight_decay": 0.1, "maximize": True}, {}),
    "adafactor_non_default_beta2_decay": ("Adafactor", {"beta2_decay": -1.0}, {}),
    "adafactor_non_default_clipping_threshold_d": ("Adafactor", {"d": 1.5}, {}),
    # ours: an explicit eps1, large enough to act, and a larger lr (the cap of rho_t)
    "adafactor_two_groups": (
        "Adafactor",
        {"lr": 0.1},
        {"groups": [{"params": [0], "eps": [1e-3, 1e-2]}, {"params": [1, 2], "lr": 0.05, "beta2_decay": -0.5, "d": 2.0}]},
    ),
}

# name -> (optimizer, kwargs, parameter shape): fixed gradients, see run_tensor_case.
TENSOR_CASES: dict[str, tuple[str, dict[str, Any], tuple[int, ...]]] = {
    "adafactor_3d": ("Adafactor", {"lr": 0.05, "weight_decay": 0.01}, (2, 3, 4)),
    "adafactor_3d_maximize_eps": ("Adafactor", {"eps": [1e-4, 1e-3], "maximize": True, "d": 1.2}, (3, 2, 5)),
}


def run_config(lib: Any, config: str, dtype: str) -> dict[str, Any]:
    """Run one configuration with ``lib`` (torch or course_lib): ``gen_optim.run_config`` on this table."""
    return gen_optim.run_config(lib, config, dtype, CONFIGS)


def tensor_case_grad(shape: tuple[int, ...], step: int, dtype: np.dtype) -> np.ndarray:
    """A fixed gradient for step ``step``: smooth in the step, varied over the elements."""
    k = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    return (np.sin(0.7 * k + 0.3 * step) * (1 + 0.1 * k)).astype(dtype)


def run_tensor_case(lib: Any, case: str, dtype: str) -> dict[str, Any]:
    """One parameter of ``TENSOR_CASES[case]``'s shape, ``STEPS`` steps with fixed gradients.

    Returns:
        As :func:`run_config`, plus ``"shapes"``: each state entry's shape.
    """
    name, kwargs, shape = TENSOR_CASES[case]
    np_dtype = np.dtype(dtype)
    init = np.cos(np.arange(np.prod(shape), dtype=np.float64)).reshape(shape).astype(np_dtype)
    param = lib.tensor(init, requires_grad=True)
    optimizer = gen_optim.build_optimizer(lib, name, [param], kwargs, {})
    record = []
    for step in range(1, STEPS + 1):
        param.grad = lib.from_numpy(tensor_case_grad(shape, step, np_dtype))
        optimizer.step()
        if step in CHECKPOINTS:
            record.append(gen_optim.flat_params([param]))
    state = optimizer.state_dict()["state"]
    shapes = {key: list(value.shape) for key, value in state[0].items()}
    return {"params": record, "state": gen_optim.flat_state(state), "shapes": shapes}


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
        "tensor_cases": {
            case: {dtype: run_tensor_case(torch, case, dtype) for dtype in DTYPES} for case in TENSOR_CASES
        },
    }
    OUT.write_text(json.dumps(data, indent=None, separators=(",", ":")) + "\n")
    count = len(CONFIGS) + len(TENSOR_CASES)
    print(f"wrote {count} configurations x {len(DTYPES)} dtypes to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
