"""Learning-rate schedulers, as ``torch.optim.lr_scheduler``: same names, arguments,
defaults and learning rate at every step.

Files by family (the order the course teaches them):
``base`` (LRScheduler), ``multiplicative`` (LambdaLR, MultiplicativeLR, StepLR,
MultiStepLR, ExponentialLR), ``warmup`` (ConstantLR, LinearLR, PolynomialLR), ``cosine``
(CosineAnnealingLR, CosineAnnealingWarmRestarts), ``cyclic`` (CyclicLR), ``onecycle``
(OneCycleLR), ``plateau`` (ReduceLROnPlateau), ``composite`` (SequentialLR,
ChainedScheduler).

The rule of use: in every iteration call ``optimizer.step()`` first, then
``scheduler.step()``.
"""
from .base import LRScheduler
from .composite import ChainedScheduler, SequentialLR
from .cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from .cyclic import CyclicLR
from .multiplicative import ExponentialLR, LambdaLR, MultiStepLR, MultiplicativeLR, StepLR
from .onecycle import OneCycleLR
from .plateau import ReduceLROnPlateau
from .warmup import ConstantLR, LinearLR, PolynomialLR

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]
