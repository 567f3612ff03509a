"""Loss functions (``F.cross_entropy`` and friends), each one recorded op with a fused backward.

Cross-entropy and NLL share one idea: both are ``-sum(A * logp) / denominator`` for a
coefficient matrix ``A`` built from the target (a one-hot row per class index, scaled by
``weight``, mixed with ``label_smoothing``; or the class probabilities themselves).
Then ``dL/dlogp = -A / denominator``, and through log-softmax
``dL/dx = (softmax(x) * A.sum(class) - A) / denominator``.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import dtypes
from ..autograd import record
from ..ops._broadcast import broadcast_error, unbroadcast
from ..ops._softmax import log_softmax_array
from ..ops.elementwise import _sigmoid_array
from ..tensor import Tensor


def _reduction(reduction: str, size_average=None, reduce=None) -> str:
    """torch's legacy ``size_average``/``reduce`` flags folded into ``reduction``."""
    if size_average is not None or reduce is not None:
        warnings.warn(
            "size_average and reduce args will be deprecated, please use reduction='"
            + ("none" if reduce is False else "mean" if size_average is not False else "sum")
            + "' instead.",
            UserWarning,
            stacklevel=3,
        )
        reduce = True if reduce is None else reduce
        size_average = True if size_average is None else size_average
        reduction = "none" if not reduce else "mean" if size_average else "sum"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _check_tensors(name: str, **tensors) -> None:
    for arg, value in tensors.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(value).__name__}")


def _reduce(loss: np.ndarray, reduction: str, denominator) -> tuple[np.ndarray, callable]:
    """The reduced loss and ``g -> per-element gradient factor`` for the backward."""
    if reduction == "none":
        return loss, lambda g: g
    total = loss.sum()
    if reduction == "sum":
        return np.asarray(total), lambda g: np.broadcast_to(g, loss.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(total / denominator), lambda g: np.broadcast_to(g / denominator, loss.shape)


# ---------------------------------------------------------------- regression losses
def _regression_inputs(name: str, input: Tensor, target: Tensor):
    _check_tensors(name, input=input, target=target)
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )
    try:
        return input._data - target._data
    except ValueError:
        raise broadcast_error(input.shape, target.shape) from None


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    r"""Mean squared error :math:`\ell_i = (x_i - y_i)^2`, then mean (default), sum or none.

    Backward: :math:`\partial \ell_i/\partial x_i = 2 (x_i - y_i)` (and the negative for ``y``).
    With ``weight`` (same shape as ``input``), as torch: :math:`\ell_i = w_i (x_i - y_i)^2` and
    the mean is :math:`\sum_i \ell_i / \sum_i w_i`.
    """
    reduction = _reduction(reduction, size_average, reduce)
    diff = _regression_inputs("mse_loss", input, target)
    if weight is not None:
        return _weighted(input, target, weight, reduction, lambda d: d * d)
    out, spread = _reduce(diff * diff, reduction, diff.size)

    def backward(g):
        grad = 2 * diff * spread(g)
        return unbroadcast(grad, input.shape), unbroadcast(-grad, target.shape)

    return record(Tensor(out), "MseLossBackward0", (input, target), backward)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    r"""Mean absolute error :math:`\ell_i = |x_i - y_i|`, then mean (default), sum or none.

    Backward: :math:`\mathrm{sign}(x_i - y_i)` (0 where they are equal, as torch).
    With ``weight``, as torch: :math:`\ell_i = w_i |x_i - y_i|`, mean :math:`\sum_i \ell_i / \sum_i w_i`.
    """
    reduction = _reduction(reduction, size_average, reduce)
    diff = _regression_inputs("l1_loss", input, target)
    if weight is not None:
        return _weighted(input, target, weight, reduction, lambda d: d.abs())
    out, spread = _reduce(np.abs(diff), reduction, diff.size)

    def backward(g):
        grad = np.sign(diff) * spread(g)
        return unbroadcast(grad, input.shape), unbroadcast(-grad, target.shape)

    name = {"mean": "MeanBackward0", "sum": "SumBackward0", "none": "AbsBackward0"}[reduction]
    return record(Tensor(out), name, (input, target), backward)


def _weighted(input: Tensor, target: Tensor, weight: Tensor, reduction: str, error) -> Tensor:
    """torch's weighted regression loss, built from recorded ops (so ``weight`` gets a gradient too)."""
    _check_tensors("loss", weight=weight)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    weighted = error(input - target) * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    return weighted.sum() / weight.sum()


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    r"""Sigmoid + binary cross-entropy in one stable formula.

    With :math:`l_w = 1 + (p_w - 1) y` (``pos_weight`` :math:`p_w`, broadcast over the last dim):
    :math:`\ell = w\,[(1-y)\,x + l_w\,(\log(1+e^{-|x|}) + \max(-x, 0))]`.
    Backward: :math:`\partial\ell/\partial x = w\,[(1-y) + l_w(\sigma(x) - 1)]`,
    :math:`\partial\ell/\partial y = w\,[-x + (p_w - 1)\,\mathrm{softplus}(-x)]`.
    """
    reduction = _reduction(reduction, size_average, reduce)
    _check_tensors("binary_cross_entropy_with_logits", input=input, target=target)
    if target.shape != input.shape:
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape}). "
            "help: give one target per logit (use .float() class labels of the same shape)."
        )
    x, y = input._data, target._data
    w = 1.0 if weight is None else weight._data
    pw = None if pos_weight is None else pos_weight._data
    softplus_neg = np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)  # log(1 + e^{-x})
    log_weight = 1.0 if pw is None else 1 + (pw - 1) * y
    loss = w * ((1 - y) * x + log_weight * softplus_neg)
    out, spread = _reduce(np.asarray(loss), reduction, loss.size)

    def backward(g):
        factor = spread(g) * w
        grad_x = factor * ((1 - y) + log_weight * (_sigmoid_array(x) - 1))  # sigma(x) - 1 = -sigma(-x)
        grad_y = factor * (-x if pw is None else -x + (pw - 1) * softplus_neg)
        return unbroadcast(grad_x, x.shape), unbroadcast(grad_y, y.shape)

    return record(Tensor(out), "BinaryCrossEntropyWithLogitsBackward0", (input, target), backward)


# ---------------------------------------------------------------- classification losses
def _rows(x: np.ndarray) -> np.ndarray:
    """``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)`` as rows ``(M, C)`` (class dimension last)."""
    if x.ndim == 1:
        return x[None, :]
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows(rows: np.ndarray, shape: tuple) -> np.ndarray:
    """Inverse of :func:`_rows`."""
    if len(shape) == 1:
        return rows.reshape(shape)
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return np.moveaxis(rows.reshape(moved), -1, 1)


def _loss_shape(shape: tuple) -> tuple:
    """The shape of ``reduction='none'`` output: the input without its class dimension."""
    return () if len(shape) == 1 else (shape[0],) + tuple(shape[2:])


def _class_targets(input: Tensor, target: Tensor, ignore_index: int) -> tuple[np.ndarray, np.ndarray]:
    """Validated class indices as a flat array and the mask of those that are not ``ignore_index``.

    The mask is None when no target is ignored (the common case, which then costs nothing).
    """
    shape, t = input.shape, target._data
    if t.dtype != np.int64:
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {dtypes.torch_name(t.dtype)}. "
            "help: class indices must be int64 (course_lib.tensor([...]) of ints, or .long()); "
            "class probabilities must have the input's shape."
        )
    if len(shape) <= 2 and t.ndim != len(shape) - 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if len(shape) == 2 and t.shape[0] != shape[0]:
        raise ValueError(f"Expected input batch_size ({shape[0]}) to match target batch_size ({t.shape[0]}).")
    if len(shape) > 2 and t.shape != _loss_shape(shape):
        raise RuntimeError(f"Expected target size {list(_loss_shape(shape))}, got {list(t.shape)}")
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    t = t.reshape(-1)
    # The usual case, checked with one comparison: every target in range (negative ones
    # become huge when read as unsigned) and ignore_index outside the classes.
    if not 0 <= ignore_index < n_classes and not np.count_nonzero(t.view(np.uint64) >= n_classes):
        return t, None
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise IndexError(f"Target {t[bad][0]} is out of bounds.")
    return t, valid


def _class_index_coefficients(input, t, valid, weight, label_smoothing):
    """``A`` (M, C) and the mean's denominator for class-index targets (see module docstring)."""
    n_classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    valid = np.ones(t.shape, dtype=bool) if valid is None else valid
    rows = np.arange(t.size)
    safe_t = np.where(valid, t, 0)
    w_t = valid.astype(np.float64) if weight is None else np.where(valid, weight[safe_t], 0)
    coefficients = np.zeros((t.size, n_classes), dtype=input._data.dtype)
    coefficients[rows, safe_t] = (1 - label_smoothing) * w_t
    if label_smoothing > 0:
        per_class = 1.0 if weight is None else weight[None, :]
        coefficients += (label_smoothing / n_classes) * per_class * valid[:, None]
    return coefficients, float(w_t.sum())


def _classes_and_weight(name: str, x: np.ndarray, weight: Tensor | None) -> tuple[int, np.ndarray | None]:
    """The number of classes ``C`` (dim 0 of ``(C,)``, else dim 1) and the checked ``weight``."""
    if x.ndim == 0:
        raise RuntimeError(f"{name}: input must have at least 1 dimension (the classes)")
    n_classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    return n_classes, _check_weight(weight, n_classes)


def _check_weight(weight, n_classes: int):
    if weight is None:
        return None
    if weight.ndim != 1 or weight.shape[0] != n_classes:
        raise RuntimeError(
            f"weight tensor should be defined either for all {n_classes} classes or no classes "
            f"but got weight tensor of shape: {list(weight.shape)}"
        )
    return weight._data


def _check_smoothing(label_smoothing: float) -> None:
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    r"""Cross-entropy of logits ``input`` against class indices or class probabilities.

    ``input`` is ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)``. A target of the same shape as
    the input holds class probabilities (float; they need not be normalised, as in torch):
    :math:`\ell_n = -\sum_c w_c\, y_{n,c} \log\mathrm{softmax}(x_n)_c` and ``mean`` divides by N.
    Otherwise the target holds int64 class indices: :math:`\ell_n = -w_{y_n} \log\mathrm{softmax}(x_n)_{y_n}`,
    0 where :math:`y_n` is ``ignore_index``, and ``mean`` divides by :math:`\sum_n w_{y_n}`.
    ``label_smoothing`` ε mixes in the uniform distribution as torch does:
    :math:`(1-ε)\,\ell_n + ε/C \cdot (-\sum_c w_c \log\mathrm{softmax}(x_n)_c)`.
    Backward (one fused op): :math:`\partial L/\partial x = (\mathrm{softmax}(x)\sum_c A_c - A)/D`.
    """
    reduction = _reduction(reduction, size_average, reduce)
    _check_tensors("cross_entropy", input=input, target=target)
    _check_smoothing(label_smoothing)
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"log_softmax_lastdim_kernel_impl\" not implemented for '{dtypes.torch_name(x.dtype)}'")
    n_classes, w = _classes_and_weight("cross_entropy", x, weight)
    probabilities = target._data.shape == x.shape
    if probabilities:
        if target._data.dtype.kind != "f":
            raise RuntimeError(
                f"Expected floating point type for target with class probabilities, got "
                f"{dtypes.torch_name(target._data.dtype)}"
            )
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        y = _rows(target._data) * (1 - label_smoothing) + label_smoothing / n_classes
        coefficients = y if w is None else y * w
        denominator = coefficients.shape[0]
    else:
        t, valid = _class_targets(input, target, ignore_index)
        if x.ndim == 2 and w is None and label_smoothing == 0 and reduction == "mean":
            return _cross_entropy_fast(input, t, valid)
        coefficients, denominator = _class_index_coefficients(input, t, valid, w, label_smoothing)
    logp, soft = log_softmax_array(_rows(x), axis=1)
    per_row = -(coefficients * logp).sum(axis=1)
    out, spread = _reduce(per_row.reshape(_loss_shape(x.shape)), reduction, denominator)

    def backward(g):
        g_rows = spread(g).reshape(-1, 1)
        grad_x = grad_t = None
        if input.requires_grad:
            grad_x = _unrows((soft * coefficients.sum(axis=1, keepdims=True) - coefficients) * g_rows, x.shape)
        if probabilities and target.requires_grad:
            scale = (1 - label_smoothing) * (1.0 if w is None else w)
            grad_t = _unrows(-logp * scale * g_rows, x.shape)
        return grad_x, grad_t

    if probabilities:
        name = "DivBackward1" if reduction == "mean" else "NegBackward0"
    else:
        name = "AddBackward0" if label_smoothing > 0 else _nll_name(x.ndim)
    return record(Tensor(out.astype(np.result_type(x, target._data) if probabilities else x.dtype)), name, (input, target), backward)


def _cross_entropy_fast(input: Tensor, t: np.ndarray, valid: np.ndarray | None) -> Tensor:
    r"""The common case (N, C) logits, class indices, mean: the same maths without the ``A`` matrix.

    :math:`L = -\frac{1}{D}\sum_n \log\mathrm{softmax}(x_n)_{y_n}`;
    :math:`\partial L/\partial x_n = (\mathrm{softmax}(x_n) - \mathrm{onehot}(y_n))\, v_n / D`
    with :math:`v_n = 0` for ignored rows.
    """
    x = input._data
    rows = np.arange(x.shape[0])
    all_valid = valid is None
    safe_t = t if all_valid else np.where(valid, t, 0)
    denominator = float(x.shape[0] if all_valid else np.count_nonzero(valid))
    # log_softmax_array's steps, keeping only the picked log-probabilities.
    shifted = x - x.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    total = exps.sum(axis=1, keepdims=True)
    picked = shifted[rows, safe_t] - np.log(total[:, 0])
    total_loss = picked.sum() if all_valid else picked @ valid.astype(x.dtype)
    # Every target ignored: torch's mean is 0/0 = nan (and so is its gradient).
    scale = 1.0 / denominator if denominator else math.nan
    out = np.asarray(-total_loss * scale, dtype=x.dtype)

    def backward(g):
        grad = exps / total  # softmax
        if not all_valid:
            grad *= valid[:, None]
        grad[rows, safe_t] -= 1 if all_valid else valid
        grad *= g * scale
        return (grad,)

    return record(Tensor(out), "NllLossBackward0", (input,), backward)


def _nll_name(ndim: int) -> str:
    """torch runs inputs with extra dimensions through its 2-D (image) kernel."""
    return "NllLoss2DBackward0" if ndim > 2 else "NllLossBackward0"


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    r"""Negative log-likelihood of log-probabilities ``input`` at int64 class indices ``target``.

    :math:`\ell_n = -w_{y_n}\, x_{n, y_n}` (0 where :math:`y_n` is ``ignore_index``); ``mean``
    divides by :math:`\sum_n w_{y_n}`. Pair it with ``log_softmax`` (that pair is ``cross_entropy``).
    Backward: :math:`\partial L/\partial x_{n,c} = -A_{n,c}/D` with ``A`` the weighted one-hot targets.
    """
    reduction = _reduction(reduction, size_average, reduce)
    _check_tensors("nll_loss", input=input, target=target)
    x = input._data
    _, w = _classes_and_weight("nll_loss", x, weight)
    t, valid = _class_targets(input, target, ignore_index)
    coefficients, denominator = _class_index_coefficients(input, t, valid, w, 0.0)
    per_row = -(coefficients * _rows(x)).sum(axis=1)
    out, spread = _reduce(per_row.reshape(_loss_shape(x.shape)), reduction, denominator)

    def backward(g):
        return _unrows(-coefficients * spread(g).reshape(-1, 1), x.shape), None

    return record(Tensor(out.astype(x.dtype)), _nll_name(x.ndim), (input, target), backward)
