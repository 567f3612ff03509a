"""Module: the base class of layers and models, as ``torch.nn.Module``.

A Module finds its parameters, buffers and sub-modules by watching attribute assignment
(``__setattr__``): ``self.fc = Linear(2, 3)`` registers a child, ``self.w = Parameter(...)``
a parameter. Everything else (``parameters()``, ``state_dict()``, ``train()``, ``repr``)
walks those registries in the order they were assigned, which is why the dotted names
(``fc.weight``) and the order of ``parameters()`` match torch's.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Iterator, NamedTuple

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from .parameter import Parameter


class _IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns: the keys it could not match."""

    missing_keys: list
    unexpected_keys: list

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    return "\n".join(lines[:1] + [" " * spaces + line for line in lines[1:]])


class Module:
    """Base class for every layer and model: subclass it, assign layers and Parameters in
    ``__init__`` and compute the output in ``forward``. Call the module, not ``forward``.

    Attributes:
        training: True in training mode (``train()``), False after ``eval()``; Dropout reads it.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())

    def forward(self, *args, **kwargs):
        """Compute the output; every subclass defines it."""
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                "cannot assign parameters or modules before Module.__init__() call. "
                "help: call super().__init__() first in your __init__."
            )
        registry = self._registry_for(value, name)
        for other in ("_parameters", "_buffers", "_modules"):
            if other != registry:  # a name lives in one place only
                self.__dict__[other].pop(name, None)
        if registry != "_buffers":
            self._non_persistent_buffers_set.discard(name)
        if registry is None:
            object.__setattr__(self, name, value)
            return
        self.__dict__.pop(name, None)
        self.__dict__[registry][name] = value

    def _registry_for(self, value, name: str) -> str | None:
        if isinstance(value, Parameter):
            return "_parameters"
        if isinstance(value, Module):
            return "_modules"
        if name in self._buffers:
            if value is None or isinstance(value, Tensor):
                return "_buffers"  # keeps its persistence, as torch
            raise TypeError(
                f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                "(torch.Tensor or None expected). help: wrap the value in a tensor(...)."
            )
        if name in self._parameters and value is None:
            return "_parameters"
        if name in self._parameters and isinstance(value, Tensor):
            raise TypeError(
                f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                "(torch.nn.Parameter or None expected). help: wrap it in nn.Parameter(...)."
            )
        return None

    def __getattr__(self, name: str):
        # Only called when normal lookup fails: look in the registries.
        for registry in ("_parameters", "_buffers", "_modules"):
            store = self.__dict__.get(registry)
            if store is not None and name in store:
                return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__[registry]:
                del self.__dict__[registry][name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a None placeholder, like a missing bias) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(torch.nn.Parameter or None required)"
            )
        self.__dict__["_parameters"][name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is part of the module's state but is not trained.

        BatchNorm's ``running_mean`` is the typical buffer: the optimizer never sees it
        (``parameters()`` skips it), yet ``.to(dtype)`` converts it and, when ``persistent``,
        ``state_dict()`` saves it after the module's parameters. A non-persistent buffer is
        left out of ``state_dict``; a ``None`` buffer is a placeholder that nothing sees.
        Assigning ``self.name = tensor`` later replaces the buffer and keeps its persistence.

        Args:
            name: the attribute name (no ``.``, not empty, not already an attribute).
            tensor: the buffer's value, or None.
            persistent: whether ``state_dict()`` includes it.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(torch Tensor or None required)"
            )
        self.__dict__["_buffers"][name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Add a child module under ``name`` (what attribute assignment does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self.__dict__["_modules"][name] = module

    # ------------------------------------------------------------ traversal
    def named_modules(self, memo: set | None = None, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """``(dotted name, module)`` for this module ("") and every descendant, each once.

        Depth first in registration order, walked with an explicit stack (it runs on every
        ``zero_grad``, so it avoids nested generators).
        """
        memo = set() if memo is None else memo
        found = []
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in memo:
                continue
            memo.add(id(module))
            found.append((name, module))
            children = [(f"{name}.{key}" if name else key, child) for key, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))
        return iter(found)

    def modules(self) -> Iterator["Module"]:
        """This module and every descendant (depth first, in registration order)."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """``(name, module)`` for the direct children."""
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self) -> Iterator["Module"]:
        """The direct children."""
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool = True):
        seen = set()
        found = []
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in module.__dict__[registry].items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))  # a shared tensor is listed once, as torch does
                found.append(((f"{module_prefix}.{name}" if module_prefix else name), value))
        return iter(found)

    def _parameter_list(self) -> list[Parameter]:
        """Every parameter, in no particular order, cheaply: ``zero_grad`` runs every step."""
        found, stack = [], [self]
        while stack:  # order does not matter here, and a module seen twice is harmless
            module = stack.pop()
            for p in module._parameters.values():
                if p is not None:
                    found.append(p)
            for child in module._modules.values():
                if child is not None:
                    stack.append(child)
        return found

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs, e.g. ``("0.weight", ...)`` in a Sequential."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter once, in registration order (what an optimizer is given)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """``(dotted name, buffer)`` pairs, e.g. ``("0.running_mean", ...)``, in registration order.

        Non-persistent buffers are listed too (only ``state_dict`` leaves them out); a
        buffer shared by two modules is listed once unless ``remove_duplicate=False``.
        """
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer once, in registration order (``recurse=False``: this module's own)."""
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    # ------------------------------------------------------------ modes and gradients
    def train(self, mode: bool = True) -> "Module":
        """Set training mode on this module and every descendant; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode (``train(False)``): Dropout becomes the identity."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients: ``p.grad = None`` (default) or fill with zeros."""
        for p in self._parameter_list():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad._data.fill(0)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Turn gradient tracking on or off for every parameter (freeze a model)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Call ``fn`` on every descendant, then on self (e.g. custom initialisation)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def _cast(self, np_dtype) -> "Module":
        for module in self.modules():
            for store in (module._parameters, module._buffers):
                for value in store.values():
                    if value is not None and value._data.dtype.kind == "f":
                        value._data = value._data.astype(np_dtype)
                        if value.grad is not None:
                            value.grad._data = value.grad._data.astype(np_dtype)
        return self

    def to(self, *args, **kwargs) -> "Module":
        """``to(dtype)`` converts floating-point parameters and buffers in place; ``to("cpu")`` is a no-op.

        course_lib runs on the CPU only, so any other device raises NotImplementedError.
        """
        from .. import dtypes

        for arg in (*args, *kwargs.values()):
            if isinstance(arg, dtypes.dtype):
                if not arg.is_floating_point:
                    raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={arg}")
                self._cast(arg.numpy)
            elif arg not in ("cpu", None, False):
                raise NotImplementedError(f"course_lib runs on the CPU only (got {arg!r})")
        return self

    def double(self) -> "Module":
        """Convert floating-point parameters and buffers to float64, in place (same objects)."""
        return self._cast(np.float64)

    def float(self) -> "Module":
        """Convert floating-point parameters and buffers to float32, in place."""
        return self._cast(np.float32)

    # ------------------------------------------------------------ state
    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """An ordered ``name -> tensor`` dict of every parameter and persistent buffer.

        Module by module (depth first), each module's parameters come first, then its
        persistent buffers, as in torch. The tensors are detached but share storage with the
        module (as torch), so copy them (or save them) if you want a snapshot.
        """
        out = OrderedDict() if destination is None else destination
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip(".")):
            buffers = [(n, b) for n, b in module._buffers.items() if n not in module._non_persistent_buffers_set]
            for name, value in [*module._parameters.items(), *buffers]:
                if value is not None:
                    key = f"{module_prefix}.{name}" if module_prefix else name
                    out[key] = value if keep_vars else value.detach()
        return out

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False) -> _IncompatibleKeys:
        """Copy values from ``state_dict`` into this module's existing tensors, in place.

        The parameters stay the same objects, so an optimizer built on ``parameters()``
        keeps working. With ``strict`` (the default), missing or unexpected keys raise
        RuntimeError; a shape mismatch always does.
        """
        if assign:
            raise NotImplementedError("load_state_dict(assign=True) is not supported in course_lib")
        if not hasattr(state_dict, "items"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict:
            if unexpected:
                errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        updates = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = value._data if isinstance(value, Tensor) else np.asarray(value)
            if array.shape != target._data.shape:
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {Tensor(array).shape} "
                    f"from checkpoint, the shape in current model is {target.shape}."
                )
                continue
            updates.append((target, array))
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors)
            )
        with no_grad():
            for target, array in updates:
                np.copyto(target._data, array, casting="unsafe")
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The text inside the parentheses of ``repr`` (a layer's settings)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): {_addindent(repr(m), 2)}" for name, m in self._modules.items()]
        lines = extra_lines + child_lines
        text = type(self).__name__ + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"
