"""Training a model end to end: the answer keys of lessons 09 and 10.

* :mod:`~course_lib.training.loop`: :func:`train_one_epoch`, :func:`evaluate`, :func:`fit`;
* :mod:`~course_lib.training.recipes`: :data:`CONFIGS`, :func:`make_optimizer_and_scheduler`;
* :mod:`~course_lib.training.checkpoint`: :func:`save_checkpoint`, :func:`load_checkpoint`,
  :func:`resume_training`;
* :mod:`~course_lib.training.surgery`: :func:`freeze` (param-group surgery).

The lessons' checkers (``course_lib.checks.checkpoints``, ``course_lib.checks.capstone``)
compare a student's version of each function with these.
"""
from .checkpoint import CHECKPOINT_KEYS, load_checkpoint, resume_training, save_checkpoint
from .surgery import freeze
from .loop import evaluate, fit, train_one_epoch
from .recipes import CONFIGS, make_optimizer_and_scheduler

__all__ = [
    "CHECKPOINT_KEYS",
    "CONFIGS",
    "evaluate",
    "fit",
    "freeze",
    "load_checkpoint",
    "make_optimizer_and_scheduler",
    "resume_training",
    "save_checkpoint",
    "train_one_epoch",
]
