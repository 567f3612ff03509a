"""Muon: momentum, orthogonalised by a Newton-Schulz iteration, for 2-D weight matrices.

The algorithm, per parameter, in the symbols of :func:`muon_update` (as ``torch.optim.Muon``
of torch 2.13, in torch's order of floating-point operations)::

    input: lr, weight_decay, momentum, nesterov, ns_coefficients = (a, b, c), eps, ns_steps,
           adjust_lr_fn
    state: momentum_buffer = 0
    for t = 1, 2, ...:
        momentum_buffer = momentum_buffer + (1 - momentum) * (grad - momentum_buffer)  # lerp
        if nesterov:
            update = grad + momentum * (momentum_buffer - grad)                        # lerp
        else:
            update = momentum_buffer
        update = newton_schulz(update, ns_steps, (a, b, c), eps)      # ~ U V^T of U S V^T
        adjusted_lr = lr * ratio(adjust_lr_fn, A, B)                  # param is A x B
        param = param * (1 - lr * weight_decay)                       # decoupled weight decay
        param = param - adjusted_lr * update

    newton_schulz(G, steps, (a, b, c), eps):                          # in bfloat16, as torch
        X = G, transposed when A > B                                  # X is wide: X X^T small
        X = X / max(norm(X), eps)                                     # spectral norm <= 1
        repeat steps times:
            gram = X @ X^T
            gram_update = b * gram + c * gram @ gram
            X = a * X + gram_update @ X
        return X, transposed back when A > B

    ratio("original" or None, A, B) = sqrt(max(1, A / B))             # Keller Jordan's
    ratio("match_rms_adamw", A, B)  = 0.2 * sqrt(max(A, B))           # Moonshot's: AdamW's RMS

Each step of the iteration applies ``p(x) = a x + b x^3 + c x^5`` to every singular value of
``X`` (its singular vectors stay): the coefficients push every singular value in (0, 1]
towards 1 in a few steps, so the update keeps the momentum's directions but gives them all
the same size.

Numbers: torch 2.13 runs the Newton-Schulz iteration in **bfloat16** (8 bits of mantissa),
on every device. :func:`newton_schulz` does the same in numpy: each bfloat16 tensor that torch
computes is a float32 array rounded to bfloat16 (round to nearest even, :func:`to_bfloat16`),
and each product or sum of products (``@``, torch's ``addmm`` with ``alpha``/``beta``) is
computed in float32 and rounded to bfloat16 once, as torch's CPU kernels accumulate bfloat16
products in float32 (and add ``beta * C`` with a fused multiply-add). That reproduces torch
bit for bit on small matrices (up to about 16 x 16); on larger ones the float32 sums add in
another order than torch's kernel, about one entry in 10,000 of each product rounds to the
neighbouring bfloat16 value (2**-8 apart, relatively), and the iteration spreads these
differences: a 512 x 512 update then differs from torch's by about 1% of its largest entry
in many entries. The returned update has bfloat16 values; the parameter is updated in its
own dtype.
``newton_schulz(..., bfloat16=False)`` is the textbook iteration in the input's own dtype
(the one lesson 12 has students write).
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from ._validation import check_non_negative
from .optimizer import Optimizer

__all__ = ["Muon", "adjust_lr", "muon_update", "newton_schulz", "to_bfloat16"]

# Keller Jordan's constants (https://kellerjordan.github.io/posts/muon/), torch's defaults.
EPS = 1e-7
NS_COEFFICIENTS = (3.4445, -4.775, 2.0315)
NS_STEPS = 5


def to_bfloat16(x: np.ndarray) -> np.ndarray:
    """``x`` rounded to bfloat16 (round to nearest, ties to even), as float32 values.

    bfloat16 is float32 with the low 16 bits of the mantissa dropped. Like torch, a float64
    input is first rounded to float32 (``c10::BFloat16`` converts from float). Pure.
    """
    bits = np.asarray(x, dtype=np.float32).view(np.uint32)
    rounded = (bits + np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))) & np.uint32(0xFFFF0000)
    return rounded.view(np.float32)


def newton_schulz(
    G: np.ndarray,
    steps: int,
    coefficients: tuple[float, float, float],
    eps: float = EPS,
    *,
    bfloat16: bool = True,
) -> np.ndarray:
    """An approximately orthogonal matrix with ``G``'s singular vectors (see the module docstring).

    Args:
        G: a 2-D array ``(A, B)``.
        steps: the number of iterations (torch allows fewer than 100).
        coefficients: ``(a, b, c)`` of the quintic ``a x + b x^3 + c x^5``.
        eps: the smallest norm ``G`` is divided by.
        bfloat16: compute as torch does, rounding every result to bfloat16 (the values are
            returned as float32); False: in ``G``'s own dtype, without rounding.

    Returns:
        A new ``(A, B)`` array. ``G`` is not changed.

    Raises:
        ValueError: ``steps >= 100``, ``G`` is not 2-D, or not exactly three coefficients
            (torch's checks and words).
    """
    if steps >= 100:
        raise ValueError(
            "Number of steps must be less than 100 for computational efficiency. help: 5 "
            "steps (torch's default) are enough."
        )
    if G.ndim != 2:
        raise ValueError(
            f"Input tensor gradient must be a 2D matrix, not of shape {G.shape}. help: Muon "
            "orthogonalises weight matrices only."
        )
    if len(coefficients) != 3:
        raise ValueError(
            "Coefficients must be a tuple of exactly 3 values. help: pass (a, b, c), e.g. "
            f"{NS_COEFFICIENTS}."
        )
    a, b, c = coefficients
    rnd = to_bfloat16 if bfloat16 else (lambda x: x)
    X = rnd(G)
    if G.shape[0] > G.shape[1]:
        X = X.T
    X = rnd(X / rnd(max(rnd(np.linalg.norm(X)), rnd(eps))))
    for _ in range(steps):
        gram = rnd(X @ X.T)
        gram_update = rnd(_addmm(gram, gram, gram, beta=b, alpha=c))
        X = rnd(_addmm(X, gram_update, X, beta=a))
    if G.shape[0] > G.shape[1]:
        X = X.T
    return np.ascontiguousarray(X)


def _addmm(C: np.ndarray, A: np.ndarray, B: np.ndarray, beta: float, alpha: float = 1.0) -> np.ndarray:
    """torch's ``addmm(C, A, B, beta=beta, alpha=alpha)`` = ``beta * C + alpha * (A @ B)``, in C's dtype.

    As torch's CPU kernel: ``alpha * (A @ B)`` in C's dtype, then ``beta * C`` added with one
    rounding (a fused multiply-add), emulated by adding in float64. With bfloat16 values in
    float32 arrays, this matches torch's rounding where two roundings would not (a result
    that cancels to an exact tie between two bfloat16 values).
    """
    dtype = C.dtype.type
    product = dtype(alpha) * (A @ B)
    return (np.float64(dtype(beta)) * C.astype(np.float64) + product).astype(C.dtype)


def adjust_lr(lr: float, adjust_lr_fn: str | None, shape: tuple[int, ...]) -> float:
    """The learning rate for an ``(A, B)`` matrix: ``lr * sqrt(max(1, A / B))`` ("original",
    None) or ``lr * 0.2 * sqrt(max(A, B))`` ("match_rms_adamw"), as torch's ``_adjust_lr``."""
    A, B = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        adjusted_ratio = math.sqrt(max(1, A / B))
    elif adjust_lr_fn == "match_rms_adamw":
        adjusted_ratio = 0.2 * math.sqrt(max(A, B))
    else:
        adjusted_ratio = 1.0
    return lr * adjusted_ratio


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """torch's ``start.lerp(end, weight)``: two formulas, whichever is exact at its end."""
    w = start.dtype.type(weight)  # torch computes the weight in the tensor's dtype
    if abs(w) < 0.5:
        return start + w * (end - start)
    return end - (end - start) * (1 - w)


def muon_update(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, Any],
    lr: float = 1e-3,
    weight_decay: float = 0.1,
    momentum: float = 0.95,
    nesterov: bool = True,
    ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
    eps: float = EPS,
    ns_steps: int = NS_STEPS,
    adjust_lr_fn: str | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One Muon step for one 2-D parameter (see the module docstring); pure.

    Args:
        param: the parameter's values, ``(A, B)``.
        grad: its gradient.
        state: ``{"momentum_buffer": buf}`` from the previous step, or ``{}`` before the first.
        lr, weight_decay, momentum, nesterov, ns_coefficients, eps, ns_steps, adjust_lr_fn:
            the group's options.

    Returns:
        ``(new_param, {"momentum_buffer": new_buf})``. The inputs are never changed.

    Raises:
        ValueError: the gradient is not 2-D, or bad Newton-Schulz options (torch's words).
    """
    if grad.ndim != 2:
        raise ValueError(
            f"Param gradient must be a 2D matrix, not of shape {grad.shape}. help: give Muon "
            "the weight matrices only, and the other parameters to AdamW."
        )
    buf = state.get("momentum_buffer")
    momentum_buffer = _lerp(np.zeros_like(grad) if buf is None else buf, grad, 1 - momentum)
    update = _lerp(grad, momentum_buffer, momentum) if nesterov else momentum_buffer
    update = newton_schulz(update, ns_steps, ns_coefficients, eps).astype(param.dtype)
    adjusted_lr = adjust_lr(lr, adjust_lr_fn, param.shape)
    param = param * (1 - lr * weight_decay)
    return param + -adjusted_lr * update, {"momentum_buffer": momentum_buffer}


class Muon(Optimizer):
    """Muon (Jordan et al., 2024) for 2-D parameters, as ``torch.optim.Muon``.

    Give Muon the weight matrices of the hidden layers, and the other parameters (biases,
    embeddings, norms) to AdamW, as torch's documentation does.

    Args:
        params: 2-D parameters (or param-group dicts) to optimize.
        lr: learning rate.
        weight_decay: decoupled weight decay (the parameter shrinks by ``lr * weight_decay``).
        momentum: momentum factor.
        nesterov: use Nesterov momentum.
        ns_coefficients: ``(a, b, c)`` of the Newton-Schulz polynomial.
        eps: the smallest norm the momentum is divided by.
        ns_steps: number of Newton-Schulz iterations (fewer than 100).
        adjust_lr_fn: ``None`` or ``"original"`` (scale by ``sqrt(max(1, A / B))``), or
            ``"match_rms_adamw"`` (scale by ``0.2 * sqrt(max(A, B))``).

    Raises:
        ValueError: a bad option, or a parameter that is not 2-D (torch's words).

    Example:
        >>> hidden = [p for p in model.parameters() if p.ndim == 2]
        >>> others = [p for p in model.parameters() if p.ndim != 2]
        >>> muon, adamw = Muon(hidden, lr=0.02), AdamW(others, lr=3e-4)
    """

    _update = staticmethod(muon_update)
    _options = (
        "lr",
        "weight_decay",
        "momentum",
        "nesterov",
        "ns_coefficients",
        "eps",
        "ns_steps",
        "adjust_lr_fn",
    )

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
        eps: float = EPS,
        ns_steps: int = NS_STEPS,
        adjust_lr_fn: str | None = None,
    ) -> None:
        # torch's Muon words these checks its own way ("should be >= 0 but is").
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}. help: use lr >= 0.")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}. help: use momentum >= 0.")
        if not 0.0 <= weight_decay:
            raise ValueError(
                f"weight decay should be >= 0 but is: {weight_decay}. help: use weight_decay >= 0."
            )
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(
                f"Adjust learning rate function {adjust_lr_fn} is not supported. help: use None, "
                '"original" or "match_rms_adamw".'
            )
        defaults = {
            "lr": lr,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "nesterov": nesterov,
            "ns_coefficients": ns_coefficients,
            "eps": eps,
            "ns_steps": ns_steps,
            "adjust_lr_fn": adjust_lr_fn,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(
                        "Muon only supports 2D parameters whereas we found a parameter with "
                        f"size: {tuple(p.shape)}. help: give Muon the weight matrices and "
                        "the other parameters (biases, norms) to AdamW."
                    )

