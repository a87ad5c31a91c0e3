"""Domain types shared by every stage of a run.

One run flows one way (config -> stores -> plan -> execute -> report), and each
stage hands the next plain frozen data. Keeping the types here, with no I/O,
lets the planner and the renderers stay pure and lets tests build any state
without touching a server.
"""

from __future__ import annotations

import enum
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from renewer.core import redact
from renewer.core.errors import RenewerError

KEY_TYPES: tuple[str, ...] = (
    "ec-p256",
    "ec-p384",
    "rsa-2048",
    "rsa-3072",
    "rsa-4096",
)
"""Key types every store supports; Key Vault also accepts a ``-hsm`` suffix."""

HSM_SUFFIX = "-hsm"


class SecretUnavailable(RenewerError):
    """An ``env:NAME`` reference whose variable is not set at resolve time."""


@dataclass(frozen=True)
class SecretRef:
    """A reference to a secret (``env:NAME``), resolved as late as possible.

    The value is never stored on the object, so printing, logging or
    serialising a config can never leak it.
    """

    env: str

    def resolve(self) -> str:
        """Read the secret now; raises SecretUnavailable if it is gone."""
        value = os.environ.get(self.env)
        if value is None:
            raise SecretUnavailable(f"environment variable {self.env} is not set")
        redact.register(value)
        return value

    def __str__(self) -> str:
        return f"env:{self.env}"


@dataclass(frozen=True)
class EabSettings:
    """External account binding (ZeroSSL, Google, SSL.com, EAB-only Pebble)."""

    kid: SecretRef
    hmac_key: SecretRef


@dataclass(frozen=True)
class AcmeSettings:
    """Where and how to order: one CA directory and account per value."""

    directory: str  # always a resolved URL, never an alias
    contact: tuple[str, ...] = ()
    profile: str | None = None
    eab: EabSettings | None = None
    ca_bundle: Path | None = None
    preferred_chain: str | None = None


AZURE_CLOUDS: dict[str, tuple[str, str, str]] = {
    # name: (authority host, ARM endpoint, Key Vault DNS suffix)
    "public": (
        "https://login.microsoftonline.com",
        "https://management.azure.com",
        ".vault.azure.net",
    ),
    "usgov": (
        "https://login.microsoftonline.us",
        "https://management.usgovcloudapi.net",
        ".vault.usgovcloudapi.net",
    ),
    "china": (
        "https://login.chinacloudapi.cn",
        "https://management.chinacloudapi.cn",
        ".vault.azure.cn",
    ),
}


@dataclass(frozen=True)
class AzureSettings:
    """Which Azure cloud to talk to, with overrides for emulators and private endpoints.

    Shared by the Key Vault store and the Azure DNS provider so one run signs
    in once per cloud.
    """

    cloud: str = "public"
    authority_host: str | None = None
    arm_endpoint: str | None = None
    ca_bundle: Path | None = None  # trust for emulators or TLS-inspecting proxies
    token_audience: str | None = None  # issue 11: GitHub OIDC audience override (sovereign)

    @property
    def resolved_authority_host(self) -> str:
        return self.authority_host or AZURE_CLOUDS[self.cloud][0]

    @property
    def resolved_arm_endpoint(self) -> str:
        return (self.arm_endpoint or AZURE_CLOUDS[self.cloud][1]).rstrip("/")

    @property
    def vault_suffix(self) -> str:
        return AZURE_CLOUDS[self.cloud][2]


@dataclass(frozen=True)
class PropagationSettings:
    """How long and how often to poll authoritative servers for our TXT value."""

    nameservers: tuple[str, ...] = ()  # "host:port"; empty means discover the zone's NS
    timeout: float = 120.0
    interval: float = 2.0


@dataclass(frozen=True)
class DnsSettings:
    """A DNS provider: its type plus provider-specific options (validated by config)."""

    type: str
    options: Mapping[str, Any] = field(default_factory=dict)
    propagation: PropagationSettings = field(default_factory=PropagationSettings)


@dataclass(frozen=True)
class StoreSettings:
    """A certificate store: its type plus store-specific options."""

    type: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def identity(self) -> str:
        """A stable key for grouping certificates that share one store instance."""
        items = ",".join(f"{k}={self.options[k]}" for k in sorted(self.options))
        return f"{self.type}:{items}"


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
    challenge: str = "dns-01"  # dns-01 | dns-persist-01 | auto
    persist_until: datetime | timedelta | None = None  # dns-persist-01 persistUntil
    retired: bool = False  # issue 11: renewals stopped on purpose (kept, never renewed)
    consumers: tuple[str, ...] = ()  # issue 11: who uses it (front-door, ...), for validate
    previous_name: str | None = None  # issue 11: the name it had before a rename

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
class StoredCertificate:
    """What a store knows about the current version of one certificate.

    Fields a store cannot list cheaply (``domains`` on Key Vault) may be None;
    the planner then falls back to the fingerprint to detect changes.
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

    @property
    def lifetime(self) -> timedelta:
        return self.not_after - self.not_before


@dataclass(frozen=True)
class RenewalInfo:
    """The CA's suggested renewal window (RFC 9773) for one stored certificate."""

    start: datetime
    end: datetime
    explanation_url: str | None = None


class ActionKind(enum.StrEnum):
    ISSUE = "issue"
    RENEW = "renew"
    SKIP = "skip"


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
        return self.kind is not ActionKind.SKIP


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
    # issue 11: certificates renewer issued that the config no longer names (a subset of
    # ``unmanaged``): never touched, but nothing renews them, so reports warn near expiry.
    orphaned: tuple[Orphan, ...] = ()

    def due(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.changes)


class Outcome(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    PLANNED = "planned"  # dry run: would have acted


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
