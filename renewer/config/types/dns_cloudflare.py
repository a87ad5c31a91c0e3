"""DNS type ``cloudflare``: Cloudflare DNS through the official SDK and an API token."""

from __future__ import annotations

from renewer.config.convert import CREDENTIAL_URL, SECRET, plain
from renewer.config.domains import normalise_zone
from renewer.config.types.base import DnsAbout, SettingsType, setting, settings
from renewer.core.settings import ProviderSettings, SecretRef


@settings
class CloudflareSettings(ProviderSettings):
    api_token: SecretRef = setting(
        like=SECRET, description="API token with Zone:Read and DNS:Edit on the zone, as env:NAME."
    )
    zone: str | None = setting(
        default=None,
        convert=plain(normalise_zone),
        description="Zone to write; the longest zone the token can read if omitted.",
    )
    base_url: str | None = setting(
        default=None,
        like=CREDENTIAL_URL,
        description="Another API base URL (a test stand-in); Cloudflare's by default.",
    )


TYPE = SettingsType(
    "dns",
    "cloudflare",
    "Cloudflare DNS (API token)",
    CloudflareSettings,
    "renewer.dns.providers.cloudflare:CloudflareProvider",
    about=DnsAbout(
        serves="Cloudflare (official SDK)",
        credentials="API token with Zone:Read + DNS:Edit, `env:`",
        writes_through="the official `cloudflare` SDK, API token",
        safety="one record per value, delete by id",
        tested_against="API stand-in + BIND",
    ),
)
