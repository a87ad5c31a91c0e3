"""Tests a newcomer can find: a module with logic has a test module that imports it.

A module of 40 lines or more (outside ``cli/``, whose commands the CLI tests
drive) that no test module imports is tested, if at all, only through its
callers, and a reader looking for its tests finds none. ``NO_TEST_MODULE``
lists those left (at most eight), each with why and how it is exercised; it fails when
a module joins the list (write its tests/unit/<package>/test_<module>.py
instead) and when one leaves it (delete its line: the list only shrinks).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIN_LINES = 40

# module -> why it has no unit test module, and which tests exercise it today. At most 8.
NO_TEST_MODULE: dict[str, str] = {
    "renewer.acme.registration": (
        "registering an account (EAB) with a real CA: through acme.client, against step-ca and "
        "EAB-only Pebble (integration/test_core_both_cas)"
    ),
    "renewer.consumers.checks": (
        "reads each consumer's ARM state: through doctor.consumers against the ARM consumers "
        "stand-in (integration/test_consumer_nudges)"
    ),
    "renewer.consumers.nudges": (
        "one nudge per consumer kind over ARM: through consumers.run against the ARM consumers "
        "stand-in (integration/test_consumer_nudges)"
    ),
    "renewer.doctor.arm": (
        "ARM reads for doctor's vault and DNS checks: through doctor.dns and doctor.vault "
        "(integration/test_doctor)"
    ),
    "renewer.doctor.dns": "doctor's Azure DNS checks: through doctor.run (integration/test_doctor)",
    "renewer.doctor.run": (
        "the order of doctor's checks, signed in for real: through cli.doctor "
        "(integration/test_doctor)"
    ),
    "renewer.doctor.vault": (
        "doctor's Key Vault and RBAC checks: through doctor.run against the Key Vault and ARM "
        "stand-ins (integration/test_doctor)"
    ),
}


def _modules() -> dict[str, int]:
    found = {}
    for path in sorted((ROOT / "renewer").rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found[name] = len(path.read_text(encoding="utf-8").splitlines())
    return found


def _imported_by_tests() -> set[str]:
    imported: set[str] = set()
    for path in ROOT.joinpath("tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("renewer")
            ):
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                imported.update(a.name for a in node.names if a.name.startswith("renewer"))
    return imported


def untested() -> set[str]:
    tested = _imported_by_tests()
    return {
        name
        for name, lines in _modules().items()
        if lines >= MIN_LINES and not name.startswith("renewer.cli") and name not in tested
    }


def test_no_module_with_logic_joins_the_untested_list() -> None:
    assert sorted(untested() - set(NO_TEST_MODULE)) == []


def test_at_most_eight_modules_are_left_without_a_test_module() -> None:
    assert len(NO_TEST_MODULE) <= 8
    assert all(reason.strip() for reason in NO_TEST_MODULE.values())


def test_the_untested_list_only_shrinks() -> None:
    assert sorted(set(NO_TEST_MODULE) - untested()) == []  # tested now: delete its line
