"""The layout rules of docs/architecture.md that the import contract cannot say.

``lint-imports`` (pyproject.toml) checks the layers; this checks that no two
modules import each other in a ring (``TYPE_CHECKING`` imports included: grimp
sees them) and that no module grows past the size a reader takes in at once.
"""

from __future__ import annotations

import re
from pathlib import Path

import grimp

PACKAGE = Path(__file__).resolve().parents[1] / "renewer"
MAX_LINES = 400


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    modules = sorted(m for m in graph.modules if m.startswith("renewer"))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.find_modules_directly_imported_by(node)):
            if not target.startswith("renewer"):
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            ring = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                ring.append(member)
                if member == node:
                    break
            if len(ring) > 1:
                found.append(sorted(ring))

    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle() -> None:
    graph = grimp.build_graph("renewer")
    assert _cycles(graph) == []


def test_cycle_finder_sees_a_ring() -> None:
    """The check above could pass by finding nothing; show it finds a real ring."""
    graph = grimp.ImportGraph()
    for name in ("renewer.a", "renewer.b", "renewer.c"):
        graph.add_module(name)
    graph.add_import(importer="renewer.a", imported="renewer.b")
    graph.add_import(importer="renewer.b", imported="renewer.c")
    graph.add_import(importer="renewer.c", imported="renewer.a")
    assert _cycles(graph) == [["renewer.a", "renewer.b", "renewer.c"]]


def test_no_module_over_the_size_limit() -> None:
    sizes = {
        str(path.relative_to(PACKAGE.parent)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_no_rig_module_over_the_size_limit() -> None:
    """The test rig (tests/rig/README.md) is read as often as the code: the same limit holds."""
    rig = PACKAGE.parent / "tests" / "rig"
    sizes = {
        path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in rig.glob("*.py")
    }
    assert len(sizes) > 20  # the rig is where this looks (a moved folder must not pass)
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_no_top_level_module_left_from_a_family() -> None:
    """Top level holds only the package marker, the entry point and the use cases."""
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "app.py"]


def test_command_modules_do_not_import_each_other() -> None:
    """A command module is not a library: what commands share is in cli/common and cli/render."""
    graph = grimp.build_graph("renewer")
    shared = {"renewer.cli", "renewer.cli.main", "renewer.cli.common", "renewer.cli.render"}
    commands = {m for m in graph.find_children("renewer.cli")} - shared
    assert len(commands) >= 5  # the check sees the command modules
    crossing = {
        (importer, imported)
        for importer in commands
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported.startswith("renewer.cli") and imported not in shared
    }
    assert crossing == set()


# A reader of the code has no issue tracker: a comment says why, not which ticket.
ISSUE_REFERENCE = re.compile(r"\bissues? #?[0-9]+\b|\(#[0-9]+\)", re.IGNORECASE)


def test_no_issue_numbers_in_the_code() -> None:
    found = {
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path in PACKAGE.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ISSUE_REFERENCE.search(line)
    }
    assert found == set()
    assert ISSUE_REFERENCE.search("# whatever the umask (issue 12)")  # the rule sees one
