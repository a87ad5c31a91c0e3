"""Settings of the things a certificate is ordered with: CA, DNS provider, store, Azure.

Every class is frozen and hashable: the config layer builds each one once,
validated, and a run shares one client per distinct value (equal settings,
one store instance; equal DNS settings, one provider). Provider- and
store-specific settings subclass ``ProviderSettings`` / ``BackendSettings``;
their concrete classes live next to their field tables in
``renewer/config/types/`` (one module per type).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from renewer.core import redact
from renewer.core.errors import RenewerError
from renewer.core.frozen import FrozenMap


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
    # The issuer domain names CAA records must allow for this CA; empty: the
    # directory's ``meta.caaIdentities`` (RFC 8555 7.1.1) is used.
    caa_identities: tuple[str, ...] = ()


CloudName = Literal["public", "usgov", "china"]


@dataclass(frozen=True)
class AzureCloud:
    """One sovereign cloud: its config name (as the Azure CLI spells it) and endpoints."""

    name: CloudName
    config_name: str
    authority_host: str
    arm_endpoint: str
    vault_suffix: str  # Key Vault's DNS suffix; its token scope is https://<suffix>/.default


AZURE_CLOUDS: dict[str, AzureCloud] = {
    cloud.name: cloud
    for cloud in (
        AzureCloud(
            "public",
            "AzurePublicCloud",
            "https://login.microsoftonline.com",
            "https://management.azure.com",
            ".vault.azure.net",
        ),
        AzureCloud(
            "usgov",
            "AzureUSGovernment",
            "https://login.microsoftonline.us",
            "https://management.usgovcloudapi.net",
            ".vault.usgovcloudapi.net",
        ),
        AzureCloud(
            "china",
            "AzureChinaCloud",
            "https://login.chinacloudapi.cn",
            "https://management.chinacloudapi.cn",
            ".vault.azure.cn",
        ),
    )
}
"""The one table of Azure clouds, by ``AzureSettings.cloud``; config reads ``config_name``."""


@dataclass(frozen=True)
class AzureSettings:
    """Which Azure cloud to talk to, with overrides for emulators and private endpoints.

    Shared by the Key Vault store and the Azure DNS provider so one run signs
    in once per cloud. (Its repr is part of the DNS journal's stable names:
    keep the field names, their order and ``cloud`` a plain string.)
    """

    cloud: CloudName = "public"
    authority_host: str | None = None
    arm_endpoint: str | None = None
    ca_bundle: Path | None = None  # trust for emulators or TLS-inspecting proxies
    # The GitHub OIDC token's audience when the federated credential uses another
    # one than the cloud's (added last; the DNS journal's names leave it out while unset)
    token_audience: str | None = None

    @property
    def resolved_authority_host(self) -> str:
        return self.authority_host or AZURE_CLOUDS[self.cloud].authority_host

    @property
    def resolved_arm_endpoint(self) -> str:
        return (self.arm_endpoint or AZURE_CLOUDS[self.cloud].arm_endpoint).rstrip("/")

    @property
    def vault_suffix(self) -> str:
        return AZURE_CLOUDS[self.cloud].vault_suffix


@dataclass(frozen=True)
class PropagationSettings:
    """How long and how often to poll authoritative servers for our TXT value."""

    nameservers: tuple[str, ...] = ()  # "host:port"; empty means discover the zone's NS
    timeout: float = 120.0
    interval: float = 2.0


@dataclass(frozen=True)
class ProviderSettings:
    """Base of every DNS provider's settings (concrete ones: renewer/config/types/dns_*.py)."""


@dataclass(frozen=True)
class PluginSettings(ProviderSettings):
    """A third-party provider's options (entry point group ``renewer.dns_providers``).

    renewer cannot know their types, so they stay the YAML scalars as written,
    in a hashable mapping; the plugin validates them when it is built.
    """

    options: FrozenMap[Any] = field(default_factory=FrozenMap)
    name: str = ""  # the entry point's name (``dns.type``): what the provider loads


@dataclass(frozen=True)
class BackendSettings:
    """Base of every store's settings (concrete ones: renewer/config/types/store_*.py)."""


@dataclass(frozen=True)
class DnsSettings:
    """A DNS provider: its type name, its typed settings and how to wait for propagation."""

    type: str
    provider: ProviderSettings
    propagation: PropagationSettings = field(default_factory=PropagationSettings)


@dataclass(frozen=True)
class StoreSettings:
    """A certificate store: its type name and its typed settings."""

    type: str
    backend: BackendSettings
