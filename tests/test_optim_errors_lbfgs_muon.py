"""Bad input to Muon and L-BFGS: torch's exception types and words, plus help; nothing changes.

Every construction row runs with course_lib and, when torch is installed, with torch (same
exception type, same first words). Signatures and defaults are compared with torch live.
"""
from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import course_lib
from course_lib import optim

pytestmark = [pytest.mark.lesson12, pytest.mark.lesson13]


def matrix(lib, shape=(2, 3)):
    return lib.zeros(*shape, requires_grad=True)


# (optimizer, params maker, kwargs, exception, words torch's message starts with)
BAD_CONSTRUCTION = [
    ("Muon", matrix, {"lr": -1.0}, ValueError, "Learning rate should be >= 0 but is: -1.0"),
    ("Muon", matrix, {"momentum": -0.1}, ValueError, "momentum should be >= 0 but is: -0.1"),
    ("Muon", matrix, {"weight_decay": -0.1}, ValueError, "weight decay should be >= 0 but is: -0.1"),
    ("Muon", matrix, {"adjust_lr_fn": "arbitrary"}, ValueError, "Adjust learning rate function arbitrary is not supported"),
    ("Muon", lambda lib: matrix(lib, (3,)), {}, ValueError, "Muon only supports 2D parameters whereas we found a parameter with size"),
    ("Muon", lambda lib: matrix(lib, (2, 3, 4)), {}, ValueError, "Muon only supports 2D parameters whereas we found a parameter with size"),
    ("LBFGS", matrix, {"lr": -1.0}, ValueError, "Invalid learning rate: -1.0"),
]
CONSTRUCTION_IDS = [f"{name}-{i}" for i, (name, *_) in enumerate(BAD_CONSTRUCTION)]


@pytest.mark.parametrize(("name", "make", "kwargs", "error", "words"), BAD_CONSTRUCTION, ids=CONSTRUCTION_IDS)
def test_bad_construction_is_rejected_in_torch_words_with_help(name, make, kwargs, error, words):
    with pytest.raises(error, match="^" + re.escape(words)) as info:
        getattr(optim, name)([make(course_lib)], **kwargs)
    assert "help:" in str(info.value)


@pytest.mark.parametrize(("name", "make", "kwargs", "error", "words"), BAD_CONSTRUCTION, ids=CONSTRUCTION_IDS)
def test_bad_construction_is_rejected_by_torch_too(name, make, kwargs, error, words):
    torch = pytest.importorskip("torch")
    with pytest.raises(error, match="^" + re.escape(words)):
        getattr(torch.optim, name)([make(torch)], **kwargs)


def test_lbfgs_refuses_two_param_groups():
    groups = [{"params": [matrix(course_lib)]}, {"params": [matrix(course_lib)], "lr": 0.1}]
    with pytest.raises(ValueError, match=r"^LBFGS doesn't support per-parameter options \(parameter groups\).*help:"):
        optim.LBFGS(groups)


def test_lbfgs_refuses_two_param_groups_in_torch_too():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=r"^LBFGS doesn't support per-parameter options"):
        torch.optim.LBFGS([{"params": [matrix(torch)]}, {"params": [matrix(torch)]}])


# --------------------------------------------------------------------------- LBFGS steps
def quadratic(line_search_fn=None):
    """``sum((w - 1)^4)`` (slow to converge) with an LBFGS optimizer and a closure that counts
    its calls and raises once ``fail_after[0]`` calls are made."""
    w = course_lib.tensor(np.array([0.0, 2.0, -1.0]), requires_grad=True)
    optimizer = optim.LBFGS([w], max_iter=3, max_eval=10, line_search_fn=line_search_fn)
    calls, fail_after = [0], [None]

    def closure():
        calls[0] += 1
        if fail_after[0] is not None and calls[0] > fail_after[0]:
            raise FloatingPointError("the loss became NaN")
        optimizer.zero_grad()
        loss = ((w - 1.0) ** 4).sum()
        loss.backward()
        return loss

    closure.fail_after = fail_after
    return w, optimizer, closure, calls


def test_lbfgs_step_without_closure_is_a_type_error_in_torch_words():
    w, optimizer, _, _ = quadratic()
    with pytest.raises(TypeError, match=r"^LBFGS.step\(\) missing 1 required positional argument: 'closure'.*help:"):
        optimizer.step()
    assert optimizer._step_count == 0 and not optimizer.state


def test_lbfgs_step_without_closure_in_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"^LBFGS.step\(\) missing 1 required positional argument: 'closure'"):
        torch.optim.LBFGS([matrix(torch)]).step()


def test_lbfgs_unknown_line_search_is_refused_before_anything_changes():
    w, optimizer, closure, calls = quadratic(line_search_fn="armijo")
    with pytest.raises(RuntimeError, match="^only 'strong_wolfe' is supported.*help:"):
        optimizer.step(closure)
    assert calls[0] == 0 and not optimizer.state
    assert w.detach().numpy().tolist() == [0.0, 2.0, -1.0]


def test_lbfgs_unknown_line_search_in_torch():
    torch = pytest.importorskip("torch")
    w = torch.zeros(2, requires_grad=True)
    optimizer = torch.optim.LBFGS([w], line_search_fn="armijo")

    def closure():
        optimizer.zero_grad()
        loss = ((w - 1) ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="^only 'strong_wolfe' is supported"):
        optimizer.step(closure)


def test_lbfgs_second_group_added_later_is_refused_at_step():
    w, optimizer, closure, _ = quadratic()
    optimizer.add_param_group({"params": [matrix(course_lib)]})
    with pytest.raises(RuntimeError, match="^Expected exactly one param_group, but got 2.*help:"):
        optimizer.step(closure)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_step_whose_closure_raises_changes_nothing(line_search_fn):
    w, optimizer, closure, calls = quadratic(line_search_fn)
    optimizer.step(closure)  # a first step builds the state
    before = w.detach().numpy().copy(), optimizer.state_dict(), optimizer._step_count
    calls[0], closure.fail_after[0] = 0, 2
    with pytest.raises(FloatingPointError):
        optimizer.step(closure)
    assert calls[0] == 3  # the step had moved the parameters before the closure failed
    np.testing.assert_array_equal(w.detach().numpy(), before[0])
    after = optimizer.state_dict()["state"][0]
    assert sorted(after) == sorted(before[1]["state"][0])
    for key, value in before[1]["state"][0].items():
        if isinstance(value, course_lib.Tensor):
            np.testing.assert_array_equal(after[key].numpy(), value.numpy())
        elif isinstance(value, list):
            assert len(after[key]) == len(value), key
        else:
            assert after[key] == value, key
    assert optimizer._step_count == before[2]


# --------------------------------------------------------------------------- Muon steps
def muon_with_grad(**kwargs):
    W = course_lib.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3) / 10, requires_grad=True)
    W.grad = course_lib.tensor(np.ones((2, 3), dtype=np.float32))
    return W, optim.Muon([W], **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"ns_steps": 100}, "Number of steps must be less than 100 for computational efficiency"),
        ({"ns_coefficients": (1.0, 2.0)}, "Coefficients must be a tuple of exactly 3 values"),
    ],
)
def test_muon_bad_newton_schulz_options_fail_at_step_and_change_nothing(kwargs, words):
    W, optimizer = muon_with_grad(**kwargs)  # torch accepts them at construction, as here
    before = W.detach().numpy().copy()
    with pytest.raises(ValueError, match="^" + re.escape(words) + ".*help:"):
        optimizer.step()
    np.testing.assert_array_equal(W.detach().numpy(), before)
    assert not optimizer.state and optimizer._step_count == 0


def test_muon_vector_added_later_fails_at_step_and_changes_nothing():
    W, optimizer = muon_with_grad()
    b = course_lib.tensor(np.zeros(3, dtype=np.float32), requires_grad=True)
    b.grad = course_lib.tensor(np.ones(3, dtype=np.float32))
    optimizer.add_param_group({"params": [b]})  # torch checks shapes at construction only
    before = W.detach().numpy().copy()
    with pytest.raises(ValueError, match="^Param gradient must be a 2D matrix.*help:"):
        optimizer.step()
    np.testing.assert_array_equal(W.detach().numpy(), before)  # torch would have moved W
    assert not optimizer.state


def test_muon_step_errors_in_torch():
    torch = pytest.importorskip("torch")
    for kwargs, words in [
        ({"ns_steps": 100}, "Number of steps must be less than 100"),
        ({"ns_coefficients": (1.0, 2.0)}, "Coefficients must be a tuple of exactly 3 values"),
    ]:
        W = torch.zeros(2, 3, requires_grad=True)
        W.grad = torch.ones(2, 3)
        with pytest.raises(ValueError, match="^" + words):
            torch.optim.Muon([W], **kwargs).step()
    W, b = torch.zeros(2, 3, requires_grad=True), torch.zeros(3, requires_grad=True)
    W.grad, b.grad = torch.ones(2, 3), torch.ones(3)
    optimizer = torch.optim.Muon([W])
    optimizer.add_param_group({"params": [b]})
    with pytest.raises(ValueError, match="^Param gradient must be a 2D matrix"):
        optimizer.step()


# --------------------------------------------------------------------------- signatures
@pytest.mark.parametrize("name", ["Muon", "LBFGS"])
def test_signature_and_defaults_match_torch(name):
    torch = pytest.importorskip("torch")
    ours = inspect.signature(getattr(optim, name).__init__).parameters
    theirs = inspect.signature(getattr(torch.optim, name).__init__).parameters
    assert list(ours) == list(theirs)
    for arg in theirs:
        assert ours[arg].kind == theirs[arg].kind, arg
        assert ours[arg].default == theirs[arg].default, arg
    mine = getattr(optim, name)([matrix(course_lib)]).defaults
    reference = getattr(torch.optim, name)([matrix(torch)]).defaults
    assert mine == reference and list(mine) == list(reference)


def test_state_dict_layout_matches_torch_live():
    """Both optimizers' state_dicts: the same groups and the same state keys as torch's."""
    torch = pytest.importorskip("torch")
    for lib_run in ("muon", "lbfgs"):
        layouts = []
        for lib in (course_lib, torch):
            W = lib.tensor(np.array([[0.5, -1.0], [2.0, 0.25]]), requires_grad=True)
            if lib_run == "muon":
                optimizer = lib.optim.Muon([W], lr=0.02)
                W.grad = lib.tensor(np.array([[1.0, 0.5], [-0.5, 2.0]]))
                optimizer.step()
            else:
                optimizer = lib.optim.LBFGS([W], max_iter=3)

                def closure():
                    optimizer.zero_grad()
                    loss = ((W - 1.0) ** 4).sum()
                    loss.backward()
                    return loss

                optimizer.step(closure)
                optimizer.step(closure)
            sd = optimizer.state_dict()
            layouts.append((sd["param_groups"], {i: sorted(s) for i, s in sd["state"].items()}))
        assert layouts[0] == layouts[1], lib_run
