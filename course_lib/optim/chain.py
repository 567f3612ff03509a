r"""Optimizers as chains of pure gradient transforms (the idea behind optax).

An optimizer step is the same few ideas composed in a fixed order: add weight decay to the
gradient, average it (momentum), rescale it per coordinate (Adam), multiply by the
learning rate and flip the sign. Here each idea is a :class:`GradientTransformation`: a
pair of *pure* functions

.. code-block:: text

    init(params)                      -> state
    update(updates, state, params)    -> (new_updates, new_state)

that never modify their inputs. :func:`chain` composes transformations: the updates
coming out of one are the gradients going into the next. The last transform turns the
direction into a step (``scale(-lr)``) and :func:`apply_updates` adds it to the params.

SGD, Adam and AdamW as chains (``g`` the gradient, ``p`` the parameter):

.. code-block:: text

    SGD(lr, momentum, dampening, wd, nesterov)
                               = chain(add_decayed_weights(wd),              # L2: g + wd p
                                       trace(momentum, dampening, nesterov), # momentum buffer
                                       scale_by_learning_rate(lr))           # * -lr
    Adam(lr, betas, eps, wd)   = chain(add_decayed_weights(wd),              # L2: g + wd p
                                       scale_by_adam(b1, b2, eps),           # m_hat / (sqrt(v_hat) + eps)
                                       scale_by_learning_rate(lr))           # * -lr
    AdamW(lr, betas, eps, wd)  = chain(scale_by_adam(b1, b2, eps),
                                       add_decayed_weights(wd),              # decoupled: + wd p
                                       scale_by_learning_rate(lr))           # -lr (dir + wd p)

The only difference is *where* ``add_decayed_weights`` sits: before the Adam rescaling it
is an L2 penalty that Adam divides by ``sqrt(v_hat)``; after it, the decay reaches the
parameter as ``-lr * wd * p``, exactly ``p.mul_(1 - lr * wd)`` in ``torch.optim.AdamW``.

Params and updates are lists of numpy arrays (one per parameter, in
``model.parameters()`` order). ``trace`` and ``scale_by_adam`` are built from the same pure
functions as the optimizer classes (``momentum_buffer_update`` of ``sgd.py``;
``adam_moments`` and ``adam_denominator`` of ``adam.py``), so each formula exists once; the
tests compare the chains with torch's own trajectories.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from .adam import adam_denominator, adam_moments
from .sgd import momentum_buffer_update

Params = list[np.ndarray]
Updates = list[np.ndarray]
Schedule = Callable[[int], float]


class GradientTransformation(NamedTuple):
    """A gradient transform: two pure functions.

    Attributes:
        init: ``init(params) -> state``, the transform's initial state (e.g. zero moments).
        update: ``update(updates, state, params=None) -> (updates, state)``; it returns new
            arrays and a new state and never changes its arguments.
    """

    init: Callable[[Params], Any]
    update: Callable[..., tuple[Updates, Any]]


class EmptyState(NamedTuple):
    """The state of a transform that keeps none (``scale``, ``add_decayed_weights``)."""


class ScaleByAdamState(NamedTuple):
    """State of :func:`scale_by_adam`.

    Attributes:
        count: number of updates done so far (0 before the first; torch's ``state['step']``).
        mu: first moments ``m`` (torch's ``exp_avg``), one array per parameter.
        nu: second moments ``v`` (torch's ``exp_avg_sq``).
    """

    count: int
    mu: list
    nu: list


class TraceState(NamedTuple):
    """State of :func:`trace`: the momentum buffers (None before the first update)."""

    trace: list | None


class ScaleByScheduleState(NamedTuple):
    """State of :func:`scale_by_schedule`: the number of updates done so far."""

    count: int


def _as_list(tree: Sequence[np.ndarray], name: str) -> list:
    """``tree`` as a list of numpy arrays; a clear error for anything else."""
    if isinstance(tree, np.ndarray) or not isinstance(tree, (list, tuple)):
        raise TypeError(
            f"{name} must be a list of numpy arrays, got {type(tree).__name__}; "
            "help: pass one array per parameter, e.g. [p.detach().numpy() for p in model.parameters()]"
        )
    return list(tree)


def _need_params(params, transform: str) -> list:
    """``params`` as a list, or a RuntimeError when a transform that needs them got None."""
    if params is None:
        raise RuntimeError(
            f"{transform} needs the current params; help: call update(updates, state, params)"
        )
    return _as_list(params, "params")


# --------------------------------------------------------------------------- transforms
def identity() -> GradientTransformation:
    """The transform that changes nothing: ``u -> u``."""

    def init(params):
        return EmptyState()

    def update(updates, state, params=None):
        return [np.array(u, copy=True) for u in _as_list(updates, "updates")], state

    return GradientTransformation(init, update)


def scale(step_size: float) -> GradientTransformation:
    """Multiply every update by a constant: ``u -> step_size * u``.

    ``scale(-lr)`` is the last link of plain gradient descent.
    """

    def init(params):
        return EmptyState()

    def update(updates, state, params=None):
        return [step_size * u for u in _as_list(updates, "updates")], state

    return GradientTransformation(init, update)


def scale_by_schedule(schedule_fn: Schedule) -> GradientTransformation:
    r"""Multiply the updates by a schedule of the step count: ``u -> schedule_fn(count) * u``.

    ``count`` is 0 at the first update, so ``schedule_fn(t)`` is the factor of update ``t+1``
    (the same convention as a torch scheduler's ``last_epoch`` when it steps once per
    ``optimizer.step()``).
    """
    if not callable(schedule_fn):
        raise TypeError(f"schedule_fn must be callable, got {type(schedule_fn).__name__}")

    def init(params):
        return ScaleByScheduleState(count=0)

    def update(updates, state, params=None):
        factor = schedule_fn(state.count)
        return [factor * u for u in _as_list(updates, "updates")], ScaleByScheduleState(state.count + 1)

    return GradientTransformation(init, update)


def scale_by_learning_rate(learning_rate: float | Schedule, *, flip_sign: bool = True) -> GradientTransformation:
    """The learning-rate link: ``u -> -lr * u`` (``lr`` a number or a schedule of the count).

    ``flip_sign=True`` (the default) turns a descent direction into a step that *decreases*
    the loss, as ``p -= lr * direction`` does in torch.
    """
    sign = -1.0 if flip_sign else 1.0
    if callable(learning_rate):
        return scale_by_schedule(lambda count: sign * learning_rate(count))
    return scale(sign * learning_rate)


def add_decayed_weights(weight_decay: float = 0.0) -> GradientTransformation:
    r"""Add the weight-decay term: ``u -> u + weight_decay * p``.

    Placed before an adaptive rescaling it is an L2 penalty (``Adam(weight_decay=...)``,
    ``SGD(weight_decay=...)``); placed after it and before ``scale_by_learning_rate`` it is
    decoupled weight decay (``AdamW``): the parameter shrinks by ``lr * weight_decay * p``.
    A negative value is allowed, as in optax: after ``scale_by_learning_rate(lr)``,
    ``add_decayed_weights(-lr * weight_decay)`` is the same decoupled decay.
    """

    def init(params):
        return EmptyState()

    def update(updates, state, params=None):
        params = _need_params(params, "add_decayed_weights")
        updates = _as_list(updates, "updates")
        if weight_decay == 0.0:
            return [np.array(u, copy=True) for u in updates], state
        return [u + weight_decay * p for u, p in zip(updates, params)], state

    return GradientTransformation(init, update)


def trace(momentum: float, dampening: float = 0.0, nesterov: bool = False) -> GradientTransformation:
    r"""Momentum, as ``torch.optim.SGD`` keeps it.

    .. code-block:: text

        first update:  b = g                               (torch starts with a copy of g)
        later:         b = momentum * b + (1 - dampening) * g
        output:        g + momentum * b   if nesterov   else   b
    """
    if momentum < 0.0:
        raise ValueError(f"Invalid momentum value: {momentum}")
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def init(params):
        return TraceState(trace=None)

    def update(updates, state, params=None):
        updates = _as_list(updates, "updates")
        old = state.trace if state.trace is not None else [None] * len(updates)
        trace = [momentum_buffer_update(b, np.asarray(g), momentum, dampening) for g, b in zip(updates, old)]
        if nesterov:
            return [g + momentum * b for g, b in zip(updates, trace)], TraceState(trace=trace)
        return [np.array(b, copy=True) for b in trace], TraceState(trace=trace)

    return GradientTransformation(init, update)


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> GradientTransformation:
    r"""Adam's rescaling, without the learning rate.

    .. code-block:: text

        t     = count + 1                       (the first update has t = 1)
        m     = b1 * m + (1 - b1) * g           (exp_avg)
        v     = b2 * v + (1 - b2) * g * g       (exp_avg_sq)
        m_hat = m / (1 - b1**t)                 (bias corrections)
        v_hat = v / (1 - b2**t)
        out   = m_hat / (sqrt(v_hat) + eps)

    As in torch and optax, ``eps`` is added *after* the square root of the bias-corrected
    ``v``. Multiply by ``-lr`` (:func:`scale_by_learning_rate`) to get Adam's step.
    """
    if not 0.0 <= b1 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {b1}")
    if not 0.0 <= b2 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {b2}")
    if eps < 0.0:
        raise ValueError(f"Invalid epsilon value: {eps}")

    def init(params):
        params = _as_list(params, "params")
        return ScaleByAdamState(count=0, mu=[np.zeros_like(p) for p in params], nu=[np.zeros_like(p) for p in params])

    def update(updates, state, params=None):
        updates = _as_list(updates, "updates")
        moments = [
            adam_moments(np.asarray(g), {"step": float(state.count), "exp_avg": m, "exp_avg_sq": v}, (b1, b2))
            for g, m, v in zip(updates, state.mu, state.nu)
        ]
        count = state.count + 1
        out = [(1 / (1 - b1**count) * new["exp_avg"]) / adam_denominator(new, b2, eps) for new in moments]
        mu = [new["exp_avg"] for new in moments]
        nu = [new["exp_avg_sq"] for new in moments]
        return out, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return GradientTransformation(init, update)


# --------------------------------------------------------------------------- composition
def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Compose transforms left to right: the updates out of one go into the next.

    The state of a chain is the tuple of its links' states, in order.
    """
    for i, t in enumerate(transforms):
        if not isinstance(t, GradientTransformation):
            raise TypeError(
                f"chain() argument {i} is a {type(t).__name__}, not a GradientTransformation; "
                "help: call the factory, e.g. scale_by_adam() rather than scale_by_adam"
            )

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(updates, state, params=None):
        if len(state) != len(transforms):
            raise ValueError(f"chain of {len(transforms)} transforms got a state of {len(state)}")
        new_states = []
        for t, s in zip(transforms, state):
            updates, s = t.update(updates, s, params)
            new_states.append(s)
        return updates, tuple(new_states)

    return GradientTransformation(init, update)


def apply_updates(params: Params, updates: Updates) -> Params:
    """New params ``p + u`` (the updates already carry the sign and the learning rate)."""
    params, updates = _as_list(params, "params"), _as_list(updates, "updates")
    if len(params) != len(updates):
        raise ValueError(f"apply_updates got {len(params)} params and {len(updates)} updates")
    return [np.asarray(p + u, dtype=np.result_type(p)) for p, u in zip(params, updates)]


# --------------------------------------------------------------------------- ready-made chains
def sgd(learning_rate: float | Schedule, momentum: float = 0.0, dampening: float = 0.0,
        weight_decay: float = 0.0, nesterov: bool = False) -> GradientTransformation:
    """``torch.optim.SGD`` as a chain: L2 decay, momentum (if any), ``-lr``."""
    links = [add_decayed_weights(weight_decay)]
    if momentum != 0.0:
        links.append(trace(momentum, dampening, nesterov))
    links.append(scale_by_learning_rate(learning_rate))
    return chain(*links)


def adam(learning_rate: float | Schedule = 1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
         weight_decay: float = 0.0) -> GradientTransformation:
    """``torch.optim.Adam`` as a chain: L2 decay *before* the Adam rescaling."""
    return chain(add_decayed_weights(weight_decay), scale_by_adam(b1, b2, eps), scale_by_learning_rate(learning_rate))


def adamw(learning_rate: float | Schedule = 1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
          weight_decay: float = 1e-2) -> GradientTransformation:
    """``torch.optim.AdamW`` as a chain: decoupled decay *after* the rescaling, before ``-lr``."""
    return chain(scale_by_adam(b1, b2, eps), add_decayed_weights(weight_decay), scale_by_learning_rate(learning_rate))
