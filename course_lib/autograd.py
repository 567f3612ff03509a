"""Reverse-mode automatic differentiation over a dynamically recorded graph.

Every differentiable op (see ``course_lib/ops``) has four parts, as in micrograd:

1. compute the output array with numpy;
2. define ``backward(grad_out)`` returning the gradient for each input
   (the chain rule: ``dL/dx = dL/dout * dout/dx``), already shaped like that input;
3. attach it to the output with :func:`record` (only when some input requires grad
   and recording is on);
4. return the output.

``Tensor.backward`` then walks the graph in reverse topological order, *adding* the
gradient each node sends to its inputs, so a tensor used twice (``b = a + a``) receives
both contributions, and leaves accumulate into ``.grad`` across calls (hence ``zero_grad``).
"""
from __future__ import annotations

import contextlib
import gc
import itertools
import weakref
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True when new operations are recorded for backward (outside ``no_grad``)."""
    return _grad_enabled


class _GradMode(contextlib.ContextDecorator):
    """Context manager and decorator that sets whether operations are recorded."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = self.enabled
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._previous
        return False


def no_grad() -> _GradMode:
    """Stop recording operations, as ``torch.no_grad()``: a context manager or a decorator.

    Optimizers update parameters inside it so that the update is not itself differentiated.
    """
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """Record operations again inside a ``no_grad`` block, as ``torch.enable_grad()``."""
    return _GradMode(True)


_sequence = itertools.count()


class Node:
    """The backward function of one recorded op: what ``Tensor.grad_fn`` holds.

    Read it as torch's: ``grad_fn.name()`` (e.g. ``"MulBackward0"``) and
    ``grad_fn.next_functions``, one ``(node, 0)`` pair per input.

    Attributes:
        inputs: the op's tensor inputs, in order (course_lib only: torch's graph links
            nodes, not tensors; the lessons walk it tensor by tensor).
        backward: ``grad_out -> tuple`` of one gradient (or None) per input.
        sequence_nr: creation order, as torch's ``_sequence_nr()``.
    """

    __slots__ = ("_name", "inputs", "backward", "sequence_nr", "_next_functions")

    def __init__(self, name: str, inputs: Sequence["Tensor"], backward: Callable):
        self._name = name
        self.inputs = tuple(inputs)
        self.backward = backward
        # A node's inputs were always made before it, so handling nodes from the newest
        # to the oldest is a valid backward order.
        self.sequence_nr = next(_sequence)
        self._next_functions = None

    def name(self) -> str:
        """torch's name for this backward function, e.g. ``"MulBackward0"``."""
        return self._name

    @property
    def next_functions(self) -> tuple:
        """Where the gradient goes next, as torch's: one ``(node, 0)`` pair per input.

        The node is the input's ``grad_fn``; for a leaf that requires grad, its
        :class:`AccumulateGrad` (``.variable`` is the leaf); None for an input without grad.
        The ``0`` is the input's output number (course_lib's ops have one output each).
        """
        if self._next_functions is None:  # built once, so each leaf keeps one AccumulateGrad
            self._next_functions = tuple((_next_node(t), 0) for t in self.inputs)
        return self._next_functions

    def __repr__(self) -> str:
        return f"<{self._name}>"


class AccumulateGrad:
    """The node at a leaf that requires grad: it adds the incoming gradient into ``variable.grad``.

    Attributes:
        variable: the leaf tensor.
    """

    __slots__ = ("variable", "__weakref__")
    next_functions = ()

    def __init__(self, variable: "Tensor"):
        self.variable = variable

    def name(self) -> str:
        """torch's name for it."""
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


def _next_node(t: "Tensor"):
    """``t``'s entry in ``next_functions``: its grad_fn, its leaf's AccumulateGrad, or None."""
    if t.grad_fn is not None:
        return t.grad_fn
    if not t.requires_grad:
        return None
    # The leaf refers to its AccumulateGrad weakly (the graph holds it), as torch's tensor does.
    node = t._accumulate_grad() if t._accumulate_grad is not None else None
    if node is None or node.variable is not t:  # a copied tensor carries its original's reference
        node = AccumulateGrad(t)
        t._accumulate_grad = weakref.ref(node)
    return node


def record(out: "Tensor", name: str, inputs: Sequence["Tensor"], backward: Callable) -> "Tensor":
    """Attach ``backward`` to ``out`` when recording is on and an input requires grad."""
    if _grad_enabled:
        for t in inputs:
            if t.requires_grad:
                out.requires_grad = True
                out.grad_fn = Node(name, inputs, backward)
                break
    return out


def _topological_order(root: "Tensor") -> list["Tensor"]:
    """The non-leaf tensors reachable from ``root``, every tensor before the inputs it was made from.

    A graph walk with an explicit stack (no recursion, so a chain of 100,000 ops does not
    hit Python's recursion limit) collects the tensors; sorting them newest first by their
    node's creation number puts every user before its inputs, as torch's engine does.
    Leaves are left out: they have nothing to pass on, so ``run_backward`` adds into
    their ``.grad`` as soon as a gradient reaches them.
    """
    found = [root]
    seen = {id(root)}
    stack = [root]
    while stack:
        for parent in stack.pop().grad_fn.inputs:
            if parent.grad_fn is not None and id(parent) not in seen:
                seen.add(id(parent))
                found.append(parent)
                stack.append(parent)
    found.sort(key=lambda t: t.grad_fn.sequence_nr, reverse=True)
    return found


def _new_tensor(array: np.ndarray) -> "Tensor":
    from .tensor import Tensor  # imported here: tensor.py imports this module

    global _new_tensor
    _new_tensor = Tensor  # later calls skip the import
    return Tensor(array)


def _accumulate(leaf: "Tensor", grad: np.ndarray) -> None:
    """``leaf.grad += grad`` (a fresh copy the first time: ``grad`` may be shared or read-only)."""
    if leaf.grad is None:
        leaf.grad = _new_tensor(np.array(grad, dtype=leaf._data.dtype, copy=True))
    else:
        leaf.grad._data += grad


def run_backward(root: "Tensor", grad_root: np.ndarray, only: set[int] | None = None) -> None:
    """Propagate ``grad_root`` from ``root`` to every leaf that requires grad.

    ``only``, when given, holds the ``id`` of the leaves whose ``.grad`` may change
    (``backward(inputs=...)``); other leaves are skipped.

    Gradients of intermediate tensors live only in a local dict (torch does not keep them
    either) and are *summed* when a tensor feeds several ops; leaves *accumulate* into
    ``.grad``, also across calls (hence ``zero_grad``).
    """
    if root.grad_fn is None:
        if only is None or id(root) in only:
            _accumulate(root, grad_root)
        return
    # Pause Python's cycle collector during the walk. The walk's own objects die young, but
    # each leaf's first ``.grad`` survives, and enough of them trigger a full collection,
    # which visits every Tensor and Node of the graph (some 0.15 s on a 100,000-op graph)
    # and can free nothing: a node refers only to its inputs, so the graph has no cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _propagate(root, grad_root, only)
    finally:
        if collecting:
            gc.enable()


def _propagate(root: "Tensor", grad_root: np.ndarray, only: set[int] | None) -> None:
    """The walk of :func:`run_backward` from a non-leaf ``root``."""
    grads: dict[int, np.ndarray] = {id(root): grad_root}
    for tensor in _topological_order(root):
        grad = grads.pop(id(tensor), None)
        if grad is None:
            continue
        node = tensor.grad_fn
        for parent, parent_grad in zip(node.inputs, node.backward(grad)):
            if parent_grad is None or not parent.requires_grad:
                continue
            if parent.grad_fn is None:
                if only is None or id(parent) in only:
                    _accumulate(parent, parent_grad)
                continue
            previous = grads.get(id(parent))
            grads[id(parent)] = parent_grad if previous is None else previous + parent_grad
