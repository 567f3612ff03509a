"""Weight averaging, as ``torch.optim.swa_utils``: SWA and EMA of a model's weights, the
SWALR schedule, and ``update_bn`` to recompute BatchNorm statistics for averaged weights.

The algorithm (``AveragedModel.update_parameters(model)``, once per averaging step)::

    if n_averaged == 0:                          # the first call copies the weights
        W_avg = W_model
    else:
        W_avg = avg(W_avg, W_model, n_averaged)  # one of the two rules below
    n_averaged = n_averaged + 1

    SWA (default): W_avg + (W_model - W_avg) / (n_averaged + 1)   the mean of every W_model seen
    EMA (decay):   decay * W_avg + (1 - decay) * W_model          recent weights count more

SWA (Izmailov et al., "Averaging Weights Leads to Wider Optima and Better Generalization",
https://arxiv.org/abs/1803.05407) averages the weights of the last epochs of training at a
constant or cyclic learning rate (``SWALR`` anneals to it); averaged weights need fresh
BatchNorm statistics, computed by one pass over the data (``update_bn``).

Differences from torch, on purpose: course_lib runs on the CPU only (``device`` accepts
``None`` and ``"cpu"``); ``SWALR``'s ``state_dict`` holds plain data only (so
``course_lib.save`` can write it).
"""
from __future__ import annotations

import math
from copy import deepcopy
from typing import Any, Callable, Iterable, Literal, Sequence
import warnings

import numpy as np

from ..autograd import no_grad
from ..nn.batchnorm import _BatchNorm
from ..nn.module import Module
from ..tensor import Tensor
from .lr_scheduler.base import GET_LR_WARNING, LRScheduler, _format_param
from .optimizer import Optimizer

__all__ = [
    "AveragedModel",
    "SWALR",
    "ema_average",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "swa_average",
    "update_bn",
]

ParamList = Sequence[Tensor]


# ---------------------------------------------------------------- numpy helpers
def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``start + weight * (end - start)`` exactly as torch's CPU ``lerp`` computes it.

    For ``|weight| < 0.5`` it is ``weight * (end - start) + start``, otherwise
    ``(weight - 1) * (end - start) + end`` (exact at ``weight = 1``), each one fused
    multiply-add, with ``weight`` first rounded to the arrays' dtype. A float32 fused
    multiply-add is computed in float64 (the product is exact there) and rounded once;
    for float64 the two roundings of the plain formula may differ from torch's by one ulp.
    """
    w = np.asarray(weight, dtype=start.dtype)[()]
    diff = end - start
    coeff, base = (w, start) if abs(w) < 0.5 else (w - 1, end)
    if start.dtype == np.float32:
        return (np.float64(coeff) * diff + base).astype(np.float32)
    return coeff * diff + base


def _copy_into(target: Tensor, source: Tensor) -> None:
    """``target.copy_(source)`` with torch's casting: float into an integer buffer truncates."""
    np.copyto(target._data, np.broadcast_to(source._data, target._data.shape), casting="unsafe")


def _is_floating(t: Tensor) -> bool:
    return t._data.dtype.kind in "fc"


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range. "
            "help: decay is the weight of the old average, e.g. 0.999."
        )


# ---------------------------------------------------------------- averaging rules
def swa_average(averaged: np.ndarray, current: np.ndarray, num_averaged: Any) -> np.ndarray:
    """The running mean after one more model (SWA, Polyak averaging); pure (lesson 13).

    ``W_swa = W_swa + (W_model - W_swa) / (n + 1)`` with ``n = num_averaged``, the number
    of models already in ``W_swa``: the mean of all ``n + 1``. Computed as torch's
    ``lerp(W_model, 1 / (n + 1))`` (exact at ``n = 0``, where the result is ``W_model``).

    Args:
        averaged: the running mean of ``n`` models (any finite values when ``n = 0``).
        current: the newest model's values.
        num_averaged: ``n``, a Python or numpy number (a float32 ``n`` makes the weight
            float32, as torch's tensor counter does).

    Returns:
        The new mean, a new array.
    """
    return _lerp(averaged, current, 1 / (num_averaged + 1))


def ema_average(ema: np.ndarray, current: np.ndarray, decay: float) -> np.ndarray:
    """The exponential moving average after one more model (EMA); pure (lesson 13).

    ``W_ema = decay * W_ema + (1 - decay) * W_model``, computed as torch's
    ``lerp(W_model, 1 - decay)``.

    Args:
        ema: the average so far.
        current: the newest model's values.
        decay: the weight of the old average, in ``[0, 1]``.

    Returns:
        The new average, a new array.
    """
    return _lerp(ema, current, 1 - decay)


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable[[ParamList, ParamList, Any], None]:
    """The exponential moving average (EMA) of a list of parameters, updated in place.

    ``W_ema = decay * W_ema + (1 - decay) * W_model``, computed as torch does with
    ``lerp_(W_model, 1 - decay)`` for floating-point tensors, and as the formula above
    (the result truncated back) for integer buffers.

    Args:
        decay: the weight of the old average, in ``[0, 1]``. Default: 0.999.

    Returns:
        ``ema_update(ema_param_list, current_param_list, num_averaged)``, which changes
        the tensors of ``ema_param_list`` in place (``num_averaged`` is not used).

    Raises:
        ValueError: ``decay`` outside ``[0, 1]``.
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param_list: ParamList, current_param_list: ParamList, _: Any) -> None:
        if _is_floating(ema_param_list[0]):
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema._data[...] = ema_average(p_ema._data, p_model._data, decay)
        else:
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                _copy_into(p_ema, p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> Callable[[ParamList, ParamList, Any], None]:
    """The running mean (SWA) of a list of parameters, updated in place.

    ``W_swa = W_swa + (W_model - W_swa) / (n + 1)`` with ``n = num_averaged``, computed as
    torch does with ``lerp_(W_model, 1 / (n + 1))``. When ``n`` is a Tensor (as
    ``AveragedModel`` passes it) the weight ``1 / (n + 1)`` is a float32 tensor, so it is
    rounded to float32 even for float64 parameters, as in torch.

    Returns:
        ``swa_update(averaged_param_list, current_param_list, num_averaged)``, which
        changes the tensors of ``averaged_param_list`` in place.

    Raises:
        RuntimeError: for integer tensors (torch's ``addcdiv_``/``add_`` errors).
    """

    @no_grad()
    def swa_update(averaged_param_list: ParamList, current_param_list: ParamList,
                   num_averaged: Tensor | int) -> None:
        if not _is_floating(averaged_param_list[0]):
            _raise_integer_swa(num_averaged)
        # a Tensor counter (as AveragedModel passes) makes torch's weight 1 / (n + 1) float32
        n = np.float32(num_averaged.item()) if isinstance(num_averaged, Tensor) else num_averaged
        for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
            p_avg._data[...] = swa_average(p_avg._data, p_model._data, n)

    return swa_update


def _raise_integer_swa(num_averaged: Tensor | int) -> None:
    """torch's errors for an SWA of integer tensors (e.g. BatchNorm's num_batches_tracked)."""
    help_text = (" help: average only floating-point tensors with get_swa_multi_avg_fn, or leave "
                 "multi_avg_fn=None (its default average handles integer buffers).")
    if isinstance(num_averaged, Tensor):
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2." + help_text
        )
    raise RuntimeError(
        "For integral input tensors, argument alpha must not be a floating point number." + help_text
    )


def get_ema_avg_fn(decay: float = 0.999) -> Callable[[Tensor, Tensor, Any], Tensor]:
    """The exponential moving average (EMA) of one parameter.

    ``W_ema = decay * W_ema + (1 - decay) * W_model``

    Args:
        decay: the weight of the old average, in ``[0, 1]``. Default: 0.999.

    Returns:
        ``ema_update(ema_param, current_param, num_averaged)``, which returns the new
        average (a new tensor; ``num_averaged`` is not used).

    Raises:
        ValueError: ``decay`` outside ``[0, 1]``.
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable[[Tensor, Tensor, Any], Tensor]:
    """The running mean (SWA) of one parameter.

    ``W_swa = W_swa + (W_model - W_swa) / (n + 1)`` with ``n = num_averaged``: after
    the first model is copied, the mean of all ``n + 1`` models seen.

    Returns:
        ``swa_update(averaged_param, current_param, num_averaged)``, which returns the
        new average (a new tensor).
    """

    @no_grad()
    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged: Tensor | int) -> Tensor:
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


# ---------------------------------------------------------------- the averaged model
class AveragedModel(Module):
    """A copy of ``model`` whose weights are a running average (SWA or EMA) of ``model``'s.

    ``update_parameters(model)`` copies the weights on its first call and averages them
    on every later call (see the module docstring); calling the AveragedModel runs the
    copy (``self.module``). The buffer ``n_averaged`` (int64) counts the calls and is in
    the ``state_dict`` beside ``module.*``; ``avg_fn`` and ``multi_avg_fn`` are not.

    Args:
        model: the model to average (deep-copied; the copy is ``self.module``).
        device: ``None`` or ``"cpu"`` (course_lib runs on the CPU only).
        avg_fn: ``avg_fn(averaged_param, model_param, n_averaged) -> new averaged_param``,
            applied to one tensor at a time, e.g. ``get_ema_avg_fn(0.999)``.
        multi_avg_fn: ``multi_avg_fn(averaged_params, model_params, n_averaged)``, which
            updates a list of tensors of one dtype in place, e.g. ``get_ema_multi_avg_fn()``.
            With neither, the equal-weight average (SWA) is used.
        use_buffers: if True, average the buffers too (parameters then buffers, in the
            order of ``module.parameters()`` and ``module.buffers()``); if False (default),
            copy ``model``'s buffers (e.g. BatchNorm's running statistics) as they are.

    Raises:
        AssertionError: both ``avg_fn`` and ``multi_avg_fn`` are given (torch's type).

    Example::

        swa_model = AveragedModel(model)
        swa_scheduler = SWALR(optimizer, swa_lr=0.05)
        for epoch in range(epochs):
            train_one_epoch(model, optimizer)
            if epoch >= swa_start:
                swa_model.update_parameters(model)
                swa_scheduler.step()
        update_bn(loader, swa_model)
    """

    def __init__(
        self,
        model: Module,
        device: Any = None,
        avg_fn: Callable[[Tensor, Tensor, Any], Tensor] | None = None,
        multi_avg_fn: Callable[[ParamList, ParamList, Any], None] | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError(
                "Only one of avg_fn and multi_avg_fn should be provided. help: pass "
                "avg_fn (one tensor at a time) or multi_avg_fn (lists, in place), not both."
            )
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", Tensor(np.array(0, dtype=np.int64)))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """Run the averaged copy: ``self.module(*args, **kwargs)``."""
        return self.module(*args, **kwargs)

    def _pairs(self, model: Module) -> list[tuple[Tensor, Tensor]]:
        """``(averaged, model)`` tensors, detached; as torch, a length mismatch is cut short."""
        if self.use_buffers:
            mine = [*self.module.parameters(), *self.module.buffers()]
            theirs = [*model.parameters(), *model.buffers()]
        else:
            mine, theirs = list(self.parameters()), list(model.parameters())
        return [(a.detach(), m.detach()) for a, m in zip(mine, theirs)]

    @no_grad()
    def update_parameters(self, model: Module) -> None:
        """Average ``model``'s current weights into this copy (the first call copies them).

        Args:
            model: the model being trained (the same architecture as the copy).
        """
        pairs = self._pairs(model)
        if self.n_averaged.item() == 0:
            for p_averaged, p_model in pairs:
                _copy_into(p_averaged, p_model)
        elif self.avg_fn is not None:
            for p_averaged, p_model in pairs:
                _copy_into(p_averaged, self.avg_fn(p_averaged, p_model, self.n_averaged))
        else:
            self._average_by_dtype(pairs)
        if not self.use_buffers:
            # Buffers are not averaged: keep them equal to the trained model's.
            for b_swa, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                _copy_into(b_swa, b_model)
        self.n_averaged += 1

    def _average_by_dtype(self, pairs: list[tuple[Tensor, Tensor]]) -> None:
        """``multi_avg_fn`` once per dtype (torch groups tensors by device and dtype).

        Without ``multi_avg_fn``, torch's CPU path: ``get_swa_avg_fn`` one tensor at a time.
        """
        groups: dict[Any, tuple[list, list]] = {}
        for p_averaged, p_model in pairs:
            mine, theirs = groups.setdefault(p_averaged._data.dtype, ([], []))
            mine.append(p_averaged)
            theirs.append(p_model)
        swa = get_swa_avg_fn()
        for mine, theirs in groups.values():
            if self.multi_avg_fn is not None:
                self.multi_avg_fn(mine, theirs, self.n_averaged)
                continue
            for p_averaged, p_model in zip(mine, theirs, strict=True):
                _copy_into(p_averaged, swa(p_averaged, p_model, self.n_averaged))


# ---------------------------------------------------------------- BatchNorm statistics
@no_grad()
def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute the running mean and variance of every BatchNorm layer of ``model``.

    Averaged weights never produced the activations that the running statistics were
    collected on, so they are reset and recomputed in one pass over ``loader`` with
    ``momentum=None`` (a cumulative average over the batches)::

        for each BatchNorm layer: reset_running_stats(); momentum = None
        model.train()
        for batch in loader: model(batch[0] if batch is a list or tuple else batch)
        restore each layer's momentum and model's training mode

    Args:
        loader: batches: tensors, or lists/tuples whose first element is the input.
        model: the model (e.g. an ``AveragedModel``); without BatchNorm layers, nothing happens.
        device: ``None`` or ``"cpu"`` (course_lib runs on the CPU only).
    """
    if device not in (None, "cpu"):
        raise NotImplementedError(f"course_lib runs on the CPU only (got {device!r})")
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for input in loader:
        if isinstance(input, (list, tuple)):
            input = input[0]
        model(input)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


# ---------------------------------------------------------------- the SWA learning rate
class SWALR(LRScheduler):
    """Anneal each group's learning rate to a constant ``swa_lr`` in ``anneal_epochs`` steps.

    Closed form, with ``s`` the number of ``step()`` calls since construction and
    ``lr_0`` the group's ``lr`` when the scheduler was built::

        t_s     = clamp(s / max(1, anneal_epochs), 0, 1)      (s = max(1, s) if anneal_epochs == 0)
        alpha_s = (1 - cos(pi * t_s)) / 2   ("cos")   or   t_s   ("linear")
        lr_s    = alpha_s * swa_lr + (1 - alpha_s) * lr_0

    so ``lr`` is ``swa_lr`` from step ``anneal_epochs`` on (at construction already when
    ``anneal_epochs == 0``). torch's (and this) code is chainable: each step recovers
    ``lr_0`` from the current ``lr`` by undoing the previous step's interpolation,
    ``lr_0 = (lr - alpha_{s-1} * swa_lr) / (1 - alpha_{s-1})`` (``swa_lr`` once
    ``alpha_{s-1} == 1``), then applies the formula above. Note that ``s`` counts calls
    (``_step_count - 1``), not ``last_epoch``.

    Args:
        optimizer: wrapped optimizer; each group gets a ``"swa_lr"`` entry.
        swa_lr: the final learning rate, one for all groups or a list with one per group.
        anneal_epochs: number of steps of the annealing phase (an int >= 0). Default: 10.
        anneal_strategy: ``"cos"`` (default) or ``"linear"``.
        last_epoch: index of the last step; -1 starts a new schedule.

    Raises:
        ValueError: a ``swa_lr`` list whose length is not the number of param groups, an
            ``anneal_strategy`` other than "cos"/"linear", ``anneal_epochs`` not an int
            or negative (torch's words; checked in torch's order, after ``swa_lr`` has
            been written into the groups).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        swa_lr: float,
        anneal_epochs: int = 10,
        anneal_strategy: Literal["cos", "linear"] = "cos",
        last_epoch: int = -1,
    ) -> None:
        if not hasattr(optimizer, "param_groups"):
            raise AttributeError(
                f"'{type(optimizer).__name__}' object has no attribute 'param_groups'. help: "
                "pass the optimizer itself, e.g. SWALR(optimizer, swa_lr=0.05)."
            )
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for group_swa_lr, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = group_swa_lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(
                "anneal_strategy must be one of 'cos' or 'linear', "
                f"instead got {anneal_strategy}. help: use anneal_strategy='cos' or 'linear'."
            )
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(
                f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}. "
                "help: give a whole number of steps, e.g. anneal_epochs=10 (0: no annealing)."
            )
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        """Undo one interpolation: the ``lr_0`` with ``alpha * swa_lr + (1 - alpha) * lr_0 == lr``."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[float]:
        """The learning rates of step ``s = _step_count - 1`` (see the class docstring).

        Called by ``step()``; to read the current rates use ``get_last_lr()`` (calling
        ``get_lr()`` directly warns, as in torch).
        """
        if not self._get_lr_called_within_step:
            warnings.warn(GET_LR_WARNING, UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [
            self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
            for group in self.optimizer.param_groups
        ]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [
            group["swa_lr"] * alpha + lr * (1 - alpha)
            for group, lr in zip(self.optimizer.param_groups, prev_lrs, strict=True)
        ]

    def _set_anneal_func(self, anneal_strategy: Literal["cos", "linear"]) -> None:
        self._anneal_strategy = anneal_strategy
        if anneal_strategy == "cos":
            self.anneal_func = self._cosine_anneal
        else:
            self.anneal_func = self._linear_anneal

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state: every attribute except the optimizer and ``anneal_func``."""
        return {
            key: value
            for key, value in self.__dict__.items()
            if key not in ("optimizer", "anneal_func")
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state returned by ``state_dict()`` and restore ``anneal_func`` from it.

        Args:
            state_dict: the dict returned by ``state_dict()``.
        """
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
