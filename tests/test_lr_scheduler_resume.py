"""Checkpoint mid-schedule with course_lib.save, resume from course_lib.load in a fresh
optimizer and fresh schedulers, and get the straight run's numbers exactly.

The resume follows torch's documented order: build the optimizer, build the schedulers,
then ``optimizer.load_state_dict`` and ``scheduler.load_state_dict`` (building a scheduler
writes ``lr``, so the optimizer's state must be loaded after it).
"""
from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

import course_lib
from course_lib.optim import lr_scheduler as L

REFERENCE = Path(__file__).parent / "reference"
_spec = importlib.util.spec_from_file_location("gen_lr_scheduler", REFERENCE / "gen_lr_scheduler.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
DATA = json.loads((REFERENCE / "lr_scheduler.json").read_text())
CASES = {case["id"]: case for case in gen.CASES}

pytestmark = [pytest.mark.lesson08]

RESUMED = [
    "OneCycleLR-cos",
    "OneCycleLR-linear-3phase-adam",
    "OneCycleLR-groups",
    "CosineAnnealingWarmRestarts-5x2",
    "CosineAnnealingWarmRestarts-frac",
    "ReduceLROnPlateau-default",
    "ReduceLROnPlateau-max-abs",
    "SequentialLR-warm-cos",
    "SequentialLR-three",
    "ChainedScheduler-three",
    "Pair-cos-multistep",
    "CyclicLR-triangular2",
    "CyclicLR-custom-cycle",
    "CosineAnnealingLR-50",
    "MultiStepLR-repeat",
    "LambdaLR-list",
    "Edit-CosineAnnealingLR",
]


def checkpoint_and_resume(case: dict, at: int, path: Path) -> list[dict]:
    """Run ``at`` iterations, save, rebuild from the file, run to the end; all records."""
    first = gen.run_case(case, course_lib, until=at)
    course_lib.save(
        {
            "optimizer": first["optimizer"].state_dict(),
            "schedulers": [s.state_dict() for s in first["schedulers"]],
        },
        path,
    )
    checkpoint = course_lib.load(path)
    optimizer = gen.build_optimizer(case["optimizer"], course_lib)
    schedulers = [gen.build_scheduler(spec, L, optimizer) for spec in case["schedulers"]]
    optimizer.load_state_dict(checkpoint["optimizer"])
    for scheduler, state in zip(schedulers, checkpoint["schedulers"], strict=True):
        scheduler.load_state_dict(state)
    start = (optimizer, schedulers, list(first["records"]), at + 1)
    return gen.run_case(case, course_lib, start=start)["records"]


@pytest.mark.parametrize("at", [4, 37, 90])
@pytest.mark.parametrize("case_id", RESUMED)
def test_lr_scheduler_resume_via_save_load_reproduces_straight_run(case_id, at, tmp_path):
    case = CASES[case_id]
    straight = gen.run_case(case, course_lib)["records"]
    resumed = checkpoint_and_resume(case, at, tmp_path / "checkpoint.npz")
    assert resumed == straight  # exactly, not approximately
    for key, want in DATA["cases"][case_id].items():
        for step, (row, row_want) in enumerate(zip(resumed, want, strict=True)):
            assert all(math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-15)
                       for g, w in zip(row[key], row_want, strict=True)), (case_id, key, step)


def test_lr_scheduler_resume_without_loading_optimizer_differs():
    """The check above can fail: skipping the optimizer's state changes the numbers."""
    case = CASES["OneCycleLR-cos"]
    first = gen.run_case(case, course_lib, until=37)
    optimizer = gen.build_optimizer(case["optimizer"], course_lib)
    schedulers = [gen.build_scheduler(spec, L, optimizer) for spec in case["schedulers"]]
    # the scheduler's state alone is enough for a closed-form schedule...
    schedulers[0].load_state_dict(first["schedulers"][0].state_dict())
    resumed = gen.run_case(case, course_lib, start=(optimizer, schedulers, list(first["records"]), 38))
    assert resumed["records"] == gen.run_case(case, course_lib)["records"]
    # ...but not for a chainable one, which multiplies the lr it finds in the optimizer
    case = CASES["SequentialLR-three"]
    first = gen.run_case(case, course_lib, until=37)
    optimizer = gen.build_optimizer(case["optimizer"], course_lib)
    schedulers = [gen.build_scheduler(spec, L, optimizer) for spec in case["schedulers"]]
    schedulers[0].load_state_dict(first["schedulers"][0].state_dict())
    resumed = gen.run_case(case, course_lib, start=(optimizer, schedulers, list(first["records"]), 38))
    assert resumed["records"] != gen.run_case(case, course_lib)["records"]
