"""Bad scheduler arguments: the exception type and key words torch uses, and course_lib's
deliberate early errors where torch accepts nonsense and fails later (or never)."""
from __future__ import annotations

import re
import warnings

import pytest

import course_lib

pytestmark = [pytest.mark.lesson07, pytest.mark.lesson08]


def sgd(lib, groups=1):
    params = [{"params": [lib.zeros(2, requires_grad=True)], "lr": 0.1} for _ in range(groups)]
    return lib.optim.SGD(params, lr=0.1, momentum=0.9)


def other_sgd(lib):
    return sgd(lib)


def no_momentum(lib):
    """An optimizer with neither ``momentum`` nor ``betas`` in its defaults."""
    return lib.optim.Optimizer([lib.zeros(2, requires_grad=True)], {"lr": 0.1})


# (id, build(S, optimizer, lib), exception type, key words); torch raises the same.
AS_TORCH = [
    ("not-an-optimizer-StepLR", lambda S, o, lib: S.StepLR([o], 2), TypeError, "list is not an Optimizer"),
    ("not-an-optimizer-Cyclic", lambda S, o, lib: S.CyclicLR("sgd", 0.1, 1.0), TypeError, "str is not an Optimizer"),
    ("not-an-optimizer-OneCycle", lambda S, o, lib: S.OneCycleLR(None, 1.0, 10), TypeError, "NoneType is not an Optimizer"),
    ("not-an-optimizer-Plateau", lambda S, o, lib: S.ReduceLROnPlateau(3), TypeError, "int is not an Optimizer"),
    ("T_0-zero", lambda S, o, lib: S.CosineAnnealingWarmRestarts(o, 0), ValueError, "Expected positive integer T_0"),
    ("T_0-float", lambda S, o, lib: S.CosineAnnealingWarmRestarts(o, 2.5), ValueError, "Expected positive integer T_0"),
    ("T_mult-zero", lambda S, o, lib: S.CosineAnnealingWarmRestarts(o, 5, T_mult=0), ValueError, "Expected integer T_mult >= 1"),
    ("T_mult-float", lambda S, o, lib: S.CosineAnnealingWarmRestarts(o, 5, T_mult=1.5), ValueError, "Expected integer T_mult >= 1"),
    ("eta_min-str", lambda S, o, lib: S.CosineAnnealingWarmRestarts(o, 5, eta_min="0"), ValueError, "Expected float or int eta_min"),
    ("onecycle-no-length", lambda S, o, lib: S.OneCycleLR(o, 1.0), ValueError, "You must define either total_steps OR (epochs AND steps_per_epoch)"),
    ("onecycle-epochs-only", lambda S, o, lib: S.OneCycleLR(o, 1.0, epochs=3), ValueError, "You must define either total_steps"),
    ("onecycle-total-zero", lambda S, o, lib: S.OneCycleLR(o, 1.0, total_steps=0), ValueError, "Expected positive integer total_steps"),
    ("onecycle-epochs-zero", lambda S, o, lib: S.OneCycleLR(o, 1.0, epochs=0, steps_per_epoch=3), ValueError, "Expected positive integer epochs"),
    ("onecycle-pct-start", lambda S, o, lib: S.OneCycleLR(o, 1.0, 10, pct_start=1.5), ValueError, "Expected float between 0 and 1 pct_start"),
    ("onecycle-anneal", lambda S, o, lib: S.OneCycleLR(o, 1.0, 10, anneal_strategy="sin"), ValueError, "anneal_strategy must be one of 'cos' or 'linear'"),
    ("onecycle-no-momentum", lambda S, o, lib: S.OneCycleLR(no_momentum(lib), 1.0, 10), ValueError, "optimizer must support momentum or beta1"),
    ("cyclic-mode", lambda S, o, lib: S.CyclicLR(o, 0.1, 1.0, mode="square"), ValueError, "mode is invalid and scale_fn is None"),
    ("cyclic-no-momentum", lambda S, o, lib: S.CyclicLR(no_momentum(lib), 0.1, 1.0), ValueError, "optimizer must support momentum or beta1"),
    ("cyclic-base-lr-length", lambda S, o, lib: S.CyclicLR(o, [0.1, 0.2], 1.0), ValueError, "base_lr must have the same length as optimizer.param_groups"),
    ("plateau-mode", lambda S, o, lib: S.ReduceLROnPlateau(o, mode="mid"), ValueError, "mode mid is unknown!"),
    ("plateau-threshold-mode", lambda S, o, lib: S.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError, "threshold mode pct is unknown!"),
    ("plateau-factor", lambda S, o, lib: S.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0."),
    ("plateau-min-lr-length", lambda S, o, lib: S.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]), ValueError, "expected 1 min_lrs, got 2"),
    ("linear-start-zero", lambda S, o, lib: S.LinearLR(o, start_factor=0), ValueError, "Starting multiplicative factor expected to be greater than 0"),
    ("linear-start-big", lambda S, o, lib: S.LinearLR(o, start_factor=1.5), ValueError, "Starting multiplicative factor expected"),
    ("linear-end", lambda S, o, lib: S.LinearLR(o, end_factor=-0.1), ValueError, "Ending multiplicative factor expected to be between 0 and 1"),
    ("constant-big", lambda S, o, lib: S.ConstantLR(o, factor=1.5), ValueError, "Constant multiplicative factor expected to be between 0 and 1"),
    ("constant-negative", lambda S, o, lib: S.ConstantLR(o, factor=-0.5), ValueError, "Constant multiplicative factor expected"),
    ("lambda-count", lambda S, o, lib: S.LambdaLR(o, [abs, abs]), ValueError, "Expected 1 lr_lambdas, but got 2"),
    ("multiplicative-not-callable", lambda S, o, lib: S.MultiplicativeLR(o, 0.95), TypeError, "lr_lambda should be a function, but got float"),
    ("sequential-empty", lambda S, o, lib: S.SequentialLR(o, [], []), ValueError, "expects at least one scheduler"),
    ("sequential-milestones", lambda S, o, lib: S.SequentialLR(o, [S.StepLR(o, 2), S.StepLR(o, 3)], []), ValueError,
     "Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points"),
    ("sequential-plateau", lambda S, o, lib: S.SequentialLR(o, [S.StepLR(o, 2), S.ReduceLROnPlateau(o)], [3]), ValueError,
     "does not support `ReduceLROnPlateau`"),
    ("sequential-other-optimizer", lambda S, o, lib: S.SequentialLR(o, [S.StepLR(o, 2), S.StepLR(other_sgd(lib), 2)], [3]),
     ValueError, "expects all schedulers to belong to the same optimizer"),
    ("chained-empty", lambda S, o, lib: S.ChainedScheduler([]), ValueError, "expects at least one scheduler to be chained"),
    ("chained-other-optimizer", lambda S, o, lib: S.ChainedScheduler([S.StepLR(o, 2), S.StepLR(other_sgd(lib), 2)]),
     ValueError, "expects all schedulers to belong to the same optimizer"),
    ("chained-not-a-scheduler", lambda S, o, lib: S.ChainedScheduler([S.StepLR(o, 2), 3]), TypeError,
     "at index 1 should have `optimizer` as its attribute"),
]

# torch accepts these and then fails at a later step, or silently gives nonsense;
# course_lib refuses them at construction (each docstring names the difference).
COURSE_LIB_ONLY = [
    ("steplr-step-size-zero", lambda S, o, lib: S.StepLR(o, 0), "Expected positive integer step_size"),
    ("steplr-step-size-float", lambda S, o, lib: S.StepLR(o, 2.5), "Expected positive integer step_size"),
    ("steplr-negative-gamma", lambda S, o, lib: S.StepLR(o, 2, gamma=-0.5), "Expected non-negative gamma"),
    ("multistep-negative-gamma", lambda S, o, lib: S.MultiStepLR(o, [2], gamma=-1.0), "Expected non-negative gamma"),
    ("multistep-float-milestone", lambda S, o, lib: S.MultiStepLR(o, [2.5]), "Expected integer milestones"),
    ("exponential-negative-gamma", lambda S, o, lib: S.ExponentialLR(o, -1.0), "Expected non-negative gamma"),
    ("constant-factor-zero", lambda S, o, lib: S.ConstantLR(o, factor=0.0), "and not 0"),
    ("constant-total-iters-zero", lambda S, o, lib: S.ConstantLR(o, total_iters=0), "Expected positive integer total_iters"),
    ("constant-total-iters-float", lambda S, o, lib: S.ConstantLR(o, total_iters=2.5), "Expected positive integer total_iters"),
    ("linear-total-iters-zero", lambda S, o, lib: S.LinearLR(o, total_iters=0), "Expected positive total_iters"),
    ("polynomial-total-iters-zero", lambda S, o, lib: S.PolynomialLR(o, total_iters=0), "Expected positive total_iters"),
    ("cosine-T_max-zero", lambda S, o, lib: S.CosineAnnealingLR(o, 0), "Expected positive T_max"),
    ("cyclic-scale-mode", lambda S, o, lib: S.CyclicLR(o, 0.1, 1.0, scale_fn=abs, scale_mode="cycles"),
     "scale_mode 'cycles' is unknown"),
    ("sequential-unsorted", lambda S, o, lib: S.SequentialLR(o, [S.StepLR(o, 2), S.StepLR(o, 3), S.StepLR(o, 4)], [6, 3]),
     "Expected strictly increasing milestones"),
]


def _build(build, lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build(lib.optim.lr_scheduler, sgd(lib), lib)


@pytest.mark.parametrize("build, error, words", [c[1:] for c in AS_TORCH], ids=[c[0] for c in AS_TORCH])
def test_lr_scheduler_rejects_bad_argument_as_torch(build, error, words):
    with pytest.raises(error, match=re.escape(words)) as info:
        _build(build, course_lib)
    assert "help:" in str(info.value)


@pytest.mark.parametrize("build, error, words", [c[1:] for c in AS_TORCH], ids=[c[0] for c in AS_TORCH])
def test_lr_scheduler_bad_argument_error_matches_torch_live(build, error, words):
    torch = pytest.importorskip("torch")
    with pytest.raises(error, match=re.escape(words)):
        _build(build, torch)


@pytest.mark.parametrize("build, words", [c[1:] for c in COURSE_LIB_ONLY], ids=[c[0] for c in COURSE_LIB_ONLY])
def test_lr_scheduler_rejects_nonsense_at_construction(build, words):
    with pytest.raises(ValueError, match=re.escape(words)) as info:
        _build(build, course_lib)
    assert "help:" in str(info.value)


@pytest.mark.parametrize("build, words", [c[1:] for c in COURSE_LIB_ONLY], ids=[c[0] for c in COURSE_LIB_ONLY])
def test_lr_scheduler_nonsense_is_accepted_by_torch_live(build, words):
    """Documents the deliberate difference: torch builds these without complaint."""
    torch = pytest.importorskip("torch")
    _build(build, torch)


def test_cyclic_step_size_up_zero_is_a_value_error():
    """torch fails here too, but with a bare ZeroDivisionError from inside its code."""
    with pytest.raises(ValueError, match="Expected step_size_up > 0") as info:
        _build(lambda S, o, lib: S.CyclicLR(o, 0.1, 1.0, step_size_up=0), course_lib)
    assert "help:" in str(info.value)


def test_cyclic_step_size_up_zero_divides_by_zero_in_torch_live():
    torch = pytest.importorskip("torch")
    with pytest.raises(ZeroDivisionError):
        _build(lambda S, o, lib: S.CyclicLR(o, 0.1, 1.0, step_size_up=0, step_size_down=4), torch)


def test_steplr_step_size_zero_fails_late_in_torch_live():
    torch = pytest.importorskip("torch")
    optimizer = sgd(torch)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 0)
    optimizer.step()
    with pytest.raises(ZeroDivisionError):
        scheduler.step()


def test_lr_scheduler_type_error_for_optimizer_has_help():
    with pytest.raises(TypeError, match="help:"):
        course_lib.optim.lr_scheduler.StepLR(course_lib.zeros(2), 2)
