"""Module buffers: ``register_buffer``, ``buffers()``, ``named_buffers()``, and buffers in
``state_dict``/``load_state_dict``/``.to``, as ``torch.nn.Module`` has them.

Each scenario is written once for a library ``lib`` and run on course_lib; the live tests
run the same code on torch and compare names, order and values.
"""
from __future__ import annotations

import numpy as np
import pytest

import course_lib
from course_lib import nn


def _scaler_class(lib):
    class Scaler(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lib.nn.Linear(2, 2)
            self.register_buffer("shift", lib.zeros(2))
            self.register_buffer("count", lib.tensor(0))  # int64, like num_batches_tracked
            self.register_buffer("cache", lib.ones(2), persistent=False)
            self.register_buffer("empty", None)
            self.gain = lib.nn.Parameter(lib.ones(1))

        def forward(self, x):
            return self.lin(x) * self.gain + self.shift

    return Scaler


def _model(lib):
    scaler = _scaler_class(lib)
    lib.manual_seed(0)
    return lib.nn.Sequential(scaler(), lib.nn.ReLU(), scaler())


def _layout(model):
    """Names (in order) of parameters, buffers and state_dict, and the state_dict dtypes."""
    return (
        [n for n, _ in model.named_parameters()],
        [n for n, _ in model.named_buffers()],
        [n for n, _ in model.named_buffers(recurse=False)],
        list(model.state_dict()),
        [str(v.dtype).split(".")[-1] for v in model.state_dict().values()],
    )


def test_buffers_are_listed_in_registration_order_and_not_as_parameters():
    model = _model(course_lib)
    params, buffers, own, keys, dtypes = _layout(model)
    assert params == ["0.gain", "0.lin.weight", "0.lin.bias", "2.gain", "2.lin.weight", "2.lin.bias"]
    assert buffers == ["0.shift", "0.count", "0.cache", "2.shift", "2.count", "2.cache"]
    assert own == []
    assert len(list(model.buffers())) == 6 and list(model[0].buffers(recurse=False))[0] is model[0].shift


def test_state_dict_has_own_parameters_then_persistent_buffers_then_children():
    keys = list(_model(course_lib).state_dict())
    assert keys == ["0.gain", "0.shift", "0.count", "0.lin.weight", "0.lin.bias",
                    "2.gain", "2.shift", "2.count", "2.lin.weight", "2.lin.bias"]


def test_layout_matches_torch_live():
    torch = pytest.importorskip("torch")
    assert _layout(_model(course_lib)) == _layout(_model(torch))


def test_buffer_reassignment_keeps_persistence_and_stays_a_buffer():
    model = _scaler_class(course_lib)()
    model.cache = course_lib.zeros(3)
    model.shift = course_lib.full((2,), 5.0)
    assert "cache" not in model.state_dict() and model.state_dict()["shift"].tolist() == [5.0, 5.0]
    assert [n for n, _ in model.named_buffers()] == ["shift", "count", "cache"]
    model.register_buffer("cache", model.cache, persistent=True)
    assert list(model.state_dict())[:4] == ["gain", "shift", "count", "cache"]


def test_assigning_a_parameter_over_a_buffer_moves_it():
    model = _scaler_class(course_lib)()
    model.cache = nn.Parameter(course_lib.ones(2))
    assert "cache" not in dict(model.named_buffers()) and "cache" in dict(model.named_parameters())
    assert "cache" in model.state_dict()  # a parameter is always saved


def test_deleting_a_buffer_removes_it():
    model = _scaler_class(course_lib)()
    del model.shift
    assert "shift" not in dict(model.named_buffers())
    with pytest.raises(AttributeError):
        model.shift  # noqa: B018


def test_load_state_dict_copies_buffers_in_place_and_skips_non_persistent():
    source, target = _model(course_lib), _model(course_lib)
    source[0].shift.add_(course_lib.tensor([1.0, 2.0]))
    source[0].count.add_(7)
    source[0].cache.mul_(3.0)
    shift, count = target[0].shift, target[0].count
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert target[0].shift is shift and shift.tolist() == [1.0, 2.0]
    assert target[0].count is count and count.item() == 7 and count.dtype == course_lib.int64
    assert target[0].cache.tolist() == [1.0, 1.0]


def test_load_state_dict_reports_a_missing_buffer():
    model = _model(course_lib)
    sd = model.state_dict()
    del sd["2.count"]
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "2.count"'):
        model.load_state_dict(sd)
    assert model.load_state_dict(sd, strict=False).missing_keys == ["2.count"]


def test_double_and_to_convert_float_buffers_and_keep_integer_ones():
    model = _model(course_lib)
    shift = model[0].shift
    model.double()
    assert model[0].shift is shift and shift.dtype == course_lib.float64
    assert model[0].cache.dtype == course_lib.float64 and model[0].count.dtype == course_lib.int64
    model.to(course_lib.float32)
    assert shift.dtype == course_lib.float32 and model[0].count.dtype == course_lib.int64


def test_shared_buffer_listed_once_unless_remove_duplicate_false():
    a, b = _scaler_class(course_lib)(), _scaler_class(course_lib)()
    b.shift = a.shift
    model = nn.Sequential(a, b)
    assert [n for n, _ in model.named_buffers()].count("1.shift") == 0
    assert "1.shift" in [n for n, _ in model.named_buffers(remove_duplicate=False)]


def test_save_and_load_round_trip_keeps_buffers(tmp_path):
    model = _model(course_lib)
    model[2].count.add_(3)
    course_lib.save(model.state_dict(), tmp_path / "m.pt")
    fresh = _model(course_lib)
    fresh.load_state_dict(course_lib.load(tmp_path / "m.pt"))
    assert fresh[2].count.item() == 3 and fresh[2].count.dtype == course_lib.int64


@pytest.mark.parametrize(("name", "value", "error", "words"), [
    (1, None, TypeError, "buffer name should be a string. Got int"),
    ("a.b", None, KeyError, "buffer name can.+t contain"),
    ("", None, KeyError, "buffer name can.+t be empty string"),
    ("lin", None, KeyError, "attribute 'lin' already exists"),
    ("gain", None, KeyError, "attribute 'gain' already exists"),
    ("forward", None, KeyError, "attribute 'forward' already exists"),
    ("new", [1.0], TypeError, "cannot assign 'list' object to buffer 'new'"),
], ids=["name-type", "dot", "empty", "module", "parameter", "method", "value-type"])
def test_register_buffer_errors_use_torch_words(name, value, error, words):
    model = _scaler_class(course_lib)()
    with pytest.raises(error, match=words):
        model.register_buffer(name, value)


def test_register_buffer_errors_match_torch_live():
    torch = pytest.importorskip("torch")
    cases = [(1, None), ("a.b", None), ("", None), ("lin", None), ("new", [1.0])]
    for name, value in cases:
        raised = []
        for lib in (course_lib, torch):
            with pytest.raises(Exception) as info:
                _scaler_class(lib)().register_buffer(name, value)
            raised.append((type(info.value), str(info.value).split(". help")[0]))
        assert raised[0][0] is raised[1][0], (name, raised)
        assert raised[0][1] == raised[1][1], (name, raised)


def test_assigning_a_non_tensor_to_a_buffer_raises_type_error():
    model = _scaler_class(course_lib)()
    with pytest.raises(TypeError, match=r"cannot assign 'float' as buffer 'shift' \(torch.Tensor or None expected\)"):
        model.shift = 1.0


def test_register_buffer_before_init_raises():
    class Broken(nn.Module):
        def __init__(self):
            self.register_buffer("x", course_lib.zeros(1))

    with pytest.raises(AttributeError, match="cannot assign buffer before Module.__init__"):
        Broken()


def test_buffer_values_survive_forward_unchanged_and_are_not_trained():
    model = _scaler_class(course_lib)()
    out = model(course_lib.ones(1, 2))
    out.sum().backward()
    assert model.shift.grad is None and not model.shift.requires_grad
    np.testing.assert_array_equal(model.shift.numpy(), np.zeros(2, dtype=np.float32))
