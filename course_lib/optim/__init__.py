"""Optimizers, as ``torch.optim``: the :class:`Optimizer` base class and one file per algorithm.

Each optimizer file holds the algorithm as pseudo-code (module docstring), one pure update
function over numpy arrays (``sgd_update``, ``adam_update``, ...) that lessons and checkers
use directly, and the class that wires it to ``param_groups`` and ``state``.
"""
from . import adadelta, adagrad, adam, adamax, adamw, lbfgs, muon, nadam, optimizer, radam, rmsprop, sgd
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .lbfgs import LBFGS
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

from . import lr_scheduler  # after the optimizers: schedulers build on Optimizer

__all__ = [
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "LBFGS",
    "Muon",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "SGD",
    "adadelta",
    "adagrad",
    "adam",
    "adamax",
    "adamw",
    "lbfgs",
    "lr_scheduler",
    "muon",
    "nadam",
    "optimizer",
    "radam",
    "rmsprop",
    "sgd",
]
