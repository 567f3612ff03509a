"""Checks for lesson 00 (start here): the warm-up exercise ``mean_of``.

The reference is course_lib's own ``Tensor.mean`` (the library is the answer key); the
checker recognises the usual slips: returning the sum, dividing by ``len(x)`` (the number
of rows) instead of ``x.numel()`` (the number of elements), dividing without summing, and
returning a Python number instead of a tensor.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..creation import tensor
from ..tensor import Tensor
from ._core import allclose, run_cases

__all__ = ["check_mean_of"]


def reference_mean_of(x: Tensor) -> Tensor:
    """The mean of all elements of ``x``: :math:`\\frac{1}{N}\\sum_i x_i` (course_lib's ``x.mean()``)."""
    return x.mean()


def _diagnose_mean_of(inputs: dict, got: Any, expected: Any) -> str | None:
    x = inputs["x"]
    values = np.asarray(x._data, dtype=np.float64)
    if not isinstance(got, Tensor) and allclose(np.asarray(got, dtype=np.float64), values.mean()):
        return ("the number is right but it is not a tensor (did you call .item() or float()?); "
                "return the tensor x.sum() / x.numel() itself.")
    if values.ndim > 0 and allclose(got, values / values.size):
        return "you divided every element by x.numel() but did not add them up first: x.sum() / x.numel()."
    if allclose(got, values.sum()):
        return "you returned the sum; the mean divides the sum by the number of elements."
    if values.ndim > 1 and allclose(got, values.sum() / values.shape[0]):
        return (f"you divided by len(x) = {values.shape[0]}, the number of ROWS; x has "
                f"x.numel() = {values.size} elements.")
    if values.ndim > 1 and allclose(got, values.mean(axis=0)):
        return "you averaged each column (dim=0); the exercise asks for one number, the mean of all elements."
    return None


def check_mean_of(mean_of: Callable) -> None:
    """Check the warm-up ``mean_of(x) -> Tensor`` (the mean of every element) on four tensors.

    Cases: a vector, a matrix (where ``len(x)`` is not the number of elements), a 3-d
    tensor and a single number.
    """
    cases = {
        "a vector": (tensor([1.0, 2.0, 3.0, 6.0]),),
        "a 2 x 3 matrix": (tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 9.0]]),),
        "a 2 x 2 x 2 tensor": (tensor(np.arange(8, dtype=np.float32).reshape(2, 2, 2)),),
        "a single number": (tensor(7.5),),
    }
    run_cases("mean_of", mean_of, reference_mean_of, cases, diagnose=_diagnose_mean_of)
