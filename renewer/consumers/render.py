"""The nudges in the report: the JSON report's ``nudges`` list and its Markdown section.

Rendered from the JSON form, so the job summary, ``report publish`` (the
tracking issue) and a merged shard report show the same table. Details come
from Azure's error messages: untrusted text, escaped before it reaches Markdown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from renewer.consumers.run import FAILED, NUDGED, OFF, WAITING, NudgeResult

MARKS = {NUDGED: "✅ nudged", FAILED: "⚠️ nudge failed", WAITING: "🕒 waits", OFF: "⏸️ off"}


def as_body(results: Sequence[NudgeResult]) -> list[dict[str, Any]]:
    return [
        {
            "certificate": r.certificate,
            "kind": r.kind,
            "resource": r.resource,
            "outcome": r.outcome,
            "detail": r.detail,
            "duration_seconds": r.duration,
        }
        for r in results
    ]


def _cell(text: object) -> str:
    """Untrusted text as one Markdown table cell: no pipes, no lines, no HTML."""
    value = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")
    return value.replace("<", "&lt;").replace(">", "&gt;").replace("\r", " ").replace("\n", " ")


def summary_line(rows: Sequence[Mapping[str, Any]]) -> str:
    counts = {o: sum(r.get("outcome") == o for r in rows) for o in (NUDGED, FAILED, WAITING, OFF)}
    parts = [f"{n} {o}" for o, n in counts.items() if n]
    return "consumers: " + (", ".join(parts) if parts else "none")


def markdown_from_body(rows: Sequence[Mapping[str, Any]], heading: str = "####") -> str:
    """Failed nudges first: a consumer that did not take the nudge is the one to look at."""
    ordered = sorted(rows, key=lambda r: r.get("outcome") != FAILED)
    lines = [f"{heading} renewer nudges", "", _cell(summary_line(rows)), ""]
    lines += ["| Certificate | Consumer | Result | Detail |", "|---|---|---|---|"]
    for row in ordered:
        consumer = f"{row.get('kind')} {row.get('resource')}".strip()
        mark = MARKS.get(str(row.get("outcome")), _cell(row.get("outcome")))
        lines.append(
            f"| `{_cell(row.get('certificate'))}` | {_cell(consumer)} | {mark} "
            f"| {_cell(row.get('detail'))} |"
        )
    return "\n".join(lines) + "\n"


def text_lines(results: Sequence[NudgeResult]) -> list[str]:
    """One terminal line per consumer, for the run's log on stdout."""
    return [
        f"nudge {r.outcome:<7} {r.certificate}: {r.kind} {r.resource}".rstrip() + f": {r.detail}"
        for r in results
    ]
