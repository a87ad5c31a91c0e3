"""Tests a newcomer can find: a module with logic has a test module that imports it.

A module of 40 lines or more (outside ``cli/``, whose commands the CLI tests
drive) that no test module imports is tested, if at all, only through its
callers, and a reader looking for its tests finds none. ``NO_TEST_MODULE``
lists those left, each with how it is exercised today; the test fails when
a module joins the list (write its tests/unit/<package>/test_<module>.py
instead) and when one leaves it (delete its line: the list only shrinks).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIN_LINES = 40

# module -> how it is exercised today (only through the callers named).
NO_TEST_MODULE: dict[str, str] = {
    "renewer.acme.client": "through execute.executor, execute.order",
    "renewer.acme.registration": "through acme.client (EAB on step-ca: test_core_both_cas)",
    "renewer.consumers.arm": "through consumers.checks, consumers.nudges",
    "renewer.consumers.checks": "through doctor.consumers",
    "renewer.consumers.nudges": "through consumers.run",
    "renewer.doctor.arm": "through doctor.dns, doctor.vault",
    "renewer.doctor.dns": "through doctor.run",
    "renewer.doctor.run": "through cli.doctor",
    "renewer.doctor.vault": "through doctor.run",
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


def test_the_untested_list_only_shrinks() -> None:
    assert sorted(set(NO_TEST_MODULE) - untested()) == []  # tested now: delete its line
