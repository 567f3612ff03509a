"""Optimizers, as ``torch.optim``: the :class:`Optimizer` base class and one file per algorithm.

Each optimizer file holds the algorithm as pseudo-code (module docstring), one pure update
function over numpy arrays (``sgd_update``, ``adam_update``, ...) that lessons and checkers
use directly, and the class that wires it to ``param_groups`` and ``state``.
"""
from . import (
    adadelta, adafactor, adagrad, adam, adamax, adamw, asgd, lbfgs, lion, muon, nadam, optimizer, radam, rmsprop,
    rprop, schedule_free, sgd,
)
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .lion import Lion
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .schedule_free import AdamWScheduleFree
from .sgd import SGD

from . import lr_scheduler  # after the optimizers: schedulers build on Optimizer
from . import swa_utils  # after lr_scheduler: SWALR is a scheduler

__all__ = [
    "ASGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "AdamWScheduleFree",
    "Adamax",
    "LBFGS",
    "Lion",
    "Muon",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "SGD",
    "adadelta",
    "adafactor",
    "adagrad",
    "adam",
    "adamax",
    "adamw",
    "asgd",
    "lbfgs",
    "lion",
    "lr_scheduler",
    "muon",
    "nadam",
    "optimizer",
    "radam",
    "rmsprop",
    "rprop",
    "schedule_free",
    "sgd",
    "swa_utils",
]
