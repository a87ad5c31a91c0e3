"""No class in renewer/ overrides a private method of a library it subclasses.

A subclass that replaces a library's ``_``-prefixed method depends on code the
library may change in any release, and pip resolves whatever release the
bounds allow: the override then breaks silently. Extension goes through
public methods and attributes (docs/architecture.md, "Only public APIs").

Every module of renewer is imported and every class defined in it is checked
against each base class from outside renewer (third-party and the standard
library alike); dunder methods are the language's protocol and enum's
``_sunder_`` names its documented hooks, neither is private.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import FunctionType, ModuleType

import renewer


def _modules() -> list[ModuleType]:
    found = [renewer]
    for info in pkgutil.walk_packages(renewer.__path__, "renewer."):
        if info.name.endswith("__main__"):
            continue  # runs the CLI when imported
        found.append(importlib.import_module(info.name))
    return found


def _ours(module_name: str) -> bool:
    return module_name == "renewer" or module_name.startswith("renewer.")


def private_overrides(cls: type) -> list[str]:
    """``Class._method (library.Base)`` for every private method ``cls`` replaces."""
    found = []
    for name, value in vars(cls).items():
        if not name.startswith("_") or name.endswith("_"):
            continue  # public, a dunder, or an enum _sunder_ hook (documented to override)
        if not isinstance(value, FunctionType | classmethod | staticmethod | property):
            continue  # data (a metaclass's bookkeeping), not a method
        for base in cls.__mro__[1:]:
            if not _ours(base.__module__) and name in vars(base):
                found.append(f"{cls.__qualname__}.{name} ({base.__module__}.{base.__qualname__})")
                break
    return found


def test_no_class_overrides_a_private_method_of_a_library() -> None:
    modules = _modules()
    assert len(modules) > 100  # really walked the package
    found = [
        f"{module.__name__}: {override}"
        for module in modules
        for _name, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__
        for override in private_overrides(cls)
    ]
    assert found == []


def test_the_check_sees_an_override() -> None:
    import urllib3

    class Pool(urllib3.HTTPConnectionPool):
        def _new_conn(self) -> object:  # a private method of the base
            return None

        def _helper(self) -> None:  # new, not an override
            pass

        def urlopen(self, *args: object, **kwargs: object) -> object:  # public
            return None

    assert private_overrides(Pool) == [
        "test_the_check_sees_an_override.<locals>.Pool._new_conn "
        "(urllib3.connectionpool.HTTPConnectionPool)"
    ]


def test_classes_made_at_run_time_override_only_public_methods() -> None:
    """The tracked connections (renewer.acme.cutoff) are built per session."""
    from renewer.acme.cutoff import Connections

    classes = Connections().connection_classes()
    assert [c.__mro__[2].__module__ for c in classes] == ["urllib3.connection"] * 2
    assert [private_overrides(c) for c in classes] == [[], []]
    assert all("connect" in vars(c.__mro__[1]) for c in classes)
