"""One error root: every exception class renewer defines derives from RenewerError.

The retry primitive and the executor's result table read only RenewerError's
facts (``transient``, ``retry_after``) and one-line message, so a class outside
that root is a failure nobody can classify. This walks every module of
renewer/ and fails on a class that is raise-able and not a RenewerError.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import renewer
from renewer.core.errors import RenewerError, describe_error
from renewer.core.models import Outcome
from renewer.core.retry import Cancelled
from renewer.execute.executor import FAILURES, OTHERWISE, OrderCapReached, outcome_of
from renewer.stores.contract import LockBusy

# Class -> why it may stand outside the root. Keep this short: it only grows with a reason.
OUTSIDE_THE_ROOT: dict[str, str] = {
    "renewer.config.fastyaml._Fallback": "a signal inside the YAML composer; never leaves it",
}


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for module in pkgutil.walk_packages(renewer.__path__, "renewer."):
        if module.name.endswith("__main__"):
            continue  # it runs the CLI when imported
        loaded = importlib.import_module(module.name)
        for name, value in vars(loaded).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.name
            ):
                found[f"{module.name}.{name}"] = value
    return found


def _outside(classes: dict[str, type[BaseException]]) -> list[str]:
    return sorted(
        name
        for name, kind in classes.items()
        if not issubclass(kind, RenewerError) and name not in OUTSIDE_THE_ROOT
    )


def test_every_exception_class_derives_from_renewer_error() -> None:
    classes = _exception_classes()
    assert "renewer.cli.common.UsageError" in classes  # the walk sees the package's errors
    assert "renewer.stores.material.Damaged" in classes
    assert _outside(classes) == []


def test_the_rule_catches_a_class_outside_the_root() -> None:
    """The check above could pass by finding nothing; a stray class is caught by the same rule."""

    class Stray(ValueError):
        pass

    assert _outside({"renewer.x.Stray": Stray, "renewer.x.Fine": Cancelled}) == ["renewer.x.Stray"]


def test_an_own_message_reads_as_itself() -> None:
    from renewer.plan.planner import UnknownCertificate

    error = UnknownCertificate("--only nope: no certificate of that name")
    assert describe_error(error) == "--only nope: no certificate of that name"
    assert isinstance(error, ValueError)  # the old base stays, for callers that catch it


def test_the_executor_maps_exceptions_to_outcomes_in_one_table() -> None:
    assert outcome_of(LockBusy("held", None)).outcome is Outcome.BLOCKED
    assert outcome_of(OrderCapReached("cap", "orderCap")).outcome is Outcome.DEFERRED
    cancelled = outcome_of(Cancelled("run cancelled"))
    assert cancelled.message(Cancelled("x")) == "cancelled before completion"
    assert outcome_of(KeyError("x")) is OTHERWISE
    assert outcome_of(KeyError("x")).message(KeyError("x")) == "KeyError: 'x'"
    kinds = [row.kind for row in FAILURES]
    for i, kind in enumerate(kinds):  # a subclass below its base would never be reached
        assert not any(issubclass(kind, earlier) for earlier in kinds[:i]), kind
