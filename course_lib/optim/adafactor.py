"""Adafactor: Adam's second moment in a factored form, with a relative step size (Shazeer & Stern, 2018).

Adam keeps two numbers per parameter element. Adafactor keeps no momentum at all, and for a
matrix of shape ``(n, m)`` keeps the second moment as one row vector and one column vector
(``n + m`` numbers instead of ``n * m``): the mean of ``grad**2`` over each row and over each
column. Their outer product, divided by the overall mean, estimates every element's
``grad**2`` (exact when the matrix of squares has rank 1). Vectors keep the full ``variance``.
Tensors of 3 or more dimensions are factored over their last two dimensions.

The algorithm, per parameter, in the symbols of :func:`adafactor_update` (as
``torch.optim.Adafactor``, in torch's order of floating-point operations)::

    input: lr, beta2_decay, eps1, eps2 (eps), d, weight_decay, maximize
    state: step = 0; row_var = 0 (shape [..., n, 1]) and col_var = 0 (shape [..., 1, m])
           for a parameter with 2 or more dimensions, else variance = 0 (its shape)
    for step = 1, 2, ...:
        grad = -grad if maximize else grad
        eps1 = machine epsilon of param's dtype if eps1 is None
        one_minus_beta2_t = step ** beta2_decay          # 1 at step 1, then decays towards 0
        rho_t = min(lr, 1 / sqrt(step))                  # relative step size
        alpha = max(eps2, norm(param) / sqrt(numel)) * rho_t     # ... relative to RMS(param)
        if weight_decay != 0:
            param = param * (1 - lr * weight_decay)
        if param.ndim > 1:
            row_mean = norm(grad, dim=-1) ** 2 / m                # mean of grad**2 per row
            row_var = lerp(row_var, row_mean, one_minus_beta2_t)
            col_mean = norm(grad, dim=-2) ** 2 / n                # mean of grad**2 per column
            col_var = lerp(col_var, col_mean, one_minus_beta2_t)
            var_estimate = row_var @ col_var                      # outer product, [..., n, m]
            var_estimate = var_estimate / clamp(mean(row_var, dim=-2), min=eps1)
        else:
            variance = lerp(variance, grad * grad, one_minus_beta2_t)
            var_estimate = variance
        update = rsqrt(clamp(var_estimate, min=eps1 * eps1)) * grad
        denom = max(1, norm(update) / (sqrt(numel) * d))          # clip RMS(update) to d
        param = param + (-alpha / denom) * update

``lerp(a, b, w)`` is torch's: ``a + w * (b - a)`` for ``|w| < 0.5``, else
``b - (b - a) * (1 - w)``. torch's reading of the paper: ``lr`` caps the relative step size
``rho_t`` (the paper fixes the cap at 0.01, torch's default ``lr``) and scales the decoupled
weight decay; ``eps1`` guards the variance estimate and the update, not the row and column
sums; the sums are means (the same up to the factor the ratio cancels).
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import zeros_or
from ._validation import check_option
from .optimizer import Optimizer, _check_unsupported

__all__ = ["Adafactor", "adafactor_update", "lerp"]


def lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``torch.lerp(start, end, weight)``: ``start + weight * (end - start)``, in torch's two forms.

    torch computes ``end - (end - start) * (1 - weight)`` when ``|weight| >= 0.5``, so that
    ``weight = 1`` gives ``end`` exactly; the two forms round differently. As in torch, the
    weight is first rounded to the arrays' dtype (``1 - weight`` is computed in float32 for
    float32 arrays).
    """
    weight = start.dtype.type(weight)
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def adafactor_update(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, Any],
    lr: float = 1e-2,
    beta2_decay: float = -0.8,
    eps: tuple[float | None, float] = (None, 1e-3),
    d: float = 1.0,
    weight_decay: float = 0.0,
    *,
    maximize: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One Adafactor step for one parameter (see the module docstring); pure.

    Args:
        param: the parameter's values.
        grad: its gradient.
        state: ``{"step", "row_var", "col_var"}`` (2 or more dimensions) or ``{"step",
            "variance"}`` from the previous step, or ``{}`` before the first.
        lr, beta2_decay, eps, d, weight_decay, maximize: the group's options.

    Returns:
        ``(new_param, new_state)``, with torch's state keys and shapes (``row_var`` of shape
        ``[..., n, 1]``, ``col_var`` of shape ``[..., 1, m]``). The inputs are never changed.
    """
    eps1, eps2 = eps
    if maximize:
        grad = -grad
    if eps1 is None:
        eps1 = float(np.finfo(param.dtype).eps)
    step = state.get("step", 0.0) + 1
    one_minus_beta2_t = step**beta2_decay
    rho_t = min(lr, 1 / (step**0.5))
    alpha = max(eps2, float(np.linalg.norm(param)) / (param.size**0.5)) * rho_t
    if weight_decay != 0:
        param = param * (1 - lr * weight_decay)
    if grad.ndim > 1:
        row_mean = np.linalg.norm(grad, axis=-1, keepdims=True) ** 2 / grad.shape[-1]
        row_var = lerp(zeros_or(state, "row_var", row_mean), row_mean, one_minus_beta2_t)
        col_mean = np.linalg.norm(grad, axis=-2, keepdims=True) ** 2 / grad.shape[-2]
        col_var = lerp(zeros_or(state, "col_var", col_mean), col_mean, one_minus_beta2_t)
        var_estimate = row_var @ col_var
        var_estimate = var_estimate / np.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
        new_state = {"step": step, "row_var": row_var, "col_var": col_var}
    else:
        variance = lerp(zeros_or(state, "variance", grad), grad * grad, one_minus_beta2_t)
        var_estimate = variance
        new_state = {"step": step, "variance": variance}
    update = 1 / np.sqrt(np.maximum(var_estimate, eps1 * eps1)) * grad
    denom = max(1.0, float(np.linalg.norm(update)) / ((update.size**0.5) * d))
    return param + (-alpha / denom) * update, new_state


class Adafactor(Optimizer):
    """Adafactor, as ``torch.optim.Adafactor``.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: the cap of the relative step size ``rho_t = min(lr, 1 / sqrt(step))``, and the
            scale of the decoupled weight decay.
        beta2_decay: ``<= 0``; the second-moment average weighs the new ``grad**2`` by
            ``step ** beta2_decay``.
        eps: ``(eps1, eps2)``: ``eps1`` (None: the dtype's machine epsilon) keeps the variance
            estimate away from 0; ``eps2`` is the smallest RMS of a parameter the step scales by.
        d: clipping threshold: an update whose RMS exceeds ``d`` is scaled down to RMS ``d``.
        weight_decay: decoupled weight decay coefficient (``param *= 1 - lr * weight_decay``).
        foreach: accepted with its default value only.
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> optimizer = Adafactor(model.parameters())   # lr=1e-2 is the paper's cap of rho_t
    """

    _update = staticmethod(adafactor_update)
    _options = ("lr", "beta2_decay", "eps", "d", "weight_decay", "maximize")

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        check_option(0.0 <= lr, f"Learning rate should be >= 0 but is: {lr}", "use lr >= 0.")
        check_option(
            0.0 >= beta2_decay,
            f"beta2_decay should be <= 0 but is: {beta2_decay}",
            "use beta2_decay <= 0, e.g. -0.8 (the weight of the new grad**2 is step ** beta2_decay).",
        )
        check_option(
            eps[0] is None or 0.0 <= eps[0],
            f"epsilon1 should be >= 0 but is: {eps[0]}",
            "use eps=(None, 1e-3) or a small eps1 >= 0.",
        )
        check_option(0.0 <= eps[1], f"epsilon2 should be >= 0 but is: {eps[1]}", "use a small eps2 >= 0, e.g. 1e-3.")
        check_option(1.0 <= d, f"Clipping threshold d should be >= 1 but is: {d}", "use d >= 1, e.g. 1.0.")
        check_option(0.0 <= weight_decay, f"weight_decay should be >= 0 but is: {weight_decay}", "use weight_decay >= 0.")
        _check_unsupported(foreach=foreach)
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": eps,
            "d": d,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
