"""Bad input to course_lib.optim.swa_utils: torch 2.13's exception type and key words, then a
``help:`` sentence; live against torch when it is installed (same type, same key words).

Each row: an id, a function of the library that should raise, the exception type, and a
regular expression that torch's message and course_lib's both match.
"""
from __future__ import annotations

import re

import pytest

import course_lib


def _sgd(lib, lrs=(0.1,)):
    groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return lib.optim.SGD(groups, lr=lrs[0])


def _swalr(lib, *args, lrs=(0.1,), **kwargs):
    return lib.optim.swa_utils.SWALR(_sgd(lib, lrs), *args, **kwargs)


class _NotAnOptimizer:
    param_groups = [{"lr": 0.1, "params": []}]


def _integer_swa(lib, count):
    averaged, current = [lib.tensor([3, 4])], [lib.tensor([5, 9])]
    lib.optim.swa_utils.get_swa_multi_avg_fn()(averaged, current, count)


ERROR_CASES = [
    ("swalr-bad-anneal_strategy", lambda lib: _swalr(lib, 0.05, anneal_strategy="cosine"),
     ValueError, r"anneal_strategy must be one of 'cos' or 'linear', instead got cosine"),
    ("swalr-anneal_epochs-negative", lambda lib: _swalr(lib, 0.05, anneal_epochs=-1),
     ValueError, r"anneal_epochs must be equal or greater than 0, got -1"),
    ("swalr-anneal_epochs-float", lambda lib: _swalr(lib, 0.05, anneal_epochs=2.5),
     ValueError, r"anneal_epochs must be equal or greater than 0, got 2.5"),
    ("swalr-anneal_epochs-str", lambda lib: _swalr(lib, 0.05, anneal_epochs="3"),
     ValueError, r"anneal_epochs must be equal or greater than 0, got 3"),
    ("swalr-anneal_epochs-none", lambda lib: _swalr(lib, 0.05, anneal_epochs=None),
     ValueError, r"anneal_epochs must be equal or greater than 0, got None"),
    ("swalr-swa_lr-list-too-long", lambda lib: _swalr(lib, [0.05, 0.01]),
     ValueError, r"swa_lr must have the same length as optimizer.param_groups. "
                 r"swa_lr has 2 values, param_groups has 1"),
    ("swalr-swa_lr-list-too-short", lambda lib: _swalr(lib, [0.05], lrs=(0.1, 0.2)),
     ValueError, r"swa_lr must have the same length as optimizer.param_groups. "
                 r"swa_lr has 1 values, param_groups has 2"),
    ("swalr-parameters-not-optimizer", lambda lib: lib.optim.swa_utils.SWALR([lib.zeros(2)], 0.05),
     AttributeError, r"'list' object has no attribute 'param_groups'"),
    ("swalr-not-an-optimizer", lambda lib: lib.optim.swa_utils.SWALR(_NotAnOptimizer(), 0.05),
     TypeError, r"_NotAnOptimizer is not an Optimizer"),
    ("averaged-both-avg_fn-and-multi_avg_fn",
     lambda lib: lib.optim.swa_utils.AveragedModel(
         lib.nn.Linear(2, 1), avg_fn=lib.optim.swa_utils.get_ema_avg_fn(),
         multi_avg_fn=lib.optim.swa_utils.get_ema_multi_avg_fn()),
     AssertionError, r"Only one of avg_fn and multi_avg_fn should be provided"),
    ("ema-decay-above-1", lambda lib: lib.optim.swa_utils.get_ema_avg_fn(1.5),
     ValueError, r"Invalid decay value 1.5 provided. Please provide a value in \[0,1\] range."),
    ("ema-multi-decay-negative", lambda lib: lib.optim.swa_utils.get_ema_multi_avg_fn(-0.1),
     ValueError, r"Invalid decay value -0.1 provided. Please provide a value in \[0,1\] range."),
    ("swa-multi-integer-tensor-count", lambda lib: _integer_swa(lib, lib.tensor(2)),
     RuntimeError, r"Integer division with addcdiv is no longer supported"),
    ("swa-multi-integer-int-count", lambda lib: _integer_swa(lib, 2),
     RuntimeError, r"For integral input tensors, argument alpha must not be a floating point number"),
]
IDS = [case[0] for case in ERROR_CASES]


@pytest.mark.parametrize(("case_id", "call", "error", "words"), ERROR_CASES, ids=IDS)
def test_bad_input_raises_torchs_error_with_help(case_id, call, error, words):
    with pytest.raises(error, match=words) as info:
        call(course_lib)
    if error is not TypeError:  # the TypeError comes from the shared scheduler check
        assert "help:" in str(info.value), case_id
    assert info.type is error  # not a subclass: torch's exact type


@pytest.mark.parametrize(("case_id", "call", "error", "words"), ERROR_CASES, ids=IDS)
def test_bad_input_raises_like_torch_live(case_id, call, error, words):
    torch = pytest.importorskip("torch")
    with pytest.raises(error, match=words) as info:
        call(torch)
    assert info.type is error, case_id


def test_swalr_writes_swa_lr_before_checking_the_strategy_as_torch():
    """torch sets group["swa_lr"] first, so a failed construction leaves it behind."""
    optimizer = _sgd(course_lib)
    with pytest.raises(ValueError):
        course_lib.optim.swa_utils.SWALR(optimizer, 0.05, anneal_strategy="step")
    assert optimizer.param_groups[0]["swa_lr"] == 0.05
    assert "initial_lr" not in optimizer.param_groups[0]


def test_swalr_accepts_bool_anneal_epochs_as_torch():
    """``True`` is an int in Python, so torch takes it as anneal_epochs=1."""
    optimizer = _sgd(course_lib)
    scheduler = course_lib.optim.swa_utils.SWALR(optimizer, 0.05, anneal_epochs=True)
    optimizer.step()
    scheduler.step()
    assert scheduler.get_last_lr() == [0.05]


def test_update_parameters_with_fewer_buffers_raises_after_copying_parameters():
    """As torch: parameters are copied, then the buffer zip fails, n_averaged stays 0."""
    class WithBuffer(course_lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = course_lib.nn.Linear(2, 2)
            self.register_buffer("stat", course_lib.zeros(2))

        def forward(self, x):
            return self.fc(x)

    averaged = course_lib.optim.swa_utils.AveragedModel(course_lib.nn.Linear(2, 2))
    model = WithBuffer()
    with pytest.raises(ValueError, match=re.escape("zip() argument 2 is longer than argument 1")):
        averaged.update_parameters(model)
    assert averaged.n_averaged.item() == 0
    assert averaged.module.weight.tolist() == model.fc.weight.tolist()


def test_averaged_model_other_device_is_not_supported():
    with pytest.raises(NotImplementedError, match="CPU only"):
        course_lib.optim.swa_utils.AveragedModel(course_lib.nn.Linear(2, 1), device="cuda")
    course_lib.optim.swa_utils.AveragedModel(course_lib.nn.Linear(2, 1), device="cpu")
