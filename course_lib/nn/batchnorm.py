"""Batch normalisation: normalise each feature over the batch, with running statistics for evaluation.

``_BatchNorm`` holds what every batch-norm layer shares (as torch's ``_BatchNorm``, which
``swa_utils.update_bn`` looks for); ``BatchNorm1d`` adds only the check of its input's rank.
"""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


class _BatchNorm(Module):
    """The shared part of batch-norm layers; see :class:`BatchNorm1d` for the maths and arguments."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None, dtype=None,
                 *, bias: bool = True) -> None:
        super().__init__()
        if device not in (None, "cpu"):
            raise NotImplementedError("course_lib runs on the CPU only")
        np_dtype = dtypes.to_numpy_dtype(dtype) or dtypes.DEFAULT_FLOAT.numpy
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(Tensor(np.empty(num_features, np_dtype)))
            if bias:
                self.bias = Parameter(Tensor(np.empty(num_features, np_dtype)))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, np_dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, np_dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean._data.fill(0)
            self.running_var._data.fill(1)
            self.num_batches_tracked._data.fill(0)

    def reset_parameters(self) -> None:
        """Reset the running statistics, and ``weight`` to 1 and ``bias`` to 0."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def forward(self, input: Tensor) -> Tensor:
        """Normalise ``input`` with the batch's statistics (training) or the running ones (eval)."""
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            # Counted before the batch is checked, as torch does.
            self.num_batches_tracked._data += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
        # In eval, batch statistics are used only when there are no running ones.
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        """The layer's settings, as torch prints them."""
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    r"""Batch normalisation of ``(N, C)`` or ``(N, C, L)`` input, feature by feature (as torch).

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    In training, :math:`\mathrm{E}[x]` and the biased :math:`\mathrm{Var}[x]` come from the
    batch (over ``N`` and ``L``) and the buffers are updated:
    ``num_batches_tracked += 1``, then with :math:`m` = ``momentum``
    ``running_mean = m * mean + (1 - m) * running_mean`` and
    ``running_var = m * unbiased_var + (1 - m) * running_var``. With ``momentum=None``,
    :math:`m = 1 / \text{num\_batches\_tracked}`: a cumulative (equal-weight) average of
    every batch so far. In ``eval()`` the running statistics replace the batch's, so one
    sample at a time gives the same answer as a whole batch. Without running statistics
    (``track_running_stats=False``) batch statistics are used in both modes.

    Args:
        num_features: ``C``, the number of features (channels).
        eps: added to the variance, for numerical stability.
        momentum: weight of the newest batch in the running statistics, or None for a
            cumulative moving average.
        affine: whether to learn ``weight`` (:math:`\gamma`, starts at 1) and ``bias``
            (:math:`\beta`, starts at 0).
        track_running_stats: whether to keep the buffers ``running_mean`` (starts at 0),
            ``running_var`` (starts at 1) and ``num_batches_tracked`` (int64, starts at 0).
        dtype: the dtype of parameters and running statistics (float32 by default).
        bias: with ``affine``, whether to learn ``bias`` too.
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in (2, 3):
            raise ValueError(
                f"expected 2D or 3D input (got {input.ndim}D input). "
                "help: BatchNorm1d takes (N, C) or (N, C, L); add the batch axis with .unsqueeze(0)."
            )
