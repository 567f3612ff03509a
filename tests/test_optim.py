"""The Optimizer base class: param groups, zero_grad, step, step counting, atomic steps.

Numbers of whole trajectories are in test_optim_reference.py, errors in test_optim_errors.py,
state_dict in test_optim_state_dict.py.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import course_lib
from course_lib import optim

pytestmark = pytest.mark.lesson04

OPTIMIZERS = [
    "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD",
    "Adafactor",
]
# Options that make every optimizer keep state (SGD keeps none without momentum).
STATEFUL = {"SGD": {"momentum": 0.9}}


def leaf(values, dtype=np.float32):
    """A leaf tensor that requires grad, with its own copy of ``values``."""
    return course_lib.tensor(np.array(values, dtype=dtype), requires_grad=True)


def grad_of(values, dtype=np.float32):
    """A gradient tensor with its own copy of ``values``."""
    return course_lib.tensor(np.array(values, dtype=dtype))


# --------------------------------------------------------------------------- param groups
def test_optimizer_accepts_a_generator_of_tensors():
    w, b = leaf([1.0, 2.0]), leaf([0.5])
    optimizer = optim.SGD((p for p in [w, b]), lr=0.1)
    assert len(optimizer.param_groups) == 1
    assert optimizer.param_groups[0]["params"][0] is w
    assert optimizer.param_groups[0]["params"][1] is b


def test_param_groups_fill_in_defaults():
    w, b = leaf([1.0]), leaf([2.0])
    optimizer = optim.SGD([{"params": [w]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    first, second = optimizer.param_groups
    assert first["lr"] == 0.1 and first["momentum"] == 0
    assert second["lr"] == 0.5 and second["momentum"] == 0.9
    assert second["params"] == [b] or second["params"][0] is b  # a lone tensor becomes a list
    assert set(first) == set(optimizer.defaults) | {"params"}


def test_add_param_group_adds_a_group_with_defaults():
    w, b = leaf([1.0]), leaf([2.0])
    optimizer = optim.Adam([w], lr=0.01)
    optimizer.add_param_group({"params": [b], "lr": 0.1})
    assert optimizer.param_groups[1]["lr"] == 0.1
    assert optimizer.param_groups[1]["betas"] == (0.9, 0.999)


def test_add_param_group_rejects_a_parameter_already_in_a_group():
    w = leaf([1.0])
    optimizer = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optimizer.add_param_group({"params": [w]})
    assert len(optimizer.param_groups) == 1


def test_named_parameters_are_accepted_with_their_names():
    w, b = leaf([1.0]), leaf([2.0])
    optimizer = optim.SGD([("w", w), ("b", b)], lr=0.1)
    assert optimizer.param_groups[0]["params"][1] is b
    assert optimizer.param_groups[0]["param_names"] == ["w", "b"]


def test_a_group_without_a_required_option_is_rejected():
    class NeedsLr(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": optim.optimizer.required, "momentum": 0.0})

        def step(self, closure=None):
            return None

    optimizer = NeedsLr([{"params": [leaf([1.0])], "lr": 0.1}])
    assert optimizer.param_groups[0]["momentum"] == 0.0
    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        NeedsLr([leaf([1.0])])


def test_duplicate_parameter_in_a_group_warns_as_torch():
    w = leaf([1.0])
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([w, w], lr=0.1)


# --------------------------------------------------------------------------- zero_grad
def test_zero_grad_sets_grads_to_none_by_default():
    w = leaf([1.0, 2.0])
    w.grad = grad_of([3.0, 4.0])
    optim.SGD([w]).zero_grad()
    assert w.grad is None


def test_zero_grad_set_to_none_false_zeroes_in_place_and_keeps_none():
    w, b = leaf([1.0, 2.0]), leaf([5.0])
    grad = grad_of([3.0, 4.0])
    w.grad = grad
    optim.SGD([w, b]).zero_grad(set_to_none=False)
    assert w.grad is grad
    assert w.grad.tolist() == [0.0, 0.0]
    assert b.grad is None


# --------------------------------------------------------------------------- step
def test_step_returns_the_closure_loss_computed_with_grad_enabled():
    w = leaf([1.0, -2.0])
    optimizer = optim.SGD([w], lr=0.1)
    seen = {}

    def closure():
        seen["grad_enabled"] = course_lib.is_grad_enabled()
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with course_lib.no_grad():
        loss = optimizer.step(closure)
    assert seen["grad_enabled"] is True
    assert loss.item() == pytest.approx(5.0)
    np.testing.assert_allclose(w.detach().numpy(), [0.8, -1.6], rtol=1e-6)


def test_step_without_closure_returns_none():
    w = leaf([1.0])
    w.grad = grad_of([1.0])
    assert optim.Adam([w]).step() is None


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_skips_parameters_whose_grad_is_none(name):
    w, frozen = leaf([1.0, 2.0]), leaf([3.0])
    optimizer = getattr(optim, name)([w, frozen], **STATEFUL.get(name, {}))
    w.grad = grad_of([0.5, -0.5])
    optimizer.step()
    assert frozen.tolist() == [3.0]
    assert w.tolist() != [1.0, 2.0]
    if name == "Adagrad":  # torch's Adagrad creates its state in __init__
        assert optimizer.state[frozen]["step"].item() == 0.0
    else:
        assert frozen not in optimizer.state


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_updates_parameters_in_place(name):
    w = leaf(np.linspace(-1, 1, 6).reshape(2, 3))
    storage = w._data
    view = storage[0]  # any holder of the array sees the update
    before = storage.copy()
    optimizer = getattr(optim, name)([w], **STATEFUL.get(name, {}))
    w.grad = grad_of(np.full((2, 3), 0.25))
    optimizer.step()
    assert w._data is storage
    assert not np.array_equal(view, before[0])


def test_sgd_state_is_kept_only_with_momentum():
    w = leaf([1.0])
    w.grad = grad_of([1.0])
    optimizer = optim.SGD([w], lr=0.1)
    optimizer.step()
    assert optimizer.state_dict()["state"] == {}


def test_sgd_momentum_buffer_starts_as_a_copy_of_the_gradient():
    w = leaf([1.0, 2.0])
    w.grad = grad_of([0.5, -1.0])
    optimizer = optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.5)
    optimizer.step()
    buf = optimizer.state[w]["momentum_buffer"]
    assert buf.tolist() == [0.5, -1.0]  # no dampening on the first step, as torch
    assert buf._data is not w.grad._data


@pytest.mark.parametrize(
    ("bad_grad", "message"),
    [
        (np.zeros(3, dtype=np.float32), "has shape"),
        (np.zeros((2, 2), dtype=np.float64), "has dtype"),
    ],
    ids=["wrong_shape", "wrong_dtype"],
)
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_that_raises_leaves_parameters_and_state_unchanged(name, bad_grad, message):
    w, v = leaf([[1.0, 2.0], [3.0, 4.0]]), leaf([[0.5, -0.5], [1.5, -1.5]])
    optimizer = getattr(optim, name)([{"params": [w]}, {"params": [v]}], **STATEFUL.get(name, {}))
    w.grad, v.grad = grad_of([[0.1, 0.2], [0.3, 0.4]]), grad_of([[0.4, 0.3], [0.2, 0.1]])
    optimizer.step()  # state exists now
    params_before = [w._data.copy(), v._data.copy()]
    state_before = optimizer.state_dict()
    steps_before = optimizer._step_count

    v.grad = course_lib.tensor(bad_grad)  # the second parameter, in the second group
    with pytest.raises(RuntimeError, match=message):
        optimizer.step()
    np.testing.assert_array_equal(w._data, params_before[0])
    np.testing.assert_array_equal(v._data, params_before[1])
    state_after = optimizer.state_dict()
    for index, buffers in state_before["state"].items():
        for key, value in buffers.items():
            np.testing.assert_array_equal(state_after["state"][index][key]._data, value._data)
    assert optimizer._step_count == steps_before


def test_step_rejects_a_grad_that_is_not_a_tensor():
    w = leaf([1.0])
    w.grad = np.array([1.0], dtype=np.float32)
    with pytest.raises(TypeError, match="not a Tensor"):
        optim.SGD([w]).step()


# Adafactor is left out: its step scales by the RMS of the whole parameter and of the update.
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "RAdam", "Rprop", "ASGD"])
def test_one_large_parameter_matches_the_same_numbers_split_into_many(name):
    """Every update rule is elementwise: splitting a parameter changes no number."""
    rng = np.random.default_rng(0)
    n = 131_195
    start = rng.standard_normal(n)
    grads = [rng.standard_normal(n) for _ in range(3)]
    results = []
    for size in (n, 1000):  # one big parameter, then the same numbers as many small ones
        params = [leaf(chunk, np.float64) for chunk in np.array_split(start, n // size)]
        optimizer = getattr(optim, name)(params, **STATEFUL.get(name, {}))
        for g in grads:
            for p, chunk in zip(params, np.array_split(g, len(params))):
                p.grad = grad_of(chunk, np.float64)
            optimizer.step()
        results.append(np.concatenate([p._data for p in params]))
    np.testing.assert_array_equal(results[0], results[1])


# --------------------------------------------------------------------------- step counting
def test_step_sets_opt_called_and_counts_steps():
    w = leaf([1.0])
    optimizer = optim.SGD([w], lr=0.1)
    assert optimizer._opt_called is False and optimizer._step_count == 0
    w.grad = grad_of([1.0])
    optimizer.step()
    optimizer.step()
    assert optimizer._opt_called is True
    assert optimizer._step_count == 2


def test_a_student_subclass_counts_steps_once_even_through_super():
    class MySGD(optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    class Plain(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p._data -= group["lr"] * p.grad._data

    w = leaf([1.0])
    w.grad = grad_of([1.0])
    mine = MySGD([w], lr=0.1)
    mine.step()
    assert mine._step_count == 1 and mine._opt_called
    plain = Plain([w])
    plain.step()
    assert plain._step_count == 1 and plain._opt_called
    assert "step" not in plain.__dict__  # nothing patched on the instance


def test_the_documented_student_subclass_runs_and_is_counted():
    class PlainSGD(optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        @course_lib.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.add_(p.grad, alpha=-group["lr"])

    w = leaf([1.0, 2.0])
    (w * w).sum().backward()
    optimizer = PlainSGD([w])
    optimizer.step()
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6], rtol=1e-6)
    assert optimizer._opt_called and optimizer._step_count == 1


def test_a_step_that_raises_is_not_counted():
    class Failing(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {})

        def step(self, closure=None):
            raise RuntimeError("boom")

    optimizer = Failing([leaf([1.0])])
    with pytest.raises(RuntimeError, match="boom"):
        optimizer.step()
    assert optimizer._opt_called is False and optimizer._step_count == 0


def test_base_optimizer_step_is_not_implemented():
    with pytest.raises(NotImplementedError):
        optim.Optimizer([leaf([1.0])], {}).step()


# --------------------------------------------------------------------------- public API shape
PURE_FUNCTIONS = {
    "sgd": ("sgd_update", "SGD", ["momentum_buffer"]),
    "adam": ("adam_update", "Adam", ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]),
    "adamw": ("adamw_update", "AdamW", ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]),
    "rmsprop": ("rmsprop_update", "RMSprop", ["square_avg", "momentum_buffer", "grad_avg"]),
    "adagrad": ("adagrad_update", "Adagrad", ["state_sum"]),
    "adadelta": ("adadelta_update", "Adadelta", ["square_avg", "acc_delta"]),
    "adamax": ("adamax_update", "Adamax", ["exp_avg", "exp_inf"]),
    "nadam": ("nadam_update", "NAdam", ["exp_avg", "exp_avg_sq", "mu_product"]),
    "radam": ("radam_update", "RAdam", ["exp_avg", "exp_avg_sq"]),
    "rprop": ("rprop_update", "Rprop", ["prev", "step_size"]),
    "asgd": ("asgd_update", "ASGD", ["eta", "mu", "ax"]),
    "adafactor": ("adafactor_update", "Adafactor", ["row_var", "col_var", "variance"]),
}


@pytest.mark.parametrize("module", sorted(PURE_FUNCTIONS))
def test_pure_update_function_takes_param_grad_state_and_the_class_options(module):
    """``name_update(param, grad, state, <options with the class's defaults>)``."""
    name, class_name, buffers = PURE_FUNCTIONS[module]
    fn = getattr(getattr(optim, module), name)
    cls = getattr(optim, class_name)
    assert name in getattr(optim, module).__all__
    parameters = inspect.signature(fn).parameters
    assert list(parameters)[:3] == ["param", "grad", "state"]
    options = {p: v.default for p, v in list(parameters.items())[3:]}
    class_defaults = {p: v.default for p, v in inspect.signature(cls.__init__).parameters.items()}
    for option, default in options.items():
        assert class_defaults[option] == default, f"{name}'s default {option}={default!r}"
    if cls._update is not None and cls._update.__name__ == name:
        assert set(cls._options) == set(options)
    pseudo_code = getattr(optim, module).__doc__
    assert fn.__doc__
    assert "for step = 1" in pseudo_code or "for t = 1" in pseudo_code
    for buffer in buffers:  # the pseudo-code uses the state's own names
        assert buffer in pseudo_code, f"{buffer} is not in {module}'s pseudo-code"


def test_each_class_names_its_update_function_once():
    for module, (name, class_name, _) in PURE_FUNCTIONS.items():
        cls = getattr(optim, class_name)
        assert "step" not in vars(cls), f"{class_name} writes its own step()"
        assert cls._update.__name__ in (name, "adam_update")


def test_sgd_update_reads_like_the_pseudo_code():
    param, grad = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    options = dict(lr=0.1, momentum=0.9)
    param, state = optim.sgd.sgd_update(param, grad, {}, **options)
    np.testing.assert_array_equal(state["momentum_buffer"], grad)
    np.testing.assert_allclose(param, [1.0 - 0.1 * 0.5, 2.0 + 0.1 * 1.0])
    param, state = optim.sgd.sgd_update(param, grad, state, **options)
    np.testing.assert_allclose(state["momentum_buffer"], 1.9 * grad)
    np.testing.assert_allclose(param, [1.0 - 0.29 * 0.5, 2.0 + 0.29 * 1.0])


def test_sgd_update_without_momentum_keeps_no_state():
    param, state = optim.sgd.sgd_update(np.array([1.0]), np.array([2.0]), {}, lr=0.5)
    assert state == {} and param.tolist() == [0.0]


def test_a_failed_step_writes_nothing_even_when_the_update_function_raises():
    class Exploding(optim.Optimizer):
        """Updates the first parameter, then raises on the second."""

        @staticmethod
        def _update(param, grad, state, lr):
            if param.size == 2:
                raise FloatingPointError("boom")
            return param - lr * grad, {"step": state.get("step", 0.0) + 1}

        _options = ("lr",)

    w, v = leaf([1.0]), leaf([1.0, 2.0])
    optimizer = Exploding([w, v], {"lr": 0.1})
    w.grad, v.grad = grad_of([1.0]), grad_of([1.0, 1.0])
    with pytest.raises(FloatingPointError):
        optimizer.step()
    assert w.tolist() == [1.0] and len(optimizer.state) == 0


def test_step_writes_the_parameter_in_place():
    w = leaf([1.0, 2.0])
    storage = w._data
    optimizer = optim.Adam([w], lr=0.1)
    w.grad = grad_of([1.0, -1.0])
    optimizer.step()
    assert w._data is storage and w.tolist() != [1.0, 2.0]


def test_repr_lists_each_group_options_sorted():
    optimizer = optim.SGD([leaf([1.0])], lr=0.1, momentum=0.9)
    text = repr(optimizer)
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "    lr: 0.1\n" in text and "    momentum: 0.9\n" in text and text.endswith(")")
