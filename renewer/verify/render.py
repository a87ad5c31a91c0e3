"""Views of a VerifyReport: terminal text, Markdown (job summary), JSON.

Text and Markdown are rendered from the JSON body (docs/verify.schema.json),
as the run report is, so the three cannot disagree and the ``verify``
section inside a renew report renders the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from renewer.core import escape
from renewer.verify.model import Finding, ServedCertificate, Verdict, VerifyReport

SCHEMA_VERSION = 1
SYMBOLS = {
    Verdict.CURRENT: "✓",
    Verdict.WITHIN_GRACE: "~",
    Verdict.STALE: "✗",
    Verdict.FOREIGN: "✗",
    Verdict.UNREACHABLE: "✗",
    Verdict.CHAIN_INCOMPLETE: "✗",
    Verdict.NAME_MISMATCH: "✗",
    Verdict.STORE_ERROR: "✗",
}
LABELS = {
    Verdict.CURRENT: "current",
    Verdict.WITHIN_GRACE: "within grace",
    Verdict.STALE: "STALE",
    Verdict.FOREIGN: "foreign",
    Verdict.UNREACHABLE: "unreachable",
    Verdict.CHAIN_INCOMPLETE: "chain incomplete",
    Verdict.NAME_MISMATCH: "name mismatch",
    Verdict.STORE_ERROR: "store error",
}


def _when(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _served(served: ServedCertificate | None) -> dict[str, Any] | None:
    if served is None:
        return None
    return {
        "serial": served.serial,
        "sha1": served.sha1,
        "subject": served.subject,
        "issuer": served.issuer,
        "not_before": _when(served.not_before),
        "not_after": _when(served.not_after),
        "names": list(served.names),
        "chain_length": len(served.chain_der),
    }


def _entry(finding: Finding) -> dict[str, Any]:
    endpoint, current = finding.endpoint, finding.current
    return {
        "certificate": finding.certificate,
        "endpoint": endpoint.address,
        "sni": endpoint.sni or None,
        "address": finding.address,
        "verdict": finding.verdict.value,
        "ok": finding.ok,
        "message": finding.message,
        "grace_seconds": int(finding.grace.total_seconds()),
        "served": _served(finding.served),
        "served_version": finding.matched.version if finding.matched else None,
        "store": None
        if current is None
        else {
            "version": current.version,
            "serial": current.serial,
            "sha1": current.sha1,
            "since": _when(current.created),
            "not_after": _when(current.not_after),
        },
    }


def as_body(report: VerifyReport) -> dict[str, Any]:
    """The documented machine form (docs/verify.schema.json)."""
    counts = {verdict.value: 0 for verdict in Verdict}
    for finding in report.findings:
        counts[finding.verdict.value] += 1
    failed = len(report.failed)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": _when(report.generated_at),
        "summary": {
            "total": len(report.findings),
            "ok": len(report.findings) - failed,
            "failed": failed,
            **counts,
        },
        "endpoints": [_entry(f) for f in report.findings],
    }


def render_json(report: VerifyReport) -> str:
    return json.dumps(as_body(report), indent=2, ensure_ascii=False) + "\n"


def _where(row: Mapping[str, Any]) -> str:
    address = str(row["address"])
    shown = f"[{address}]" if ":" in address else address
    text = str(row["endpoint"])
    if not text.startswith(shown):
        text += f" via {shown}"
    return text + (f" SNI {row['sni']}" if row.get("sni") else "")


def summary_line(body: Mapping[str, Any]) -> str:
    s = body["summary"]
    parts = [
        f"{s[v.value]} {LABELS[v]}" for v in Verdict if s.get(v.value) and v is not Verdict.CURRENT
    ]
    extra = f" ({', '.join(parts)})" if parts else ""
    return f"verify: {s['total']} addresses, {s['ok']} ok, {s['failed']} failing{extra}"


def text_from_body(body: Mapping[str, Any]) -> str:
    lines = []
    for row in body["endpoints"]:
        verdict = Verdict(row["verdict"])
        lines.append(
            f"  {SYMBOLS[verdict]} {LABELS[verdict]:<16} {row['certificate']}  {_where(row)}: "
            f"{row['message']}"
        )
    lines.append(summary_line(body))
    return "\n".join(lines) + "\n"


def render_text(report: VerifyReport) -> str:
    return text_from_body(as_body(report))


def _cell(text: object) -> str:
    """Our own words in a table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _outside(text: object) -> str:
    """What an endpoint presented (subject, issuer, names) reaches the message: inert."""
    return escape.inert(text, escape.Target.MARKDOWN_CELL)


def markdown_from_body(body: Mapping[str, Any], heading: str = "###") -> str:
    """The job-summary table; failing rows first so they are seen without scrolling."""
    rows = sorted(body["endpoints"], key=lambda row: bool(row["ok"]))
    lines = [f"{heading} renewer verify", "", _cell(summary_line(body).removeprefix("verify: "))]
    if rows:
        lines += ["", "| Certificate | Endpoint | Verdict | Detail |", "|---|---|---|---|"]
    for row in rows:
        verdict = Verdict(row["verdict"])
        mark = "✅" if verdict is Verdict.CURRENT else ("🕒" if row["ok"] else "❌")
        lines.append(
            f"| {_outside(row['certificate'])} | {_cell(_where(row))} | "
            f"{mark} {LABELS[verdict]} | {_outside(row['message'])} |"
        )
    return "\n".join(lines) + "\n"


def render_markdown(report: VerifyReport) -> str:
    return markdown_from_body(as_body(report))


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}
