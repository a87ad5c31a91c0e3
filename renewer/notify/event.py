"""What a notification says, built from the final JSON report (docs/report.schema.json).

Every target formats the same :class:`Event`, so a Teams card, a Slack
message, a mail and a webhook body of one run cannot disagree. Certificates
are matched to a target's ``on:`` list by the report's fields, read
generically: a category holds when a row's ``result``/``outcome``/``status``
/``action`` names it (failed, succeeded, orphaned, deferred, blocked), or a
top-level list of that name holds the certificate; ``at-risk`` holds when the
escalation (``severity``, or an ``at_risk`` field) says at risk or worse.
So outcomes the report gains later need no change here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

CATEGORIES = ("failed", "at-risk", "blocked", "orphaned", "deferred", "succeeded")
"""Loudest first: the first one a message has sets its colour and title."""
NAMED = ("failed", "succeeded", "orphaned", "deferred", "blocked")
AT_RISK_SEVERITIES = frozenset({"at-risk", "critical", "expired"})
QUIET_LEVELS = frozenset({"", "none", "ok", "warning", "false"})
MAX_ERROR = 300  # characters of one error line in a message
LABEL_FIELDS = ("result", "outcome", "status", "action")


@dataclass(frozen=True)
class Links:
    """Where a reader goes next; each is None outside GitHub Actions or when unknown."""

    run_url: str | None = None
    tracking_url: str | None = None
    repository: str | None = None


@dataclass(frozen=True)
class CertificateEvent:
    """One certificate worth telling: what happened to it and when it expires."""

    name: str
    categories: tuple[str, ...]
    result: str | None
    action: str | None
    reason: str
    error: str | None
    domains: tuple[str, ...]
    not_after: str | None
    severity: str | None
    severity_words: str | None

    @property
    def expires(self) -> str:
        """The expiry date (YYYY-MM-DD), or "" when there is no current certificate."""
        return (self.not_after or "")[:10]

    @property
    def detail(self) -> str:
        """One line: what happened and, if at risk, when it expires."""
        if "failed" in self.categories:
            risk = self.severity_words or (f"expires {self.expires}" if self.expires else "")
            text = f"renewal failed: {self.error or 'unknown error'}"
            return f"{text} ({risk})" if risk else text
        if "succeeded" in self.categories:
            verb = "issued" if self.action == "issue" else "renewed"
            return f"{verb}, valid until {self.expires}" if self.expires else verb
        first = self.categories[0] if self.categories else "unchanged"
        words = self.error or self.reason
        expiry = f" (expires {self.expires})" if self.expires else ""
        return f"{first}: {words}{expiry}" if words else f"{first}{expiry}"


@dataclass(frozen=True)
class Event:
    """One notification: a run's matched certificates, counts and links."""

    status: str  # the loudest category present, or "ok"
    title: str
    headline: str
    certificates: tuple[CertificateEvent, ...]
    counts: Mapping[str, int]
    generated_at: str | None
    dry_run: bool
    on: tuple[str, ...]
    links: Links = field(default_factory=Links)
    test: bool = False


def _flag(value: Any) -> bool:
    """An ``at_risk`` field may be a bool or a level word; both read the same."""
    if isinstance(value, bool):
        return value
    return value is not None and str(value).lower() not in QUIET_LEVELS


def categories_of(row: Mapping[str, Any], listed: Collection[str] = ()) -> tuple[str, ...]:
    """The categories one report row is in; ``listed``: top-level lists naming it."""
    labels = {str(row.get(key)) for key in LABEL_FIELDS if row.get(key) is not None}
    found = {name for name in NAMED if name in labels} | set(listed)
    if row.get("severity") in AT_RISK_SEVERITIES or _flag(row.get("at_risk")):
        found.add("at-risk")
    return tuple(name for name in CATEGORIES if name in found)


def _rows(report: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], tuple[str, ...]]]:
    """Every certificate row, with top-level category lists ("orphaned": [...]) folded in."""
    listed: dict[str, set[str]] = {}
    extra: dict[str, Mapping[str, Any]] = {}
    for category in NAMED:
        items = report.get(category)
        if not isinstance(items, list):
            continue
        for item in items:
            row = item if isinstance(item, Mapping) else {"name": str(item)}
            key = str(row.get("name", "")).lower()
            listed.setdefault(key, set()).add(category)
            extra.setdefault(key, row)
    rows = [row for row in report.get("certificates", []) if isinstance(row, Mapping)]
    known = {str(row.get("name", "")).lower() for row in rows}
    rows += [row for key, row in extra.items() if key not in known]
    return [
        (row, categories_of(row, listed.get(str(row.get("name", "")).lower(), ()))) for row in rows
    ]


def _certificate(row: Mapping[str, Any], categories: tuple[str, ...]) -> CertificateEvent:
    error = row.get("error")
    if error is not None:
        error = " ".join(str(error).split())
        error = error if len(error) <= MAX_ERROR else error[: MAX_ERROR - 1] + "…"
    return CertificateEvent(
        name=str(row.get("name", "")),
        categories=categories,
        result=row.get("result"),
        action=row.get("action"),
        reason=str(row.get("reason") or ""),
        error=error,
        domains=tuple(str(d) for d in row.get("domains") or ()),
        not_after=row.get("not_after"),
        severity=row.get("severity"),
        severity_words=row.get("severity_words"),
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def headline(counts: Mapping[str, int]) -> str:
    """e.g. "1 failed (1 at risk) · 2 renewed · 10 unchanged"."""
    parts = []
    if counts.get("failed"):
        risk = f" ({counts['at-risk']} at risk)" if counts.get("at-risk") else ""
        parts.append(f"{counts['failed']} failed{risk}")
    elif counts.get("at-risk"):
        parts.append(f"{counts['at-risk']} at risk")
    for name in ("blocked", "orphaned", "deferred"):
        if counts.get(name):
            parts.append(f"{counts[name]} {name}")
    if counts.get("succeeded"):
        parts.append(f"{counts['succeeded']} renewed")
    parts.append(f"{counts.get('unchanged', 0)} unchanged")
    return " · ".join(parts)


def _title(status: str, counts: Mapping[str, int], links: Links, test: bool) -> str:
    where = f" ({links.repository})" if links.repository else ""
    if test:
        return f"renewer: test notification{where}"
    if status == "failed":
        return f"renewer: {_plural(counts['failed'], 'certificate')} failed to renew{where}"
    if status in ("at-risk", "blocked", "orphaned", "deferred"):
        words = status.replace("-", " ")
        return f"renewer: {_plural(counts[status], 'certificate')} {words}{where}"
    if status == "succeeded":
        return f"renewer: {_plural(counts['succeeded'], 'certificate')} renewed{where}"
    return f"renewer: all certificates healthy{where}"


def build_event(
    report: Mapping[str, Any],
    on: Iterable[str],
    scope: Collection[str] | None = None,
    links: Links | None = None,
    test: bool = False,
) -> Event | None:
    """The event one target gets, or None when nothing in its scope matches its ``on``.

    ``scope``: certificate names the target is for (None = all); ``on``
    "all" sends every run and lists every certificate something happened to.
    """
    wanted = tuple(on)
    chosen = {name.lower() for name in scope} if scope is not None else None
    rows = [
        (row, cats)
        for row, cats in _rows(report)
        if chosen is None or str(row.get("name", "")).lower() in chosen
    ]
    every = "all" in wanted
    matched = [
        _certificate(row, cats) for row, cats in rows if (every and cats) or set(cats) & set(wanted)
    ]
    if not matched and not every:
        return None
    counts = {name: sum(name in cats for _, cats in rows) for name in CATEGORIES}
    counts["total"] = len(rows)
    counts["unchanged"] = sum(not cats for _, cats in rows)
    present = {c for cert in matched for c in cert.categories}
    status = next((name for name in CATEGORIES if name in present), "ok")
    links = links or Links()
    return Event(
        status=status,
        title=_title(status, counts, links, test),
        headline=headline(counts),
        certificates=tuple(matched),
        counts=counts,
        generated_at=report.get("generated_at"),
        dry_run=bool(report.get("dry_run")),
        on=wanted,
        links=links,
        test=test,
    )
