"""A doctor check and how a list of them is shown (terminal text, or Markdown for a job summary)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from renewer.core import escape

OK, BAD, WARN = "✓", "✗", "!"


@dataclass(frozen=True)
class Check:
    """One verdict: ``area`` names the thing checked (a vault, a zone, a CA)."""

    ok: bool
    area: str
    line: str
    fix: str = ""
    warning: bool = False  # passes (exit 0) but says what to do

    @property
    def mark(self) -> str:
        return WARN if self.warning else OK if self.ok else BAD

    def text(self) -> str:
        tail = f": {self.fix}" if self.fix and (self.warning or not self.ok) else ""
        return f"{self.mark} {self.area}: {self.line}{tail}"


def passed(area: str, line: str) -> Check:
    return Check(True, area, line)


def failed(area: str, line: str, fix: str) -> Check:
    return Check(False, area, line, fix)


def warned(area: str, line: str, fix: str) -> Check:
    """Not a failure (the exit code stays 0), but something a person should change."""
    return Check(True, area, line, fix, warning=True)


def exit_code(checks: Sequence[Check]) -> int:
    """0 when every check passed, 1 when any failed (2 is for config/usage, in the CLI)."""
    return 0 if all(c.ok for c in checks) else 1


def render_text(checks: Sequence[Check]) -> str:
    bad = sum(not c.ok for c in checks)
    lines = [c.text() for c in checks]
    lines.append(f"{len(checks) - bad} passed, {bad} failed")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Our own words in a table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _outside(text: str) -> str:
    """A check's result line quotes what a CA, a vault or a DNS server answered: inert."""
    return escape.inert(text, escape.Target.MARKDOWN_CELL)


def render_markdown(checks: Sequence[Check]) -> str:
    bad = sum(not c.ok for c in checks)
    title = "all checks passed" if not bad else f"{bad} of {len(checks)} checks failed"
    rows = [
        f"| {'⚠️' if c.warning else c.mark} | {_cell(c.area)} | {_outside(c.line)} | "
        f"{_cell(c.fix if c.warning or not c.ok else '')} |"
        for c in checks
    ]
    head = ["## renewer doctor: " + title, "", "| | what | result | to do |", "|---|---|---|---|"]
    return "\n".join(head + rows) + "\n"
