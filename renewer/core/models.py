"""Domain types shared by every stage of a run.

One run flows one way (config -> stores -> plan -> execute -> report), and each
stage hands the next plain frozen data. Keeping the types here, with no I/O,
lets the planner and the renderers stay pure and lets tests build any state
without touching a server.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from renewer.core.budgets import Budgets
from renewer.core.consumers import ConsumerSpec
from renewer.core.endpoints import DEFAULT_GRACE, EndpointSpec
from renewer.core.settings import AcmeSettings, DnsSettings, StoreSettings

KEY_TYPES: tuple[str, ...] = (
    "ec-p256",
    "ec-p384",
    "rsa-2048",
    "rsa-3072",
    "rsa-4096",
)
"""Key types every store supports; Key Vault also accepts a ``-hsm`` suffix."""

HSM_SUFFIX = "-hsm"

DEFAULT_RUN_EVERY = timedelta(hours=12)
"""How often scheduled runs come: the shipped workflow runs at 05:17 and 17:17 UTC."""
DEFAULT_RUN_SLACK = timedelta(hours=1)
"""How late a scheduled run may start (GitHub documents delays under load); at most
a quarter of ``run_every``."""


def default_slack(run_every: timedelta) -> timedelta:
    """The slack when none is configured: an hour, or a quarter of a shorter cadence."""
    return min(DEFAULT_RUN_SLACK, run_every / 4)


class Challenge(enum.StrEnum):
    """How a certificate proves control of its names."""

    DNS_01 = "dns-01"  # a TXT per order
    DNS_PERSIST_01 = "dns-persist-01"  # one standing record, no DNS write on renewal
    AUTO = "auto"  # dns-persist-01 where the CA offers it and the record is valid, else dns-01


class ReportMode(enum.StrEnum):
    """Where a run reports besides the job summary (``report.mode``)."""

    ISSUE = "issue"
    PR = "pr"
    NONE = "none"


@dataclass(frozen=True)
class CertificateSpec:
    """One desired certificate, fully resolved (defaults and overrides applied)."""

    name: str
    domains: tuple[str, ...]  # A-labels, first one is the subject CN
    key: str
    acme: AcmeSettings
    dns: DnsSettings
    store: StoreSettings
    renew_before: timedelta | None = None  # None: a third of the lifetime
    tags: Mapping[str, str] = field(default_factory=dict)
    challenge: Challenge = Challenge.DNS_01
    persist_until: datetime | timedelta | None = None  # dns-persist-01 persistUntil
    # renewer verify: where it is served, and how long a previous version may be
    endpoints: tuple[EndpointSpec, ...] = ()
    grace: timedelta = DEFAULT_GRACE
    retired: bool = False  # renewals stopped on purpose (kept, never renewed)
    consumers: tuple[ConsumerSpec, ...] = ()  # who reads it from the vault (core/consumers.py)
    previous_name: str | None = None  # the name it had before a rename
    # Take over a same-name certificate another tool issued (acmebot): renewer writes its
    # tags and renews it as new versions of the same name, so consumers keep their URL.
    adopt: bool = False
    run_every: timedelta = DEFAULT_RUN_EVERY  # the planner's idea of the next run
    run_slack: timedelta = DEFAULT_RUN_SLACK  # how late that run may start
    # The CAs to try, in order, when ``acme`` fails in a way another CA can fix
    # (down, hung, rate limited): ``acme`` stays the first issuer, so everything
    # that knows one CA keeps working unchanged.
    fallbacks: tuple[AcmeSettings, ...] = ()

    @property
    def issuers(self) -> tuple[AcmeSettings, ...]:
        """Every issuer, in the order they are tried."""
        return (self.acme, *self.fallbacks)

    def with_issuer(self, issuer: AcmeSettings) -> CertificateSpec:
        """This certificate as ordered from ``issuer``: what a store records after issuance.

        Its fingerprint is the one a certificate from that issuer carries, so
        a certificate the second CA issued is not "changed" on the next run.
        """
        return self if issuer == self.acme else replace(self, acme=issuer)

    def issuer_of(self, stored: StoredCertificate) -> AcmeSettings | None:
        """The listed issuer that issued ``stored`` (its directory or fingerprint), or None.

        A Key Vault tag too short for a long directory URL holds a hash, so the
        fingerprint (which includes the directory) decides when the URL is not known.
        """
        for issuer in self.issuers:
            if stored.directory is not None:
                if stored.directory == issuer.directory:
                    return issuer
            elif stored.fingerprint == self.with_issuer(issuer).fingerprint():
                return issuer
        return None

    def fingerprint(self) -> str:
        """Hash of everything whose change requires a new certificate."""
        parts = [
            ",".join(sorted(self.domains)),
            self.key,
            self.acme.profile or "",
            self.acme.directory,
        ]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ForeignIssuer:
    """Who issued a stored certificate renewer did not create, as its tags tell.

    A same-name certificate another tool keeps renewing (keyvault-acmebot) is the
    usual state before a migration: the plan names that tool so the way out
    ("adopt it") and the way to stop the other tool can be said precisely.
    ``selected_by`` names the tags that tool's renewal loop picks certificates by;
    while any is present on the current version, that tool would renew it too.
    """

    tool: str  # "acmebot"
    style: str  # how it recorded itself, e.g. "v4 tags", "v5 tag"
    endpoint: str | None = None  # the ACME server's host, as the tool recorded it
    dns_provider: str | None = None
    certificate_id: str | None = None  # the RFC 9773 certID the tool recorded
    selected_by: tuple[str, ...] = ()

    def words(self) -> str:
        details = [self.style]
        if self.endpoint:
            details.append(f"ACME endpoint {self.endpoint}")
        if self.dns_provider:
            details.append(f"DNS provider {self.dns_provider}")
        return f"{self.tool} ({', '.join(details)})"


@dataclass(frozen=True)
class StoredCertificate:
    """What a store knows about the current version of one certificate.

    Fields a store cannot list cheaply (``domains`` on Key Vault) may be None;
    the planner then falls back to the fingerprint to detect changes. A store
    that finds the stored files damaged says so in ``damage``: the planner then
    renews, and only that certificate is affected.
    """

    name: str
    not_before: datetime
    not_after: datetime
    serial: str
    fingerprint: str | None = None
    domains: tuple[str, ...] | None = None
    key: str | None = None
    profile: str | None = None
    directory: str | None = None
    ari_cert_id: str | None = None
    version: str | None = None
    managed: bool = True
    revoked: bool = False
    damage: str | None = None  # why the stored files are not a whole certificate
    renewal_info: RenewalInfo | None = None  # the CA's window as remembered at the last check
    foreign: ForeignIssuer | None = None  # another tool's tags on the current version

    @property
    def dates_known(self) -> bool:
        """False for a damaged certificate none of whose files gave its dates (serial "")."""
        return bool(self.serial)

    @property
    def lifetime(self) -> timedelta:
        return self.not_after - self.not_before


@dataclass(frozen=True)
class RenewalInfo:
    """The CA's suggested renewal window (RFC 9773) for one stored certificate.

    ``checked`` is when the CA was asked and ``next_check`` when RFC 9773 lets
    a client ask again (the response's Retry-After, clamped): until then a
    window remembered in the store is as good as a fresh answer, so a no-op
    run need not ask the CA at all (renewer.core.renewal_window).
    """

    start: datetime
    end: datetime
    explanation_url: str | None = None
    checked: datetime | None = None
    next_check: datetime | None = None


class ActionKind(enum.StrEnum):
    ISSUE = "issue"
    RENEW = "renew"
    SKIP = "skip"
    ADOPT = "adopt"  # take over a same-name certificate another tool issued (tags only)
    BLOCKED = (
        "blocked"  # due or not, renewer may not act: a same-name certificate it did not create
    )


@dataclass(frozen=True)
class Action:
    """The planner's decision for one certificate, with the reason a human reads."""

    name: str
    kind: ActionKind
    reason: str
    spec: CertificateSpec
    stored: StoredCertificate | None = None
    renew_at: datetime | None = None  # when a skipped certificate becomes due

    @property
    def changes(self) -> bool:
        return self.kind not in (ActionKind.SKIP, ActionKind.BLOCKED)


@dataclass(frozen=True)
class Orphan:
    """A certificate renewer issued (its managed-by tag) that left certificates.yaml."""

    name: str
    not_after: datetime


ORPHAN_WARNING = timedelta(days=30)
"""Reports warn about an orphaned certificate this long before it expires."""


@dataclass(frozen=True)
class Plan:
    """All actions of one run, in config order; data only, rendered elsewhere."""

    generated_at: datetime
    actions: tuple[Action, ...]
    unmanaged: tuple[str, ...] = ()
    # Certificates renewer issued that the config no longer names (a subset of
    # ``unmanaged``): never touched, but nothing renews them, so reports warn near expiry.
    orphaned: tuple[Orphan, ...] = ()
    # The CA's rate limits as budgets: what the plan spends and what it defers.
    budgets: Budgets | None = None
    # Due certificates the CA cannot issue as configured (a profile it does not offer):
    # name -> why. They fail without an order; the others go on.
    refused: Mapping[str, str] = field(default_factory=dict)

    def due(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.changes)


class Outcome(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    PLANNED = "planned"  # dry run: would have acted
    BLOCKED = "blocked"  # due, but another holder has its lock, or another tool owns it
    DEFERRED = "deferred"  # due, but the run's new-order cap was reached


@dataclass(frozen=True)
class LockHolder:
    """Who holds a certificate's lock, as far as the store can tell.

    ``live`` is True for a running process on this host, False when the
    recorded process is gone (or the lock names nobody: some other program
    holds it), None when it cannot be checked (another host, a lease).
    A blocked certificate whose holder is not live escalates like a failure,
    because nothing else will renew it.
    """

    pid: int | None = None
    host: str | None = None
    since: datetime | None = None
    live: bool | None = None

    def words(self) -> str:
        if self.pid is None and self.host is None:
            return "held by a process that did not record itself (not a renewer run)"
        who = f"pid {self.pid}" if self.pid is not None else "a run"
        where = f" on host {self.host}" if self.host else ""
        when = f" since {self.since.strftime('%Y-%m-%d %H:%M:%S UTC')}" if self.since else ""
        state = {True: "", False: " (not running)", None: ""}[self.live]
        return f"held by {who}{where}{when}{state}"


@dataclass(frozen=True)
class Result:
    """What happened to one certificate during execution."""

    name: str
    action: ActionKind
    reason: str
    outcome: Outcome
    serial: str | None = None
    not_after: datetime | None = None
    error: str | None = None
    duration: float = 0.0
    holder: LockHolder | None = None  # blocked results: who holds the lock
    issuer: str | None = None  # the CA directory that issued the certificate ``serial`` names
    # Transient CA problems this certificate's requests met and retried, as (ACME code,
    # times) sorted by code: the report says the CA struggled, even when it succeeded.
    ca_retried: tuple[tuple[str, int], ...] = ()
