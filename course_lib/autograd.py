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


class Node:
    """The backward function of one recorded op: what ``Tensor.grad_fn`` holds.

    Attributes:
        name: torch's name for it, e.g. ``"MulBackward0"``.
        inputs: the op's tensor inputs, in order.
        backward: ``grad_out -> tuple`` of one gradient (or None) per input.
    """

    __slots__ = ("name", "inputs", "backward")

    def __init__(self, name: str, inputs: Sequence["Tensor"], backward: Callable):
        self.name = name
        self.inputs = tuple(inputs)
        self.backward = backward

    @property
    def next_functions(self) -> tuple:
        """The inputs' nodes (None for a leaf), as torch's ``grad_fn.next_functions``."""
        return tuple((t.grad_fn, 0) for t in self.inputs)

    def __repr__(self) -> str:
        return f"<{self.name}>"


def record(out: "Tensor", name: str, inputs: Sequence["Tensor"], backward: Callable) -> "Tensor":
    """Attach ``backward`` to ``out`` when recording is on and an input requires grad."""
    if _grad_enabled and any(t.requires_grad for t in inputs):
        out.requires_grad = True
        out.grad_fn = Node(name, inputs, backward)
    return out


def _topological_order(root: "Tensor") -> list["Tensor"]:
    """Tensors reachable from ``root`` through grad_fn, every input before its users.

    Iterative depth-first search (an explicit stack instead of recursion), so a chain of
    100,000 ops does not hit Python's recursion limit.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:  # all of its inputs are already in `order`
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor.grad_fn is not None:
            for parent in tensor.grad_fn.inputs:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def run_backward(root: "Tensor", grad_root: np.ndarray) -> None:
    """Propagate ``grad_root`` from ``root`` to every leaf that requires grad.

    Gradients of intermediate tensors live only in a local dict (torch does not keep them
    either); leaves *accumulate* into ``.grad``.
    """
    from .tensor import Tensor

    grads: dict[int, np.ndarray] = {id(root): grad_root}
    for tensor in reversed(_topological_order(root)):  # users before their inputs
        grad = grads.pop(id(tensor), None)
        if grad is None:
            continue
        if tensor.grad_fn is None:  # a leaf: accumulate, as torch does
            if tensor.grad is None:
                tensor.grad = Tensor(np.array(grad, dtype=tensor._data.dtype, copy=True))
            else:
                tensor.grad._data += grad
            continue
        input_grads = tensor.grad_fn.backward(grad)
        for parent, parent_grad in zip(tensor.grad_fn.inputs, input_grads):
            if parent_grad is None or not parent.requires_grad:
                continue
            previous = grads.get(id(parent))
            grads[id(parent)] = parent_grad if previous is None else previous + parent_grad

