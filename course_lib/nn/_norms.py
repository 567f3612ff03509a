r"""``F.batch_norm`` and ``F.layer_norm``: normalise, then scale and shift, as one recorded op.

Both compute :math:`\hat x = (x - \mu) / \sqrt{\sigma^2 + \epsilon}` and
:math:`y = \gamma \hat x + \beta`; they differ only in which axes :math:`\mu` and the
biased :math:`\sigma^2` are taken over (batch norm: every axis but the channel axis 1;
layer norm: the trailing ``normalized_shape`` axes). With :math:`M` values per statistic
and :math:`\hat g = \gamma g`, the backward through batch statistics is

.. math::
    \partial L/\partial x = \frac{1}{\sqrt{\sigma^2+\epsilon}}
        \big(\hat g - \mathrm{mean}(\hat g) - \hat x \, \mathrm{mean}(\hat g \hat x)\big),
    \quad \partial L/\partial\gamma = \sum g \hat x, \quad \partial L/\partial\beta = \sum g,

the means over the same axes as :math:`\mu` and the sums over the others. (The two mean
terms are what the gradient flows through :math:`\mu` and :math:`\sigma^2`; with fixed
running statistics, in evaluation, only :math:`\hat g / \sqrt{\sigma^2+\epsilon}` is left.)
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import record
from ..tensor import Size, Tensor


def _check_dtypes(kernel: str, x: np.ndarray, *others: Tensor | None) -> None:
    """torch's CPU kernels want one floating dtype for the input and every parameter."""
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f'"{kernel}" not implemented for \'{dtypes.torch_name(x.dtype)}\'. '
            "help: convert the input with .float()."
        )
    for other in others:
        if other is not None and other._data.dtype != x.dtype:
            words = ("expect parameter to have scalar type of Float" if x.dtype == np.float32
                     else "all inputs must share same datatype.")
            raise RuntimeError(
                f"mixed dtype (CPU): {words} help: give the input and the layer one dtype "
                "(x.float() or model.double())."
            )


def _normalize(x: np.ndarray, axes: tuple[int, ...], eps: float):
    """``(x_hat, mean, biased var, 1/sqrt(var + eps))`` with the statistics over ``axes``."""
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    invstd = 1.0 / np.sqrt(var + eps)
    return centered * invstd, mean, var, invstd


def _affine_op(name: str, input: Tensor, weight: Tensor | None, bias: Tensor | None,
               x_hat: np.ndarray, invstd: np.ndarray, stat_axes: tuple[int, ...] | None,
               param_shape: tuple[int, ...]) -> Tensor:
    """``y = weight * x_hat + bias`` recorded with the fused backward of the module docstring.

    ``stat_axes`` are the axes of the statistics (None: they were fixed, as in evaluation);
    ``param_shape`` is how weight and bias broadcast against ``x_hat``.
    """
    w = None if weight is None else weight._data.reshape(param_shape)
    out = x_hat if w is None else x_hat * w
    if bias is not None:
        out = out + bias._data.reshape(param_shape)
    # weight and bias gradients sum over the axes they broadcast along (an axis of size 1 in
    # param_shape also has size 1 in x, where summing changes nothing).
    param_axes = tuple(i for i in range(x_hat.ndim) if param_shape[i] == 1)

    def backward(g):
        grad_x = grad_w = grad_b = None
        if input.requires_grad:
            g_hat = g if w is None else g * w
            if stat_axes is None:
                grad_x = g_hat * invstd
            else:
                grad_x = invstd * (g_hat - g_hat.mean(axis=stat_axes, keepdims=True)
                                   - x_hat * (g_hat * x_hat).mean(axis=stat_axes, keepdims=True))
        if weight is not None and weight.requires_grad:
            grad_w = (g * x_hat).sum(axis=param_axes).reshape(weight.shape)
        if bias is not None and bias.requires_grad:
            grad_b = g.sum(axis=param_axes).reshape(bias.shape)
        return tuple(grad for grad, t in zip((grad_x, grad_w, grad_b), (input, weight, bias)) if t is not None)

    inputs = tuple(t for t in (input, weight, bias) if t is not None)
    return record(Tensor(out), name, inputs, backward)


def _check_numel(what: str, tensor: Tensor | None, channels: int) -> None:
    if tensor is not None and tensor._data.size != channels:
        raise RuntimeError(
            f"{what} should contain {channels} elements not {tensor._data.size}. "
            f"help: the input's dimension 1 has {channels} channels; num_features must match it."
        )


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    r"""Batch normalisation of ``input`` ``(N, C, *)`` per channel ``C`` (see :class:`BatchNorm1d`).

    :math:`y = \gamma (x - \mu) / \sqrt{\sigma^2 + \epsilon} + \beta` with, in training,
    :math:`\mu, \sigma^2` the mean and biased variance of the batch over every axis but 1,
    and the running statistics (when given) updated in place:
    :math:`\hat\mu \leftarrow m\,\mu + (1 - m)\,\hat\mu`,
    :math:`\hat\sigma^2 \leftarrow m\,\sigma^2 \tfrac{M}{M-1} + (1 - m)\,\hat\sigma^2`
    (the unbiased variance, :math:`M` values per channel). Out of training the running
    statistics are used and not changed. Backward: the module docstring of ``_norms``.
    """
    x = input._data
    if training:
        size = x.shape
        if size and size[0] * int(np.prod(size[2:], dtype=np.int64)) == 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {Size(size)}. "
                "help: a batch of one sample has no spread; use a batch of 2 or more, or call .eval()."
            )
        if eps <= 0.0:
            raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    if not training and running_mean is None:
        raise RuntimeError(
            "running_mean must be defined in evaluation mode. "
            "help: pass training=True to normalise with the batch's own statistics."
        )
    _check_dtypes("batch_norm", x, weight, bias, running_mean, running_var)
    if x.ndim < 2:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    channels = x.shape[1]
    for what, tensor in (("running_mean", running_mean), ("running_var", running_var),
                         ("weight", weight), ("bias", bias)):
        _check_numel(what, tensor, channels)
    param_shape = (1, channels) + (1,) * (x.ndim - 2)
    stat_axes = tuple(i for i in range(x.ndim) if i != 1)
    if training:
        x_hat, mean, var, invstd = _normalize(x, stat_axes, eps)
        if running_mean is not None:
            count = x.size // max(channels, 1)
            unbiased = var.reshape(-1) * (count / (count - 1))
            running_mean._data[...] = (momentum * mean.reshape(-1)
                                       + (1 - momentum) * running_mean._data.reshape(-1)).reshape(running_mean.shape)
            running_var._data[...] = (momentum * unbiased
                                      + (1 - momentum) * running_var._data.reshape(-1)).reshape(running_var.shape)
        return _affine_op("NativeBatchNormBackward0", input, weight, bias, x_hat, invstd, stat_axes, param_shape)
    invstd = 1.0 / np.sqrt(running_var._data.reshape(param_shape) + eps)
    x_hat = (x - running_mean._data.reshape(param_shape)) * invstd
    return _affine_op("NativeBatchNormBackward0", input, weight, bias, x_hat, invstd, None, param_shape)


def layer_norm(input: Tensor, normalized_shape: list[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    r"""Layer normalisation over the trailing ``normalized_shape`` axes (see :class:`LayerNorm`).

    :math:`y = \gamma (x - \mu) / \sqrt{\sigma^2 + \epsilon} + \beta`, with :math:`\mu` and the
    biased :math:`\sigma^2` over the last ``len(normalized_shape)`` axes of each sample, and
    :math:`\gamma, \beta` of shape ``normalized_shape``. Backward: the module docstring of ``_norms``.
    """
    if isinstance(normalized_shape, (int, np.integer)) or not isinstance(normalized_shape, (list, tuple)):
        raise TypeError(
            "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, "
            f"not {type(normalized_shape).__name__}. help: write (n,) for one axis of size n."
        )
    shape = [int(s) for s in normalized_shape]
    x = input._data
    if not shape:
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
            "one element, but got normalized_shape = []"
        )
    for what, tensor in (("weight", weight), ("bias", bias)):
        if tensor is not None and list(tensor.shape) != shape:
            raise RuntimeError(
                f"Expected {what} to be of same shape as normalized_shape, but got {what} of shape "
                f"{list(tensor.shape)} and normalized_shape = {shape}"
            )
    if x.ndim < len(shape) or list(x.shape[x.ndim - len(shape):]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={shape}, expected input with shape [*, {str(shape)[1:-1]}], "
            f"but got input of size{list(x.shape)}. help: normalized_shape must equal the input's "
            "last dimensions."
        )
    _check_dtypes("LayerNormKernelImpl", x, weight, bias)
    stat_axes = tuple(range(x.ndim - len(shape), x.ndim))
    x_hat, _, _, invstd = _normalize(x, stat_axes, eps)
    param_shape = (1,) * (x.ndim - len(shape)) + tuple(shape)
    return _affine_op("NativeLayerNormBackward0", input, weight, bias, x_hat, invstd, stat_axes, param_shape)
