"""Every public name in course_lib has a docstring: the project's rule, since a student meets
the library through ``help(name)`` and the lessons' "see course_lib/..." pointers.

Public means: a module whose dotted path has no part starting with ``_``; in it, the names
of its ``__all__`` when it has one (re-exports included, wherever they are defined), else
the functions and classes it defines whose names do not start with ``_``; and in each such
class, the methods and properties the class itself defines (not inherited, not dunder, not
starting with ``_``). Each object is checked once, named where it is defined.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import course_lib


def public_modules() -> list:
    """course_lib and every submodule without a private (``_``) part in its path."""
    found = [course_lib]
    for info in pkgutil.walk_packages(course_lib.__path__, "course_lib."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            found.append(importlib.import_module(info.name))
    return found


def _public_members(module) -> list[tuple[str, object]]:
    if hasattr(module, "__all__"):
        return [(name, getattr(module, name)) for name in module.__all__]
    return [(name, obj) for name, obj in vars(module).items()
            if not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__]


def _methods(cls) -> list[tuple[str, object]]:
    found = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            member = member.fget
        elif isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        if inspect.isfunction(member):
            found.append((name, member))
    return found


def _has_doc(obj) -> bool:
    return bool((obj.__doc__ or "").strip())


def undocumented() -> list[str]:
    """Dotted names of public modules, classes, functions and methods without a docstring."""
    missing, seen = set(), set()
    for module in public_modules():
        if not _has_doc(module):
            missing.add(f"{module.__name__} (module)")
        for _, obj in _public_members(module):
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue  # constants, dtypes, submodules (checked as modules)
            if not getattr(obj, "__module__", "").startswith("course_lib") or id(obj) in seen:
                continue
            seen.add(id(obj))
            where = f"{obj.__module__}.{obj.__qualname__}"
            if not _has_doc(obj):
                missing.add(where)
            if inspect.isclass(obj):
                missing.update(f"{where}.{name}" for name, m in _methods(obj) if not _has_doc(m))
    return sorted(missing)


def test_public_modules_are_found():
    names = {m.__name__ for m in public_modules()}
    assert {"course_lib", "course_lib.nn", "course_lib.optim.lr_scheduler", "course_lib.viz"} <= names
    assert not any("._" in n for n in names)


def test_undocumented_finds_a_missing_docstring(monkeypatch):
    """The check itself can fail: a method without a docstring is reported."""
    def forward(self, input):
        return input

    monkeypatch.setattr(course_lib.nn.Identity, "forward", forward)
    assert "course_lib.nn.linear.Identity.forward" in undocumented()


def test_every_public_name_has_a_docstring():
    missing = undocumented()
    assert not missing, f"{len(missing)} public names without a docstring:\n" + "\n".join(missing)
