"""DNS type ``google``: Google Cloud DNS (REST v1) with Application Default Credentials."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from renewer.config.convert import CREDENTIAL_URL, Field, doc, existing_file, plain, text
from renewer.config.types.base import BuildContext, SettingsType
from renewer.core.settings import ProviderSettings


@dataclass(frozen=True)
class GoogleDnsSettings(ProviderSettings):
    project: str
    managed_zone: str | None = None  # None: the longest public zone by dnsName
    endpoint: str = "https://dns.googleapis.com"
    credentials_file: str | None = None  # None: Application Default Credentials


FIELDS = {
    "project": Field(
        convert=plain(text), required=True, description="Project that holds the managed zones."
    ),
    "managed_zone": Field(
        convert=plain(text),
        description="Managed zone name (not its DNS name); by longest suffix if omitted.",
    ),
    "endpoint": doc(
        CREDENTIAL_URL,
        "Another Cloud DNS endpoint (a test stand-in); Google's by default.",
        default="https://dns.googleapis.com",
    ),
    "credentials_file": Field(
        convert=existing_file,
        description=(
            "Credentials JSON (workload identity federation or service account); "
            "GOOGLE_APPLICATION_CREDENTIALS / ADC if omitted."
        ),
    ),
}


def build(values: Mapping[str, Any], ctx: BuildContext) -> GoogleDnsSettings:
    file = values["credentials_file"]
    return GoogleDnsSettings(
        values["project"],
        values["managed_zone"],
        values["endpoint"] or "https://dns.googleapis.com",
        str(file) if file else None,
    )


TYPE = SettingsType("dns", "google", "Google Cloud DNS (REST, ADC)", FIELDS, build)
