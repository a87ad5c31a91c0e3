"""How a report says the CA struggled: transient problems it answered, and that were retried.

A certificate that succeeded after the CA answered ``serverInternal`` twice
is fine, and its report says so; a CA that does this often is a CA to watch
(or to spread orders over more runs), so every view says it: the JSON entry
(``ca_retried``), a note in the Markdown result cell with one line above the
table, and a warning line on the console. The ACME codes come from the CA:
in Markdown they pass through the one escape function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from renewer.core import escape
from renewer.core.report_json import CertificateEntry


def words(
    counts: Mapping[str, int], quote: Callable[[str], str] = str, subject: str = "the CA"
) -> str:
    """'the CA answered serverInternal 2 times; retried' ('' when it never struggled)."""
    parts = [
        f"{quote(code)} {times} time{'' if times == 1 else 's'}"
        for code, times in sorted(counts.items())
    ]
    return f"{subject} answered {' and '.join(parts)}; retried" if parts else ""


def _cell(code: str) -> str:
    return escape.inert(code, escape.Target.MARKDOWN_CELL)


def _line(code: str) -> str:
    return escape.inert(code, escape.Target.MARKDOWN)


def cell_note(row: CertificateEntry) -> str:
    """The note after a certificate's result in the Markdown table ('' when none)."""
    said = words(row.get("ca_retried") or {}, _cell)
    return f" ⚠️ {said}" if said else ""


def markdown_lines(rows: Sequence[CertificateEntry]) -> list[str]:
    """One line above the table when the CA struggled for any certificate of the run."""
    struggled = [row for row in rows if row.get("ca_retried")]
    if not struggled:
        return []
    codes: dict[str, int] = {}
    for row in struggled:
        for code, times in (row.get("ca_retried") or {}).items():
            codes[code] = codes.get(code, 0) + times
    names = ", ".join(escape.inert(row["name"], escape.Target.MARKDOWN) for row in struggled)
    said = words(codes, _line, subject="it")
    many = "" if len(struggled) == 1 else "s"
    return ["", f"⚠️ **The CA struggled:** {said} (for {len(struggled)} certificate{many}: {names})"]
