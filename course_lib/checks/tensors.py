"""Checks for lesson 01 (tensors): broadcasting shapes, ``normalize_rows`` (``keepdim``), MSE by hand;
the answers come from course_lib itself (``zeros(a) + zeros(b)``, ``sum``, ``nn.functional.mse_loss``)."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..creation import tensor, zeros
from ..nn import functional as F
from ..tensor import Tensor
from ._core import run_cases

__all__ = ["check_broadcast_shape", "check_normalize_rows", "check_mse_by_hand"]

# (a_shape, b_shape): shapes that broadcast, then shapes that do not.
BROADCAST_CASES = [
    ((3, 1), (1, 4)), ((2, 3), (3,)), ((5, 1, 4), (3, 1)), ((8, 1, 6, 1), (7, 1, 5)), ((), (2, 2)),
    ((4,), (4,)), ((1,), (3, 1)), ((2, 3), (2,)), ((3,), (4,)), ((2, 1), (8, 4, 3)),
    ((2, 1), (0,)),  # an empty dimension: a 1 takes the other size, even 0 (max() would say 1)
]
_RAISES = "raises RuntimeError"


def reference_broadcast_shape(a_shape: tuple, b_shape: tuple) -> tuple[int, ...]:
    """The shape of ``zeros(a_shape) + zeros(b_shape)`` in course_lib; RuntimeError if none."""
    return tuple((zeros(*a_shape) + zeros(*b_shape)).shape)


def _outcome(fn: Callable) -> Callable:
    """``fn`` with raising RuntimeError turned into an answer that can be compared (a list, which would compare
    equal to the tuple element by element, into a text that does not)."""
    def broadcast_shape(a_shape, b_shape):
        try:
            shape = fn(a_shape, b_shape)
            return f"the list {shape}" if isinstance(shape, list) else shape
        except NotImplementedError:  # a stub (a RuntimeError too): not an answer
            raise
        except RuntimeError:
            return _RAISES
    return broadcast_shape


def _combine(a_shape, b_shape, side: str = "right", one_stretches: bool = True):
    """Broadcast with the shorter shape padded with 1s on the left (``side="right"``, the real rule)
    or on the right (the usual mistake); ``_RAISES`` when two sizes clash."""
    n = max(len(a_shape), len(b_shape))
    pad = (lambda s: (1,) * (n - len(s)) + tuple(s)) if side == "right" else (lambda s: tuple(s) + (1,) * (n - len(s)))
    pairs = list(zip(pad(a_shape), pad(b_shape)))
    if any(x != y and not (one_stretches and 1 in (x, y)) for x, y in pairs):
        return _RAISES
    return tuple(max(x, y) if x and y else 0 for x, y in pairs)


# Each row's function gives the wrong answer, or a test of it (``got -> bool``), or None where it cannot show.
BROADCAST_MISTAKES = [
    ("return a tuple, as the exercise asks (a shape is a tuple: torch.Size is one): tuple(shape), not a list; "
     "[3, 4] == (3, 4) is False in Python.", lambda a, b: lambda got: str(got).startswith("the list")),
    ("two sizes that differ, neither of them 1, cannot broadcast: raise RuntimeError, as course_lib and torch do, "
     "instead of returning a shape.", lambda a, b: (lambda got: True) if _combine(a, b) == _RAISES else None),
    ("it looks like you lined the shapes up from the LEFT; broadcasting lines them up from the RIGHT (trailing "
     "dimensions first) and pads the shorter shape with 1s on the left.", lambda a, b: _combine(a, b, "left")),
    ("a size of 1 stretches to match the other size; only two different sizes that are both not 1 clash.",
     lambda a, b: _combine(a, b, one_stretches=False)),
    ("a size of 1 takes the OTHER size, even 0 (an empty dimension): max(size_a, size_b) gives 1 there; "
     "take size_b if size_a == 1 else size_a.", lambda a, b: None if _combine(a, b) == _RAISES else tuple(
         max(x, y) for x, y in zip((1,) * (len(b) - len(a)) + tuple(a), (1,) * (len(a) - len(b)) + tuple(b)))),
    ("the result has as many dimensions as the LONGER shape: pad the shorter one with 1s on the left before "
     "comparing sizes.", lambda a, b: lambda got: isinstance(got, (tuple, list)) and len(got) != max(len(a), len(b))),
    ("your sizes are right but in reverse order: if you walked the shapes from the right (e.g. with reversed()), "
     "reverse the result back at the end.", lambda a, b: None if _combine(a, b) == _RAISES else _combine(a, b)[::-1]),
    ("compare the sizes pair by pair from the right: equal sizes stay, a 1 takes the other size.",
     lambda a, b: lambda got: True),
]


def check_broadcast_shape(broadcast_shape: Callable) -> None:
    """Compare ``broadcast_shape(a_shape, b_shape)`` with course_lib on eleven pairs of shapes: it returns the
    broadcast shape as a tuple of ints, or raises RuntimeError when the shapes do not broadcast."""
    crashes = [(Exception, "", "raise RuntimeError, the type course_lib and torch use for shapes "
                               "that do not broadcast.")]
    run_cases("broadcast_shape", _outcome(broadcast_shape), _outcome(reference_broadcast_shape),
              BROADCAST_CASES, mistakes=BROADCAST_MISTAKES, crashes=crashes, what="pairs of shapes")


NORMALIZE_MISTAKES = [
    (lambda x: f"you forgot keepdim=True: x.sum(dim=1) has shape {tuple(x.sum(dim=1).shape)}, and broadcasting "
               "lines it up with the COLUMNS, so each COLUMN j was divided by the sum of ROW j (on a square "
               f"matrix the shapes fit and the numbers are silently wrong); x.sum(dim=1, keepdim=True) has "
               f"shape {tuple(x.sum(dim=1, keepdim=True).shape)} and divides each row by its own sum.",
     lambda x: x / x.sum(dim=1)),
    ("you summed over dim=0 (down each column), so your COLUMNS sum to 1; rows are dim=1.",
     lambda x: x / x.sum(dim=0, keepdim=True)),
    ("you divided by the sum of the whole tensor; each row needs its own sum (dim=1).", lambda x: x / x.sum()),
]


def check_normalize_rows(normalize_rows: Callable) -> None:
    """Compare ``normalize_rows(x)`` with ``x / x.sum(dim=1, keepdim=True)``, ``x`` unchanged, on four matrices:
    a square one (where forgetting ``keepdim`` gives the right shape and wrong numbers), one row, one column."""
    gen = np.random.default_rng(1)
    cases = [(tensor(gen.uniform(0.5, 2.0, size=s).round(2).astype(np.float32)),)
             for s in [(2, 3), (3, 3), (4, 1), (1, 5)]]
    crashes = [(RuntimeError, "must match the size", "you forgot keepdim=True: x.sum(dim=1) drops the summed "
                "dimension, and broadcasting lines the row sums up with the LAST dimension (the columns); "
                "x.sum(dim=1, keepdim=True) keeps shape (rows, 1) and divides each row by its own sum.")]
    run_cases("normalize_rows", normalize_rows, lambda x: x / x.sum(dim=1, keepdim=True), cases,
              mistakes=NORMALIZE_MISTAKES, crashes=crashes,
              pure="`x /= ...` changes the caller's tensor (x is the caller's own object); "
                   "return a new tensor: x / x.sum(dim=1, keepdim=True).")


def reference_mse(pred: Tensor, target: Tensor) -> Tensor:
    """course_lib's mean squared error of the flattened tensors (same number of elements)."""
    return F.mse_loss(pred.reshape(-1), target.reshape(-1))


MSE_MISTAKES = [
    (lambda p, t: f"pred of shape {tuple(p.shape)} minus target of shape {tuple(t.shape)} broadcasts to "
                  f"{reference_broadcast_shape(tuple(p.shape), tuple(t.shape))}: every prediction is compared "
                  "with every target. Reshape both to (N,) first (e.g. pred.reshape(-1)).",
     lambda p, t: ((p - t) ** 2).mean() if p.shape != t.shape else None),
    (lambda p, t: f"you reshaped pred to (N,) but not target, of shape {tuple(t.shape)}: (N,) minus {tuple(t.shape)} "
                  f"broadcasts to {reference_broadcast_shape((p.numel(),), tuple(t.shape))}. Reshape both to (N,).",
     lambda p, t: ((p.reshape(-1) - t) ** 2).mean() if t.ndim > 1 else None),
    (lambda p, t: f"you reshaped target to (N,) but not pred, of shape {tuple(p.shape)}: {tuple(p.shape)} minus (N,) "
                  f"broadcasts to {reference_broadcast_shape(tuple(p.shape), (t.numel(),))}. Reshape both to (N,).",
     lambda p, t: ((p - t.reshape(-1)) ** 2).mean() if p.ndim > 1 else None),
    ("you summed the squared errors; the MEAN squared error divides by N.",
     lambda p, t: ((p.reshape(-1) - t.reshape(-1)) ** 2).sum()),
    ("you took the square root: that is the RMSE; the MSE stops at the mean.",
     lambda p, t: ((p.reshape(-1) - t.reshape(-1)) ** 2).mean().sqrt()),
    ("you averaged the differences without squaring them.", lambda p, t: (p.reshape(-1) - t.reshape(-1)).mean()),
    ("you averaged absolute differences (that is the L1 loss); square them instead.",
     lambda p, t: (p.reshape(-1) - t.reshape(-1)).abs().mean()),
    ("your result has no grad_fn: it was cut from the graph (by .numpy(), .item(), .detach() or a new "
     "tensor(...)); build it with tensor operations only, so that loss.backward() can reach pred.",
     lambda p, t: {"value": reference_mse(p, t), "has grad_fn": False}),
    ("the number is right but it is not a tensor (did you call .item(), float() or .numpy()?): return the 0-d "
     "tensor itself, built with tensor operations only, so that loss.backward() can reach pred.",
     lambda p, t: {"value": reference_mse(p, t).item(), "has grad_fn": False}),
]
_NUMPY_CRASH = (RuntimeError, "numpy()", "build the loss with tensor operations only (reshape, -, ** 2, .mean()): "
                                         "numpy arrays, even via .detach().numpy() as the error suggests, leave the "
                                         "graph, and loss.backward() could not reach pred.")


def check_mse_by_hand(mse_by_hand: Callable) -> None:
    """Compare ``mse_by_hand(pred, target)`` with ``nn.functional.mse_loss``: with ``pred`` of shape ``(N, 1)``
    and ``target`` of shape ``(N,)``, the shapes must be made to agree, not broadcast to ``(N, N)``; the result
    is a 0-d tensor that stays in the graph (it has a ``grad_fn``)."""
    gen = np.random.default_rng(2)
    cases = [(tensor(gen.normal(size=p).round(2).astype(np.float32).reshape(p), requires_grad=True),
              tensor(gen.normal(size=p).round(2).astype(np.float32).reshape(t)))
             for p, t in [((4,), (4,)), ((5, 1), (5,)), ((3, 1), (3, 1)), ((1,), (1,))]]
    run_cases("mse_by_hand", mse_by_hand, reference_mse, cases, mistakes=MSE_MISTAKES, crashes=[_NUMPY_CRASH],
              observe=lambda args, got: {"value": got, "has grad_fn": getattr(got, "grad_fn", None) is not None}
              if isinstance(got, (Tensor, float, np.floating, np.ndarray)) else got)
