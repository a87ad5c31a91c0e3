"""report.persist: dns-persist-01 standing records in the plan, text, Markdown and JSON."""

from __future__ import annotations

from datetime import UTC, datetime

from renewer.core.models import Challenge
from renewer.dns.persist.record import CertificateStatus, DomainStatus, ServerView, Verdict
from renewer.report.persist import as_json, create_line, markdown, text, warnings

RECORD = "_validation-persist.example.test."
VALUE = 'letsencrypt.org; accounturi=https://ca.test/acct/1; policy="wildcard"'


def domain(verdict: Verdict, reason: str, **more: object) -> DomainStatus:
    return DomainStatus("web", "example.test", RECORD, False, verdict, reason, **more)  # type: ignore[arg-type]


MISSING = domain(
    Verdict.MISSING,
    "no value for this CA | <script>",
    expected=VALUE,
    servers=(ServerView("ns1:53", (), "Timeout"),),
)
EXPIRING = domain(
    Verdict.EXPIRING,
    "persistUntil in 5 days",
    expected=VALUE,
    persist_until=datetime(2026, 12, 3, tzinfo=UTC),
    servers=(ServerView("ns1:53", ("v1",)),),
)


def status(*domains: DomainStatus, error: str | None = None) -> CertificateStatus:
    return CertificateStatus(
        "web", Challenge.AUTO, domains, uses="dns-01", why="record missing", error=error
    )


def test_the_record_to_create_is_a_quoted_zone_file_line() -> None:
    assert create_line(MISSING) == (
        f'{RECORD} TXT "letsencrypt.org; accounturi=https://ca.test/acct/1; policy=\\"wildcard\\""'
    )


def test_text_says_each_domain_and_what_to_create_only_where_needed() -> None:
    lines = text([status(MISSING, EXPIRING)])
    assert lines[0] == "dns-persist-01 standing records:"
    assert lines[1] == "  web (auto -> dns-01: record missing)"
    assert lines[2].split()[:2] == ["MISSING", RECORD]
    assert lines[3].strip().startswith("create: _validation-persist")
    assert lines[4].split()[:2] == ["EXPIRING", RECORD]  # valid still: nothing to create
    assert lines[5] == f"  warning: web: {RECORD} persistUntil in 5 days"
    assert text([]) == []
    assert text([status(error="no account yet")]) == [
        "dns-persist-01 standing records:",
        "  web (auto): cannot check: no account yet",
    ]


def test_markdown_makes_outside_words_inert_and_lists_records_once() -> None:
    lines = markdown([status(MISSING, MISSING, EXPIRING)])
    table = "\n".join(lines)
    assert "❌ `no value for this CA \\| <script>` |" in table  # a code span: shown, inert
    assert lines.count(create_line(MISSING)) == 1  # two domains, one record to create
    assert any(line.startswith("| `web` | `_validation-persist") and "⚠️" in line for line in lines)
    assert lines[-1] == f"> **warning**: `web: {RECORD} persistUntil in 5 days`"
    assert markdown([]) == []


def test_json_follows_the_report_schema_fields() -> None:
    (entry,) = as_json([status(EXPIRING)])
    assert entry["challenge"] == "auto" and entry["uses"] == "dns-01"
    (d,) = entry["domains"]
    assert d["state"] == "expiring"
    assert d["persist_until"] == "2026-12-03T00:00:00Z"
    assert d["servers"] == [{"server": "ns1:53", "values": ["v1"], "error": None}]
    assert warnings([status(MISSING, EXPIRING)]) == [f"web: {RECORD} persistUntil in 5 days"]
