"""Reference trajectories for the course-only optimizers of lesson 12: Lion and schedule-free AdamW.

Neither is in torch. The numbers come from the authors' reference implementations, used once
here and never needed to install or run the course::

    pip install torch==2.13.0 lion-pytorch==0.2.5 schedulefree==1.4.1
    python tests/reference/gen_modern.py        # writes tests/reference/modern.json

The problem and its gradients are those of ``gen_optim.py`` (a 20-parameter tanh network).
Each configuration runs ``STEPS`` steps in float32 and float64 and records the parameters
after the steps in ``CHECKPOINTS`` and the final state; schedule-free runs in train mode and
also records the parameters after ``optimizer.eval()`` (the average ``x``).
"""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).parent
OUT = HERE / "modern.json"
_spec = importlib.util.spec_from_file_location("gen_optim", HERE / "gen_optim.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
STEPS, CHECKPOINTS, DTYPES = gen.STEPS, gen.CHECKPOINTS, gen.DTYPES

# name -> (optimizer, kwargs, extra); "groups" as in gen_optim.py.
CONFIGS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "lion_default": ("Lion", {"lr": 1e-3}, {}),
    "lion_betas": ("Lion", {"lr": 3e-3, "betas": [0.95, 0.98]}, {}),
    "lion_weight_decay": ("Lion", {"lr": 1e-3, "weight_decay": 0.3}, {}),
    "lion_two_groups": ("Lion", {"lr": 1e-3}, {"groups": [{"params": [0, 2]}, {"params": [1], "lr": 3e-3, "weight_decay": 0.1}]}),
    "schedule_free_default": ("AdamWScheduleFree", {"lr": 0.01}, {}),
    "schedule_free_warmup": ("AdamWScheduleFree", {"lr": 0.02, "warmup_steps": 10}, {}),
    "schedule_free_weight_decay": ("AdamWScheduleFree", {"lr": 0.01, "weight_decay": 0.1}, {}),
    "schedule_free_decay_at_z_r": ("AdamWScheduleFree", {"lr": 0.01, "weight_decay": 0.1, "decay_at_z": True, "r": 1.0}, {}),
    "schedule_free_betas_power": ("AdamWScheduleFree", {"lr": 0.01, "betas": [0.5, 0.99], "eps": 1e-6, "weight_lr_power": 0.0, "warmup_steps": 5}, {}),
    "schedule_free_two_groups": ("AdamWScheduleFree", {"lr": 0.01}, {"groups": [{"params": [0]}, {"params": [1, 2], "lr": 0.005, "warmup_steps": 4}]}),
}


def optimizer_class(lib: Any, name: str):
    """The class ``name`` of course_lib.optim, or of the reference package when ``lib`` is torch."""
    if lib.__name__ != "torch":
        return getattr(lib.optim, name)
    if name == "Lion":
        from lion_pytorch import Lion

        return Lion
    from schedulefree import AdamWScheduleFreeReference

    return AdamWScheduleFreeReference


def run_config(lib: Any, config: str, dtype: str) -> dict[str, Any]:
    """Run one configuration with ``lib`` (torch with the reference packages, or course_lib)."""
    import contextlib
    import io

    name, kwargs, extra = CONFIGS[config]
    X, y, init = gen.make_problem()
    np_dtype = np.dtype(dtype)
    params = [lib.tensor(p.astype(np_dtype), requires_grad=True) for p in init]
    fixed = {k: tuple(v) if k == "betas" else v for k, v in kwargs.items()}
    cls = optimizer_class(lib, name)
    if "groups" in extra:
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [params[i] for i in g["params"]]}
                  for g in extra["groups"]]
        optimizer = cls(groups, **fixed)
    else:
        optimizer = cls(params, **fixed)
    quiet = contextlib.redirect_stdout(io.StringIO())  # the reference prints on train()/eval()
    if hasattr(optimizer, "train"):
        with quiet:
            optimizer.train()
    record = []
    for step in range(1, STEPS + 1):
        _, grads = gen.loss_and_grads([p.detach().numpy().copy() for p in params], X, y)
        for p, g in zip(params, grads):
            p.grad = lib.from_numpy(np.ascontiguousarray(g, dtype=np_dtype))
        optimizer.step()
        if step in CHECKPOINTS:
            record.append(gen.flat_params(params))
    out = {"params": record, "state": gen.flat_state(optimizer.state_dict()["state"])}
    if hasattr(optimizer, "eval"):
        with contextlib.redirect_stdout(io.StringIO()):
            optimizer.eval()
        out["eval_params"] = gen.flat_params(params)
    return out


def main() -> None:
    import lion_pytorch  # noqa: F401 - fail early without the reference packages
    import schedulefree  # noqa: F401
    import torch

    torch.set_num_threads(1)
    from importlib.metadata import version

    data = {
        "torch_version": torch.__version__,
        "lion_pytorch_version": version("lion-pytorch"),
        "schedulefree_version": version("schedulefree"),
        "steps": STEPS,
        "checkpoints": CHECKPOINTS,
        "configs": {config: {dtype: run_config(torch, config, dtype) for dtype in DTYPES} for config in CONFIGS},
    }
    OUT.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"wrote {len(CONFIGS)} configurations x {len(DTYPES)} dtypes to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
