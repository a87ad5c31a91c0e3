"""dns-persist-01 standing records as data: format, parse, judge (no I/O).

The record (draft-ietf-acme-dns-persist, CA/B Forum SC-088) lives at
``_validation-persist.<domain>`` (a wildcard uses its base name) and holds an
RFC 8659 issue-value::

    <issuer-domain-name>; accounturi=<account URL>[; policy=wildcard][; persistUntil=<unix>]

Parsing follows Pebble 2.10.3's VA (va/va.go ``parseDNSPersistIssueValues``):
tags are case-insensitive, values must be printable ASCII without ``;`` or
spaces, a duplicate tag or an empty parameter makes the value malformed, a
``policy`` other than ``wildcard`` counts as absent.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from renewer.core import timefmt
from renewer.core.errors import RenewerError
from renewer.core.models import Challenge

LABEL = "_validation-persist"
WILDCARD = "wildcard"
WARN_BEFORE = timedelta(days=30)
"""``renewer plan`` warns when a record's persistUntil is this close."""


def record_name(domain: str) -> str:
    """Absolute owner name of the standing record for ``domain`` (wildcards share the base)."""
    return f"{LABEL}.{domain.removeprefix('*.').rstrip('.').lower()}."


class PersistError(RenewerError):
    """A standing record is missing, malformed or does not authorise us; one readable line."""


@dataclass(frozen=True)
class IssueValue:
    """One parsed TXT value."""

    issuer: str
    accounturi: str | None = None
    policy: str | None = None  # "wildcard" or None
    persist_until: datetime | None = None
    raw: str = ""

    def render(self) -> str:
        return format_value(
            self.issuer, self.accounturi or "", self.policy == WILDCARD, self.persist_until
        )


def format_value(
    issuer: str, accounturi: str, wildcard: bool, persist_until: datetime | None = None
) -> str:
    """The canonical TXT value renewer writes."""
    parts = [issuer, f"accounturi={accounturi}"]
    if wildcard:
        parts.append(f"policy={WILDCARD}")
    if persist_until is not None:
        parts.append(f"persistUntil={int(persist_until.timestamp())}")
    return "; ".join(parts)


def _value_ok(value: str) -> bool:
    return all(0x21 <= ord(c) <= 0x7E and c != ";" for c in value)


def parse_value(raw: str) -> IssueValue:
    """Parse one TXT value; raises PersistError (naming the problem) when malformed."""
    head, *params = raw.split(";")
    issuer = head.strip(" \t")
    if not issuer:
        raise PersistError(f"no issuer-domain-name in {raw!r}")
    seen: set[str] = set()
    found: dict[str, str] = {}
    for param in params:
        param = param.strip(" \t")
        if not param:
            raise PersistError(f"empty parameter or trailing ';' in {raw!r}")
        tag, sep, value = param.partition("=")
        tag, value = tag.strip(" \t"), value.strip(" \t")
        if not sep or not tag:
            raise PersistError(f"malformed parameter {param!r} (tag=value expected)")
        canonical = tag.lower()
        if canonical in seen:
            raise PersistError(f"duplicate parameter {tag!r}")
        seen.add(canonical)
        if not _value_ok(value):
            raise PersistError(f"malformed value {value!r} for {tag!r}")
        found[canonical] = value
    until = None
    if "persistuntil" in found:
        try:
            until = datetime.fromtimestamp(int(found["persistuntil"]), UTC)
        except (ValueError, OverflowError, OSError):
            raise PersistError(f"malformed persistUntil {found['persistuntil']!r}") from None
    if "accounturi" in found and not found["accounturi"]:
        raise PersistError("empty accounturi")
    policy = WILDCARD if found.get("policy", "").lower() == WILDCARD else None
    return IssueValue(issuer, found.get("accounturi"), policy, until, raw)


class Verdict(enum.StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"  # valid, but persistUntil is within WARN_BEFORE
    MISSING = "missing"  # no value for this CA at all
    INVALID = "invalid"  # values for this CA, none of them authorises us
    UNKNOWN = "unknown"  # could not be checked (DNS unreachable, no account yet)


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str
    value: IssueValue | None = None  # the authorising value, when valid


def judge(
    values: Iterable[str],
    issuers: Sequence[str],
    accounturi: str,
    wildcard: bool,
    now: datetime,
) -> Judgement:
    """Does any value authorise ``accounturi`` at one of ``issuers`` for this name, now?

    Mirrors the CA's order of checks so the plan explains a failure the way
    the CA would: foreign issuers are ignored, then syntax, accounturi,
    policy, persistUntil.
    """
    wanted = {i.lower().rstrip(".") for i in issuers}
    problems: list[str] = []
    foreign: list[str] = []
    best: Judgement | None = None
    for raw in sorted(values):
        issuer = raw.split(";", 1)[0].strip(" \t")
        if issuer.lower().rstrip(".") not in wanted:
            foreign.append(issuer or "(empty)")
            continue
        try:
            parsed = parse_value(raw)
        except PersistError as exc:
            problems.append(f"malformed value for {issuer}: {exc}")
            continue
        if not parsed.accounturi:
            problems.append(f"value for {issuer} has no accounturi")
        elif parsed.accounturi != accounturi:
            problems.append(f"accounturi {parsed.accounturi} is not ours ({accounturi})")
        elif wildcard and parsed.policy != WILDCARD:
            problems.append("the certificate holds a wildcard but the value lacks policy=wildcard")
        elif parsed.persist_until is not None and now > parsed.persist_until:
            problems.append(f"persistUntil {timefmt.stamp(parsed.persist_until)} has passed")
        elif parsed.persist_until is not None and parsed.persist_until - now < WARN_BEFORE:
            left = parsed.persist_until - now
            reason = (
                f"valid, but persistUntil {timefmt.stamp(parsed.persist_until)} is in {left.days}d"
            )
            best = best or Judgement(Verdict.EXPIRING, reason, parsed)
        else:
            return Judgement(Verdict.VALID, f"valid ({issuer})", parsed)
    if best is not None:
        return best
    if problems:
        return Judgement(Verdict.INVALID, "; ".join(problems))
    if foreign:
        names = ", ".join(sorted(set(foreign)))
        return Judgement(
            Verdict.MISSING,
            f"no value for {'/'.join(issuers) or 'this CA'} (only for {names})",
        )
    return Judgement(Verdict.MISSING, "no standing record")


# -- what the plan and the setup command carry -----------------------------------
@dataclass(frozen=True)
class ServerView:
    """What one authoritative server answers for a record name."""

    server: str
    values: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class DomainStatus:
    """One identifier of one certificate: its record, what DNS shows, what to create."""

    certificate: str
    domain: str
    record: str  # absolute owner name
    wildcard: bool
    verdict: Verdict
    reason: str
    expected: str | None = None  # the exact TXT value to create (None: unknown account)
    persist_until: datetime | None = None
    servers: tuple[ServerView, ...] = ()


@dataclass(frozen=True)
class CertificateStatus:
    """The standing-record state of one certificate using dns-persist-01 or auto."""

    name: str
    challenge: Challenge  # dns-persist-01 or auto
    domains: tuple[DomainStatus, ...] = field(default_factory=tuple)
    uses: str = ""  # what the renewal will use (a Challenge); "" when it cannot be told
    why: str = ""
    error: str | None = None

    @property
    def ready(self) -> bool:
        return self.error is None and all(
            d.verdict in (Verdict.VALID, Verdict.EXPIRING) for d in self.domains
        )

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(
            f"{self.name}: {d.record} {d.reason}"
            for d in self.domains
            if d.verdict is Verdict.EXPIRING
        )


def choose(
    challenge: Challenge, statuses: Sequence[DomainStatus], offered: bool = True
) -> tuple[Challenge, str]:
    """Which challenge a renewal will use, and why (pure; the plan shows it)."""
    ready = bool(statuses) and all(d.verdict in (Verdict.VALID, Verdict.EXPIRING) for d in statuses)
    bad = [d for d in statuses if d.verdict not in (Verdict.VALID, Verdict.EXPIRING)]
    detail = "; ".join(f"{d.record} {d.reason}" for d in bad[:3])
    persist, dns01 = Challenge.DNS_PERSIST_01, Challenge.DNS_01
    if challenge == persist:
        if ready:
            return persist, "standing records valid at every authoritative server"
        return persist, f"will fail until the standing record is fixed: {detail}"
    if not offered:
        return dns01, "auto: the CA does not offer dns-persist-01"
    if ready:
        return persist, "auto: standing records valid at every authoritative server"
    return dns01, f"auto: falling back to dns-01 ({detail or 'no standing record'})"
