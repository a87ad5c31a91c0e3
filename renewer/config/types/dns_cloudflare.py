"""DNS type ``cloudflare``: Cloudflare DNS through the official SDK and an API token."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from renewer.config.convert import CREDENTIAL_URL, SECRET, Field, doc, plain
from renewer.config.domains import normalise_zone
from renewer.config.types.base import BuildContext, SettingsType
from renewer.core.settings import ProviderSettings, SecretRef


@dataclass(frozen=True)
class CloudflareSettings(ProviderSettings):
    api_token: SecretRef
    zone: str | None = None  # None: the longest zone the token can read
    base_url: str | None = None


FIELDS = {
    "api_token": Field(
        convert=SECRET.convert,
        required=True,
        secret=True,
        accepts=SECRET.accepts,
        description="API token with Zone:Read and DNS:Edit on the zone, as env:NAME.",
    ),
    "zone": Field(
        convert=plain(normalise_zone),
        description="Zone to write; the longest zone the token can read if omitted.",
    ),
    "base_url": doc(
        CREDENTIAL_URL,
        "Another API base URL (a test stand-in); Cloudflare's by default.",
    ),
}


def build(values: Mapping[str, Any], ctx: BuildContext) -> CloudflareSettings:
    return CloudflareSettings(values["api_token"], values["zone"], values["base_url"])


TYPE = SettingsType("dns", "cloudflare", "Cloudflare DNS (API token)", FIELDS, build)
