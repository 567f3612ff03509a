"""Reference learning-rate sequences for ``course_lib.optim.lr_scheduler``, made with torch.

Run from the repository root (needs torch; writes ``tests/reference/lr_scheduler.json``)::

    python tests/reference/gen_lr_scheduler.py

The case table, the named lambdas and ``run_case`` live here and are imported by
``tests/test_lr_scheduler_reference.py``, so the test replays exactly what made the data,
with ``course_lib`` (and with torch too, when it is installed).

A case: an optimizer (``name``, one ``lr`` per param group, other options), a list of
scheduler specs stepped in turn after every ``optimizer.step()`` (one spec = a plain
scheduler, two = two schedulers on one optimizer), and optionally hand edits of ``lr``
(``{iteration: factor}``), a metric sequence (ReduceLROnPlateau) or fractional epochs
(CosineAnnealingWarmRestarts). A spec is ``[class name, kwargs]``; in kwargs,
``"lambda:NAME"`` stands for ``LAMBDAS[NAME]`` and a nested ``[name, kwargs]`` inside
``"schedulers"`` is built first. Recorded at construction and after each step: every
group's ``lr`` and, when the schedule moves them, ``momentum`` and ``betas[0]``
(stored as columns: ``{"lr": [[one value per group] per step], ...}``).
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("lr_scheduler.json")
STEPS = 120


class HalfCosScale:
    """A callable object used as CyclicLR's custom ``scale_fn`` (its ``__dict__`` is saved)."""

    def __init__(self, period: float = 40.0) -> None:
        self.period = period

    def __call__(self, x: float) -> float:
        return 0.5 * (1 + math.cos(math.pi * min(x, self.period) / self.period))


# Named lambdas, shared by the generator and the test.
LAMBDAS = {
    "exp095": lambda epoch: 0.95**epoch,
    "step30": lambda epoch: 0.1 ** (epoch // 30),
    "warmup10": lambda epoch: min(1.0, (epoch + 1) / 10),
    "const095": lambda epoch: 0.95,
    "alternating": lambda epoch: 0.9 if epoch % 2 else 1.05,
    "halfcos": HalfCosScale(40.0),
    "scale_exp": lambda x: 0.98**x,
}


def metric_min(t: int) -> float:
    """A noisy loss that falls, then plateaus (for mode='min')."""
    return max(1.0 - 0.04 * t, 0.35) + 0.01 * ((t * 7) % 5)


def metric_max(t: int) -> float:
    """A noisy accuracy that rises, then plateaus (for mode='max')."""
    return min(0.5 + 0.02 * t, 0.9) - 0.005 * ((t * 3) % 4)


METRICS = {"min": metric_min, "max": metric_max}

SGD_M = {"name": "SGD", "lrs": [0.1], "kwargs": {"momentum": 0.9}}
SGD_2 = {"name": "SGD", "lrs": [0.1, 0.05], "kwargs": {"momentum": 0.9}}
ADAM = {"name": "Adam", "lrs": [0.01], "kwargs": {"betas": (0.9, 0.999)}}
ADAM_2 = {"name": "Adam", "lrs": [0.01, 0.002], "kwargs": {}}


def _case(case_id: str, opt: dict, specs: list, **extra: Any) -> dict:
    return {"id": case_id, "optimizer": opt, "schedulers": specs, "steps": STEPS, **extra}


CASES = [
    _case("LambdaLR-exp", SGD_M, [["LambdaLR", {"lr_lambda": "lambda:exp095"}]]),
    _case("LambdaLR-list", SGD_2, [["LambdaLR", {"lr_lambda": ["lambda:step30", "lambda:warmup10"]}]]),
    _case("MultiplicativeLR-const", SGD_M, [["MultiplicativeLR", {"lr_lambda": "lambda:const095"}]]),
    _case("MultiplicativeLR-list", SGD_2,
          [["MultiplicativeLR", {"lr_lambda": ["lambda:const095", "lambda:alternating"]}]]),
    _case("StepLR-30", SGD_M, [["StepLR", {"step_size": 30, "gamma": 0.1}]]),
    _case("StepLR-7-half", SGD_2, [["StepLR", {"step_size": 7, "gamma": 0.5}]]),
    _case("StepLR-3-default", SGD_M, [["StepLR", {"step_size": 3}]]),
    _case("MultiStepLR-30-80", SGD_M, [["MultiStepLR", {"milestones": [30, 80]}]]),
    _case("MultiStepLR-repeat", SGD_2, [["MultiStepLR", {"milestones": [10, 10, 50], "gamma": 0.5}]]),
    _case("MultiStepLR-unsorted", SGD_M, [["MultiStepLR", {"milestones": [60, 20], "gamma": 0.3}]]),
    _case("ConstantLR-default", SGD_M, [["ConstantLR", {}]]),
    _case("ConstantLR-half-40", SGD_2, [["ConstantLR", {"factor": 0.5, "total_iters": 40}]]),
    _case("LinearLR-default", SGD_M, [["LinearLR", {}]]),
    _case("LinearLR-warm40", SGD_2, [["LinearLR", {"start_factor": 0.05, "total_iters": 40}]]),
    _case("LinearLR-decay", SGD_M,
          [["LinearLR", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 60}]]),
    _case("ExponentialLR-095", SGD_M, [["ExponentialLR", {"gamma": 0.95}]]),
    _case("ExponentialLR-09-groups", SGD_2, [["ExponentialLR", {"gamma": 0.9}]]),
    _case("PolynomialLR-default", SGD_M, [["PolynomialLR", {}]]),
    _case("PolynomialLR-80-2", SGD_2, [["PolynomialLR", {"total_iters": 80, "power": 2.0}]]),
    _case("PolynomialLR-100-half", SGD_M, [["PolynomialLR", {"total_iters": 100, "power": 0.5}]]),
    _case("CosineAnnealingLR-50", SGD_M, [["CosineAnnealingLR", {"T_max": 50}]]),
    _case("CosineAnnealingLR-100-min", SGD_2, [["CosineAnnealingLR", {"T_max": 100, "eta_min": 1e-3}]]),
    _case("CosineAnnealingLR-10", SGD_M, [["CosineAnnealingLR", {"T_max": 10, "eta_min": 0.01}]]),
    _case("CosineAnnealingWarmRestarts-10", SGD_M, [["CosineAnnealingWarmRestarts", {"T_0": 10}]]),
    _case("CosineAnnealingWarmRestarts-5x2", SGD_2,
          [["CosineAnnealingWarmRestarts", {"T_0": 5, "T_mult": 2, "eta_min": 1e-4}]]),
    _case("CosineAnnealingWarmRestarts-frac", SGD_M,
          [["CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 3, "eta_min": 0.001}]],
          fractional_epoch=4),
    _case("CyclicLR-triangular", SGD_M,
          [["CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 10}]]),
    _case("CyclicLR-triangular2", SGD_2,
          [["CyclicLR", {"base_lr": [0.01, 0.02], "max_lr": [0.1, 0.2], "step_size_up": 8,
                         "step_size_down": 12, "mode": "triangular2",
                         "base_momentum": [0.8, 0.85], "max_momentum": [0.9, 0.95]}]]),
    _case("CyclicLR-exp_range-adam", ADAM,
          [["CyclicLR", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 15,
                         "mode": "exp_range", "gamma": 0.99}]]),
    _case("CyclicLR-custom", SGD_M,
          [["CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 6,
                         "scale_fn": "lambda:halfcos", "scale_mode": "iterations",
                         "cycle_momentum": False}]]),
    _case("CyclicLR-custom-cycle", SGD_M,
          [["CyclicLR", {"base_lr": 0.02, "max_lr": 0.2, "step_size_up": 4, "step_size_down": 6,
                         "scale_fn": "lambda:scale_exp", "scale_mode": "cycle"}]]),
    _case("OneCycleLR-cos", SGD_M, [["OneCycleLR", {"max_lr": 0.1, "total_steps": STEPS}]]),
    _case("OneCycleLR-linear-3phase-adam", ADAM,
          [["OneCycleLR", {"max_lr": 0.01, "epochs": 10, "steps_per_epoch": 12,
                           "anneal_strategy": "linear", "three_phase": True}]]),
    _case("OneCycleLR-groups", SGD_2,
          [["OneCycleLR", {"max_lr": [0.1, 0.3], "total_steps": STEPS, "pct_start": 0.25,
                           "div_factor": 10.0, "final_div_factor": 100.0,
                           "cycle_momentum": False}]]),
    _case("OneCycleLR-adam-betas-3phase", ADAM_2,
          [["OneCycleLR", {"max_lr": [0.01, 0.02], "total_steps": STEPS, "three_phase": True,
                           "base_momentum": 0.8, "max_momentum": [0.9, 0.95]}]]),
    _case("ReduceLROnPlateau-default", SGD_M, [["ReduceLROnPlateau", {"patience": 3}]],
          metric="min"),
    _case("ReduceLROnPlateau-max-abs", SGD_2,
          [["ReduceLROnPlateau", {"mode": "max", "factor": 0.5, "patience": 2,
                                  "threshold": 0.01, "threshold_mode": "abs", "cooldown": 2,
                                  "min_lr": [0.01, 0.001]}]], metric="max"),
    _case("ReduceLROnPlateau-rel-p0", SGD_M,
          [["ReduceLROnPlateau", {"patience": 0, "threshold": 0.05, "factor": 0.7,
                                  "min_lr": 1e-3, "eps": 1e-3}]], metric="min"),
    _case("SequentialLR-warm-cos", SGD_M,
          [["SequentialLR", {"schedulers": [["LinearLR", {"start_factor": 0.1, "total_iters": 5}],
                                            ["CosineAnnealingLR", {"T_max": 95}]],
                             "milestones": [5]}]]),
    _case("SequentialLR-three", SGD_2,
          [["SequentialLR", {"schedulers": [["ConstantLR", {"factor": 0.1, "total_iters": 10}],
                                            ["ExponentialLR", {"gamma": 0.9}],
                                            ["StepLR", {"step_size": 20, "gamma": 0.5}]],
                             "milestones": [10, 40]}]]),
    _case("ChainedScheduler-const-exp", SGD_M,
          [["ChainedScheduler", {"schedulers": [["ConstantLR", {"factor": 0.1, "total_iters": 10}],
                                                ["ExponentialLR", {"gamma": 0.95}]]}]]),
    _case("ChainedScheduler-three", SGD_2,
          [["ChainedScheduler", {"schedulers": [["LinearLR", {"start_factor": 0.2, "total_iters": 8}],
                                                ["StepLR", {"step_size": 25}],
                                                ["CosineAnnealingLR", {"T_max": 60}]],
                                 "optimizer": "optimizer"}]]),
    _case("Pair-exp-step", SGD_M,
          [["ExponentialLR", {"gamma": 0.97}], ["StepLR", {"step_size": 20, "gamma": 0.5}]]),
    _case("Pair-cos-multistep", SGD_2,
          [["CosineAnnealingLR", {"T_max": 40}], ["MultiStepLR", {"milestones": [30, 70]}]]),
    _case("Edit-StepLR", SGD_M, [["StepLR", {"step_size": 10, "gamma": 0.5}]], edits={15: 0.5, 40: 3.0}),
    _case("Edit-ExponentialLR", SGD_M, [["ExponentialLR", {"gamma": 0.97}]], edits={15: 0.5, 40: 3.0}),
    _case("Edit-CosineAnnealingLR", SGD_M, [["CosineAnnealingLR", {"T_max": 30}]],
          edits={15: 0.5, 40: 3.0}),
    _case("Edit-MultiplicativeLR", SGD_M, [["MultiplicativeLR", {"lr_lambda": "lambda:alternating"}]],
          edits={15: 0.5, 40: 3.0}),
    _case("Edit-LinearLR", SGD_2, [["LinearLR", {"start_factor": 0.1, "total_iters": 30}]],
          edits={15: 0.5, 40: 3.0}),
    _case("Edit-PolynomialLR", SGD_M, [["PolynomialLR", {"total_iters": 60, "power": 2.0}]],
          edits={15: 0.5, 40: 3.0}),
    _case("Edit-LambdaLR-overwritten", SGD_M, [["LambdaLR", {"lr_lambda": "lambda:exp095"}]],
          edits={15: 0.5}),
]


def _resolve(value: Any, ns: Any, optimizer: Any) -> Any:
    """Replace ``"lambda:NAME"`` and nested scheduler specs by the real objects."""
    if isinstance(value, str) and value.startswith("lambda:"):
        return LAMBDAS[value[len("lambda:"):]]
    if value == "optimizer":
        return optimizer
    if isinstance(value, list):
        return [_resolve(v, ns, optimizer) for v in value]
    return value


def build_scheduler(spec: list, ns: Any, optimizer: Any) -> Any:
    """Build ``[name, kwargs]`` from the ``lr_scheduler`` module ``ns``."""
    name, kwargs = spec
    kwargs = dict(kwargs)
    if "schedulers" in kwargs:
        kwargs["schedulers"] = [build_scheduler(s, ns, optimizer) for s in kwargs["schedulers"]]
    kwargs = {k: _resolve(v, ns, optimizer) if k != "schedulers" else v for k, v in kwargs.items()}
    cls = getattr(ns, name)
    if name == "ChainedScheduler":
        return cls(**kwargs)
    return cls(optimizer, **kwargs)


def build_optimizer(spec: dict, lib: Any) -> Any:
    """``lib`` is ``torch`` or ``course_lib``: one zero parameter per param group."""
    groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in spec["lrs"]]
    return getattr(lib.optim, spec["name"])(groups, lr=spec["lrs"][0], **spec["kwargs"])


def snapshot(optimizer: Any) -> dict:
    """Every group's lr, and momentum / betas[0] when the group has them."""
    record = {"lr": [float(g["lr"]) for g in optimizer.param_groups]}
    if "momentum" in optimizer.param_groups[0]:
        record["momentum"] = [float(g["momentum"]) for g in optimizer.param_groups]
    if "betas" in optimizer.param_groups[0]:
        record["beta1"] = [float(g["betas"][0]) for g in optimizer.param_groups]
    return record


def step_all(case: dict, schedulers: list, t: int) -> None:
    """The scheduler half of iteration ``t`` (1-based)."""
    for scheduler in schedulers:
        if "metric" in case:
            scheduler.step(METRICS[case["metric"]](t))
        elif "fractional_epoch" in case:
            scheduler.step(t / case["fractional_epoch"])
        else:
            scheduler.step()


def run_case(case: dict, lib: Any, until: int | None = None, start: Any = None) -> dict:
    """Run a case with ``lib`` (torch or course_lib); return the per-step records.

    ``until`` stops after that many iterations and also returns the live objects, so a
    test can checkpoint mid-schedule; ``start`` continues from such a state.
    """
    if start is None:
        optimizer = build_optimizer(case["optimizer"], lib)
        schedulers = [build_scheduler(s, lib.optim.lr_scheduler, optimizer) for s in case["schedulers"]]
        records, first = [snapshot(optimizer)], 1
    else:
        optimizer, schedulers, records, first = start
    last = case["steps"] if until is None else until
    edits = {int(k): v for k, v in case.get("edits", {}).items()}
    for t in range(first, last + 1):
        optimizer.step()
        if t in edits:
            for group in optimizer.param_groups:
                group["lr"] = group["lr"] * edits[t]
        step_all(case, schedulers, t)
        records.append(snapshot(optimizer))
    return {"records": records, "optimizer": optimizer, "schedulers": schedulers, "next": last + 1}


def tutorial_table(lib: Any) -> dict:
    """The tutorial's StepLR example: lines printed, and the warnings, as text."""
    import warnings

    optimizer = lib.optim.SGD([lib.randn(1, requires_grad=True)], lr=100)
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.1)
    lines = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for epoch in range(1, 25):
            scheduler.step()
            # the tutorial's own format string, so the lines compare with its text as printed
            lines.append('Epoch {}, lr {:0.4f}'.format(epoch, optimizer.param_groups[0]['lr']))
    return {"lines": lines, "warnings": [str(w.message) for w in caught],
            "categories": [w.category.__name__ for w in caught]}


def columns(records: list[dict]) -> dict:
    """Records as columns ``{"lr": [[group values] per step], ...}``; momentum and beta1
    only when the schedule moves them (a constant column tells nothing)."""
    out = {}
    for key in records[0]:
        column = [r[key] for r in records]
        if key == "lr" or any(row != column[0] for row in column):
            out[key] = column
    return out


SCHEDULER_NAMES = [
    "LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
    "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "ReduceLROnPlateau",
    "SequentialLR", "ChainedScheduler",
]


def signatures(ns: Any) -> dict:
    """``{class: [[parameter, repr(default) or None], ...]}`` of each scheduler's __init__."""
    import inspect

    out = {}
    for name in SCHEDULER_NAMES:
        params = inspect.signature(getattr(ns, name)).parameters.values()
        out[name] = [[p.name, None if p.default is p.empty else repr(p.default)] for p in params]
    return out


def main() -> None:
    import torch

    torch.manual_seed(0)
    data = {
        "torch_version": torch.__version__,
        "steps": STEPS,
        "cases": {case["id"]: columns(run_case(case, torch)["records"]) for case in CASES},
        "tutorial": tutorial_table(torch),
        "signatures": signatures(torch.optim.lr_scheduler),
    }
    # one line per case keeps the file short and its diffs readable
    cases = ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in data.pop("cases").items())
    head = json.dumps(data, indent=1)[:-2]
    OUT.write_text(f'{head},\n "cases": {{\n{cases}\n }}\n}}\n')
    print(f"wrote {OUT} ({len(CASES)} cases, torch {torch.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
