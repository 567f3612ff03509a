"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_``, as ``torch.nn.utils``."""
from __future__ import annotations

import math

import numpy as np

from ...tensor import Tensor


def _grads(parameters) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    r"""Scale all gradients together so that their total norm is at most ``max_norm``.

    :math:`\text{total} = \lVert (\lVert g_1\rVert, \dots, \lVert g_k\rVert) \rVert` (the norm of
    all gradients as one vector); every gradient is multiplied, in place, by
    :math:`\min(1, \text{max\_norm} / (\text{total} + 10^{-6}))`, as torch does.

    Returns:
        The total norm before clipping (a 0-d tensor).
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return Tensor(np.zeros((), dtype=np.float32))
    if math.isinf(norm_type):
        norms = [np.max(np.abs(g._data)) if g._data.size else np.zeros((), g._data.dtype) for g in grads]
        total = np.max(np.stack(norms))
    else:
        norms = [np.sum(np.abs(g._data) ** norm_type) ** (1.0 / norm_type) for g in grads]
        total = np.sum(np.stack(norms) ** norm_type) ** (1.0 / norm_type)
    total = np.asarray(total, dtype=grads[0]._data.dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
            "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
            "norm anyway, set `error_if_nonfinite=False`"
        )
    coef = np.minimum(max_norm / (total + 1e-6), 1.0).astype(total.dtype)
    for g in grads:
        g._data *= coef
    return Tensor(total)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
