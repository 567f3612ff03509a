"""course_lib's schedulers against torch 2.13: the committed reference sequences
(tests/reference/lr_scheduler.json, made by tests/reference/gen_lr_scheduler.py), and
the same cases live when torch is installed.

Every case runs 120 ``optimizer.step(); scheduler.step()`` iterations and compares every
group's ``lr`` (and the cycled ``momentum`` / ``betas[0]``) at every step, rtol 1e-9.
"""
from __future__ import annotations

import importlib.util
import inspect
import json
import math
from pathlib import Path

import pytest

import course_lib
from course_lib.optim import lr_scheduler

REFERENCE = Path(__file__).parent / "reference"
_spec = importlib.util.spec_from_file_location("gen_lr_scheduler", REFERENCE / "gen_lr_scheduler.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
DATA = json.loads((REFERENCE / "lr_scheduler.json").read_text())

RTOL = 1e-9
ATOL = 1e-15  # only for values that are 0 up to rounding (cosine at its bottom)

pytestmark = [pytest.mark.lesson07, pytest.mark.lesson08]


def needs_optimizer(case: dict) -> None:
    """Skip, naming the reason, when the case's optimizer is not in course_lib yet."""
    if not hasattr(course_lib.optim, case["optimizer"]["name"]):
        pytest.skip(f"course_lib.optim.{case['optimizer']['name']} is not available")


def assert_sequences_close(got: list, want: list, what: str) -> float:
    """Compare ``[step][group]`` values; return the worst relative error."""
    assert len(got) == len(want), f"{what}: {len(got)} steps, expected {len(want)}"
    worst = 0.0
    for step, (row_got, row_want) in enumerate(zip(got, want)):
        for group, (g, w) in enumerate(zip(row_got, row_want, strict=True)):
            assert math.isclose(g, w, rel_tol=RTOL, abs_tol=ATOL), (
                f"{what} at step {step}, group {group}: {g!r}, torch gives {w!r}"
            )
            if w != 0:
                worst = max(worst, abs(g - w) / abs(w))
    return worst


@pytest.mark.parametrize("case", gen.CASES, ids=[c["id"] for c in gen.CASES])
def test_lr_scheduler_sequence_matches_torch_reference(case):
    needs_optimizer(case)
    expected = DATA["cases"][case["id"]]
    records = gen.run_case(case, course_lib)["records"]
    for key, want in expected.items():
        got = [r[key] for r in records]
        assert_sequences_close(got, want, f"{case['id']} {key}")


@pytest.mark.parametrize("case", gen.CASES, ids=[c["id"] for c in gen.CASES])
def test_lr_scheduler_sequence_matches_torch_live(case):
    torch = pytest.importorskip("torch")
    needs_optimizer(case)
    want = gen.run_case(case, torch)["records"]
    got = gen.run_case(case, course_lib)["records"]
    assert [sorted(r) for r in got] == [sorted(r) for r in want]
    for key in want[0]:
        assert_sequences_close([r[key] for r in got], [r[key] for r in want], f"{case['id']} {key}")


def test_lr_scheduler_reference_covers_every_scheduler():
    used = {spec[0] for case in gen.CASES for spec in case["schedulers"]}
    used |= {inner[0] for case in gen.CASES for spec in case["schedulers"]
             for inner in spec[1].get("schedulers", [])}
    assert used == set(lr_scheduler.__all__) - {"LRScheduler"}


@pytest.mark.parametrize("name", gen.SCHEDULER_NAMES)
def test_lr_scheduler_signature_matches_torch(name):
    params = inspect.signature(getattr(lr_scheduler, name)).parameters.values()
    got = [[p.name, None if p.default is p.empty else repr(p.default)] for p in params]
    assert got == DATA["signatures"][name]
