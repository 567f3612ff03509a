"""LRScheduler behaviour beyond the numbers: the tutorial's table, warnings, get_last_lr,
initial_lr, the deprecated step(epoch), OneCycleLR's end, state_dict contents."""
from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
import warnings

import pytest

import course_lib
from course_lib.optim import SGD
from course_lib.optim import lr_scheduler as L
from course_lib.optim.lr_scheduler.base import EPOCH_DEPRECATION_WARNING, GET_LR_WARNING

REFERENCE = Path(__file__).parent / "reference"
_spec = importlib.util.spec_from_file_location("gen_lr_scheduler", REFERENCE / "gen_lr_scheduler.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
DATA = json.loads((REFERENCE / "lr_scheduler.json").read_text())
TORCH_ORDER_WARNING = DATA["tutorial"]["warnings"][0]

pytestmark = [pytest.mark.lesson07, pytest.mark.lesson08]


def make_sgd(*lrs, **kwargs):
    groups = [{"params": [course_lib.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return SGD(groups, lr=lrs[0], **kwargs)


# ------------------------------------------------------------------ the tutorial's example
def test_steplr_tutorial_table_matches_torch_text():
    result = gen.tutorial_table(course_lib)
    assert result["lines"] == DATA["tutorial"]["lines"]
    # and the maths: lr after `epoch` steps = 100 * 0.1 ** (epoch // 4)
    for epoch, line in enumerate(result["lines"], start=1):
        assert line == f"Epoch {epoch}, lr {100 * 0.1 ** (epoch // 4):.4f}"


def test_lesson07_prints_torchs_tutorial_table_line_for_line():
    # Lesson 07 runs the tutorial's example (with `ptimizer` corrected) and prints its table.
    notebook = json.loads((Path(__file__).parents[1] / "solutions" / "07_lr_schedulers.ipynb").read_text())
    cell = next(c for c in notebook["cells"] if c.get("id") == "07-07e")
    printed = "".join("".join(o["text"]) for o in cell["outputs"] if o.get("name") == "stdout")
    assert printed.splitlines()[:24] == DATA["tutorial"]["lines"]


def test_steplr_tutorial_warns_once_with_torch_words():
    result = gen.tutorial_table(course_lib)
    assert result["categories"] == ["UserWarning"]
    message = result["warnings"][0]
    assert message.startswith(TORCH_ORDER_WARNING)
    assert "help:" in message[len(TORCH_ORDER_WARNING):]


def test_steplr_tutorial_table_live():
    torch = pytest.importorskip("torch")
    ours, theirs = gen.tutorial_table(course_lib), gen.tutorial_table(torch)
    assert ours["lines"] == theirs["lines"]
    assert ours["categories"] == theirs["categories"]
    assert ours["warnings"][0].startswith(theirs["warnings"][0])


# ------------------------------------------------------------------ the order warning
def test_scheduler_step_after_optimizer_step_does_not_warn():
    optimizer = make_sgd(0.1)
    scheduler = L.StepLR(optimizer, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(5):
            optimizer.step()
            scheduler.step()


def test_order_warning_only_on_first_scheduler_step():
    optimizer = make_sgd(0.1)
    scheduler = L.ExponentialLR(optimizer, gamma=0.9)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            scheduler.step()
    order = [w for w in caught if "before `optimizer.step()`" in str(w.message)]
    assert len(order) == 1 and order[0].category is UserWarning


def _order_warning_counts(lib):
    """How many order warnings each way of stepping gives, with no optimizer.step()."""
    def sgd():
        return lib.optim.SGD([lib.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)

    S = lib.optim.lr_scheduler
    scenarios = {
        "single": lambda o: [S.StepLR(o, 2)],
        "pair": lambda o: [S.StepLR(o, 2), S.ExponentialLR(o, 0.9)],
        "chained": lambda o: [S.ChainedScheduler([S.StepLR(o, 2), S.ExponentialLR(o, 0.9)])],
        "sequential": lambda o: [S.SequentialLR(o, [S.StepLR(o, 2), S.ExponentialLR(o, 0.9)], [2])],
        "warm_restarts": lambda o: [S.CosineAnnealingWarmRestarts(o, 3)],
        "cyclic": lambda o: [S.CyclicLR(o, 0.01, 0.1, step_size_up=3)],
        # an optimizer.step() taken before any scheduler exists does not count (torch
        # starts watching step() when the first scheduler is attached)
        "stepped_before": lambda o: (o.step(), [S.StepLR(o, 2)])[1],
    }
    counts = {}
    for name, build in scenarios.items():
        schedulers = build(sgd())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(4):
                for s in schedulers:
                    s.step()
        counts[name] = sum("before `optimizer.step()`" in str(w.message) for w in caught)
    return counts


def test_an_optimizer_step_before_the_scheduler_exists_does_not_silence_the_warning():
    # Lesson 07: the tutorial's StepLR, built by mistake on the earlier example's optimizer
    # (which already took its step), warns in torch; so it must here.
    assert _order_warning_counts(course_lib)["stepped_before"] == 1


def test_order_warning_counts_match_torch_live():
    torch = pytest.importorskip("torch")
    assert _order_warning_counts(course_lib) == _order_warning_counts(torch)


# ------------------------------------------------------------------ get_lr / get_last_lr
def test_get_lr_outside_step_warns_with_torch_words():
    scheduler = L.StepLR(make_sgd(0.1), step_size=2)
    with pytest.warns(UserWarning) as caught:
        scheduler.get_lr()
    assert str(caught[0].message) == GET_LR_WARNING
    assert GET_LR_WARNING == (
        "To get the last learning rate computed by the scheduler, please use `get_last_lr()`."
    )


def test_get_last_lr_is_the_groups_lr_and_a_copy():
    optimizer = make_sgd(0.1, 0.3)
    scheduler = L.StepLR(optimizer, step_size=1, gamma=0.5)
    optimizer.step()
    scheduler.step()
    last = scheduler.get_last_lr()
    assert last == [g["lr"] for g in optimizer.param_groups] == [0.05, 0.15]
    last[0] = 99.0
    assert scheduler.get_last_lr()[0] == 0.05


def test_construction_sets_initial_lr_once_for_all_schedulers():
    optimizer = make_sgd(0.1, 0.3)
    first = L.ConstantLR(optimizer, factor=0.5, total_iters=3)
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.1, 0.3]
    assert [g["lr"] for g in optimizer.param_groups] == [0.05, 0.15]
    second = L.ExponentialLR(optimizer, gamma=0.9)  # must not take lr=0.05 as its base
    assert first.base_lrs == second.base_lrs == [0.1, 0.3]
    assert first.last_epoch == second.last_epoch == 0


def test_resume_without_initial_lr_raises_key_error_with_torch_words():
    with pytest.raises(KeyError, match=r"param 'initial_lr' is not specified in param_groups\[0\]"):
        L.StepLR(make_sgd(0.1), step_size=2, last_epoch=5)


def test_resume_with_initial_lr_continues_the_count():
    optimizer = make_sgd(0.1)
    optimizer.param_groups[0]["initial_lr"] = 0.1
    scheduler = L.StepLR(optimizer, step_size=10, last_epoch=5)
    assert scheduler.last_epoch == 6 and scheduler.base_lrs == [0.1]


# ------------------------------------------------------------------ step(epoch), deprecated
def test_step_with_epoch_warns_and_uses_closed_form():
    optimizer = make_sgd(0.8)
    scheduler = L.StepLR(optimizer, step_size=3, gamma=0.5)
    optimizer.step()
    with pytest.warns(UserWarning) as caught:
        scheduler.step(7)
    assert str(caught[0].message) == EPOCH_DEPRECATION_WARNING
    assert scheduler.last_epoch == 7
    assert optimizer.param_groups[0]["lr"] == 0.8 * 0.5 ** (7 // 3)


def test_step_with_epoch_matches_torch_live():
    torch = pytest.importorskip("torch")

    def run(lib):
        opt = lib.optim.SGD([lib.zeros(2, requires_grad=True)], lr=0.8)
        S = lib.optim.lr_scheduler
        out = []
        for s in (S.StepLR(opt, 3, 0.5), S.MultiStepLR(opt, [2, 5]), S.ExponentialLR(opt, 0.9),
                  S.CosineAnnealingLR(opt, 10), S.LinearLR(opt), S.ConstantLR(opt),
                  S.PolynomialLR(opt, 8, 2.0), S.LambdaLR(opt, gen.LAMBDAS["exp095"])):
            opt.step()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s.step(6)
            out.append(opt.param_groups[0]["lr"])
        return out

    for ours, theirs in zip(run(course_lib), run(torch), strict=True):
        assert math.isclose(ours, theirs, rel_tol=1e-12)


# ------------------------------------------------------------------ OneCycleLR's end
def test_onecycle_step_past_total_steps_raises_naming_both_numbers():
    optimizer = make_sgd(0.1, momentum=0.9)
    scheduler = L.OneCycleLR(optimizer, max_lr=1.0, total_steps=5)
    for _ in range(5):
        optimizer.step()
        scheduler.step()
    optimizer.step()
    with pytest.raises(ValueError, match="Tried to step 6 times. The specified number of total steps is 5"):
        scheduler.step()


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda o: L.OneCycleLR(o, max_lr=1.0, total_steps=10), id="OneCycleLR"),
        pytest.param(lambda o: L.CyclicLR(o, base_lr=0.1, max_lr=1.0, step_size_up=3), id="CyclicLR"),
    ],
)
def test_cycling_get_lr_has_no_side_effects_and_step_still_cycles_momentum(make):
    optimizer = make_sgd(0.1, momentum=0.9)
    scheduler = make(optimizer)
    optimizer.step()
    scheduler.step()
    group = optimizer.param_groups[0]
    group["momentum"] = 0.5  # a manual edit: computing the rates must leave it alone
    before = dict(group)
    with pytest.warns(UserWarning):
        scheduler.get_lr()
    assert group == before, "get_lr() must only compute"
    momentums = []
    for _ in range(4):
        optimizer.step()
        scheduler.step()
        momentums.append(group["momentum"])
    assert all(a != b for a, b in zip(momentums, momentums[1:])), "step() moves the momentum every step"


def test_onecycle_resumed_without_initial_lr_says_what_is_missing():
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups"):
        L.OneCycleLR(make_sgd(0.1, momentum=0.9), max_lr=1.0, total_steps=10, last_epoch=3)


def test_onecycle_phases_hold_numbers_not_key_names():
    scheduler = L.OneCycleLR(make_sgd(0.1, 0.2, momentum=0.9), max_lr=[1.0, 2.0], total_steps=10)
    first = scheduler._schedule_phases[0]
    assert first["lrs"] == [(1.0 / 25, 1.0), (2.0 / 25, 2.0)]
    assert first["momentums"] == [(0.95, 0.85), (0.95, 0.85)]


def _resumed_cosine(lib):
    w = lib.zeros(2, requires_grad=True)
    optimizer = lib.optim.SGD([{"params": [w], "lr": 0.1, "initial_lr": 0.1}], lr=0.1)
    return lib.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, last_epoch=4)


def test_cosine_get_lr_of_a_resumed_schedule_before_any_step_is_the_closed_form():
    scheduler = _resumed_cosine(course_lib)
    with pytest.warns(UserWarning):
        lrs = scheduler.get_lr()
    assert scheduler.last_epoch == 5 and math.isclose(lrs[0], 0.05, rel_tol=1e-12)


def test_cosine_get_lr_of_a_resumed_schedule_matches_torch_live():
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _resumed_cosine(course_lib).get_lr() == _resumed_cosine(torch).get_lr()


def test_reduce_lr_on_plateau_accepts_a_tensor_metric():
    optimizer = make_sgd(0.1)
    scheduler = L.ReduceLROnPlateau(optimizer, patience=0)
    for loss in (1.0, 1.0):
        optimizer.step()
        scheduler.step(course_lib.tensor(loss))
    assert math.isclose(scheduler.get_last_lr()[0], 0.1 * 0.1)


# ------------------------------------------------------------------ state_dict contents
PLAIN = (int, float, str, bool, type(None))


def assert_plain(value, where="state_dict"):
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, (int, str)), f"{where}: key {key!r}"
            assert_plain(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            assert_plain(item, f"{where}[{i}]")
    else:
        assert type(value) in PLAIN, f"{where} holds {type(value).__name__}: {value!r}"


@pytest.mark.parametrize("case", gen.CASES, ids=[c["id"] for c in gen.CASES])
def test_lr_scheduler_state_dict_is_plain_data(case):
    if not hasattr(course_lib.optim, case["optimizer"]["name"]):
        pytest.skip(f"course_lib.optim.{case['optimizer']['name']} is not available")
    run = gen.run_case(case, course_lib, until=37)
    for scheduler in run["schedulers"]:
        assert_plain(scheduler.state_dict())


def test_lambda_state_dict_saves_callable_objects_only():
    optimizer = make_sgd(0.1, 0.2)
    scale = gen.HalfCosScale(40.0)
    scheduler = L.LambdaLR(optimizer, [gen.LAMBDAS["exp095"], scale])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [None, {"period": 40.0}]
    state["lr_lambdas"][1] = {"period": 10.0}
    scheduler.load_state_dict(state)
    assert scale.period == 10.0 and "lr_lambdas" in state


def test_multistep_state_dict_round_trip_keeps_counts():
    optimizer = make_sgd(1.0)
    scheduler = L.MultiStepLR(optimizer, [3, 3, 5], gamma=0.5)
    state = scheduler.state_dict()
    assert state["milestones"] == {3: 2, 5: 1}
    other = L.MultiStepLR(make_sgd(1.0), [1])
    other.load_state_dict(state)
    assert other.milestones == scheduler.milestones
