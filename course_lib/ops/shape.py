"""Shape and copy ops: the values move, the gradient moves back the same way.

``reshape``/``view``/``flatten`` reshape the gradient back; ``transpose``/``permute``
apply the inverse permutation; ``unsqueeze``/``squeeze`` undo each other. Like torch's
views, the outputs share memory with the input whenever numpy can (course_lib does not
distinguish contiguous tensors, so ``view`` never fails where ``reshape`` would succeed).
"""
from __future__ import annotations

import numpy as np

from ..autograd import record
from ..tensor import Tensor
from ._dims import wrap_dim


def clone(a: Tensor) -> Tensor:
    """A copy with its own storage; d/da = 1."""
    return record(Tensor(a._data.copy()), "CloneBackward0", (a,), lambda g: (g,))


def to_dtype(a: Tensor, np_dtype: np.dtype) -> Tensor:
    """``a`` converted to ``np_dtype`` (``a`` itself when it already has it).

    Between float types the gradient is converted back to ``a``'s dtype, as in torch.
    """
    if a._data.dtype == np_dtype:
        return a
    out = Tensor(a._data.astype(np_dtype))
    if np_dtype.kind != "f":
        return out
    return record(out, "ToCopyBackward0", (a,), lambda g: (g.astype(a._data.dtype),))


def _sizes(shape) -> tuple[int, ...]:
    """Accept ``reshape(2, 3)`` and ``reshape((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def _infer(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    """``shape`` with its one ``-1`` filled in; torch's error when no shape fits."""
    if sum(n == -1 for n in shape) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = int(np.prod([n for n in shape if n != -1], dtype=np.int64))
    if -1 in shape and known != 0 and numel % known == 0:
        shape = tuple(numel // known if n == -1 else n for n in shape)
    if any(n < 0 for n in shape) or int(np.prod(shape, dtype=np.int64)) != numel:
        raise RuntimeError(
            f"shape '{list(shape)}' is invalid for input of size {numel}. "
            "help: the new sizes must multiply to the number of elements (-1 infers one size)."
        )
    return shape


def reshape(input: Tensor, *shape) -> Tensor:  # noqa: A002 - torch's names
    """The same values with a new shape (one size may be -1); d/da = g reshaped back."""
    new_shape = _infer(_sizes(shape), input._data.size)
    old_shape = input._data.shape
    out = input._data.reshape(new_shape)
    return record(Tensor(out), "ViewBackward0", (input,), lambda g: (g.reshape(old_shape),))


view = reshape


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002 - torch's names
    """Merge dimensions ``start_dim..end_dim`` (inclusive) into one."""
    if input.ndim == 0:
        return reshape(input, 1)
    start, end = wrap_dim(start_dim, input.ndim), wrap_dim(end_dim, input.ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input._data.shape
    merged = int(np.prod(shape[start : end + 1], dtype=np.int64))
    return reshape(input, shape[:start] + (merged,) + shape[end + 1 :])


def permute(input: Tensor, *dims) -> Tensor:  # noqa: A002 - torch's names
    """Reorder the dimensions; the gradient is permuted back with the inverse order."""
    dims = _sizes(dims)
    if len(dims) != input.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {input.ndim} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    axes = tuple(wrap_dim(d, input.ndim) for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    inverse = tuple(np.argsort(axes))
    out = np.transpose(input._data, axes)
    return record(Tensor(out), "PermuteBackward0", (input,), lambda g: (np.transpose(g, inverse),))


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002 - torch's names
    """Swap two dimensions; the gradient swaps them back."""
    if input.ndim == 0:
        wrap_dim(dim0, 0), wrap_dim(dim1, 0)
        return reshape(input, ())
    d0, d1 = wrap_dim(dim0, input.ndim), wrap_dim(dim1, input.ndim)
    out = np.swapaxes(input._data, d0, d1)
    return record(Tensor(out), "TransposeBackward0", (input,), lambda g: (np.swapaxes(g, d0, d1),))


def T(a: Tensor) -> Tensor:
    """All dimensions reversed (``a.T``): the usual transpose for a matrix."""
    return permute(a, *reversed(range(a.ndim)))


def unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002 - torch's names
    """Insert a dimension of size 1 at ``dim`` (``-1`` appends one)."""
    axis = wrap_dim(dim, input.ndim + 1)
    out = np.expand_dims(input._data, axis)
    return record(Tensor(out), "UnsqueezeBackward0", (input,), lambda g: (np.squeeze(g, axis),))


def squeeze(input: Tensor, dim=None) -> Tensor:  # noqa: A002 - torch's names
    """Remove dimensions of size 1 (all of them, or only ``dim``; a larger one is kept, as torch)."""
    shape = input._data.shape
    if dim is None:
        axes = tuple(i for i, n in enumerate(shape) if n == 1)
        name = "SqueezeBackward0"
    else:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        axes = tuple(i for i in (wrap_dim(d, input.ndim) for d in dims) if input.ndim and shape[i] == 1)
        name = "SqueezeBackward1" if isinstance(dim, (int, np.integer)) else "SqueezeBackward2"
    out = np.squeeze(input._data, axes)
    return record(Tensor(out), name, (input,), lambda g: (g.reshape(shape),))


def expand(a: Tensor, *sizes) -> Tensor:
    """Broadcast to a larger shape without copying (-1 keeps a size); the gradient is summed back."""
    from ._broadcast import unbroadcast

    sizes = _sizes(sizes)
    extra = len(sizes) - a.ndim
    if extra < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({a.ndim})"
        )
    target = tuple(a._data.shape[i - extra] if n == -1 else n for i, n in enumerate(sizes))
    try:
        out = np.broadcast_to(a._data, target)
    except ValueError:
        raise RuntimeError(
            f"The expanded size of the tensor must match the existing size at each non-singleton "
            f"dimension: cannot expand shape {tuple(a.shape)} to {target}"
        ) from None
    shape = a._data.shape
    return record(Tensor(out), "ExpandBackward0", (a,), lambda g: (unbroadcast(g, shape),))
