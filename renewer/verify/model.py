"""The data verify passes between probing, judging and rendering.

Plain frozen values, so the judge is a pure function tests can feed any
served chain and any store history, and every view renders the same facts.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from renewer.core.endpoints import EndpointSpec
from renewer.stores.contract import StoredVersion


class Verdict(enum.StrEnum):
    """What one address serves, from the store's point of view."""

    CURRENT = "current"
    WITHIN_GRACE = "within-grace"  # a previous version, renewed less than `grace` ago
    STALE = "stale"  # a previous version, past grace: the consumer did not pick it up
    FOREIGN = "foreign"  # a certificate the store never held
    UNREACHABLE = "unreachable"  # no TCP connection or no TLS handshake in time
    CHAIN_INCOMPLETE = "chain-incomplete"  # the right leaf without its intermediates
    NAME_MISMATCH = "name-mismatch"  # the served leaf does not cover the SNI name
    STORE_ERROR = "store-error"  # nothing to compare with: the store could not be read

    @property
    def ok(self) -> bool:
        """Serves what it should (now, or within grace): exit 0."""
        return self in (Verdict.CURRENT, Verdict.WITHIN_GRACE)


@dataclass(frozen=True)
class ServedCertificate:
    """The facts read from one handshake: the leaf and the chain as sent."""

    sha1: str  # lower-case hex of the leaf's DER
    serial: str  # hex, as the stores write it
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    names: tuple[str, ...]  # DNS subjectAltNames
    chain_der: tuple[bytes, ...]  # everything sent, leaf first


@dataclass(frozen=True)
class Probe:
    """One address of one endpoint: what it served, or why nothing was read."""

    endpoint: EndpointSpec
    address: str  # the IP connected to (or the host name, if it did not resolve)
    served: ServedCertificate | None = None
    error: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class StoreView:
    """A certificate's versions as its store lists them, or why they could not be read."""

    versions: tuple[StoredVersion, ...] = ()
    error: str | None = None

    @property
    def current(self) -> StoredVersion | None:
        return next((v for v in self.versions if v.current), None)


@dataclass(frozen=True)
class Finding:
    """The judged state of one address: verdict, the sentence a human reads, the facts."""

    certificate: str
    endpoint: EndpointSpec
    address: str
    verdict: Verdict
    message: str
    served: ServedCertificate | None = None
    matched: StoredVersion | None = None  # the store version the endpoint serves
    current: StoredVersion | None = None  # the store's current version
    grace: timedelta = timedelta(0)

    @property
    def ok(self) -> bool:
        return self.verdict.ok


@dataclass(frozen=True)
class VerifyReport:
    """Every finding of one check, in config order."""

    generated_at: datetime
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def failed(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.ok)

    @property
    def stale(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.verdict is Verdict.STALE)
