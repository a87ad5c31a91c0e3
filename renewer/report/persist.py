"""Renders dns-persist-01 standing-record state (plain data from renewer.execute.persist).

Kept apart from report.py, which only calls in here, so the plan renderers
stay one data model with several views.
"""

from __future__ import annotations

from collections.abc import Sequence

from renewer.core import escape, timefmt
from renewer.core.report_json import PersistEntry
from renewer.dns.persist.record import CertificateStatus, DomainStatus, Verdict

WORDS = {
    Verdict.VALID: "ok",
    Verdict.EXPIRING: "EXPIRING",
    Verdict.MISSING: "MISSING",
    Verdict.INVALID: "INVALID",
    Verdict.UNKNOWN: "unknown",
}


def create_line(domain: DomainStatus) -> str:
    """The exact record to create, as a zone-file line."""
    value = (domain.expected or "").replace("\\", "\\\\").replace('"', '\\"')
    return f'{domain.record} TXT "{value}"'


def _needs_record(domain: DomainStatus) -> bool:
    return domain.expected is not None and domain.verdict not in (
        Verdict.VALID,
        Verdict.EXPIRING,
    )


def warnings(statuses: Sequence[CertificateStatus]) -> list[str]:
    return [w for s in statuses for w in s.warnings]


def text(statuses: Sequence[CertificateStatus]) -> list[str]:
    if not statuses:
        return []
    lines = ["dns-persist-01 standing records:"]
    for status in statuses:
        if status.error:
            lines.append(f"  {status.name} ({status.challenge}): cannot check: {status.error}")
            continue
        lines.append(f"  {status.name} ({status.challenge} -> {status.uses}: {status.why})")
        for domain in status.domains:
            lines.append(f"    {WORDS[domain.verdict]:<8} {domain.record}  {domain.reason}")
            if _needs_record(domain):
                lines.append(f"             create: {create_line(domain)}")
    lines += [f"  warning: {w}" for w in warnings(statuses)]
    return lines


def _cell(value: str) -> str:
    """Our own words in a table cell."""
    return value.replace("|", "\\|").replace("\n", " ")


def _outside(value: object) -> str:
    """Words that carry what a DNS server or a resolver said: inert in a table cell."""
    return escape.inert(value, escape.Target.MARKDOWN_CELL)


def markdown(statuses: Sequence[CertificateStatus]) -> list[str]:
    if not statuses:
        return []
    lines = [
        "",
        "#### dns-persist-01 standing records",
        "",
        "| Certificate | Record | State | Renewal uses |",
        "|---|---|---|---|",
    ]
    to_create: list[str] = []
    for status in statuses:
        if status.error:
            lines.append(f"| `{status.name}` | — | ❔ cannot check: {_outside(status.error)} | — |")
            continue
        for domain in status.domains:
            mark = {"ok": "✅", "EXPIRING": "⚠️", "unknown": "❔"}.get(WORDS[domain.verdict], "❌")
            lines.append(
                f"| `{status.name}` | `{domain.record}` | {mark} {_outside(domain.reason)} | "
                f"{status.uses} ({_cell(status.why)}) |"
            )
            if _needs_record(domain):
                to_create.append(create_line(domain))
    if to_create:
        lines += ["", "Records to create (once; renewals then need no DNS write access):", ""]
        lines += ["```", *dict.fromkeys(to_create), "```"]
    lines += [
        f"> **warning**: {escape.inert(w, escape.Target.MARKDOWN)}" for w in warnings(statuses)
    ]
    return lines


def as_json(statuses: Sequence[CertificateStatus]) -> list[PersistEntry]:
    return [
        {
            "name": s.name,
            "challenge": s.challenge,
            "uses": s.uses,
            "why": s.why,
            "error": s.error,
            "domains": [
                {
                    "domain": d.domain,
                    "record": d.record,
                    "wildcard": d.wildcard,
                    "state": d.verdict.value,
                    "reason": d.reason,
                    "expected": d.expected,
                    "persist_until": timefmt.iso(d.persist_until) if d.persist_until else None,
                    "servers": [
                        {"server": v.server, "values": list(v.values), "error": v.error}
                        for v in d.servers
                    ],
                }
                for d in s.domains
            ],
        }
        for s in statuses
    ]
