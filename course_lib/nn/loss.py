"""Loss modules: each stores its options and calls the matching ``nn.functional`` loss."""
from __future__ import annotations

from ..tensor import Tensor
from . import _losses as L
from .module import Module


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        self.reduction = L._reduction(reduction, size_average, reduce)


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)  # saved in state_dict, as torch does


class MSELoss(_Loss):
    r"""Mean squared error: :math:`\ell_i = (x_i - y_i)^2`, reduced by ``reduction`` (mean by default)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """:math:`(x_i - y_i)^2` reduced by ``self.reduction``; see :func:`course_lib.nn.functional.mse_loss`."""
        return L.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    r"""Mean absolute error: :math:`\ell_i = |x_i - y_i|`, reduced by ``reduction``."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """:math:`|x_i - y_i|` reduced by ``self.reduction``; see :func:`course_lib.nn.functional.l1_loss`."""
        return L.l1_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax + negative log-likelihood of logits; see :func:`course_lib.nn.functional.cross_entropy`.

    Input ``(C,)`` or ``(N, C)`` (or ``(N, C, d1, ...)``); target int64 class indices of
    shape ``()``/``(N,)``, or float class probabilities of the input's shape.
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """:math:`-\\sum_c y_c \\log\\mathrm{softmax}(x)_c` per sample, reduced; see :func:`course_lib.nn.functional.cross_entropy`."""
        return L.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities; see :func:`course_lib.nn.functional.nll_loss`."""

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """:math:`-w_{y} x_{y}` per sample (``input`` holds log-probabilities), reduced by ``self.reduction``."""
        return L.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy, stably; see :func:`course_lib.nn.functional.binary_cross_entropy_with_logits`."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """:math:`-[p\\,y \\log\\sigma(x) + (1-y)\\log(1-\\sigma(x))]` per element, reduced by ``self.reduction``."""
        return L.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
