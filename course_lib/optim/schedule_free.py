"""Schedule-free AdamW: no learning-rate schedule, an average of the iterates instead
(Defazio et al., 2024, "The Road Less Scheduled").

Three sequences live side by side. ``z`` takes plain AdamW-like steps with a *constant*
learning rate; ``x`` is a weighted running average of the ``z``'s (what a schedule's decay
would otherwise achieve); the gradient is evaluated at ``y``, an interpolation of the two.
The model's parameters hold ``y`` while training and ``x`` for evaluation: call
``optimizer.train()`` before training steps and ``optimizer.eval()`` before evaluating or
saving. Not in ``torch.optim``: course_lib's numbers follow the authors' simplified reference
(``schedulefree.AdamWScheduleFreeReference``, used once to make the committed reference
data in ``tests/reference/``). Lesson 12 has students write the step.

The algorithm, per param group and per parameter, in the symbols of
:func:`schedule_free_weights` and :func:`schedule_free_adamw_update`::

    input: lr, beta1, beta2, eps, weight_decay, warmup_steps, r, weight_lr_power, decay_at_z
    group: k = 0, lr_max = -1, weight_sum = 0
    state: z = x = y = param, exp_avg_sq = 0
    for k = 0, 1, 2, ... (step = k + 1):
        scheduled_lr = lr * min(1, (k + 1) / warmup_steps)        # linear warm-up only
        lr_max = max(lr_max, scheduled_lr)
        weight = (k + 1) ** r * lr_max ** weight_lr_power
        weight_sum = weight_sum + weight
        ckp1 = weight / weight_sum                                 # c_{k+1}
        for each parameter (grad taken at y):
            z = z - scheduled_lr * weight_decay * (z if decay_at_z else y)
            exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
            denom = sqrt(exp_avg_sq / (1 - beta2 ** step)) + eps
            z = z - scheduled_lr * grad / denom                   # the base sequence
            x = (1 - ckp1) * x + ckp1 * z                         # the weighted average
            y = beta1 * x + (1 - beta1) * z                       # where the next grad is taken
            param = y

With ``r = 0`` and no warm-up every weight is equal, ``ckp1 = 1 / step`` and ``x`` is the
plain average of all ``z``'s (Polyak averaging); ``beta1`` plays momentum's part.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from ..tensor import Tensor
from ._moments import zeros_or
from ._validation import check_betas, check_eps, check_lr, check_weight_decay
from .optimizer import Optimizer, _state_arrays

__all__ = ["AdamWScheduleFree", "schedule_free_adamw_update", "schedule_free_weights"]


def schedule_free_weights(
    k: int, lr: float, warmup_steps: int, r: float, weight_lr_power: float, lr_max: float, weight_sum: float
) -> tuple[float, float, float, float]:
    """A param group's numbers for step ``k + 1``: ``(scheduled_lr, ckp1, lr_max, weight_sum)``.

    ``ckp1`` is the weight of the new ``z`` in the average ``x`` (see the module docstring).
    """
    scheduled_lr = lr * ((k + 1) / warmup_steps if k < warmup_steps else 1.0)
    lr_max = max(scheduled_lr, lr_max)
    weight = ((k + 1) ** r) * (lr_max**weight_lr_power)
    weight_sum = weight_sum + weight
    ckp1 = weight / weight_sum if weight_sum != 0 else 0.0
    return scheduled_lr, ckp1, lr_max, weight_sum


def schedule_free_adamw_update(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, Any],
    *,
    step: int,
    scheduled_lr: float,
    ckp1: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decay_at_z: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """One schedule-free AdamW step for one parameter (see the module docstring); pure.

    Args:
        param: the parameter's values (``y`` while training).
        grad: its gradient, taken at ``y``.
        state: ``{"z", "exp_avg_sq", "x", "y"}`` from the previous step, or ``{}`` (then
            ``z``, ``x`` and ``y`` start at ``param``).
        step: ``k + 1``, the number of this step (for the bias correction of ``exp_avg_sq``).
        scheduled_lr, ckp1: the group's numbers from :func:`schedule_free_weights`.
        betas, eps, weight_decay, decay_at_z: the group's options.

    Returns:
        ``(new_param, new_state)``: ``new_param`` is the new ``y``. The inputs are never changed.
    """
    beta1, beta2 = betas
    z, x, y = (state.get(key, param) for key in ("z", "x", "y"))
    if weight_decay != 0:
        z = z - (scheduled_lr * weight_decay) * (z if decay_at_z else y)
    exp_avg_sq = beta2 * zeros_or(state, "exp_avg_sq", param) + (1 - beta2) * grad * grad
    denom = np.sqrt(exp_avg_sq / (1 - beta2**step)) + eps
    z = z + -scheduled_lr * (grad / denom)
    x = (1 - ckp1) * x + ckp1 * z
    y = beta1 * x + (1 - beta1) * z
    return y, {"z": z, "exp_avg_sq": exp_avg_sq, "x": x, "y": y}


class AdamWScheduleFree(Optimizer):
    """Schedule-free AdamW, as ``schedulefree.AdamWScheduleFreeReference``; course-only.

    Args:
        params: parameters (or param-group dicts) to optimize.
        lr: the constant learning rate of the ``z`` sequence (after the warm-up).
        betas: ``(beta1, beta2)``: the interpolation ``y = beta1 * x + (1 - beta1) * z``, and
            the decay of the squared-gradient average.
        eps: added to the denominator.
        weight_decay: decay of ``z`` by ``scheduled_lr * weight_decay`` times ``y`` (or ``z``).
        warmup_steps: steps of linear learning-rate warm-up.
        r: the average weighs step ``t`` by ``t ** r``.
        weight_lr_power: ... and by ``lr_max ** weight_lr_power`` (small during warm-up).
        decay_at_z: compute the weight decay at ``z`` instead of ``y``.

    Call :meth:`train` before training steps and :meth:`eval` before evaluating or saving:
    they switch the parameters between ``y`` and the average ``x``. Each group keeps the
    reference's bookkeeping entries (``k``, ``train_mode``, ``weight_sum``, ``lr_max``,
    ``scheduled_lr``). Difference from the reference, on purpose: switching modes prints
    nothing, and a step in eval mode raises a ``RuntimeError`` with a help line.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 0.0025,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        warmup_steps: int = 0,
        r: float = 0,
        weight_lr_power: float = 2,
        decay_at_z: bool = False,
    ) -> None:
        check_lr(lr)
        check_betas(betas)
        check_eps(eps)
        check_weight_decay(weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "r": r,
            "k": 0,
            "warmup_steps": warmup_steps,
            "train_mode": False,
            "weight_sum": 0.0,
            "lr_max": -1.0,
            "scheduled_lr": 0.0,
            "weight_lr_power": weight_lr_power,
            "decay_at_z": decay_at_z,
            "weight_decay": weight_decay,
        }
        super().__init__(params, defaults)

    def _switch(self, to_train: bool, key: str) -> None:
        for group in self.param_groups:
            if group["train_mode"] != to_train:
                for p in group["params"]:
                    if key in self.state.get(p, {}):
                        np.copyto(p._data, self.state[p][key]._data)
                group["train_mode"] = to_train

    def train(self) -> None:
        """Put ``y`` (where gradients are taken) into the parameters, for training steps."""
        self._switch(True, "y")

    def eval(self) -> None:
        """Put the average ``x`` into the parameters, for evaluation and checkpoints."""
        self._switch(False, "x")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one schedule-free step on every parameter that has a gradient."""
        if not self.param_groups[0]["train_mode"]:
            raise RuntimeError(
                "Optimizer was not in train mode when step is called. help: call "
                "optimizer.train() before training steps and optimizer.eval() before evaluating."
            )
        loss = self._run_closure(closure)
        group_updates, updates = [], []
        for group, params in self._params_with_grad():
            k = group["k"]
            scheduled_lr, ckp1, lr_max, weight_sum = schedule_free_weights(
                k, group["lr"], group["warmup_steps"], group["r"], group["weight_lr_power"],
                group["lr_max"], group["weight_sum"],
            )
            group_updates.append((group, {"k": k + 1, "scheduled_lr": scheduled_lr, "lr_max": lr_max,
                                          "weight_sum": weight_sum}))
            for p, grad in params:
                updates.append((p, *schedule_free_adamw_update(
                    p._data, grad, _state_arrays(self.state.get(p, {})), step=k + 1,
                    scheduled_lr=scheduled_lr, ckp1=ckp1, betas=group["betas"], eps=group["eps"],
                    weight_decay=group["weight_decay"], decay_at_z=group["decay_at_z"],
                )))
        for group, numbers in group_updates:
            group.update(numbers)
        for p, new_param, new_state in updates:
            np.copyto(p._data, new_param)
            self._write_state(p, new_state)
        return loss
