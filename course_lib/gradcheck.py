"""Finite-difference check of autograd, like ``torch.autograd.gradcheck``.

For every input ``x`` that requires grad and every element ``x_j``, the central difference
:math:`(f(x + \\varepsilon e_j) - f(x - \\varepsilon e_j)) / 2\\varepsilon` (numerical) must
match the gradient that ``backward`` computes (analytical) within
``|analytical - numerical| <= atol + rtol * |numerical|``. Everything runs in float64:
float32 inputs are copied to float64 first (float32 rounding would swamp a 1e-6 step).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from . import autograd
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when autograd and finite differences disagree."""


def _outputs(fn: Callable, inputs: Sequence) -> list[Tensor]:
    out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: output {i} of fn is a {type(o).__name__}, expected a Tensor")
    return outs


def _flat(outs: list[Tensor]) -> np.ndarray:
    return np.concatenate([o._data.astype(np.float64).reshape(-1) for o in outs]) if outs else np.zeros(0)


def gradcheck(
    fn: Callable,
    inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare autograd's gradients of ``fn`` with central finite differences, in float64.

    Args:
        fn: function of the input tensors returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of them (and other arguments passed through unchanged);
            only tensors with ``requires_grad=True`` are checked.
        eps: finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        raise_exception: raise :class:`GradcheckError` on a mismatch (else return False).

    Returns:
        True when every gradient matches.

    Raises:
        GradcheckError: naming the output, the input index, the element, and both values.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    # float64 leaf copies: the check never touches the caller's tensors or their .grad.
    inputs = tuple(
        Tensor(x._data.astype(np.float64), requires_grad=True)
        if isinstance(x, Tensor) and x.requires_grad
        else x
        for x in inputs
    )
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them have requires_grad=True.")
    outs = _outputs(fn, inputs)
    sizes = [o._data.size for o in outs]

    # Analytical Jacobian: one backward pass per output element (reverse mode, row by row).
    analytical = {i: np.zeros((sum(sizes), inputs[i]._data.size)) for i in checked}
    row = 0
    for out, size in zip(outs, sizes):
        for k in range(size):
            if out.requires_grad:
                for i in checked:
                    inputs[i].grad = None
                seed = np.zeros(size, dtype=out._data.dtype)
                seed[k] = 1
                autograd.run_backward(out, seed.reshape(out._data.shape))
                for i in checked:
                    if inputs[i].grad is not None:
                        analytical[i][row] = inputs[i].grad._data.reshape(-1)
            row += 1

    # Numerical Jacobian: perturb one element at a time, without recording.
    for i in checked:
        x = inputs[i]._data
        flat = x.reshape(-1)
        numerical = np.zeros_like(analytical[i])
        with autograd.no_grad():
            for j in range(flat.size):
                original = flat[j]
                flat[j] = original + eps
                plus = _flat(_outputs(fn, inputs))
                flat[j] = original - eps
                minus = _flat(_outputs(fn, inputs))
                flat[j] = original
                numerical[:, j] = (plus - minus) / (2 * eps)
        bad = ~(np.abs(analytical[i] - numerical) <= atol + rtol * np.abs(numerical))
        if bad.any():
            out_row, j = (int(v) for v in np.argwhere(bad)[0])
            output_index = int(np.searchsorted(np.cumsum(sizes), out_row, side="right"))
            element = np.unravel_index(j, x.shape) if x.ndim else ()
            message = (
                f"Jacobian mismatch for output {output_index} with respect to input {i}, "
                f"element {tuple(int(e) for e in element)} (output element {out_row - sum(sizes[:output_index])}):\n"
                f"numerical: {float(numerical[out_row, j])!r}\nanalytical: {float(analytical[i][out_row, j])!r}\n"
                f"(atol={atol}, rtol={rtol}). help: check the backward of the ops this input flows through."
            )
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True
