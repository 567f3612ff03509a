"""Checks for lesson 02 (autograd): backward of mul, matmul and sum, ``unbroadcast``, the graph walk. The expected
gradients come from course_lib's own autograd; a topological order is checked by its defining property."""
from __future__ import annotations

import sys
from collections import Counter
from functools import partial
from typing import Any, Callable

import numpy as np

from .. import autograd as _engine
from ..creation import tensor, zeros
from ..tensor import Tensor
from ._core import allclose, call_student, fail, first_match, report_success, require, run_cases

__all__ = ["check_mul_backward", "check_matmul_backward", "check_sum_backward", "check_unbroadcast",
           "check_topological_order", "reference_topological_order"]


def _grads(op: Callable, grad: Tensor, *inputs: Tensor) -> tuple[Tensor, ...]:
    """The gradients of ``op(*inputs)`` given ``grad = dL/dout``, from course_lib autograd on fresh leaves."""
    leaves = [t.detach().clone().requires_grad_() for t in inputs]
    op(*leaves).backward(grad)
    return tuple(leaf.grad for leaf in leaves)


def _arr(x: Any) -> np.ndarray:
    return np.asarray(x._data if isinstance(x, Tensor) else x, dtype=np.float64)


def _pair(got: Any) -> bool:
    """Whether ``got`` has the form of a ``(grad_a, grad_b)`` answer."""
    return isinstance(got, (tuple, list)) and len(got) == 2


def _holds_numpy(got: Any) -> bool:
    """Whether ``got`` (one result, or a pair of them) holds numpy arrays where Tensors belong."""
    return any(isinstance(g, (np.ndarray, np.generic)) for g in (got if _pair(got) else [got]))


def _part(i: int, formula: Callable) -> Callable:
    """A likely mistake in element ``i`` of a ``(grad_a, grad_b)`` answer: ``formula`` of the arrays."""
    def row(*args):
        value = formula(*map(_arr, args))
        return lambda got: _pair(got) and allclose(got[i], value)
    return row


_t = partial(tensor, dtype=np.float32)  # case data
_PAIR = ("return a tuple of the two gradients: `return grad_a, grad_b`.", lambda *args: lambda got: not _pair(got))
_NUMPY = ("return Tensors, computed with tensor operations on the Tensors you receive, not numpy arrays: `._data` "
          "and `.numpy()` are how the library's own backward functions work, one level below these exercises.",
          lambda *args: _holds_numpy)
_A = "the gradient of `a * b` with respect to `a` should be `b * grad`; yours looks like "
_B = "the gradient of `a * b` with respect to `b` should be `a * grad`; yours looks like "
_CONSTANT = " The derivative of a * b with respect to a is b (a is the variable, b the constant)."
MUL_MISTAKES = [
    _PAIR,
    _NUMPY,
    (_A + "`a * grad`." + _CONSTANT, _part(0, lambda a, b, grad: a * grad)),
    (_A + "`b`. You forgot to multiply by `grad`: the chain rule multiplies the local derivative (b) by the "
     "gradient arriving from above.", _part(0, lambda a, b, grad: b)),
    (_A + "`a`." + _CONSTANT, _part(0, lambda a, b, grad: a)),
    (_A + "`grad`. Passing `grad` through unchanged is the backward of `a + b`.", _part(0, lambda a, b, grad: grad)),
    (_B + "`b * grad`.", _part(1, lambda a, b, grad: b * grad)),
    (_B + "`a`.", _part(1, lambda a, b, grad: a)),
    (_B + "`b`.", _part(1, lambda a, b, grad: b)),
    (_B + "`grad`.", _part(1, lambda a, b, grad: grad)),
]


def reference_mul_backward(a: Tensor, b: Tensor, grad: Tensor) -> tuple[Tensor, Tensor]:
    """``(dL/da, dL/db)`` for ``out = a * b`` given ``grad = dL/dout``, from course_lib autograd."""
    return _grads(lambda a, b: a * b, grad, a, b)


def check_mul_backward(mul_backward: Callable) -> None:
    """Check ``mul_backward(a, b, grad) -> (grad_a, grad_b)`` against course_lib autograd. Cases: numbers (0-d
    tensors), vectors and a matrix, with ``grad`` different from 1 so that forgetting to multiply by it shows."""
    run_cases("mul_backward", mul_backward, reference_mul_backward, {
        "numbers": (_t(2.0), _t(-3.0), _t(0.5)),
        "vectors": (_t([1.0, 2.0, 3.0]), _t([4.0, -1.0, 0.5]), _t([1.0, 2.0, -1.0])),
        "matrices": (_t([[1.0, -2.0], [0.5, 3.0]]), _t([[2.0, 1.0], [-1.0, 4.0]]), _t([[0.5, 1.0], [2.0, -3.0]])),
    }, mistakes=MUL_MISTAKES)


def reference_matmul_backward(A: Tensor, B: Tensor, grad: Tensor) -> tuple[Tensor, Tensor]:
    """``(dL/dA, dL/dB)`` for ``out = A @ B`` (2-D) given ``grad = dL/dout``, from course_lib autograd."""
    return _grads(lambda A, B: A @ B, grad, A, B)


_SHOULD = ("grad_A should be `grad @ B.T`", "grad_B should be `A.T @ grad`")
MATMUL_MISTAKES = [
    _PAIR,
    _NUMPY,
    ("you returned the two gradients swapped: return (grad_A, grad_B) in that order.", lambda A, B, grad: lambda got:
     _pair(got) and allclose(got[0], _arr(A).T @ _arr(grad)) and allclose(got[1], _arr(grad) @ _arr(B).T)),
    (lambda A, B, grad: f"grad_A must have A's shape {tuple(A.shape)}: with grad of shape {tuple(grad.shape)} and B "
                        f"of shape {tuple(B.shape)}, the product with that shape is grad @ B.T.",
     lambda A, B, grad: lambda got: _pair(got) and np.shape(_arr(got[0])) != tuple(A.shape)),
    (_SHOULD[0] + "; yours looks like `grad @ B` (a missing transpose).", _part(0, lambda A, B, g: g @ B)),
    (_SHOULD[0] + "; yours looks like `B @ grad` (a missing transpose).", _part(0, lambda A, B, g: B @ g)),
    (_SHOULD[0] + "; yours looks like `B @ grad.T`, its transpose: the order of the factors "
     "matters, (grad @ B.T).T = B @ grad.T.", _part(0, lambda A, B, g: B @ g.T)),
    (_SHOULD[0] + " (shapes: (n, m) @ (m, k) = (n, k), like A).",
     lambda A, B, grad: lambda got: not allclose(got[0], _arr(grad) @ _arr(B).T)),
    (lambda A, B, grad: f"grad_B must have B's shape {tuple(B.shape)}: with grad of shape {tuple(grad.shape)} and A "
                        f"of shape {tuple(A.shape)}, the product with that shape is A.T @ grad.",
     lambda A, B, grad: lambda got: _pair(got) and np.shape(_arr(got[1])) != tuple(B.shape)),
    (_SHOULD[1] + "; yours looks like `A @ grad` (a missing transpose).", _part(1, lambda A, B, g: A @ g)),
    (_SHOULD[1] + "; yours looks like `grad @ A` (a missing transpose).", _part(1, lambda A, B, g: g @ A)),
    (_SHOULD[1] + "; yours looks like `grad.T @ A`, its transpose: the order of the factors "
     "matters, (A.T @ grad).T = grad.T @ A.", _part(1, lambda A, B, g: g.T @ A)),
    (_SHOULD[1] + " (shapes: (k, n) @ (n, m) = (k, m), like B).", lambda *args: lambda got: True),
]


def check_matmul_backward(matmul_backward: Callable) -> None:
    """Check ``matmul_backward(A, B, grad) -> (grad_A, grad_B)`` for 2-D ``A @ B``: a square product first (a
    missing transpose keeps the shape, and the table names it), then rectangular ones and a row times a column."""
    gen = np.random.default_rng(3)
    cases = {f"({n}, {k}) @ ({k}, {m})": tuple(_t(gen.integers(-3, 4, size=s)) for s in ((n, k), (k, m), (n, m)))
             for n, k, m in [(3, 3, 3), (2, 3, 4), (1, 3, 1), (4, 2, 3)]}
    run_cases("matmul_backward", matmul_backward, reference_matmul_backward, cases, mistakes=MATMUL_MISTAKES)


def reference_sum_backward(x: Tensor, grad: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """``dL/dx`` for ``out = x.sum(dim, keepdim)`` given ``grad = dL/dout``, from course_lib autograd."""
    return _grads(lambda x: x.sum(dim=dim, keepdim=keepdim), grad, x)[0]


def _diagnose_sum(inputs: dict, got: Any, expected: Any) -> str | None:
    x, grad, dim, keepdim = _arr(inputs["x"]), _arr(inputs["grad"]), inputs["dim"], inputs["keepdim"]
    shape = np.shape(_arr(got)) if got is not None else None
    expanded = np.broadcast_to(grad if dim is None or keepdim else np.expand_dims(grad, dim), x.shape)
    count = x.size if dim is None else x.shape[dim]
    return first_match(got, [
        (f"you returned grad unchanged (shape {grad.shape}); the gradient must have x's shape {x.shape}: sum adds up "
         "elements, so each of them receives the whole grad.", lambda g: shape == grad.shape != x.shape),
        ("with keepdim=True the summed dimension is still in grad (with size 1): unsqueeze only when keepdim=False.",
         lambda g: keepdim and dim is not None and shape == (np.expand_dims(grad, dim) * np.ones_like(x)).shape),
        (f"the gradient with respect to x must have x's shape {x.shape}.", lambda g: shape != x.shape),
        (f"grad was broadcast along the wrong dimension: sum(dim={dim}) removed that dimension (keepdim=False), so "
         f"put it back with grad.unsqueeze({dim}) before broadcasting to x's shape.",
         lambda g: dim is not None and not keepdim and grad.ndim and x.shape[-1] == grad.shape[-1]
         and allclose(g, np.broadcast_to(grad, x.shape)) and not allclose(g, expanded)),
        ("you forgot to multiply by grad: the local derivative is 1, times the gradient from above.", np.ones_like(x)),
        (f"you divided by {count}: that is the backward of mean; sum has no 1/N.", expanded / count),
    ])


_SUM_CRASHES = [
    (TypeError, "NoneType", "with dim=None (the sum of everything) there is no dimension to put back: unsqueeze only "
                            "when dim is not None and keepdim is False; grad * torch.ones_like(x) then spreads the "
                            "single number grad over x."),
    (RuntimeError, "must match the size", "grad does not broadcast to x's shape: put the summed dimension back where "
                                          "it was, with grad.unsqueeze(dim), then broadcast to x's shape."),
]


def check_sum_backward(sum_backward: Callable) -> None:
    """Check ``sum_backward(x, grad, dim=None, keepdim=False) -> grad_x`` for ``x.sum(dim, keepdim)``: all of x,
    each dim of a matrix (a square one: a missing ``unsqueeze`` keeps the shape), ``keepdim=True``, a negative dim."""
    x23, x33 = _t([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), _t(np.arange(9).reshape(3, 3))
    run_cases("sum_backward", sum_backward, reference_sum_backward, {
        "x.sum()": (x23, _t(2.0), None, False), "x.sum(dim=0)": (x23, _t([1.0, -1.0, 0.5]), 0, False),
        "x.sum(dim=1) on a square x": (x33, _t([1.0, 2.0, 3.0]), 1, False),
        "x.sum(dim=1, keepdim=True)": (x23, _t([[3.0], [-2.0]]), 1, True),
        "x.sum(dim=-2) on a 3-d x": (_t(np.arange(24).reshape(2, 3, 4)), _t(np.arange(8).reshape(2, 4)), -2, False),
    }, mistakes=[_NUMPY], diagnose=_diagnose_sum, crashes=_SUM_CRASHES)


def reference_unbroadcast(grad: Tensor, shape: tuple[int, ...]) -> Tensor:
    """The gradient of an input of ``shape`` that was broadcast to ``grad.shape``: course_lib autograd's
    ``a.grad`` after ``(a + zeros(grad.shape)).backward(grad)`` with ``a`` a leaf of ``shape``."""
    return _grads(lambda a: a + zeros(*grad.shape), grad, zeros(*shape))[0]


def _diagnose_unbroadcast(inputs: dict, got: Any, expected: Any) -> str | None:
    grad, shape, g = _arr(inputs["grad"]), tuple(inputs["shape"]), _arr(got)
    extra = grad.ndim - len(shape)
    leading, trailing = grad.sum(axis=tuple(range(extra))), grad.sum(axis=tuple(range(len(shape), grad.ndim)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and leading.shape[i] != 1)
    return first_match(got, [
        ("you summed over the extra leading dimensions but not over the dimensions where `shape` has size 1 "
         f"(dims {stretched}): broadcasting copied the input along those too, so sum them with keepdim=True.",
         lambda _: g.shape == leading.shape != shape),
        (f"you summed the stretched dimensions without keepdim=True, so they disappeared: the result must have "
         f"shape {shape}.", lambda _: stretched and g.shape == leading.sum(axis=stretched).shape),
        (f"broadcasting added {extra} leading dimensions here and you summed only one: repeat while grad has more "
         "dimensions than `shape` (a `while` loop, not an `if`).", lambda _: extra > 1 and g.ndim == grad.ndim - 1),
        ("broadcasting adds the new dimensions on the LEFT (lesson 01), so sum over the leading dimensions "
         "(dim=0), not the last ones.", lambda _: extra and g.shape == trailing.shape != shape),
        (f"first sum over the leading dimensions that broadcasting added ({extra} of them), then over the dims where "
         "`shape` has size 1.", lambda _: g.shape == grad.shape != shape),
        ("you averaged the copies; every copy of an input element receives its own gradient, so the input's "
         "gradient is their SUM.", _arr(expected) / (grad.size // max(int(np.prod(shape)), 1))),
    ])


def _stretched_first(grad: Tensor, shape: tuple[int, ...]) -> Tensor:
    """A likely mistake: step 2 (the size-1 dims, indexed as in ``shape``) before step 1 (the leading dims)."""
    for dim in [dim for dim, size in enumerate(shape) if size == 1 and grad.shape[dim] != 1]:
        grad = grad.sum(dim=dim, keepdim=True)
    return grad.sum(dim=tuple(range(grad.ndim - len(shape)))) if grad.ndim > len(shape) else grad


UNBROADCAST_MISTAKES = [
    _NUMPY,
    ("you summed the size-1 dimensions before the leading ones: `shape` lines up with grad's LAST dimensions, so "
     "while grad still has its extra leading dimensions, dimension i of `shape` is not dimension i of grad. Do step 1 "
     "(sum the leading dimensions away) first, then step 2.", _stretched_first),
]


def check_unbroadcast(unbroadcast: Callable) -> None:
    """Check ``unbroadcast(grad, shape) -> Tensor`` (sum ``grad`` back down to ``shape``): nothing to undo,
    a new leading dimension, a stretched size-1 dimension (kept as size 1), both at once, a 0-d input."""
    g23, g234 = _t([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), _t(np.arange(24).reshape(2, 3, 4))
    run_cases("unbroadcast", unbroadcast, reference_unbroadcast, {
        "shape unchanged": (g23, (2, 3)), "(2, 3) -> (3,)": (g23, (3,)), "(2, 3) -> (1, 3)": (g23, (1, 3)),
        "(2, 3) -> (2, 1)": (g23, (2, 1)), "(2, 3, 4) -> (3, 1)": (g234, (3, 1)), "(2, 3) -> ()": (g23, ()),
    }, mistakes=UNBROADCAST_MISTAKES, diagnose=_diagnose_unbroadcast)


def reference_topological_order(root: Tensor) -> list:
    """The nodes of ``root``'s graph as torch shows it (``root.grad_fn``, every node reached through ``next_functions``,
    leaves' ``AccumulateGrad``), inputs first: the leaves' nodes, then the engine's walk reversed; ``[]`` for a leaf."""
    if root.grad_fn is None:
        return []
    nodes = [t.grad_fn for t in reversed(_engine._topological_order(root))]  # the engine lists users first
    leaves = {id(n): n for node in nodes for n, _ in node.next_functions if isinstance(n, _engine.AccumulateGrad)}
    return [*leaves.values(), *nodes]


def _problem_with_order(order: Any, root: Tensor, name: Callable[[Any], str]) -> str | None:
    """What is wrong with ``order`` as a topological order of ``root``'s graph (None if nothing)."""
    if root.grad_fn is None and (not isinstance(order, (list, tuple)) or len(order)):
        return "a root that is a leaf has no graph (its grad_fn is None): return [], an empty list."
    if not isinstance(order, (list, tuple)):
        return "return a list of the graph's nodes."
    if any(node is None for node in order):
        return "None is in your list: skip the None entries of next_functions (inputs that need no gradient)."
    if any(isinstance(node, Tensor) for node in order):
        return ("return the graph's NODES (root.grad_fn and the nodes found through next_functions), not the "
                "tensors: torch's graph links nodes, and a node does not know the tensor it made.")
    expected, counts = reference_topological_order(root), Counter(id(node) for node in order)
    twice = next((node for node in order if counts[id(node)] > 1), None)
    if twice is not None:
        return (f"{name(twice)}'s node appears {counts[id(twice)]} times. A node used by several others must be "
                "listed once: keep a `visited` set (of id(node)) and skip nodes already in it.")
    missing = [node for node in expected if id(node) not in counts]
    if missing:
        leaves = (" A leaf's AccumulateGrad node (found in next_functions) belongs in the list too."
                  if all(isinstance(node, _engine.AccumulateGrad) for node in missing) else "")
        return f"{', '.join(map(name, missing))} {'is' if len(missing) == 1 else 'are'} missing from your list.{leaves}"
    if len(order) > len(expected):
        return "your list holds nodes that are not in the root's graph."
    position = {id(node): k for k, node in enumerate(order)}
    for node in order:
        for next_node, _ in node.next_functions:
            if next_node is not None and position[id(next_node)] > position[id(node)]:
                return f"{name(node)} comes before its input {name(next_node)}." + (
                    " Your list looks reversed (the root's node comes first): append a node only after all of its "
                    "inputs, or reverse the list at the end." if order[0] is root.grad_fn else "")
    return None


def check_topological_order(topological_order: Callable) -> None:
    """Check ``topological_order(root) -> list`` of the nodes of ``root``'s graph, inputs first: a leaf feeding two ops,
    a tensor used twice by one op and reached at two depths (a reversed breadth-first walk fails there), a lone leaf
    (``[]``), and 20,000 additions in a chain (too deep for recursion)."""
    p, q, a, leaf, x = (tensor(v, requires_grad=True) for v in ([1.0, 2.0], [3.0, 4.0], 3.0, 1.0, 0.0))
    m, b = p * q, a + a
    s, bb, y = m + p, b * b, x
    loss, c = s.sum(), b + bb  # c reaches b directly and through b * b: a reversed breadth-first walk fails here
    for _ in range(20_000):
        y = y + 1.0
    graphs = {"loss = (p * q + p).sum()": loss, "c = b + b * b with b = a + a": c, "a single leaf": leaf,
              "a chain of 20,000 additions (y = x + 1 + 1 + ...)": y}
    # The messages name a node after the tensor whose grad_fn it is, an AccumulateGrad after its leaf (variable).
    names = {id(t.grad_fn or t): n for n, t in {"p": p, "q": q, "p * q": m, "p * q + p": s, "loss": loss, "a": a,
                                                "b": b, "b * b": bb, "c": c, "the leaf": leaf, "x": x,
                                                "the root": y}.items()}
    name = lambda node: names.get(id(getattr(node, "variable", node)), repr(node))  # noqa: E731
    crashes = [(RecursionError, "", "a recursive walk nests one call per node and hits Python's recursion limit (about "
                                    "1,000 calls deep): use an explicit stack (a list you push to and pop from)."),
               (AttributeError, "'NoneType' object has no attribute 'next_functions'",
                "a leaf's grad_fn is None: a root that is a leaf has no graph, so return [].")]
    limit = sys.getrecursionlimit()
    for label, root in graphs.items():
        order = call_student(topological_order, root, where=f"topological_order on {label}", crashes=crashes)
        raised = sys.getrecursionlimit() != limit
        sys.setrecursionlimit(limit)  # a limit the student raised must not outlive the check
        require([(raised, f"topological_order changed Python's recursion limit (sys.setrecursionlimit) on {label}.",
                  "the exercise asks for a walk without recursion: a higher limit only moves the crash to a deeper "
                  "graph (or crashes Python itself). Keep an explicit stack of (node, inputs_placed) pairs.")])
        problem = _problem_with_order(order, root, name)
        if problem:
            fail(f"topological_order gives a wrong answer on {label}.", hint=problem,
                 got=list(map(name, order)) if isinstance(order, (list, tuple)) else order)
    report_success("topological_order", len(graphs), what="graphs")
