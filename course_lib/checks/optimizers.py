"""The optimizer lessons' checkers in one namespace: ``optimizer_base`` (lesson 04: ``Optimizer``, ``sgd_update``,
``SGD.step``), ``momentum`` (lesson 05) and ``adaptive`` (lesson 06: RMSprop, Adam, AMSGrad, AdamW)."""
from .adaptive import check_adam_update, check_adamw_update, check_amsgrad_denominator, check_rmsprop_update
from .momentum import (check_ema_momentum_update, check_momentum_buffer_update, check_sgd_momentum_update,
                       check_sutskever_update)
from .optimizer_base import check_add_param_group, check_sgd_step, check_sgd_update, check_zero_grad

__all__ = ["check_add_param_group", "check_zero_grad", "check_sgd_update", "check_sgd_step",
           "check_momentum_buffer_update", "check_sgd_momentum_update", "check_sutskever_update",
           "check_ema_momentum_update", "check_rmsprop_update", "check_adam_update", "check_amsgrad_denominator",
           "check_adamw_update"]
