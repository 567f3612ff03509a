"""The recorded graph read with torch's API: ``grad_fn.name()`` and ``grad_fn.next_functions``.

The same expressions are built with course_lib and (when installed) torch, and the two
graphs are walked side by side: every node's name, its number of next functions, where a
``None`` stands and which leaf each ``AccumulateGrad`` holds must agree.
"""
from __future__ import annotations

import numpy as np
import pytest

import course_lib
from course_lib.autograd import AccumulateGrad

pytestmark = pytest.mark.lesson02


def test_name_is_a_method_and_next_functions_pairs_nodes_with_zero():
    x = course_lib.tensor(2.0, requires_grad=True)
    c = course_lib.tensor(3.0)
    y = x * c
    z = y + x
    assert z.grad_fn.name() == "AddBackward0"
    (mul, mul_index), (acc, acc_index) = z.grad_fn.next_functions
    assert mul is y.grad_fn and mul.name() == "MulBackward0" and mul_index == acc_index == 0
    assert isinstance(acc, AccumulateGrad) and acc.variable is x
    assert acc.name() == "torch::autograd::AccumulateGrad" and acc.next_functions == ()
    assert repr(acc) == "<AccumulateGrad>"
    # c needs no gradient: None, as in torch; the leaf x keeps one AccumulateGrad node.
    assert mul.next_functions == ((acc, 0), (None, 0))
    assert mul.next_functions[0][0] is acc


def test_next_functions_for_a_constant_operand_and_a_leaf_without_grad():
    x = course_lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1.0).sum()
    (add, _), = y.grad_fn.next_functions
    assert [(n if n is None else n.name(), i) for n, i in add.next_functions] == [
        ("torch::autograd::AccumulateGrad", 0), (None, 0)]


def _walk(node):
    """Every node reachable from ``node`` (one visit each), by a stack, in a fixed order."""
    order, seen, stack = [], set(), [node]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        order.append(current)
        stack.extend(n for n, _ in reversed(current.next_functions))
    return order


def test_walking_next_functions_reaches_every_leaf_once():
    w = course_lib.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    b = course_lib.tensor([0.1, 0.2], requires_grad=True)
    x = course_lib.tensor([[1.0, 2.0]])
    loss = ((x @ w + b).relu() * (x @ w)).sum()
    leaves = [n.variable for n in _walk(loss.grad_fn) if isinstance(n, AccumulateGrad)]
    assert len(leaves) == 2 and {id(t) for t in leaves} == {id(w), id(b)}


# Each expression is written once for ``lib`` = course_lib or torch (the API is the same);
# it returns the output and the leaves, in the order they were made.
def _lesson02(lib):
    x = lib.tensor(2.0, requires_grad=True)
    y = lib.tensor(3.0, requires_grad=True)
    c = lib.tensor(2.0)
    return x * y + c, [x, y]


def _reused_leaf(lib):
    x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
    return (x * x + x / 2 - 1.0).exp().mean(), [x]


def _mlp_loss(lib):
    rng = np.random.default_rng(0)
    w1 = lib.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w2 = lib.tensor(rng.standard_normal((4, 2)), requires_grad=True)
    x = lib.tensor(rng.standard_normal((5, 3)))
    target = lib.tensor(rng.standard_normal((5, 2)))
    h = (x @ w1).tanh()
    return ((h @ w2 - target) ** 2).mean(), [w1, w2]


def _chain_of_ops(lib):
    a = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = lib.tensor([0.5, -1.0], requires_grad=True)
    out = (a * b).sum(dim=1).sigmoid()
    return (out.log() - b.sum()).sum() * 2.0, [a, b]


def _numbers_on_either_side(lib):
    x = lib.tensor([0.5, 1.5], requires_grad=True)
    y = (1 - x) * 2 + 2 / x + 2 ** x + x ** 2 + (1 + 3 * x) - x / 4
    return y.sum(), [x]


def _describe(node, leaves) -> object:
    """The graph below ``node`` as nested tuples: names, Nones and leaf positions."""
    if node is None:
        return None
    if type(node).__name__ == "AccumulateGrad":
        position = next(i for i, leaf in enumerate(leaves) if leaf is node.variable)
        return (node.name(), f"leaf {position}")
    return (node.name(), tuple((_describe(n, leaves), index) for n, index in node.next_functions))


@pytest.mark.parametrize("build", [_lesson02, _reused_leaf, _mlp_loss, _chain_of_ops, _numbers_on_either_side])
def test_graph_matches_torch_live(build):
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    try:
        out_torch, leaves_torch = build(torch)
    finally:
        torch.set_default_dtype(torch.float32)
    out, leaves = build(course_lib)
    assert _describe(out.grad_fn, leaves) == _describe(out_torch.grad_fn, leaves_torch)


def test_a_deep_copied_leaf_gets_its_own_accumulate_grad():
    import copy

    def leaves(out):
        return [n.variable for n in _walk(out.grad_fn) if isinstance(n, AccumulateGrad)]

    model = course_lib.nn.Linear(2, 1)
    out = model(course_lib.ones(1, 2)).sum()
    assert any(v is model.weight for v in leaves(out))
    twin = copy.deepcopy(model)  # while the original's AccumulateGrad is alive
    found = leaves(twin(course_lib.ones(1, 2)).sum())
    assert any(v is twin.weight for v in found)
    assert not any(v is model.weight for v in found)
