"""DNS type ``powerdns``: the PowerDNS Authoritative HTTP API (``/api/v1``, X-API-Key)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from renewer.config.convert import CREDENTIAL_URL, SECRET, Field, ca_bundle, doc, plain, text
from renewer.config.domains import normalise_zone
from renewer.config.types.base import BuildContext, SettingsType
from renewer.core.settings import ProviderSettings, SecretRef


@dataclass(frozen=True)
class PowerDnsSettings(ProviderSettings):
    api_url: str
    api_key: SecretRef
    server_id: str = "localhost"
    zone: str | None = None  # None: the longest zone the server lists
    ca_bundle: Path | None = None


FIELDS = {
    "api_url": doc(
        CREDENTIAL_URL,
        (
            "Base URL of the PowerDNS webserver, for example http://127.0.0.1:8081 "
            "(the API lives under /api/v1)."
        ),
        required=True,
    ),
    "api_key": Field(
        convert=SECRET.convert,
        required=True,
        secret=True,
        accepts=SECRET.accepts,
        description="The server's api-key, as env:NAME.",
    ),
    "server_id": Field(
        convert=plain(text),
        default="localhost",
        description="Server id in the API path (default localhost).",
    ),
    "zone": Field(
        convert=plain(normalise_zone),
        description="Zone to write (no zone listing); by longest suffix if omitted.",
    ),
    "ca_bundle": Field(
        convert=ca_bundle, description="PEM file of CAs trusted for an https api_url."
    ),
}


def build(values: Mapping[str, Any], ctx: BuildContext) -> PowerDnsSettings:
    return PowerDnsSettings(
        values["api_url"],
        values["api_key"],
        values["server_id"] or "localhost",
        values["zone"],
        values["ca_bundle"],
    )


TYPE = SettingsType("dns", "powerdns", "the PowerDNS Authoritative HTTP API", FIELDS, build)
