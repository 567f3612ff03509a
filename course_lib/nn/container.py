"""Sequential: modules applied one after the other."""
from __future__ import annotations

from collections import OrderedDict
from typing import Iterator

from .module import Module


class Sequential(Module):
    """Chain modules: ``Sequential(a, b)(x) == b(a(x))``.

    Children are named ``"0"``, ``"1"``, ... (or by the keys of an OrderedDict), so
    parameters are named ``"0.weight"`` as in torch. Supports ``len``, iteration,
    ``seq[i]`` (a module) and ``seq[i:j]`` (a new Sequential).
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index):
        modules = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(modules[index]))
        if not -len(modules) <= index < len(modules):
            raise IndexError(f"index {index} is out of range")
        return modules[index][1]

    def append(self, module: Module) -> "Sequential":
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def forward(self, input):
        """Apply each child in order: ``x -> m_k(... m_1(m_0(x)))``."""
        for module in self._modules.values():
            input = module(input)
        return input
