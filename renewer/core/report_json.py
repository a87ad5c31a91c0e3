"""The JSON report's shape as types; docs/report.schema.json is the contract they follow.

It lives in core, not in report/, because its readers are siblings of
report/ in the layer contract (publish/, and the notifiers), which may not
import report/ nor each other.

``renewer plan --format json`` and ``renewer renew --report`` write a
``ReportBody``; ``report merge`` reads several back and writes one; the
Markdown renderer, the tracking issue and the inventory PR all read it. A
key added here must be added to the schema too (tests/test_report_schema.py,
or the report tests, validate real output against it).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

# Enumerated values are typed ``str``: a report read back from a file holds plain
# strings, whatever wrote it. Their allowed values are the StrEnums named below.


class Summary(TypedDict):
    """Counts by action and by result."""

    total: int
    issue: int
    renew: int
    skip: int
    succeeded: int
    failed: int
    skipped: int
    planned: int
    blocked: NotRequired[int]  # absent in reports written before blocked/deferred existed
    deferred: NotRequired[int]
    adopt: NotRequired[int]  # actions taking over another tool's certificate (tags only)


class CertificateEntry(TypedDict):
    """One certificate of the run (``result`` None: nothing executed, a plan)."""

    name: str
    action: str  # ActionKind
    reason: str
    result: str | None  # Outcome
    domains: list[str]
    serial: str | None
    not_after: str | None  # ISO 8601, Z
    renew_at: str | None
    run_every_seconds: NotRequired[float]  # the cadence the planner assumed (timeline)
    error: str | None
    duration_seconds: float | None
    severity: NotRequired[str]  # failed only: renewer/report/escalation.py Severity
    severity_words: NotRequired[str]
    holder: NotRequired[LockHolderEntry]  # blocked only: who holds the lock
    issuer: NotRequired[str]  # the CA directory that issued the certificate ``serial`` names
    # transient CA problems retried for this certificate: ACME code -> times (the CA struggled)
    ca_retried: NotRequired[dict[str, int]]


class LockHolderEntry(TypedDict):
    """Who held a blocked certificate's lock, as far as the lock file tells."""

    pid: int | None
    host: str | None
    since: str | None
    live: bool | None
    words: str


class PersistServerEntry(TypedDict):
    server: str
    values: list[str]
    error: str | None


class PersistDomainEntry(TypedDict):
    domain: str
    record: str
    wildcard: bool
    state: str  # dns.persist.record.Verdict
    reason: str | None
    expected: str | None
    persist_until: str | None
    servers: list[PersistServerEntry]


class PersistEntry(TypedDict):
    """A dns-persist-01 certificate's standing records (plans only)."""

    name: str
    challenge: str  # Challenge
    uses: str | None
    why: str | None
    error: str | None
    domains: list[PersistDomainEntry]


class OrphanEntry(TypedDict):
    """A certificate renewer issued that the config no longer names (nothing renews it)."""

    name: str
    not_after: str | None  # ISO 8601, Z


class ReportBody(TypedDict):
    """The whole report (``schema_version`` 1)."""

    schema_version: Literal[1]
    generated_at: str | None
    dry_run: bool
    executed: bool
    summary: Summary
    certificates: list[CertificateEntry]
    unmanaged: list[str]
    persist: NotRequired[list[PersistEntry]]
    # also in ``unmanaged``; reports written before it lack the key
    orphaned: NotRequired[list[OrphanEntry]]
    # renewer verify's section: its contract is docs/verify.schema.json, and its writer
    # (renewer/verify/render.py as_body) and readers are the verify package.
    verify: NotRequired[dict[str, Any]]
    # the consumers of renewed certificates and what their nudge did (renewer/consumers/render.py)
    nudges: NotRequired[list[dict[str, Any]]]
