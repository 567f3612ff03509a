"""The library call the optimizer checks (lessons 04-05) compare against."""
from __future__ import annotations

import numpy as np

from ..optim.sgd import sgd_update


def reference_sgd(param, grad, buf=None, *, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                  nesterov=False, maximize=False) -> tuple[np.ndarray, np.ndarray | None]:
    """``(new_param, new_buf)`` from ``course_lib.optim.sgd.sgd_update`` (a pure function), in float64."""
    state = {} if buf is None else {"momentum_buffer": np.asarray(buf, dtype=np.float64)}
    new_param, new_state = sgd_update(np.asarray(param, dtype=np.float64), np.asarray(grad, dtype=np.float64), state,
                                      lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize)
    return new_param, new_state.get("momentum_buffer")
