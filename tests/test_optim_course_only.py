"""The course-only optimizers of lesson 12 (Lion, schedule-free AdamW) against their authors'
reference implementations: committed trajectories (tests/reference/modern.json, made by
tests/reference/gen_modern.py) and, when torch, lion-pytorch and schedulefree are installed,
the same runs live.

Tolerances as for torch's optimizers: float32 rtol 1e-5 / atol 1e-6, float64 rtol 1e-10 /
atol 1e-12. Lion's sign makes one exception possible in principle (an interpolation that is
exactly 0 in one library and not in the other); none occurs in these runs.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import course_lib
from trajectories import assert_run_matches  # the one comparison of two runs
from course_lib import optim

REFERENCE = Path(__file__).parent / "reference"
_spec = importlib.util.spec_from_file_location("gen_modern", REFERENCE / "gen_modern.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
DATA = json.loads((REFERENCE / "modern.json").read_text())
TOLERANCES = {"float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12)}

pytestmark = pytest.mark.lesson12


def test_reference_data_covers_every_configuration():
    assert set(DATA["configs"]) == set(gen.CONFIGS)


@pytest.mark.parametrize("dtype", gen.DTYPES)
@pytest.mark.parametrize("config", sorted(gen.CONFIGS))
def test_matches_the_authors_reference(config, dtype):
    got = gen.run_config(course_lib, config, dtype)
    assert_run_matches(got, DATA["configs"][config][dtype], gen.CHECKPOINTS, *TOLERANCES[dtype])


@pytest.mark.parametrize("dtype", gen.DTYPES)
@pytest.mark.parametrize("config", sorted(gen.CONFIGS))
def test_matches_the_authors_reference_live(config, dtype):
    torch = pytest.importorskip("torch")
    pytest.importorskip("lion_pytorch")
    pytest.importorskip("schedulefree")
    torch.set_num_threads(1)
    got = gen.run_config(course_lib, config, dtype)
    assert_run_matches(got, gen.run_config(torch, config, dtype), gen.CHECKPOINTS, *TOLERANCES[dtype])


# --------------------------------------------------------------------------- behaviour
def leaf(values):
    return course_lib.tensor(np.array(values, dtype=np.float64), requires_grad=True)


def test_lion_moves_every_coordinate_by_exactly_lr():
    w = leaf([1.0, -2.0, 3.0])
    optimizer = optim.Lion([w], lr=0.1)
    w.grad = course_lib.tensor(np.array([5.0, -1e-6, 0.3]))
    optimizer.step()
    np.testing.assert_allclose(w.detach().numpy(), [0.9, -1.9, 2.9])
    assert list(optimizer.state[w]) == ["exp_avg"]


def test_lion_rejects_bad_options():
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.Lion([leaf([1.0])], lr=-1.0)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        optim.Lion([leaf([1.0])], betas=(0.9, 1.5))


def test_schedule_free_step_in_eval_mode_raises_and_changes_nothing():
    w = leaf([1.0, 2.0])
    optimizer = optim.AdamWScheduleFree([w], lr=0.1)
    w.grad = course_lib.tensor(np.array([1.0, 1.0]))
    with pytest.raises(RuntimeError, match="not in train mode"):
        optimizer.step()
    assert w.tolist() == [1.0, 2.0] and len(optimizer.state) == 0 and optimizer.param_groups[0]["k"] == 0


def test_schedule_free_eval_holds_the_average_and_train_restores_y():
    w = leaf([1.0, 2.0])
    optimizer = optim.AdamWScheduleFree([w], lr=0.1)
    optimizer.train()
    for g in ([1.0, -1.0], [0.5, 0.5], [-1.0, 2.0]):
        w.grad = course_lib.tensor(np.array(g))
        optimizer.step()
    y = w.detach().numpy().copy()
    optimizer.eval()
    np.testing.assert_array_equal(w.detach().numpy(), optimizer.state[w]["x"].numpy())
    optimizer.train()
    np.testing.assert_array_equal(w.detach().numpy(), y)


def test_schedule_free_with_equal_weights_averages_the_z_sequence():
    """r = 0 and no warm-up: x is the plain mean of the z's (Polyak averaging)."""
    w = leaf([1.0, -1.0])
    optimizer = optim.AdamWScheduleFree([w], lr=0.05)
    optimizer.train()
    zs = []
    for g in ([1.0, 2.0], [-0.5, 1.0], [2.0, -3.0], [0.1, 0.1]):
        w.grad = course_lib.tensor(np.array(g))
        optimizer.step()
        zs.append(optimizer.state[w]["z"].numpy().copy())
    np.testing.assert_allclose(optimizer.state[w]["x"].numpy(), np.mean(zs, axis=0), rtol=1e-12)


@pytest.mark.parametrize("name, kwargs", [("Lion", {"lr": 1e-3, "weight_decay": 0.1}),
                                           ("AdamWScheduleFree", {"lr": 0.01, "warmup_steps": 5})])
def test_save_load_resume_is_bit_identical(tmp_path, name, kwargs):
    X, y, init = gen.gen.make_problem()

    def run(steps, resume_at=None):
        params = [course_lib.tensor(p.copy(), requires_grad=True) for p in init]
        optimizer = getattr(optim, name)(params, **kwargs)
        if hasattr(optimizer, "train"):
            optimizer.train()
        for step in range(steps):
            if step == resume_at:
                course_lib.save({"optimizer": optimizer.state_dict(),
                                 "params": [p.detach() for p in params]}, tmp_path / "ck.npz")
                loaded = course_lib.load(tmp_path / "ck.npz")
                params = [course_lib.tensor(p.numpy().copy(), requires_grad=True) for p in loaded["params"]]
                optimizer = getattr(optim, name)(params, **kwargs)
                optimizer.load_state_dict(loaded["optimizer"])
            _, grads = gen.gen.loss_and_grads([p.detach().numpy() for p in params], X, y)
            for p, g in zip(params, grads):
                p.grad = course_lib.tensor(g)
            optimizer.step()
        return [p.detach().numpy() for p in params]

    for a, b in zip(run(20), run(20, resume_at=8)):
        np.testing.assert_array_equal(a, b)
