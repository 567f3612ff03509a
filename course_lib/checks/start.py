"""Checks for lesson 00 (start here): the warm-up exercise ``mean_of`` against course_lib's ``Tensor.mean``."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..creation import tensor
from ..tensor import Tensor
from ._core import allclose, run_cases

__all__ = ["check_mean_of"]


def reference_mean_of(x: Tensor) -> Tensor:
    """The mean of all elements of ``x``: :math:`\\frac{1}{N}\\sum_i x_i` (course_lib's ``x.mean()``)."""
    return x.mean()


MISTAKES = [
    ("the number is right but it is not a tensor (did you call .item() or float()?); "
     "return the tensor x.sum() / x.numel() itself.",
     lambda x: lambda got: not isinstance(got, Tensor) and allclose(got, x.mean().item())),
    ("you divided every element by x.numel() but did not add them up first: x.sum() / x.numel().",
     lambda x: x / x.numel() if x.ndim else None),
    (lambda x: "you returned the sum" + (" (or divided it by x.ndim = x.dim() = 1, the number of DIMENSIONS)"
                                         if x.ndim == 1 else "") + "; the mean divides the sum by x.numel(), the "
               "number of elements.", lambda x: x.sum()),
    (lambda x: f"you divided by len(x) = {len(x)}, the number of ROWS; x has x.numel() = {x.numel()} elements.",
     lambda x: x.sum() / len(x) if x.ndim > 1 else None),
    (lambda x: f"you divided by x.shape[-1] = {x.shape[-1]}, the size of the LAST dimension (the columns); x has "
               f"x.numel() = {x.numel()} elements.", lambda x: x.sum() / x.shape[-1] if x.ndim > 1 else None),
    ("you divided by x.numel() - 1 (the sample variance's correction); the mean divides by "
     "x.numel(), the number of elements.", lambda x: x.sum() / (x.numel() - 1) if x.numel() > 1 else None),
    ("you averaged each column (dim=0); the exercise asks for one number, the mean of all elements.",
     lambda x: x.mean(dim=0) if x.ndim > 1 else None),
    ("you averaged each row (dim=-1); the exercise asks for one number, the mean of all elements.",
     lambda x: x.mean(dim=-1) if x.ndim > 1 else None),
]


def check_mean_of(mean_of: Callable) -> None:
    """Check the warm-up ``mean_of(x) -> Tensor`` (the mean of every element) on a vector, a matrix (where
    ``len(x)`` is not the number of elements), a 3-d tensor and a single number."""
    run_cases("mean_of", mean_of, reference_mean_of, {
        "a vector": (tensor([1.0, 2.0, 3.0, 6.0]),),
        "a 2 x 3 matrix": (tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 9.0]]),),
        "a 2 x 2 x 2 tensor": (tensor(np.arange(8, dtype=np.float32).reshape(2, 2, 2)),),
        "a single number": (tensor(7.5),),
    }, mistakes=MISTAKES, pure="`x /= ...` (or x.div_) changes the caller's tensor; the mean is a new tensor: "
                                 "return x.sum() / x.numel().")
