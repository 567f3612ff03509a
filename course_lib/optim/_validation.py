"""Checks of optimizer options, shared by the optimizers' constructors.

Each ``check_*`` raises torch's ``ValueError`` with torch's words (``Invalid learning rate:
-1``) followed by one ``help:`` sentence for a student, and returns nothing when the value
is fine. An optimizer calls them at the top of ``__init__``, one option per line, in
torch's order (the first bad option is the one reported, as in torch).

torch tests most options as ``not 0.0 <= value``, which also rejects NaN. ``torch.optim.SGD``
alone writes ``value < 0.0``, which lets NaN through; ``nan_passes=True`` keeps that
difference, so each optimizer accepts exactly what its torch counterpart accepts.
"""
from __future__ import annotations

__all__ = [
    "check_betas",
    "check_eps",
    "check_etas",
    "check_lr",
    "check_momentum",
    "check_non_negative",
    "check_option",
    "check_weight_decay",
]


def _is_negative(value: float, nan_passes: bool) -> bool:
    """``value < 0.0`` (NaN passes, torch's SGD) or ``not 0.0 <= value`` (NaN fails)."""
    return value < 0.0 if nan_passes else not 0.0 <= value


def check_lr(lr: float, *, nan_passes: bool = False) -> None:
    """Reject a negative learning rate: ``Invalid learning rate: {lr}``."""
    if _is_negative(lr, nan_passes):
        raise ValueError(f"Invalid learning rate: {lr}. help: the learning rate must be >= 0.")


def check_non_negative(name: str, value: float, hint: str, *, nan_passes: bool = False) -> None:
    """Reject a negative option ``name``: ``Invalid {name} value: {value}. help: {hint}``."""
    if _is_negative(value, nan_passes):
        raise ValueError(f"Invalid {name} value: {value}. help: {hint}")


def check_eps(eps: float, *, typical: str = "1e-8") -> None:
    """Reject a negative ``eps``: ``Invalid epsilon value: {eps}`` (help suggests ``typical``)."""
    check_non_negative("epsilon", eps, f"use a small eps >= 0, e.g. {typical}.")


def check_weight_decay(weight_decay: float, *, nan_passes: bool = False) -> None:
    """Reject a negative ``weight_decay``: ``Invalid weight_decay value: {weight_decay}``."""
    hint = "use weight_decay >= 0."
    check_non_negative("weight_decay", weight_decay, hint, nan_passes=nan_passes)


def check_momentum(momentum: float, *, nan_passes: bool = False) -> None:
    """Reject a negative ``momentum``: ``Invalid momentum value: {momentum}``."""
    check_non_negative("momentum", momentum, "use momentum >= 0.", nan_passes=nan_passes)


def check_betas(betas: tuple[float, float]) -> None:
    """Require ``0 <= beta < 1`` for both betas: ``Invalid beta parameter at index {i}: {beta}``."""
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(
                f"Invalid beta parameter at index {i}: {betas[i]}. help: betas must lie in [0, 1)."
            )


def check_etas(etas: tuple[float, float]) -> None:
    """Require ``0 < etaminus < 1 < etaplus`` (Rprop): ``Invalid eta values: {etaminus}, {etaplus}``."""
    if not 0.0 < etas[0] < 1.0 < etas[1]:
        raise ValueError(
            f"Invalid eta values: {etas[0]}, {etas[1]}. help: etas=(etaminus, etaplus) must "
            "satisfy 0 < etaminus < 1 < etaplus, e.g. (0.5, 1.2)."
        )


def check_option(ok: bool, words: str, hint: str) -> None:
    """Raise ``ValueError("{words}. help: {hint}")`` unless ``ok``, for torch's one-off wordings.

    The condition is written at the call site exactly as torch writes it (``0.0 <= lr``, so
    that NaN fails too), e.g. ``check_option(1.0 <= d, f"Clipping threshold d should be >= 1
    but is: {d}", "use d >= 1.")``.
    """
    if not ok:
        raise ValueError(f"{words}. help: {hint}")
