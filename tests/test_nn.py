"""course_lib.nn: Module bookkeeping, state_dict, layers, losses' errors, init, clipping."""
from __future__ import annotations

import math

import numpy as np
import pytest

import course_lib
from course_lib import nn
from course_lib.nn import functional as F


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
        self.head = nn.Linear(4, 2, bias=False)
        self.scale = nn.Parameter(course_lib.ones(1))
        self.note = "not a parameter"

    def forward(self, x):
        return self.head(self.body(x)) * self.scale


# ---------------------------------------------------------------- registration and traversal
def test_named_parameters_use_torch_dotted_names_in_registration_order():
    model = TwoLayer()
    assert [name for name, _ in model.named_parameters()] == ["scale", "body.0.weight", "body.0.bias", "head.weight"]
    assert len(list(model.parameters())) == 4
    assert [type(m).__name__ for m in model.children()] == ["Sequential", "Linear"]
    assert [type(m).__name__ for m in model.modules()] == ["TwoLayer", "Sequential", "Linear", "ReLU", "Linear"]


def test_module_attribute_lookup_and_plain_attributes():
    model = TwoLayer()
    assert isinstance(model.head, nn.Linear) and model.note == "not a parameter"
    assert model.head.bias is None
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        model.missing


def test_shared_parameter_is_listed_once():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    model[1].weight = model[0].weight
    assert len(list(model.parameters())) == 3


def test_assigning_before_super_init_raises():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Broken()


def test_zero_grad_sets_to_none_or_zeros():
    model = nn.Linear(3, 2)
    model(course_lib.ones(3)).sum().backward()
    assert model.weight.grad is not None
    model.zero_grad(set_to_none=False)
    assert np.all(model.weight.grad.numpy() == 0)
    model.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None


def test_train_eval_set_training_everywhere():
    model = TwoLayer()
    assert model.training and model.body[1].training
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_parameter_is_a_leaf_tensor_that_requires_grad():
    p = nn.Parameter(course_lib.zeros(2))
    assert isinstance(p, course_lib.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(course_lib.zeros(2), requires_grad=False).requires_grad


# ---------------------------------------------------------------- state_dict
def test_state_dict_is_ordered_detached_and_shares_storage():
    model = TwoLayer()
    sd = model.state_dict()
    assert list(sd) == ["scale", "body.0.weight", "body.0.bias", "head.weight"]
    assert all(not t.requires_grad for t in sd.values())
    with course_lib.no_grad():
        model.scale.fill_(3.0)
    assert sd["scale"].item() == 3.0


def test_load_state_dict_copies_into_the_same_parameter_objects():
    source, target = TwoLayer(), TwoLayer()
    before = list(target.parameters())
    result = target.load_state_dict(source.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert all(a is b for a, b in zip(before, target.parameters()))
    for (_, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_load_state_dict_strict_reports_missing_and_unexpected_keys():
    model = nn.Linear(2, 2)
    sd = model.state_dict()
    del sd["bias"]
    sd["extra"] = course_lib.zeros(1)
    with pytest.raises(RuntimeError, match=r'Error\(s\) in loading state_dict for Linear:\n\tUnexpected key\(s\) in state_dict: "extra". \n\tMissing key\(s\) in state_dict: "bias". '):
        model.load_state_dict(sd)
    result = model.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]


def test_load_state_dict_shape_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param with shape course_lib.Size\(\[3, 2\]\) from checkpoint, the shape in current model is course_lib.Size\(\[2, 2\]\)"):
        nn.Linear(2, 2).load_state_dict(nn.Linear(2, 3).state_dict())


def test_loss_weight_is_a_buffer_in_state_dict():
    loss = nn.CrossEntropyLoss(weight=course_lib.tensor([1.0, 2.0]))
    assert list(loss.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []


# ---------------------------------------------------------------- repr
SEQUENTIAL_REPR = (
    "Sequential(\n"
    "  (0): Linear(in_features=4, out_features=8, bias=True)\n"
    "  (1): ReLU()\n"
    "  (2): Dropout(p=0.25, inplace=False)\n"
    "  (3): Flatten(start_dim=1, end_dim=-1)\n"
    "  (4): Linear(in_features=8, out_features=2, bias=False)\n"
    ")"
)


def _repr_model(lib):
    return lib.nn.Sequential(
        lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Dropout(0.25), lib.nn.Flatten(), lib.nn.Linear(8, 2, bias=False)
    )


def test_repr_like_torch():
    assert repr(_repr_model(course_lib)) == SEQUENTIAL_REPR
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"


def test_repr_matches_torch_live():
    torch = pytest.importorskip("torch")
    assert repr(_repr_model(course_lib)) == repr(_repr_model(torch))
    assert repr(TwoLayer()).startswith("TwoLayer(\n  (body): Sequential(\n    (0): Linear(")


# ---------------------------------------------------------------- layers
def test_sequential_indexing_len_and_slices():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    assert len(model) == 3 and isinstance(model[1], nn.Tanh) and isinstance(model[-1], nn.Linear)
    head = model[1:]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    x = course_lib.ones(4, 2)
    np.testing.assert_allclose(model(x).detach().numpy(), model[2](model[1](model[0](x))).detach().numpy())


def test_linear_init_is_uniform_within_one_over_sqrt_fan_in_and_seeded():
    course_lib.manual_seed(0)
    layer = nn.Linear(100, 50)
    bound = 1 / math.sqrt(100)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert layer.weight.shape == (50, 100) and layer.bias.shape == (50,)
    assert np.all(np.abs(w) <= bound) and np.all(np.abs(b) <= bound)
    assert np.abs(w).max() > 0.95 * bound  # spread over the whole interval
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01  # the std of U(-b, b)
    course_lib.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(100, 50).weight.detach().numpy(), w)


def test_linear_with_float64_input_raises_torch_dtype_error():
    layer = nn.Linear(5, 2)
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got Double and Float"):
        layer(course_lib.ones(3, 5, dtype=course_lib.float64))
    assert layer.double()(course_lib.ones(3, 5, dtype=course_lib.float64)).dtype == course_lib.float64


def test_linear_shape_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x4 and 5x3\)"):
        nn.Linear(5, 3)(course_lib.ones(2, 4))


def test_dropout_scales_in_training_and_is_identity_in_eval():
    course_lib.manual_seed(1)
    layer = nn.Dropout(p=0.25)
    x = course_lib.ones(1000, requires_grad=True)
    out = layer(x)
    values = set(np.unique(out.detach().numpy()).tolist())
    assert values <= {0.0, np.float32(1 / 0.75).item()}
    assert 0.2 < float((out.detach().numpy() == 0).mean()) < 0.3
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.detach().numpy())  # grad = mask / (1 - p)
    layer.eval()
    assert layer(x) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)


def test_flatten_and_activation_modules():
    x = course_lib.tensor([[[-1.0, 2.0]], [[3.0, -4.0]]])
    assert nn.Flatten()(x).shape == (2, 2)
    np.testing.assert_allclose(nn.ReLU()(x).numpy(), np.maximum(x.numpy(), 0))
    np.testing.assert_allclose(nn.Tanh()(x).numpy(), np.tanh(x.numpy()), rtol=1e-6)
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp(-x.numpy())), rtol=1e-6)


# ---------------------------------------------------------------- losses: bad input
def test_cross_entropy_target_errors_use_torch_words():
    x = course_lib.zeros(3, 4)
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        F.cross_entropy(x, course_lib.tensor([0, 1, 7]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)."):
        F.cross_entropy(x, course_lib.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Float"):
        F.cross_entropy(x, course_lib.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(x, course_lib.ones(3, 4), ignore_index=1)
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(x, course_lib.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        nn.CrossEntropyLoss(reduction="avg")


def test_cross_entropy_all_ignored_mean_is_nan_as_torch():
    loss = F.cross_entropy(course_lib.zeros(2, 3), course_lib.tensor([-100, -100]))
    assert math.isnan(loss.item())


def test_bce_with_logits_shape_mismatch_and_mse_broadcast_warning():
    with pytest.raises(ValueError, match=r"Target size \(course_lib.Size\(\[3\]\)\) must be the same as input size"):
        F.binary_cross_entropy_with_logits(course_lib.zeros(3, 2), course_lib.zeros(3))
    with pytest.warns(UserWarning, match="Using a target size"):
        F.mse_loss(course_lib.zeros(3, 1), course_lib.zeros(3))


# ---------------------------------------------------------------- init and clipping
def test_init_functions_fill_in_place_within_their_bounds():
    w = nn.Parameter(course_lib.zeros(30, 20))
    same = w
    nn.init.xavier_uniform_(w)
    assert w is same and np.abs(w.detach().numpy()).max() <= math.sqrt(6 / 50)
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    assert np.abs(w.detach().numpy()).max() <= math.sqrt(2) * math.sqrt(3 / 20)
    nn.init.constant_(w, 0.5)
    assert np.all(w.detach().numpy() == 0.5)
    nn.init.zeros_(w)
    assert np.all(w.detach().numpy() == 0)
    assert nn.init.calculate_gain("tanh") == 5 / 3


def test_clip_grad_norm_returns_total_norm_tensor_and_scales_grads():
    a, b = nn.Parameter(course_lib.zeros(2)), nn.Parameter(course_lib.zeros(1))
    a.grad, b.grad = course_lib.tensor([3.0, 0.0]), course_lib.tensor([4.0])
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert isinstance(total, course_lib.Tensor) and total.item() == pytest.approx(5.0)
    scale = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(a.grad.numpy(), [3 * scale, 0.0], rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), [4 * scale], rtol=1e-6)


def test_clip_grad_norm_nonfinite_error_and_clip_grad_value():
    p = nn.Parameter(course_lib.zeros(2))
    p.grad = course_lib.tensor([math.inf, 1.0])
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    p.grad = course_lib.tensor([-3.0, 0.5])
    nn.utils.clip_grad_value_([p], 1.0)
    np.testing.assert_array_equal(p.grad.numpy(), [-1.0, 0.5])


# ---------------------------------------------------------------- end to end
def test_small_mlp_trains_with_manual_sgd():
    course_lib.manual_seed(0)
    x = course_lib.randn(32, 2)
    y = (x[:, 0] * x[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(200):
        model.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        with course_lib.no_grad():
            for p in model.parameters():
                p.sub_(p.grad, alpha=0.5)
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_deepcopy_of_a_model_copies_weights_but_not_gradients():
    """As torch's Parameter.__deepcopy__: AveragedModel's copy starts without gradients."""
    import copy

    model = course_lib.nn.Linear(3, 2)
    model(course_lib.ones(4, 3)).sum().backward()
    clone = copy.deepcopy(model)
    assert clone.weight.grad is None and clone.weight.requires_grad
    assert clone.weight._data is not model.weight._data
    np.testing.assert_array_equal(clone.weight._data, model.weight._data)
    assert model.weight.grad is not None
