"""The Tensor: a numpy array plus what autograd needs (``requires_grad``, ``grad``, ``grad_fn``).

The maths of each operation lives in ``course_lib/ops`` (forward beside backward); the
methods here only route to it, so this file reads as the list of what a tensor can do.
"""
from __future__ import annotations

import numpy as np

from . import autograd, dtypes


class Size(tuple):
    """A tensor's shape: a tuple that prints like ``torch.Size``."""

    def __repr__(self) -> str:
        return f"course_lib.Size({list(self)})"

    def numel(self) -> int:
        """Number of elements in a tensor of this shape."""
        return int(np.prod(self, dtype=np.int64))


def _to_array(data, dtype=None) -> np.ndarray:
    """numpy array of ``data`` with torch's default dtypes (float32 for Python floats)."""
    np_dtype = dtypes.to_numpy_dtype(dtype)
    if isinstance(data, Tensor):
        data = data._data
    elif isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        data = [x._data if isinstance(x, Tensor) else x for x in data]
    array = np.array(data, dtype=np_dtype, copy=True)
    if np_dtype is None:
        if array.dtype == np.float64 and not isinstance(data, (np.ndarray, np.generic)):
            array = array.astype(np.float32)  # Python floats become float32, as in torch
        elif array.dtype.kind in "iu" and array.dtype != np.int64 and not isinstance(data, (np.ndarray, np.generic)):
            array = array.astype(np.int64)
    dtypes.from_numpy_dtype(array.dtype)  # rejects object arrays and other unsupported types
    return array


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Attributes:
        requires_grad: whether operations on it are recorded for ``backward``.
        grad: the accumulated gradient (a Tensor of the same shape) or None.
        grad_fn: the :class:`course_lib.autograd.Node` that made it, None for a leaf.
    """

    __slots__ = ("_data", "requires_grad", "_grad", "grad_fn", "_accumulate_grad", "__weakref__")
    __array_priority__ = 1000  # numpy scalars on the left defer to Tensor's operators

    def __init__(self, data, dtype=None, requires_grad: bool = False):
        # An ndarray is adopted without copying: ops hand over arrays they just made.
        if isinstance(data, np.ndarray) and dtype is None:
            self._data = data
        else:
            self._data = _to_array(data, dtype)
        self.grad: Tensor | None = None
        self.grad_fn: autograd.Node | None = None
        self._accumulate_grad = None  # a weak reference to the leaf's AccumulateGrad node
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- basic facts
    @property
    def shape(self) -> Size:
        """The size of each dimension."""
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """``shape``, or the size of one dimension."""
        return self.shape if dim is None else self._data.shape[dim]

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    def dim(self) -> int:
        """Number of dimensions (torch's method form of ``ndim``)."""
        return self._data.ndim

    def numel(self) -> int:
        """Number of elements."""
        return int(self._data.size)

    @property
    def dtype(self) -> dtypes.dtype:
        """The element type: ``course_lib.float32`` by default for floats."""
        return dtypes.from_numpy_dtype(self._data.dtype)

    def is_floating_point(self) -> bool:
        """True for float32 and float64 tensors."""
        return self._data.dtype.kind == "f"

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (users' tensors, parameters)."""
        return self.grad_fn is None

    @property
    def grad(self) -> "Tensor | None":
        """The gradient ``backward`` accumulated here, or None; ``del t.grad`` sets it to None, as in torch."""
        return self._grad

    @grad.setter
    def grad(self, value: "Tensor | None") -> None:
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def nbytes(self) -> int:
        """The bytes the elements take: ``numel()`` times the size of one (4 for float32), as in torch."""
        return self._data.nbytes

    @property
    def data(self) -> "Tensor":
        """The same storage, detached from the graph (``p.data`` as in torch)."""
        return Tensor(self._data)

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._data = value._data if isinstance(value, Tensor) else _to_array(value)

    # ----------------------------------------------------------------- conversion
    def item(self) -> float | int | bool:
        """The single value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        """Nested Python lists (a number for a 0-d tensor)."""
        return self._data.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The numpy array itself (shared memory), as ``torch.Tensor.numpy``.

        Args:
            force: also for a tensor that requires grad (``detach().numpy()``), as torch.
        """
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        return self._data

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's storage, cut from the graph."""
        return Tensor(self._data)

    def clone(self) -> "Tensor":
        """A copy with its own storage; gradients flow back to the original."""
        return _shape.clone(self)

    def float(self) -> "Tensor":
        """A float32 copy (not differentiated through)."""
        return self.to(dtypes.float32)

    def double(self) -> "Tensor":
        """A float64 copy (not differentiated through)."""
        return self.to(dtypes.float64)

    def long(self) -> "Tensor":
        """An int64 copy."""
        return self.to(dtypes.int64)

    def to(self, dtype) -> "Tensor":
        """A copy converted to ``dtype``; ``self`` when it already has it."""
        return _shape.to_dtype(self, dtypes.to_numpy_dtype(dtype))

    def type(self, dtype) -> "Tensor":
        """Same as ``to(dtype)``."""
        return self.to(dtype)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Start (or stop) recording operations on this leaf; returns ``self``."""
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients "
                f"(this one is {self.dtype})"
            )
        if not requires_grad and not self.is_leaf:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. "
                "help: use .detach() to get a tensor cut from the graph."
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:  # pragma: no cover - documented difference
        """Not supported: course_lib keeps gradients of leaves only."""
        raise NotImplementedError("course_lib keeps .grad for leaf tensors only")

    # ----------------------------------------------------------------- autograd
    def backward(self, gradient: "Tensor | None" = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        Args:
            gradient: dL/d(self), same shape as self; may be omitted for a scalar.
            retain_graph: accepted for torch's code; course_lib never frees a graph, so a
                second ``backward()`` through it works either way (torch needs True).
            create_graph: must stay False: course_lib does not record the backward pass
                (no gradients of gradients).
            inputs: a leaf tensor or a sequence of them: only their ``.grad`` accumulates.
        """
        if create_graph:
            raise NotImplementedError(
                "course_lib does not record the backward pass, so create_graph=True "
                "(gradients of gradients) is not supported. help: use torch for higher-order "
                "derivatives, or gradcheck for a numerical check."
            )
        only = None
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            if not inputs:
                raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
            for t in inputs:
                if not isinstance(t, Tensor) or not t.is_leaf:
                    raise NotImplementedError(
                        "course_lib keeps .grad for leaf tensors only, so backward(inputs=...) "
                        "takes leaf tensors. help: pass the parameters you want gradients for."
                    )
                if not t.requires_grad:
                    raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            only = {id(t) for t in inputs}
        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn. "
                "help: create the inputs with requires_grad=True (or call .requires_grad_())."
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            grad = np.ones(self._data.shape, self._data.dtype)
        else:
            grad = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient)
            if grad.shape != self._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[0] has a shape of {Size(grad.shape)} and "
                    f"output[0] has a shape of {self.shape}."
                )
            grad = grad.astype(self._data.dtype, copy=False)
        autograd.run_backward(self, grad, only)

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other):
        return _arith.add(self, other)

    def __radd__(self, other):  # `1 + t` is t + 1, as in torch (the graph shows t first)
        return _arith.add(self, other)

    def __sub__(self, other):
        return _arith.sub(self, other)

    def __rsub__(self, other):
        return _arith.sub(other, self)

    def __mul__(self, other):
        return _arith.mul(self, other)

    def __rmul__(self, other):  # `2 * t` is t * 2, as in torch
        return _arith.mul(self, other)

    def __truediv__(self, other):
        return _arith.div(self, other)

    def __rtruediv__(self, other):
        return _arith.rdiv(other, self)

    def __pow__(self, other):
        return _arith.pow(self, other)

    def __rpow__(self, other):
        return _arith.pow(other, self)

    def __matmul__(self, other):
        return _arith.matmul(self, other)

    def __rmatmul__(self, other):
        return _arith.matmul(other, self)

    def __neg__(self):
        return _arith.neg(self)

    def __pos__(self):
        return self

    def add(self, other, *, alpha=1):
        """``self + alpha * other``."""
        return _arith.add(self, other if alpha == 1 else _arith.mul(other, alpha))

    def sub(self, other, *, alpha=1):
        """``self - alpha * other``."""
        return _arith.sub(self, other if alpha == 1 else _arith.mul(other, alpha))

    def mul(self, other):
        """``self * other``."""
        return _arith.mul(self, other)

    def div(self, other):
        """``self / other``."""
        return _arith.div(self, other)

    def pow(self, exponent):
        """``self ** exponent``."""
        return _arith.pow(self, exponent)

    def matmul(self, other):
        """``self @ other``."""
        return _arith.matmul(self, other)

    def neg(self):
        """``-self``."""
        return _arith.neg(self)

    # Comparisons give bool tensors and are never differentiated.
    def __lt__(self, other):
        return _arith.compare(self, other, np.less)

    def __le__(self, other):
        return _arith.compare(self, other, np.less_equal)

    def __gt__(self, other):
        return _arith.compare(self, other, np.greater)

    def __ge__(self, other):
        return _arith.compare(self, other, np.greater_equal)

    def __eq__(self, other):  # elementwise, as in torch
        return _arith.compare(self, other, np.equal)

    def __ne__(self, other):
        return _arith.compare(self, other, np.not_equal)

    __hash__ = object.__hash__  # tensors are dict keys by identity (optimizer state)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(shape {self.shape})"
            )
        return bool(self._data.reshape(()).item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __repr__(self) -> str:
        return _format.tensor_repr(self)

    # ----------------------------------------------------------------- reductions
    def sum(self, dim=None, keepdim: bool = False, *, dtype=None) -> "Tensor":
        """Sum over ``dim`` (all elements by default); see :func:`course_lib.ops.reductions.sum`."""
        return _red.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim: bool = False, *, dtype=None) -> "Tensor":
        """Mean over ``dim`` (all elements by default)."""
        return _red.mean(self, dim, keepdim, dtype=dtype)

    def max(self, dim=None, keepdim: bool = False):
        """Largest value, or ``(values, indices)`` along ``dim``."""
        return _red.max(self, dim, keepdim)

    def min(self, dim=None, keepdim: bool = False):
        """Smallest value, or ``(values, indices)`` along ``dim``."""
        return _red.min(self, dim, keepdim)

    def argmax(self, dim=None, keepdim: bool = False) -> "Tensor":
        """Index of the largest value (flattened when ``dim`` is None)."""
        return _red.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim: bool = False) -> "Tensor":
        """Index of the smallest value (flattened when ``dim`` is None)."""
        return _red.argmin(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> "Tensor":
        """Variance with torch's default correction 1 (divide by N - 1)."""
        return _red.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> "Tensor":
        """Standard deviation with torch's default correction 1."""
        return _red.std(self, dim, unbiased, keepdim, correction=correction)

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape) -> "Tensor":
        """The same values in a new shape (one size may be -1)."""
        return _shape.reshape(self, *shape)

    def view(self, *shape) -> "Tensor":
        """Same as ``reshape`` (course_lib has no non-contiguous tensors to refuse)."""
        return _shape.view(self, *shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        """Merge dimensions ``start_dim..end_dim`` into one."""
        return _shape.flatten(self, start_dim, end_dim)

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        """Swap two dimensions."""
        return _shape.transpose(self, dim0, dim1)

    def t(self) -> "Tensor":
        """Transpose of a matrix (``transpose(0, 1)``)."""
        return _shape.transpose(self, 0, 1) if self.ndim == 2 else self

    @property
    def T(self) -> "Tensor":  # noqa: N802 - torch's name
        """All dimensions reversed (the matrix transpose for 2-D)."""
        return _shape.T(self)

    def permute(self, *dims) -> "Tensor":
        """Reorder the dimensions."""
        return _shape.permute(self, *dims)

    def unsqueeze(self, dim: int) -> "Tensor":
        """Insert a dimension of size 1."""
        return _shape.unsqueeze(self, dim)

    def squeeze(self, dim=None) -> "Tensor":
        """Remove dimensions of size 1."""
        return _shape.squeeze(self, dim)

    def expand(self, *size) -> "Tensor":
        """Broadcast to a larger shape without copying (-1 keeps a dimension's size)."""
        return _shape.expand(self, *size)

    def contiguous(self) -> "Tensor":
        """``self``: numpy handles memory layout, so every tensor counts as contiguous."""
        return self

    def __getitem__(self, index) -> "Tensor":
        return _index.getitem(self, index)

    def __setitem__(self, index, value) -> None:
        _index.setitem(self, index, value)

    # ----------------------------------------------------------------- elementwise
    def exp(self) -> "Tensor":
        """Elementwise exponential."""
        return _elem.exp(self)

    def log(self) -> "Tensor":
        """Elementwise natural logarithm."""
        return _elem.log(self)

    def tanh(self) -> "Tensor":
        """Elementwise hyperbolic tangent."""
        return _elem.tanh(self)

    def sigmoid(self) -> "Tensor":
        """Elementwise logistic sigmoid 1 / (1 + exp(-x))."""
        return _elem.sigmoid(self)

    def relu(self) -> "Tensor":
        """Elementwise max(x, 0)."""
        return _elem.relu(self)

    def sqrt(self) -> "Tensor":
        """Elementwise square root."""
        return _elem.sqrt(self)

    def abs(self) -> "Tensor":
        """Elementwise absolute value."""
        return _elem.abs(self)

    def clamp(self, min=None, max=None) -> "Tensor":  # noqa: A002 - torch's names
        """Clip every value into ``[min, max]``."""
        return _elem.clamp(self, min, max)

    clip = clamp

    def maximum(self, other) -> "Tensor":
        """Elementwise larger of ``self`` and ``other``."""
        return _elem.maximum(self, other)

    def minimum(self, other) -> "Tensor":
        """Elementwise smaller of ``self`` and ``other``."""
        return _elem.minimum(self, other)

    def softmax(self, dim: int) -> "Tensor":
        """``exp(x) / exp(x).sum(dim)``, computed stably."""
        from .nn import functional as F

        return F.softmax(self, dim)

    def log_softmax(self, dim: int) -> "Tensor":
        """``x - logsumexp(x, dim)``, computed stably."""
        from .nn import functional as F

        return F.log_softmax(self, dim)

    # ----------------------------------------------------------------- in place
    # For optimizers and code under no_grad: they change the storage that modules and
    # optimizers share, so they are never recorded in the graph.
    def _check_inplace(self) -> None:
        if self.requires_grad and autograd.is_grad_enabled():
            if self.is_leaf:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation. "
                    "help: update parameters inside `with course_lib.no_grad():`."
                )
            raise RuntimeError(
                "course_lib does not record in-place operations on tensors that are part of a "
                "graph (torch can). help: use the out-of-place form, e.g. `x = x + 1`."
            )

    def _inplace(self, values) -> "Tensor":
        self._check_inplace()
        try:
            np.copyto(self._data, values, casting="same_kind")
        except ValueError:
            raise RuntimeError(
                f"output with shape {self.shape} doesn't match the broadcast shape "
                f"{Size(np.shape(values))}"
            ) from None
        return self

    # Augmented assignment updates the storage, as in torch, so that the classic
    # `with no_grad(): p -= lr * p.grad` changes the parameter every holder of `p` sees.
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def add_(self, other, *, alpha=1) -> "Tensor":
        """``self += alpha * other``, in place."""
        other = _value(other)
        return self._inplace(self._data + (other if alpha == 1 else alpha * other))

    def sub_(self, other, *, alpha=1) -> "Tensor":
        """``self -= alpha * other``, in place."""
        other = _value(other)
        return self._inplace(self._data - (other if alpha == 1 else alpha * other))

    def mul_(self, other) -> "Tensor":
        """``self *= other``, in place."""
        return self._inplace(self._data * _value(other))

    def div_(self, other) -> "Tensor":
        """``self /= other``, in place."""
        return self._inplace(self._data / _value(other))

    def zero_(self) -> "Tensor":
        """Fill with zeros, in place."""
        return self._inplace(0)

    def fill_(self, value) -> "Tensor":
        """Fill with ``value``, in place."""
        return self._inplace(_value(value))

    def copy_(self, src) -> "Tensor":
        """Copy ``src``'s values (broadcast to this shape) into this tensor."""
        return self._inplace(np.broadcast_to(_value(src), self._data.shape))

    def addcmul_(self, tensor1, tensor2, *, value=1) -> "Tensor":
        """``self += value * tensor1 * tensor2``, in place."""
        return self._inplace(self._data + value * _value(tensor1) * _value(tensor2))

    def addcdiv_(self, tensor1, tensor2, *, value=1) -> "Tensor":
        """``self += value * tensor1 / tensor2``, in place."""
        return self._inplace(self._data + value * _value(tensor1) / _value(tensor2))

    def lerp_(self, end, weight) -> "Tensor":
        """``self += weight * (end - self)``, in place (linear interpolation)."""
        return self._inplace(self._data + _value(weight) * (_value(end) - self._data))

    def clamp_(self, min=None, max=None) -> "Tensor":  # noqa: A002 - torch's names
        """Clip every value into ``[min, max]``, in place (numbers or broadcastable tensors)."""
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        return self._inplace(np.clip(self._data, _value(min), _value(max)))

    def sqrt_(self) -> "Tensor":
        """Square root, in place."""
        return self._inplace(np.sqrt(self._data))

    def neg_(self) -> "Tensor":
        """Negate, in place."""
        return self._inplace(np.negative(self._data))


def _value(x):
    """The numpy value behind a Tensor, or the number itself."""
    return x._data if isinstance(x, Tensor) else x


# The op families import Tensor, so they are imported after it is defined.
from . import _format  # noqa: E402
from .ops import arithmetic as _arith  # noqa: E402
from .ops import elementwise as _elem  # noqa: E402
from .ops import indexing as _index  # noqa: E402
from .ops import reductions as _red  # noqa: E402
from .ops import shape as _shape  # noqa: E402
