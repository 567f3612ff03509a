"""ASGD: averaged stochastic gradient descent (Polyak & Juditsky, 1992).

Plain SGD with a slowly decaying step size ``eta`` moves the parameters; beside them, ``ax``
keeps a running average of the iterates, switched on after ``t0`` steps. The average is
the answer: it cancels much of the noise of the last iterates (lesson 13). The optimizer
itself keeps stepping with ``param``; read ``ax`` to use the average.

The algorithm, per parameter, in the symbols of :func:`asgd_update` (as ``torch.optim.ASGD``,
in torch's order of floating-point operations)::

    input: lr, lambd, alpha, t0, weight_decay, maximize
    state: step = 0, eta = lr, mu = 1 (float32 scalars, as torch keeps them), ax = 0
    for step = 1, 2, ...:
        grad = -grad if maximize else grad
        if weight_decay != 0:
            grad = grad + weight_decay * param
        param = param * (1 - lambd * eta)          # decay towards 0
        param = param - eta * grad                 # the SGD step, with this step's eta
        if mu != 1:
            ax = ax + (param - ax) * mu            # running average of the iterates
        else:
            ax = param                             # no averaging yet (step <= t0 + 1)
        eta = lr / (1 + lambd * lr * step) ** alpha    # the next step's eta
        mu = 1 / max(1, step - t0)                      # the next step's averaging weight

``eta`` and ``mu`` are 0-d float32 arrays, whatever the parameter's dtype: torch creates them
in its default dtype and rounds each new value to float32 before storing it. Loading a state
dict casts them to the parameter's dtype (torch does too); from then on they keep that dtype.
``lr`` sets the first step's ``eta`` and every later one, so a scheduler's ``lr`` acts one
step late, as in torch.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import effective_gradient, zeros_or
from ._validation import check_lr, check_weight_decay
from .optimizer import Optimizer, _check_unsupported

__all__ = ["ASGD", "asgd_update"]


def asgd_update(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, Any],
    lr: float = 1e-2,
    lambd: float = 1e-4,
    alpha: float = 0.75,
    t0: float = 1e6,
    weight_decay: float = 0,
    *,
    maximize: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One ASGD step for one parameter (see the module docstring); pure.

    Args:
        param: the parameter's values.
        grad: its gradient.
        state: ``{"step", "eta", "mu", "ax"}`` from the previous step (``eta`` and ``mu`` 0-d
            arrays), or ``{}`` before the first.
        lr, lambd, alpha, t0, weight_decay, maximize: the group's options.

    Returns:
        ``(new_param, new_state)``, with torch's state keys; ``eta`` and ``mu`` keep the dtype
        they came with (float32 when new). The inputs are never changed.
    """
    step = state.get("step", 0.0) + 1
    eta = state.get("eta", np.array(lr, dtype=np.float32))
    mu = state.get("mu", np.ones((), dtype=np.float32))
    param, grad = effective_gradient(param, grad, lr=lr, weight_decay=weight_decay, maximize=maximize)
    param = param * (1 - lambd * float(eta))
    param = param + (-float(eta)) * grad
    if float(mu) != 1:
        ax = zeros_or(state, "ax", param)
        ax = ax + (param - ax) * mu
    else:
        ax = param.copy()
    # torch stores each new value through a float32 tensor (its default dtype), then in eta's
    new_eta = np.asarray(np.float32(lr / ((1 + lambd * lr * step) ** alpha)), dtype=eta.dtype)
    new_mu = np.asarray(np.float32(1 / max(1, step - t0)), dtype=mu.dtype)
    return param, {"step": step, "eta": new_eta, "mu": new_mu, "ax": ax}


class ASGD(Optimizer):
    """Averaged stochastic gradient descent, as ``torch.optim.ASGD``.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: learning rate (the first ``eta``, and the scale of every later one).
        lambd: decay term: ``eta`` shrinks like ``(1 + lambd * lr * step) ** -alpha`` and the
            parameters are multiplied by ``1 - lambd * eta`` each step.
        alpha: power of the ``eta`` decay.
        t0: the step after which averaging starts (``mu = 1 / (step - t0)``).
        weight_decay: L2 penalty added to the gradient.
        foreach, differentiable, capturable: accepted with their default values only.
        maximize: maximize the objective instead of minimizing it.

    Example:
        >>> optimizer = ASGD(model.parameters(), lr=0.05, t0=100)
        >>> # ... train; then the averaged weights are optimizer.state[p]["ax"] for each p
    """

    _update = staticmethod(asgd_update)
    _options = ("lr", "lambd", "alpha", "t0", "weight_decay", "maximize")

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        # torch checks lr and weight_decay only: any lambd, alpha and t0 are accepted.
        check_lr(lr)
        check_weight_decay(weight_decay)
        _check_unsupported(foreach=foreach, differentiable=differentiable, capturable=capturable)
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)
