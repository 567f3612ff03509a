"""Bad options and bad parameters: the exception torch raises, with torch's words, plus help.

Every row runs with course_lib and, when torch is installed, with torch (same exception type,
same key words). Constructor signatures and defaults are compared with torch live.
"""
from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import course_lib
from course_lib import optim

pytestmark = pytest.mark.lesson04

# (optimizer, kwargs, exception, words torch's message starts with)
BAD_OPTIONS = [
    ("SGD", {"lr": -1.0}, ValueError, "Invalid learning rate: -1.0"),
    ("SGD", {"momentum": -0.5}, ValueError, "Invalid momentum value: -0.5"),
    ("SGD", {"weight_decay": -1e-4}, ValueError, "Invalid weight_decay value: -0.0001"),
    ("SGD", {"nesterov": True}, ValueError, "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, ValueError, "Nesterov momentum requires a momentum and zero dampening"),
    ("Adam", {"lr": -0.1}, ValueError, "Invalid learning rate: -0.1"),
    ("Adam", {"eps": -1e-8}, ValueError, "Invalid epsilon value: -1e-08"),
    ("Adam", {"betas": (1.0, 0.999)}, ValueError, "Invalid beta parameter at index 0: 1.0"),
    ("Adam", {"betas": (-0.1, 0.999)}, ValueError, "Invalid beta parameter at index 0: -0.1"),
    ("Adam", {"betas": (0.9, 1.0)}, ValueError, "Invalid beta parameter at index 1: 1.0"),
    ("Adam", {"betas": (0, 0.999)}, ValueError, "betas must be either both floats or both Tensors"),
    ("Adam", {"weight_decay": -0.1}, ValueError, "Invalid weight_decay value: -0.1"),
    ("AdamW", {"lr": -0.1}, ValueError, "Invalid learning rate: -0.1"),
    ("AdamW", {"betas": (0.9, 1.5)}, ValueError, "Invalid beta parameter at index 1: 1.5"),
    ("AdamW", {"weight_decay": -0.01}, ValueError, "Invalid weight_decay value: -0.01"),
    ("RMSprop", {"lr": -0.1}, ValueError, "Invalid learning rate: -0.1"),
    ("RMSprop", {"eps": -1.0}, ValueError, "Invalid epsilon value: -1.0"),
    ("RMSprop", {"momentum": -0.9}, ValueError, "Invalid momentum value: -0.9"),
    ("RMSprop", {"weight_decay": -0.1}, ValueError, "Invalid weight_decay value: -0.1"),
    ("RMSprop", {"alpha": -0.5}, ValueError, "Invalid alpha value: -0.5"),
    ("Adagrad", {"lr": -0.1}, ValueError, "Invalid learning rate: -0.1"),
    ("Adagrad", {"lr_decay": -0.1}, ValueError, "Invalid lr_decay value: -0.1"),
    ("Adagrad", {"weight_decay": -0.1}, ValueError, "Invalid weight_decay value: -0.1"),
    ("Adagrad", {"initial_accumulator_value": -0.1}, ValueError, "Invalid initial_accumulator_value value: -0.1"),
    ("Adagrad", {"eps": -0.1}, ValueError, "Invalid epsilon value: -0.1"),
    ("Adadelta", {"lr": -1.0}, ValueError, "Invalid learning rate: -1.0"),
    ("Adadelta", {"rho": 1.1}, ValueError, "Invalid rho value: 1.1"),
    ("Adadelta", {"eps": -1e-6}, ValueError, "Invalid epsilon value: -1e-06"),
    ("Adadelta", {"weight_decay": -0.1}, ValueError, "Invalid weight_decay value: -0.1"),
    ("Adamax", {"lr": -0.1}, ValueError, "Invalid learning rate: -0.1"),
    ("Adamax", {"eps": -0.1}, ValueError, "Invalid epsilon value: -0.1"),
    ("Adamax", {"betas": (1.0, 0.999)}, ValueError, "Invalid beta parameter at index 0: 1.0"),
    ("Adamax", {"betas": (0.9, -0.1)}, ValueError, "Invalid beta parameter at index 1: -0.1"),
    ("Adamax", {"weight_decay": -0.1}, ValueError, "Invalid weight_decay value: -0.1"),
    ("NAdam", {"lr": -0.1}, ValueError, "Invalid learning rate: -0.1"),
    ("NAdam", {"eps": -0.1}, ValueError, "Invalid epsilon value: -0.1"),
    ("NAdam", {"betas": (1.0, 0.999)}, ValueError, "Invalid beta parameter at index 0: 1.0"),
    ("NAdam", {"betas": (0.9, 1.0)}, ValueError, "Invalid beta parameter at index 1: 1.0"),
    ("NAdam", {"weight_decay": -0.1}, ValueError, "Invalid weight_decay value: -0.1"),
    ("NAdam", {"momentum_decay": -0.1}, ValueError, "Invalid momentum_decay value: -0.1"),
    ("RAdam", {"lr": -0.1}, ValueError, "Invalid learning rate: -0.1"),
    ("RAdam", {"eps": -0.1}, ValueError, "Invalid epsilon value: -0.1"),
    ("RAdam", {"betas": (1.0, 0.999)}, ValueError, "Invalid beta parameter at index 0: 1.0"),
    ("RAdam", {"betas": (0.9, 1.0)}, ValueError, "Invalid beta parameter at index 1: 1.0"),
    ("RAdam", {"weight_decay": -0.1}, ValueError, "Invalid weight_decay value: -0.1"),
    ("Rprop", {"lr": -0.1}, ValueError, "Invalid learning rate: -0.1"),
    ("Rprop", {"etas": (1.0, 0.5)}, ValueError, "Invalid eta values: 1.0, 0.5"),
    ("Rprop", {"etas": (0.0, 1.2)}, ValueError, "Invalid eta values: 0.0, 1.2"),
    ("Rprop", {"etas": (0.5, 1.0)}, ValueError, "Invalid eta values: 0.5, 1.0"),
    ("Rprop", {"etas": (float("nan"), 1.2)}, ValueError, "Invalid eta values: nan, 1.2"),
    ("ASGD", {"lr": -0.1}, ValueError, "Invalid learning rate: -0.1"),
    ("ASGD", {"weight_decay": -0.5}, ValueError, "Invalid weight_decay value: -0.5"),
    ("Adafactor", {"lr": -0.1}, ValueError, "Learning rate should be >= 0 but is: -0.1"),
    ("Adafactor", {"beta2_decay": 0.8}, ValueError, "beta2_decay should be <= 0 but is: 0.8"),
    ("Adafactor", {"eps": (-1e-30, 1e-3)}, ValueError, "epsilon1 should be >= 0 but is: -1e-30"),
    ("Adafactor", {"eps": (None, -1e-3)}, ValueError, "epsilon2 should be >= 0 but is: -0.001"),
    ("Adafactor", {"d": 0.0}, ValueError, "Clipping threshold d should be >= 1 but is: 0.0"),
    ("Adafactor", {"d": 0.5}, ValueError, "Clipping threshold d should be >= 1 but is: 0.5"),
    ("Adafactor", {"weight_decay": -0.1}, ValueError, "weight_decay should be >= 0 but is: -0.1"),
]
# Options torch 2.13 does not check, so course_lib accepts them too: Rprop's step_sizes
# (a reversed pair clamps every step size to the max) and ASGD's lambd, alpha and t0.
ACCEPTED_OPTIONS = [
    ("Rprop", {"step_sizes": (50.0, 1e-6)}),
    ("Rprop", {"step_sizes": (-1.0, 50.0)}),
    ("ASGD", {"lambd": -1e-4}),
    ("ASGD", {"alpha": -0.75, "t0": -1.0}),
]
OPTION_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw, _, _ in BAD_OPTIONS]
OPTIMIZERS = [
    "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD",
    "Adafactor",
]


@pytest.mark.parametrize(("name", "kwargs", "error", "words"), BAD_OPTIONS, ids=OPTION_IDS)
def test_bad_option_is_rejected_in_torch_words_with_help(name, kwargs, error, words):
    w = course_lib.zeros(2, requires_grad=True)
    with pytest.raises(error, match="^" + re.escape(words)) as info:
        getattr(optim, name)([w], **kwargs)
    assert "help:" in str(info.value)


@pytest.mark.parametrize(("name", "kwargs", "error", "words"), BAD_OPTIONS, ids=OPTION_IDS)
def test_bad_option_is_rejected_by_torch_too(name, kwargs, error, words):
    torch = pytest.importorskip("torch")
    with pytest.raises(error, match="^" + re.escape(words)):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)


@pytest.mark.parametrize(("name", "kwargs"), ACCEPTED_OPTIONS)
def test_options_torch_does_not_check_are_accepted(name, kwargs):
    getattr(optim, name)([course_lib.zeros(2, requires_grad=True)], **kwargs)


@pytest.mark.parametrize(("name", "kwargs"), ACCEPTED_OPTIONS)
def test_options_torch_does_not_check_are_accepted_by_torch_too(name, kwargs):
    torch = pytest.importorskip("torch")
    getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)


def bad_params(lib):
    """(description, params, exception, words) for parameter lists torch rejects."""
    w = lib.zeros(2, requires_grad=True)
    non_leaf = w * 2
    return [
        ("empty", [], ValueError, "optimizer got an empty parameter list"),
        ("in_two_groups", [{"params": [w]}, {"params": [w]}], ValueError, "some parameters appear in more than one parameter group"),
        ("not_a_tensor", [w, 1.5], TypeError, "optimizer can only optimize Tensors, but one of the params is float"),
        ("numpy_array", [np.zeros(2)], TypeError, "optimizer can only optimize Tensors, but one of the params is numpy.ndarray"),
        ("single_tensor", w, TypeError, "params argument given to the optimizer should be an iterable of Tensors or dicts, but got"),
        ("non_leaf", [non_leaf], ValueError, "can't optimize a non-leaf Tensor"),
        ("set_of_params", [{"params": {w}}], TypeError, "optimizer parameters need to be organized in ordered collections"),
    ]


BAD_PARAM_IDS = [row[0] for row in bad_params(course_lib)]


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("case", BAD_PARAM_IDS)
def test_bad_parameters_are_rejected_in_torch_words(name, case):
    _, params, error, words = next(row for row in bad_params(course_lib) if row[0] == case)
    with pytest.raises(error, match="^" + re.escape(words)):
        getattr(optim, name)(params)


@pytest.mark.parametrize("case", BAD_PARAM_IDS)
def test_bad_parameters_are_rejected_by_torch_too(case):
    torch = pytest.importorskip("torch")
    _, params, error, words = next(row for row in bad_params(torch) if row[0] == case)
    with pytest.raises(error, match="^" + re.escape(words)):
        torch.optim.SGD(params)


def test_add_param_group_rejects_a_non_dict():
    optimizer = optim.SGD([course_lib.zeros(1, requires_grad=True)])
    with pytest.raises(TypeError, match="param_group must be a dict"):
        optimizer.add_param_group([course_lib.zeros(1, requires_grad=True)])


@pytest.mark.parametrize(
    ("name", "option", "value"),
    [("SGD", "foreach", True), ("Adam", "fused", True), ("Adam", "capturable", True), ("RMSprop", "differentiable", True)],
)
def test_execution_options_are_accepted_only_at_their_defaults(name, option, value):
    w = course_lib.zeros(1, requires_grad=True)
    getattr(optim, name)([w], **{option: False})
    with pytest.raises(ValueError, match=f"{option}=True is not supported by course_lib.*help:"):
        getattr(optim, name)([w], **{option: value})


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_signature_matches_torch(name):
    torch = pytest.importorskip("torch")
    ours = inspect.signature(getattr(optim, name).__init__).parameters
    theirs = inspect.signature(getattr(torch.optim, name).__init__).parameters
    assert list(ours) == list(theirs)
    for arg in theirs:
        assert ours[arg].kind == theirs[arg].kind, arg
        assert ours[arg].default == theirs[arg].default, arg


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_defaults_match_torch(name):
    torch = pytest.importorskip("torch")
    ours = getattr(optim, name)([course_lib.zeros(1, requires_grad=True)]).defaults
    theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
    assert ours == theirs
    assert list(ours) == list(theirs)
