"""Checks for lesson 01 (tensors): broadcasting shapes, reductions with ``keepdim``, MSE by hand.

Every expected answer is computed by course_lib itself (the library is the answer key):
the broadcast shape is the shape of ``zeros(a) + zeros(b)``, the reductions are
course_lib's ``sum``, and the loss is ``course_lib.nn.functional.mse_loss``. Typical wrong
answers are computed too, so that a mismatch can be named ("you aligned the shapes from
the left").
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..creation import tensor, zeros
from ..tensor import Tensor
from ._core import ExerciseError, call_student, format_value, report_success

__all__ = ["check_broadcast_shape", "check_normalize_rows", "check_mse_by_hand"]

# (a_shape, b_shape): shapes that broadcast, then shapes that do not.
BROADCAST_CASES = [
    ((3, 1), (1, 4)),
    ((2, 3), (3,)),
    ((5, 1, 4), (3, 1)),
    ((8, 1, 6, 1), (7, 1, 5)),
    ((), (2, 2)),
    ((4,), (4,)),
    ((1,), (3, 1)),
    ((2, 3), (2,)),
    ((3,), (4,)),
    ((2, 1), (8, 4, 3)),
]


def reference_broadcast_shape(a_shape: tuple, b_shape: tuple) -> tuple[int, ...]:
    """The shape of ``zeros(a_shape) + zeros(b_shape)`` in course_lib; RuntimeError if none."""
    return tuple((zeros(*a_shape) + zeros(*b_shape)).shape)


def _aligned(a_shape, b_shape, side: str) -> tuple[tuple, tuple]:
    """Both shapes at the same length, aligned on ``side``: ``"right"`` (the real rule, pad
    the shorter shape with 1s on the left) or ``"left"`` (the usual mistake, pad on the right)."""
    n = max(len(a_shape), len(b_shape))

    def pad(shape) -> tuple:
        ones = (1,) * (n - len(shape))
        return ones + tuple(shape) if side == "right" else tuple(shape) + ones

    return pad(a_shape), pad(b_shape)


def _combine(a, b, one_stretches: bool = True):
    """Sizes pairwise: equal, or one is 1 (when ``one_stretches``); None when incompatible."""
    out = []
    for x, y in zip(a, b):
        if x == y or (one_stretches and 1 in (x, y)):
            out.append(max(x, y) if x and y else 0)
        else:
            return None
    return tuple(out)


def _diagnose_broadcast(a_shape, b_shape, expected, got) -> str:
    """Name the likely mistake behind a wrong broadcast shape (None = raised)."""
    left = _combine(*_aligned(a_shape, b_shape, "left"))
    if expected is None and got is not None:
        return ("two sizes that differ, neither of them 1, cannot broadcast: raise RuntimeError, "
                "as course_lib and torch do, instead of returning a shape.")
    if got == left and left != expected:
        return ("it looks like you lined the shapes up from the LEFT; broadcasting lines them up "
                "from the RIGHT (trailing dimensions first) and pads the shorter shape with 1s on the left.")
    if got is None and left is None and expected is not None:
        return ("these shapes do broadcast when lined up from the RIGHT; did you line them up "
                "from the left?")
    if got is None and _combine(*_aligned(a_shape, b_shape, "right"), one_stretches=False) is None:
        return "a size of 1 stretches to match the other size; only two different sizes that are both not 1 clash."
    if got is not None and len(got) != len(expected):
        return ("the result has as many dimensions as the LONGER shape: pad the shorter one with 1s "
                "on the left before comparing sizes.")
    return "compare the sizes pair by pair from the right: equal sizes stay, a 1 takes the other size."


def check_broadcast_shape(broadcast_shape: Callable) -> None:
    """Compare ``broadcast_shape(a_shape, b_shape)`` with course_lib on ten pairs of shapes.

    The student's function must return the broadcast shape as a tuple of ints, or raise
    RuntimeError when the shapes do not broadcast.
    """
    for a_shape, b_shape in BROADCAST_CASES:
        try:
            expected = reference_broadcast_shape(a_shape, b_shape)
        except RuntimeError:
            expected = None
        try:
            got = call_student(broadcast_shape, a_shape, b_shape)
            raised = None
        except ExerciseError:
            raise
        except Exception as error:  # noqa: BLE001 - any exception the student raises is an answer
            got, raised = None, error
        if raised is not None and not isinstance(raised, RuntimeError):
            if expected is None:
                raise ExerciseError(
                    f"broadcast_shape{(a_shape, b_shape)} raised {type(raised).__name__}: {raised}. "
                    "These shapes indeed do not broadcast, but raise RuntimeError, the type course_lib "
                    "and torch use for shape mismatches."
                )
            raise ExerciseError(
                f"broadcast_shape{(a_shape, b_shape)} raised {type(raised).__name__}: {raised}; "
                f"expected {expected}. Likely mistake: "
                + _diagnose_broadcast(a_shape, b_shape, expected, None)
            )
        if raised is None:
            try:
                got = tuple(int(n) for n in got)
            except TypeError:
                raise ExerciseError(
                    f"broadcast_shape{(a_shape, b_shape)} returned {got!r}; expected a tuple of ints "
                    f"such as {expected if expected is not None else (2, 3)}. help: build a list of "
                    "sizes and return tuple(sizes)."
                ) from None
        if got != expected:
            shown_expected = "a RuntimeError" if expected is None else f"{expected}"
            shown_got = f"a {type(raised).__name__} ({raised})" if raised is not None else f"{got}"
            raise ExerciseError(
                f"broadcast_shape{(a_shape, b_shape)}: expected {shown_expected}, got {shown_got}. "
                "Likely mistake: " + _diagnose_broadcast(a_shape, b_shape, expected, got)
            )
    report_success("broadcast_shape", len(BROADCAST_CASES), what="pairs of shapes")


def _values(x) -> np.ndarray:
    """The numbers in a Tensor (or array, or list) as a float64 numpy array."""
    if isinstance(x, Tensor):
        x = x.detach().numpy()
    return np.asarray(x, dtype=np.float64)


def _normalize_cases() -> list[Tensor]:
    gen = np.random.default_rng(1)
    shapes = [(2, 3), (3, 3), (4, 1), (1, 5)]
    return [tensor(gen.uniform(0.5, 2.0, size=s).round(2).astype(np.float32)) for s in shapes]


def check_normalize_rows(normalize_rows: Callable) -> None:
    """Compare ``normalize_rows(x)`` with ``x / x.sum(dim=1, keepdim=True)`` (course_lib).

    Cases include a square matrix (where forgetting ``keepdim`` gives the right shape and
    wrong numbers) and single-row/single-column matrices.
    """
    for x in _normalize_cases():
        expected = x / x.sum(dim=1, keepdim=True)
        try:
            got = call_student(normalize_rows, x)
        except ExerciseError:
            raise
        except RuntimeError as error:
            if "must match the size" not in str(error):
                raise
            raise ExerciseError(
                f"normalize_rows(x) with x of shape {tuple(x.shape)} raised RuntimeError: {error}\n"
                f"Likely mistake: you forgot keepdim=True. x.sum(dim=1) has shape {tuple(x.sum(dim=1).shape)}, "
                "and broadcasting lines it up with the LAST dimension (the columns), not the rows; "
                f"x.sum(dim=1, keepdim=True) has shape {tuple(x.sum(dim=1, keepdim=True).shape)} and "
                "divides each row by its own sum."
            ) from None
        wrong = {}
        try:
            wrong["forgot keepdim"] = x / x.sum(dim=1)
        except RuntimeError:
            pass
        wrong["dim=0"] = x / x.sum(dim=0, keepdim=True)
        wrong["whole sum"] = x / x.sum()
        if not isinstance(got, Tensor):
            raise ExerciseError(
                f"normalize_rows returned a {type(got).__name__}; expected a course_lib Tensor. "
                "help: use tensor operations (x.sum(...), /) so the result stays a Tensor."
            )
        got_shape, expected_shape = tuple(got.shape), tuple(expected.shape)
        hint = ""
        if got_shape != expected_shape:
            if "forgot keepdim" in wrong and got_shape == tuple(wrong["forgot keepdim"].shape):
                hint = (f" Likely mistake: you forgot keepdim=True. x.sum(dim=1) has shape "
                        f"{tuple(x.sum(dim=1).shape)}, which lines up with the COLUMNS when broadcast; "
                        f"x.sum(dim=1, keepdim=True) has shape {tuple(x.sum(dim=1, keepdim=True).shape)} "
                        "and divides each row by its own sum.")
            raise ExerciseError(
                f"normalize_rows(x) with x of shape {tuple(x.shape)} returned shape {got_shape}; "
                f"expected {expected_shape}." + hint
            )
        if np.allclose(_values(got), _values(expected), rtol=1e-5, atol=1e-6):
            continue
        for name, candidate in wrong.items():
            if tuple(candidate.shape) == got_shape and np.allclose(_values(got), _values(candidate), rtol=1e-5, atol=1e-6):
                hint = {
                    "forgot keepdim": (
                        "you forgot keepdim=True: x.sum(dim=1) has shape "
                        f"{tuple(x.sum(dim=1).shape)}, and broadcasting lines it up with the COLUMNS, "
                        "so each COLUMN j was divided by the sum of ROW j. On a square matrix the shapes "
                        "fit and the numbers are silently wrong."),
                    "dim=0": "you summed over dim=0 (down each column), so your COLUMNS sum to 1; rows are dim=1.",
                    "whole sum": "you divided by the sum of the whole tensor; each row needs its own sum (dim=1).",
                }[name]
                break
        raise ExerciseError(
            f"normalize_rows(x) for x =\n{np.array2string(_values(x), precision=2)}\n"
            f"expected\n{np.array2string(_values(expected), precision=4)}\n"
            f"got\n{np.array2string(_values(got), precision=4)}\n"
            + (f"Likely mistake: {hint}" if hint else "help: every row of the result should sum to 1.")
        )
    report_success("normalize_rows", len(_normalize_cases()))


def _mse_cases() -> list[tuple[Tensor, Tensor]]:
    gen = np.random.default_rng(2)
    cases = []
    for pred_shape, target_shape in [((4,), (4,)), ((5, 1), (5,)), ((3, 1), (3, 1)), ((1,), (1,))]:
        n = int(np.prod(pred_shape))
        pred = gen.normal(size=n).round(2).astype(np.float32).reshape(pred_shape)
        target = gen.normal(size=n).round(2).astype(np.float32).reshape(target_shape)
        cases.append((tensor(pred, requires_grad=True), tensor(target)))
    return cases


def reference_mse(pred: Tensor, target: Tensor) -> Tensor:
    """course_lib's mean squared error of the flattened tensors (same number of elements)."""
    from ..nn import functional as F

    return F.mse_loss(pred.reshape(-1), target.reshape(-1))


def check_mse_by_hand(mse_by_hand: Callable) -> None:
    """Compare ``mse_by_hand(pred, target)`` with ``course_lib.nn.functional.mse_loss``.

    ``pred`` may be a column ``(N, 1)`` while ``target`` is ``(N,)``: the student must make
    the shapes agree instead of letting them broadcast to ``(N, N)``.
    """
    for pred, target in _mse_cases():
        expected = float(reference_mse(pred, target).item())
        got = call_student(mse_by_hand, pred, target)
        if not isinstance(got, Tensor):
            raise ExerciseError(
                f"mse_by_hand returned a {type(got).__name__}; expected a 0-d course_lib Tensor. "
                "help: keep to tensor operations (no .item(), no .numpy()) so that loss.backward() "
                "works in the next lessons."
            )
        if got.numel() != 1:
            raise ExerciseError(
                f"mse_by_hand(pred {tuple(pred.shape)}, target {tuple(target.shape)}) returned a tensor "
                f"of shape {tuple(got.shape)}; expected a single number (shape ()). help: finish with .mean()."
            )
        value = float(got.detach().item())
        if np.isclose(value, expected, rtol=1e-5, atol=1e-6):
            if got.grad_fn is None:
                raise ExerciseError(
                    "mse_by_hand returns the right number but it has no grad_fn: the result was cut "
                    "from the graph (by .numpy(), .item(), .detach() or a new tensor(...)). help: build "
                    "it with tensor operations only, so that loss.backward() can reach pred."
                )
            continue
        p, t = _values(pred), _values(target)
        diff = p.reshape(-1) - t.reshape(-1)
        candidates = {
            "broadcast": float(np.mean((p - t) ** 2)),
            "sum": float(np.sum(diff ** 2)),
            "rmse": float(np.sqrt(np.mean(diff ** 2))),
            "no square": float(np.mean(diff)),
            "abs": float(np.mean(np.abs(diff))),
            # Only one side reshaped: (N,) against (N, 1) broadcasts to (N, N) all the same.
            "pred only": float(np.mean((p.reshape(-1) - t) ** 2)),
            "target only": float(np.mean((p - t.reshape(-1)) ** 2)),
        }
        hint = "help: subtract, square, then average over all N elements."
        for name, candidate in candidates.items():
            if name == "broadcast" and p.shape == t.shape:
                continue
            if name == "pred only" and t.ndim < 2 or name == "target only" and p.ndim < 2:
                continue  # reshaping one side alone gives matching shapes here: no trap
            if np.isclose(value, candidate, rtol=1e-5, atol=1e-6):
                hint = "Likely mistake: " + {
                    "broadcast": (f"pred of shape {p.shape} minus target of shape {t.shape} broadcasts to "
                                  f"{reference_broadcast_shape(p.shape, t.shape)}: every prediction is compared "
                                  "with every target. Reshape both to (N,) first (e.g. pred.reshape(-1))."),
                    "sum": "you summed the squared errors; the MEAN squared error divides by N.",
                    "rmse": "you took the square root: that is the RMSE; the MSE stops at the mean.",
                    "no square": "you averaged the differences without squaring them.",
                    "abs": "you averaged absolute differences (that is the L1 loss); square them instead.",
                    "pred only": (f"you reshaped pred to (N,) but not target, of shape {t.shape}: (N,) minus "
                                  f"{t.shape} broadcasts to {reference_broadcast_shape((p.size,), t.shape)}. "
                                  "Reshape both to (N,)."),
                    "target only": (f"you reshaped target to (N,) but not pred, of shape {p.shape}: {p.shape} "
                                    f"minus (N,) broadcasts to {reference_broadcast_shape(p.shape, (t.size,))}. "
                                    "Reshape both to (N,)."),
                }[name]
                break
        raise ExerciseError(
            f"mse_by_hand(pred={format_value(p.reshape(-1))} with shape {p.shape}, "
            f"target={format_value(t.reshape(-1))} with shape {t.shape}): expected {expected:.6f}, "
            f"got {value:.6f}. {hint}"
        )
    report_success("mse_by_hand", len(_mse_cases()))
