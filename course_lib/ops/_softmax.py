"""The numerically stable log-softmax shared by ``softmax``, ``log_softmax`` and the losses."""
from __future__ import annotations

import numpy as np


def log_softmax_array(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    r"""``(log_softmax(x), softmax(x))`` along ``axis``, stably.

    :math:`\log\mathrm{softmax}(x)_i = (x_i - m) - \log\sum_j e^{x_j - m}` with :math:`m = \max_j x_j`,
    so no exponential overflows.
    """
    shifted = x - x.max(axis=axis, keepdims=True)
    exps = np.exp(shifted)
    total = exps.sum(axis=axis, keepdims=True)
    return shifted - np.log(total), exps / total
