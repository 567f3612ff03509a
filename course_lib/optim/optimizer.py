"""The Optimizer base class: bookkeeping shared by every optimizer, as ``torch.optim.Optimizer``.

An optimizer holds

* ``param_groups``: a list of dicts, each with ``"params"`` (a list of Tensors) and every
  option (``lr``, ``momentum``, ...), the constructor's ``defaults`` filled in where a group
  does not set its own value;
* ``state``: a ``defaultdict(dict)`` keyed by parameter (the Tensor object itself), where
  each optimizer keeps its running buffers under torch's names (``momentum_buffer``,
  ``exp_avg``, ``step``, ...).

A subclass validates its options (with the checks of ``_validation.py``), builds
``defaults`` and calls ``super().__init__``. The maths of each algorithm lives in one *pure*
function over numpy arrays (``sgd_update``, ``adam_update``, ...), the very function a lesson
has students write::

    new_param, new_state = adam_update(param, grad, state, lr=..., betas=..., ...)

It takes the parameter's values, its gradient and its state (a dict of arrays, ``step`` as a
number; empty before the first step) and returns new ones; it never changes its inputs. A
subclass names that function and the group options it takes once, as class attributes::

    class Adam(Optimizer):
        _update = staticmethod(adam_update)
        _options = ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", ...)

and :meth:`Optimizer.step` does the rest, the same for every optimizer: it reads each
group's options and each parameter's ``self.state[p]``, calls the function and writes the
results back into the same parameter (in place: a Module and its optimizer always share
the parameter's storage) and into ``self.state[p]`` under torch's keys.

Step counting (for learning-rate schedulers): every subclass's ``step`` is wrapped once, at
class creation (``__init_subclass__``), so that each call that returns normally sets
``self._opt_called = True`` (torch's attribute name) and adds one to ``self._step_count``.
Schedulers read ``getattr(optimizer, "_opt_called", False)`` to warn when
``scheduler.step()`` comes before ``optimizer.step()``. A step that raises counts nothing.
Student subclasses get this for free; nothing is patched on instances.

A step either updates every parameter or changes nothing: ``_params_with_grad`` checks the
gradient of every parameter of every group (a Tensor, of its parameter's shape and dtype),
and every update is computed before the first parameter or state buffer is written, so a
step that raises (say, a hand-set gradient of the wrong shape on the last parameter) leaves
parameters and state as they were.

Numbers: each update function performs torch's single-tensor operations in torch's order,
in the parameter's dtype (float32 stays float32). float64 trajectories agree with torch to
about 1e-12; float32 ones to about 1e-6, because torch's CPU kernels round ``a + w * b`` once
(a fused multiply-add) where numpy rounds twice.

Differences from torch, on purpose:

* ``state_dict()`` returns *copies* of the state tensors (torch returns references), so a
  saved dict does not change while training goes on.
* no hooks, no ``foreach``/``fused``/``capturable``/``differentiable`` machinery (the
  options are accepted with their default values only, see each optimizer); ``lr`` and
  ``betas`` are Python numbers, not Tensors.
* a gradient of the wrong shape or dtype is caught by ``step()`` (torch refuses it when it
  is assigned to ``.grad``).
* ``load_state_dict`` also accepts state indices written as strings (``"0"``), as a state
  dict that went through JSON has them.
"""
from __future__ import annotations

import copy
import functools
import warnings
from collections import defaultdict
from itertools import chain
from typing import Any, Callable, Iterable

import numpy as np

from ..autograd import enable_grad
from ..tensor import Tensor

__all__ = ["Optimizer", "required"]

class _RequiredParameter:
    """Marks an option that every param group must set (torch's ``optimizer.required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj: Any) -> str:
    """Name of ``obj``'s type as ``torch.typename`` prints it (``int``, ``numpy.ndarray``)."""
    if isinstance(obj, Tensor):
        return "course_lib.Tensor"
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", None) else f"{module}.{cls.__qualname__}"


def _counting_step(step: Callable) -> Callable:
    """Wrap a subclass's ``step`` so each call that returns normally is counted.

    A ``step`` that calls ``super().step()`` of another wrapped class counts once: only the
    outermost call (``_step_depth == 0``) records.
    """
    if getattr(step, "_counts_optimizer_steps", False):
        return step

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        depth = self.__dict__.get("_step_depth", 0)
        self._step_depth = depth + 1
        try:
            out = step(self, *args, **kwargs)
        finally:
            self._step_depth = depth
        if depth == 0:
            self._opt_called = True
            self._step_count = self.__dict__.get("_step_count", 0) + 1
        return out

    wrapper._counts_optimizer_steps = True
    if step.__doc__ and "Args:" not in step.__doc__:
        wrapper.__doc__ = step.__doc__ + _STEP_ARGS_DOC
    return wrapper


# Appended to a subclass's one-line ``step`` docstring, so that each optimizer file states
# only what its step does, and ``help(Adam.step)`` still shows the arguments.
_STEP_ARGS_DOC = """

        Args:
            closure: optional function that recomputes the loss (and gradients) and returns it.

        Returns:
            The closure's loss, or None.
        """


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts (param
            groups) with a ``"params"`` entry and any options that differ from ``defaults``.
        defaults: the default value of every option (used for groups that do not set it).

    Attributes:
        defaults: as given.
        param_groups: list of dicts, each with ``"params"`` and every option.
        state: ``defaultdict(dict)`` mapping each parameter to its buffers.
        _opt_called: True once ``step()`` has returned normally (read by lr schedulers).
        _step_count: number of ``step()`` calls that returned normally.

    A subclass's ``step`` is wrapped when the class is created (``__init_subclass__``) to
    keep ``_opt_called`` and ``_step_count``; nothing is patched on instances. A one-line
    ``step`` docstring gets the ``closure`` argument and the return value described.

    Example:
        >>> class PlainSGD(Optimizer):
        ...     def __init__(self, params, lr=0.1):
        ...         super().__init__(params, {"lr": lr})
        ...     @course_lib.no_grad()
        ...     def step(self, closure=None):
        ...         for group in self.param_groups:
        ...             for p in group["params"]:
        ...                 if p.grad is not None:
        ...                     p.add_(p.grad, alpha=-group["lr"])
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _counting_step(cls.__dict__["step"])

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._opt_called = False
        self._step_count = 0
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {_typename(params)}. help: wrap it in a list, e.g. [w], or pass "
                "model.parameters()."
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError(
                "optimizer got an empty parameter list. help: did the model define any "
                "parameters, and was model.parameters() already consumed (it is a generator)?"
            )
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. layers unfrozen later).

        Options the group leaves out take the optimizer's ``defaults``.

        Raises:
            TypeError: ``param_group`` is not a dict, its params are a set or hold a non-Tensor.
            ValueError: a parameter is not a leaf, a required option is missing, or a
                parameter already belongs to another group.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)

        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple):  # (name, tensor) pairs from named_parameters()
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are missing"
                )
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    f"{_typename(param)}. help: pass model.parameters() or a list of tensors."
                )
            if not param.is_leaf:
                raise ValueError(
                    "can't optimize a non-leaf Tensor. help: optimize the tensor you created "
                    "with requires_grad=True, not a result computed from it (use .detach())."
                )

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)

        if len(tensors) != len({id(p) for p in tensors}):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error",
                UserWarning,
                stacklevel=3,
            )

        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if any(id(p) in seen for p in tensors):
            raise ValueError(
                "some parameters appear in more than one parameter group. help: give each "
                "parameter to exactly one group."
            )
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ gradients
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter before the next ``backward()``.

        Args:
            set_to_none: True (the default, as torch): ``p.grad = None``. False: fill the
                existing gradients with zeros in place (a gradient that is None stays None).
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.grad_fn = None
                    p.grad.requires_grad = False
                    p.grad._data.fill(0)

    def _params_with_grad(self) -> list[tuple[dict[str, Any], list[tuple[Tensor, np.ndarray]]]]:
        """Every group with its ``(param, grad array)`` pairs, skipping params whose grad is None.

        Everything is checked here, before any step changes a parameter or the state, so a
        step that raises leaves parameters and state exactly as they were.

        Raises:
            TypeError: a ``.grad`` that is not a Tensor.
            RuntimeError: a parameter or gradient of the wrong dtype, or a gradient whose
                shape differs from its parameter's.
        """
        work = []
        for g, group in enumerate(self.param_groups):
            pairs = []
            for i, p in enumerate(group["params"]):
                grad = p.grad
                if grad is None:
                    continue
                where = f"parameter {i} of param group {g}"
                if not isinstance(grad, Tensor):
                    raise TypeError(
                        f"the .grad of {where} is a {_typename(grad)}, not a Tensor. help: "
                        "assign a Tensor (or let backward() compute it)."
                    )
                if p._data.dtype.kind != "f":
                    raise RuntimeError(
                        f"{where} has dtype {p.dtype}; optimizers update floating point "
                        "tensors only. help: create it with dtype=course_lib.float32."
                    )
                if grad._data.shape != p._data.shape:
                    raise RuntimeError(
                        f"the gradient of {where} has shape {grad.shape} but the parameter has "
                        f"shape {p.shape}. help: a gradient must have its parameter's shape."
                    )
                if grad._data.dtype != p._data.dtype:
                    raise RuntimeError(
                        f"the gradient of {where} has dtype {grad.dtype} but the parameter has "
                        f"dtype {p.dtype}. help: a gradient must have its parameter's dtype."
                    )
                pairs.append((p, grad._data))
            work.append((group, pairs))
        return work

    @staticmethod
    def _run_closure(closure: Callable[[], Any] | None) -> Any:
        """Evaluate ``closure`` (re-computing the loss and gradients) with recording on."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    #: The pure update function, ``update(param, grad, state, **options) -> (param, state)``
    #: (see the module docstring); None in a subclass that writes its own ``step``.
    _update: Callable[..., tuple[np.ndarray, dict[str, Any]]] | None = None
    #: The names of the group options passed to ``_update`` as keywords.
    _options: tuple[str, ...] = ()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient once; return the closure's loss.

        For each group and each parameter with a gradient: ``new_param, new_state =
        self._update(param, grad, state, **options)``, then write both back. Every update is
        computed before anything is written, so a step that raises changes nothing.

        Args:
            closure: optional function that clears the gradients, recomputes the loss,
                calls ``backward()`` and returns the loss.
        """
        if self._update is None:
            raise NotImplementedError(
                "Optimizer.step() is implemented by each optimizer (SGD, Adam, ...). help: "
                "subclass Optimizer and define step(), or use course_lib.optim.SGD."
            )
        loss = self._run_closure(closure)
        updates = []
        for group, params in self._params_with_grad():
            options = {name: group[name] for name in self._options}
            for p, grad in params:
                state = _state_arrays(self.state.get(p, {}))
                updates.append((p, *self._update(p._data, grad, state, **options)))
        for p, new_param, new_state in updates:
            np.copyto(p._data, new_param)
            self._write_state(p, new_state)
        return loss

    # ------------------------------------------------------------------ state
    def _write_state(self, p: Tensor, new_state: dict[str, Any]) -> None:
        """Store an update function's state in ``self.state[p]``, as torch keeps it.

        ``step`` becomes a float32 0-d tensor, every array a Tensor (an existing state Tensor
        gets the new values, so references to it stay valid). An empty ``new_state`` (SGD
        without momentum) stores nothing, as torch keeps no state then.
        """
        if not new_state:
            return
        state = self.state[p]
        for key, value in new_state.items():
            array = np.asarray(value, dtype=np.float32) if key == "step" else np.asarray(value)
            if isinstance(state.get(key), Tensor):
                state[key]._data = array
            else:
                state[key] = Tensor(array)

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in torch's layout, with copies of every tensor.

        Returns:
            ``{"state": {index: {name: value}}, "param_groups": [{option: value, ...,
            "params": [index, ...]}]}``. Parameters are numbered 0, 1, ... in the order of
            the groups; the parameters themselves are not saved.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {
            (index[id(k)] if isinstance(k, Tensor) else k): _copy_value(v)
            for k, v in self.state.items()
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the state saved by :meth:`state_dict` (into an optimizer of the same shape).

        Saved state tensors are copied and cast to their parameter's dtype, except
        ``step``, as torch does. Group options come from the saved dict; the parameters
        stay this optimizer's.

        Raises:
            ValueError: the number of groups or the size of a group differs.
        """
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(
                "loaded state dict has a different number of parameter groups. help: build the "
                "optimizer with the same param groups as the one that was saved."
            )
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group. help: build the optimizer with the same parameters, in the "
                "same order, as the one that was saved."
            )
        id_map = dict(
            zip(
                chain.from_iterable(s["params"] for s in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key not in id_map and isinstance(key, str) and key.isdigit():
                key = int(key)  # a state dict that went through JSON has string keys
            if key in id_map:
                param = id_map[key]
                state[param] = _cast_state(param, value)
            else:
                state[key] = value
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.state = state
        self.param_groups = saved_groups

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        return "\n".join(lines) + "\n)"


# The base class's own step (used by every optimizer that names an ``_update``) is counted too.
Optimizer.step = _counting_step(Optimizer.step)

def _copy_value(value: Any) -> Any:
    """Deep copy of a state value: tensors get their own storage."""
    if isinstance(value, Tensor):
        return Tensor(value._data.copy())
    if isinstance(value, dict):
        return {k: _copy_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_value(v) for v in value)
    return copy.deepcopy(value)


def _cast_state(param: Tensor, value: Any, key: Any = None) -> Any:
    """Copy a loaded state value, casting tensors to ``param``'s dtype except ``step``."""
    if isinstance(value, (Tensor, np.ndarray)):
        array = value._data if isinstance(value, Tensor) else value
        if key != "step" and param._data.dtype.kind == "f":
            return Tensor(array.astype(param._data.dtype, copy=True))
        return Tensor(np.array(array, copy=True))
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v) for v in value)
    return value


def _state_arrays(state: dict[str, Any]) -> dict[str, Any]:
    """A parameter's state as an update function takes it: arrays, and ``step`` as a float.

    The arrays are the state's own (not copies): update functions never change their inputs.
    """
    return {
        key: float(value._data) if key == "step" else value._data if isinstance(value, Tensor) else value
        for key, value in state.items()
    }


def _check_unsupported(**options: Any) -> None:
    """Reject torch options course_lib accepts only with their default value.

    ``foreach``/``fused`` (None or False), ``capturable``/``differentiable`` (False) choose
    how torch runs an update on GPUs or through autograd, never what it computes.
    """
    for name, value in options.items():
        allowed = (None, False) if name in ("foreach", "fused") else (False,)
        if value not in allowed:
            raise ValueError(
                f"{name}={value!r} is not supported by course_lib (it runs one tensor at a "
                f"time on the CPU). help: leave {name} at its default."
            )

