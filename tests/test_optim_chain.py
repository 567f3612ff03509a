"""course_lib.optim.chain: chains of pure transforms match the optimizer classes step for step."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import course_lib
from course_lib.optim.adam import Adam
from course_lib.optim.adamw import AdamW
from course_lib.optim.sgd import SGD
from course_lib.optim import chain as ch
from course_lib.optim.lr_scheduler import CosineAnnealingLR, StepLR

pytestmark = pytest.mark.lesson11

STEPS = 50
TOL = 1e-12


def _problem(seed: int = 0):
    """Start params and a gradient function of a quadratic with uneven curvature (float64)."""
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=(4, 3)), rng.normal(size=(3,))]
    curvature = [rng.uniform(0.01, 20.0, size=p.shape) for p in params]
    centre = [rng.normal(size=p.shape) for p in params]

    def grads_at(ps):
        return [a * (p - c) for a, p, c in zip(curvature, ps, centre)]

    return params, grads_at


def _class_path(make_optimizer, make_scheduler=None, seed=0):
    params, grads_at = _problem(seed)
    tensors = [course_lib.tensor(p, dtype=course_lib.float64, requires_grad=True) for p in params]
    optimizer = make_optimizer(tensors)
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    path = []
    for _ in range(STEPS):
        for t, g in zip(tensors, grads_at([t.detach().numpy() for t in tensors])):
            t.grad = course_lib.tensor(g, dtype=course_lib.float64)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        path.append([t.detach().numpy().copy() for t in tensors])
    return path


def _chain_path(transform, seed=0):
    params, grads_at = _problem(seed)
    state = transform.init(params)
    path = []
    for _ in range(STEPS):
        updates, state = transform.update(grads_at(params), state, params)
        params = ch.apply_updates(params, updates)
        path.append(params)
    return path


def _max_difference(a, b):
    return max(np.abs(x - y).max() for pa, pb in zip(a, b) for x, y in zip(pa, pb))


# ------------------------------------------------------------------ against the classes
@pytest.mark.parametrize(
    "options",
    [
        dict(lr=0.01),
        dict(lr=0.01, momentum=0.9),
        dict(lr=0.01, momentum=0.9, nesterov=True),
        dict(lr=0.005, momentum=0.8, dampening=0.3, weight_decay=0.1),
        dict(lr=0.01, weight_decay=0.5),
    ],
)
def test_sgd_chain_matches_sgd_class_for_50_steps(options):
    expected = _class_path(lambda ps: SGD(ps, **options))
    got = _chain_path(ch.sgd(options.pop("lr"), **options))
    assert _max_difference(got, expected) <= TOL


@pytest.mark.parametrize(
    "options",
    [
        dict(lr=0.05),
        dict(lr=0.05, betas=(0.5, 0.9), eps=1e-3),
        dict(lr=0.01, weight_decay=0.3),
        dict(lr=0.1, betas=(0.0, 0.99), eps=1e-6, weight_decay=0.01),
    ],
)
def test_adam_chain_matches_adam_class_for_50_steps(options):
    expected = _class_path(lambda ps: Adam(ps, **options))
    b1, b2 = options.get("betas", (0.9, 0.999))
    transform = ch.chain(
        ch.add_decayed_weights(options.get("weight_decay", 0.0)),
        ch.scale_by_adam(b1, b2, options.get("eps", 1e-8)),
        ch.scale(-options["lr"]),
    )
    assert _max_difference(_chain_path(transform), expected) <= TOL


@pytest.mark.parametrize(
    "options",
    [dict(lr=0.05), dict(lr=0.05, weight_decay=0.5), dict(lr=0.01, betas=(0.8, 0.99), eps=1e-4, weight_decay=2.0)],
)
def test_adamw_chain_matches_adamw_class_for_50_steps(options):
    expected = _class_path(lambda ps: AdamW(ps, **options))
    b1, b2 = options.get("betas", (0.9, 0.999))
    transform = ch.adamw(options["lr"], b1, b2, options.get("eps", 1e-8), options.get("weight_decay", 1e-2))
    assert _max_difference(_chain_path(transform), expected) <= TOL


def test_adamw_decay_in_the_wrong_place_does_not_match_adamw():
    options = dict(lr=0.05, weight_decay=0.5)
    expected = _class_path(lambda ps: AdamW(ps, **options))
    adam_l2 = ch.adam(0.05, weight_decay=0.5)
    after_lr = ch.chain(ch.scale_by_adam(), ch.scale(-0.05), ch.add_decayed_weights(0.5))
    assert _max_difference(_chain_path(adam_l2), expected) > 1e-3
    assert _max_difference(_chain_path(after_lr), expected) > 1e-3


def test_scale_by_schedule_matches_adam_with_steplr_stepped_each_update():
    expected = _class_path(lambda ps: Adam(ps, lr=0.05), lambda opt: StepLR(opt, step_size=10, gamma=0.5))
    schedule = lambda count: 0.05 * 0.5 ** (count // 10)  # noqa: E731 - a schedule is a function
    transform = ch.chain(ch.scale_by_adam(), ch.scale_by_learning_rate(schedule))
    assert _max_difference(_chain_path(transform), expected) <= TOL


def test_adamw_with_cosine_schedule_matches_adamw_with_cosine_annealing():
    expected = _class_path(lambda ps: AdamW(ps, lr=0.05, weight_decay=0.1),
                           lambda opt: CosineAnnealingLR(opt, T_max=STEPS))
    schedule = lambda t: 0.05 * (1 + np.cos(np.pi * t / STEPS)) / 2  # noqa: E731
    got = _chain_path(ch.adamw(schedule, weight_decay=0.1))
    # CosineAnnealingLR uses torch's recursive (chainable) form: equal to rounding, not bit for bit
    assert _max_difference(got, expected) <= 1e-10


# ------------------------------------------------------------------ the transforms themselves
def test_scale_by_adam_first_update_is_the_sign_of_the_gradient():
    transform = ch.scale_by_adam(eps=0.0)
    state = transform.init([np.zeros(3)])
    out, state = transform.update([np.array([3.0, -0.001, 0.5])], state)
    np.testing.assert_array_equal(out[0], [1.0, -1.0, 1.0])
    assert state.count == 1


def test_scale_by_adam_matches_the_paper_formula_after_three_steps():
    b1, b2, eps = 0.8, 0.95, 1e-3
    grads = [np.array([1.0, -2.0]), np.array([0.5, 0.5]), np.array([-1.0, 4.0])]
    transform = ch.scale_by_adam(b1, b2, eps)
    state = transform.init([np.zeros(2)])
    m = v = np.zeros(2)
    for t, g in enumerate(grads, start=1):
        out, state = transform.update([g], state)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        expected = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        np.testing.assert_allclose(out[0], expected, rtol=1e-14)
        np.testing.assert_allclose(state.mu[0], m, rtol=1e-14)
        np.testing.assert_allclose(state.nu[0], v, rtol=1e-14)


def test_chain_transforms_are_pure():
    params, grads_at = _problem()
    transform = ch.chain(ch.add_decayed_weights(0.1), ch.trace(0.9), ch.scale_by_adam(), ch.scale(-0.1))
    state = transform.init(params)
    state, _ = transform.update(grads_at(params), state, params)[1], None
    grads = grads_at(params)
    saved = copy.deepcopy((grads, state, params))
    first, _ = transform.update(grads, state, params)
    again, _ = transform.update(grads, state, params)  # same inputs, same answer
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    for before, after in zip(saved[0] + saved[2], grads + params):
        np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(saved[1][2].mu[0], state[2].mu[0])


def test_chain_state_is_a_tuple_of_link_states():
    state = ch.adam(0.1).init([np.zeros(2)])
    assert isinstance(state, tuple) and len(state) == 3
    assert isinstance(state[1], ch.ScaleByAdamState) and state[1].count == 0


def test_empty_chain_is_the_identity():
    transform = ch.chain()
    out, state = transform.update([np.array([1.0, 2.0])], transform.init([np.zeros(2)]))
    np.testing.assert_array_equal(out[0], [1.0, 2.0])
    assert state == ()


def test_apply_updates_returns_new_arrays():
    params = [np.array([1.0, 2.0])]
    new = ch.apply_updates(params, [np.array([0.5, -0.5])])
    np.testing.assert_array_equal(new[0], [1.5, 1.5])
    np.testing.assert_array_equal(params[0], [1.0, 2.0])


def test_scale_by_learning_rate_flips_the_sign_by_default():
    out, _ = ch.scale_by_learning_rate(0.1).update([np.array([2.0])], ch.EmptyState())
    np.testing.assert_allclose(out[0], [-0.2])
    out, _ = ch.scale_by_learning_rate(0.1, flip_sign=False).update([np.array([2.0])], ch.EmptyState())
    np.testing.assert_allclose(out[0], [0.2])


# ------------------------------------------------------------------ errors
def test_chain_rejects_an_uncalled_factory():
    with pytest.raises(TypeError, match="help: call the factory"):
        ch.chain(ch.scale_by_adam)


def test_add_decayed_weights_needs_params():
    transform = ch.add_decayed_weights(0.1)
    with pytest.raises(RuntimeError, match="needs the current params"):
        transform.update([np.zeros(2)], transform.init([np.zeros(2)]))


def test_transforms_reject_a_bare_array():
    with pytest.raises(TypeError, match="list of numpy arrays"):
        ch.scale(2.0).update(np.zeros(2), ch.EmptyState())


@pytest.mark.parametrize(
    "factory, message",
    [
        (lambda: ch.scale_by_adam(b1=1.0), "Invalid beta parameter at index 0"),
        (lambda: ch.scale_by_adam(b2=-0.1), "Invalid beta parameter at index 1"),
        (lambda: ch.scale_by_adam(eps=-1.0), "Invalid epsilon value"),
        (lambda: ch.trace(0.0, nesterov=True), "Nesterov momentum requires a momentum"),
    ],
)
def test_transforms_reject_bad_options(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_negative_decay_after_the_learning_rate_is_decoupled_decay():
    rng = np.random.default_rng(3)
    params, grads = [rng.normal(size=4)], [rng.normal(size=4)]
    lr, wd = 0.1, 0.01
    before = ch.chain(ch.scale_by_adam(), ch.add_decayed_weights(wd), ch.scale_by_learning_rate(lr))
    after = ch.chain(ch.scale_by_adam(), ch.scale_by_learning_rate(lr), ch.add_decayed_weights(-lr * wd))
    steps = [t.update(grads, t.init(params), params)[0][0] for t in (before, after)]
    np.testing.assert_allclose(steps[1], steps[0], rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------ live against torch
def test_adamw_chain_matches_torch_adamw_live():
    torch = pytest.importorskip("torch")
    params, grads_at = _problem()
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    optimizer = torch.optim.AdamW(tensors, lr=0.05, weight_decay=0.5)
    transform = ch.adamw(0.05, weight_decay=0.5)
    state = transform.init(params)
    for _ in range(STEPS):
        for t, g in zip(tensors, grads_at([t.detach().numpy() for t in tensors])):
            t.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
        updates, state = transform.update(grads_at(params), state, params)
        params = ch.apply_updates(params, updates)
    assert _max_difference([params], [[t.detach().numpy() for t in tensors]]) <= TOL


# ------------------------------------------------------------------ against torch's own numbers
def _load_optim_reference():
    import importlib.util
    import json
    from pathlib import Path

    reference = Path(__file__).parent / "reference"
    spec = importlib.util.spec_from_file_location("gen_optim_for_chains", reference / "gen_optim.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    return gen, json.loads((reference / "optim.json").read_text())


GEN, OPTIM_DATA = _load_optim_reference()
# reference configuration -> the chain that should retrace it (torch's trajectories, made by
# tests/reference/gen_optim.py; the classes are not involved, so this fails on its own).
TORCH_CHAINS = {
    "sgd_momentum": lambda: ch.sgd(0.05, momentum=0.9),
    "sgd_dampening": lambda: ch.sgd(0.05, momentum=0.9, dampening=0.3),
    "sgd_nesterov": lambda: ch.sgd(0.05, momentum=0.9, nesterov=True),
    "sgd_weight_decay": lambda: ch.sgd(0.1, weight_decay=0.1),
    "adam_default": lambda: ch.adam(0.01),
    "adam_weight_decay": lambda: ch.adam(0.01, weight_decay=0.1),
    "adam_betas_eps": lambda: ch.adam(0.02, b1=0.8, b2=0.99, eps=1e-6),
    "adamw_default": lambda: ch.adamw(0.01),
}


@pytest.mark.parametrize("dtype, rtol, atol", [("float32", 1e-5, 1e-6), ("float64", 1e-10, 1e-12)])
@pytest.mark.parametrize("config", sorted(TORCH_CHAINS))
def test_chain_retraces_torchs_reference_trajectory(config, dtype, rtol, atol):
    X, y, init = GEN.make_problem()
    params = [p.astype(dtype) for p in init]
    transform = TORCH_CHAINS[config]()
    state = transform.init(params)
    recorded = []
    for step in range(1, GEN.STEPS + 1):
        _, grads = GEN.loss_and_grads(params, X, y)
        updates, state = transform.update(grads, state, params)
        params = ch.apply_updates(params, updates)
        assert all(p.dtype == np.dtype(dtype) for p in params)
        if step in GEN.CHECKPOINTS:
            recorded.append(np.concatenate([p.reshape(-1) for p in params]))
    for got, want in zip(recorded, OPTIM_DATA["configs"][config][dtype]["params"]):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
