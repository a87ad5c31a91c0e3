"""DNS type ``powerdns``: the PowerDNS Authoritative HTTP API (``/api/v1``, X-API-Key)."""

from __future__ import annotations

from pathlib import Path

from renewer.config.convert import CREDENTIAL_URL, SECRET, ca_bundle, plain, text
from renewer.config.domains import normalise_zone
from renewer.config.types.base import DnsAbout, SettingsType, setting, settings
from renewer.core.settings import ProviderSettings, SecretRef


@settings
class PowerDnsSettings(ProviderSettings):
    api_url: str = setting(
        like=CREDENTIAL_URL,
        description=(
            "Base URL of the PowerDNS webserver, for example http://127.0.0.1:8081 "
            "(the API lives under /api/v1)."
        ),
    )
    api_key: SecretRef = setting(like=SECRET, description="The server's api-key, as env:NAME.")
    server_id: str = setting(
        default="localhost",
        convert=plain(text),
        description="Server id in the API path (default localhost).",
    )
    zone: str | None = setting(
        default=None,
        convert=plain(normalise_zone),
        description="Zone to write (no zone listing); by longest suffix if omitted.",
    )
    ca_bundle: Path | None = setting(
        default=None, convert=ca_bundle, description="PEM file of CAs trusted for an https api_url."
    )


TYPE = SettingsType(
    "dns",
    "powerdns",
    "the PowerDNS Authoritative HTTP API",
    PowerDnsSettings,
    "renewer.dns.providers.powerdns:PowerDnsProvider",
    about=DnsAbout(
        serves="PowerDNS Authoritative HTTP API",
        credentials="`api_key: env:...`",
        writes_through="PowerDNS Authoritative HTTP API",
        safety="per-name lock + verify after write",
        tested_against="pdns_server 4.7 (gsqlite3)",
    ),
)
