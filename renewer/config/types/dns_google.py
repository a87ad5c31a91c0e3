"""DNS type ``google``: Google Cloud DNS (REST v1) with Application Default Credentials."""

from __future__ import annotations

from typing import Any

from renewer.config.convert import CREDENTIAL_URL, Context, existing_file, plain, text
from renewer.config.types.base import DnsAbout, SettingsType, setting, settings
from renewer.core.settings import ProviderSettings


def _file(value: Any, ctx: Context) -> str:
    """An existing file, kept as text (the DNS journal's names were made with text)."""
    return str(existing_file(value, ctx))


@settings
class GoogleDnsSettings(ProviderSettings):
    project: str = setting(convert=plain(text), description="Project that holds the managed zones.")
    managed_zone: str | None = setting(
        default=None,
        convert=plain(text),
        description="Managed zone name (not its DNS name); by longest suffix if omitted.",
    )
    endpoint: str = setting(
        default="https://dns.googleapis.com",
        like=CREDENTIAL_URL,
        description="Another Cloud DNS endpoint (a test stand-in); Google's by default.",
    )
    credentials_file: str | None = setting(
        default=None,
        convert=_file,
        description=(
            "Credentials JSON (workload identity federation or service account); "
            "GOOGLE_APPLICATION_CREDENTIALS / ADC if omitted."
        ),
    )


TYPE = SettingsType(
    "dns",
    "google",
    "Google Cloud DNS (REST, ADC)",
    GoogleDnsSettings,
    "renewer.dns.providers.google:GoogleDnsProvider",
    about=DnsAbout(
        serves="Google Cloud DNS (REST, google-auth)",
        credentials="ADC: workload identity federation from GitHub OIDC",
        writes_through="Cloud DNS REST v1, google-auth (ADC)",
        safety="atomic change: deletion must match (412)",
        tested_against="API + token stand-in + BIND",
    ),
)
