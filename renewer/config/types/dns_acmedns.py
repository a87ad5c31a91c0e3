"""DNS type ``acme-dns``: one acme-dns registration (/update API), reached by a CNAME."""

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
class AcmeDnsSettings(ProviderSettings):
    api_url: str
    username: SecretRef
    password: SecretRef
    subdomain: str
    fulldomain: str
    ca_bundle: Path | None = None


def _secret(description: str) -> Field:
    return Field(
        convert=SECRET.convert,
        required=True,
        secret=True,
        accepts=SECRET.accepts,
        description=description,
    )


FIELDS = {
    "api_url": doc(
        CREDENTIAL_URL,
        "Base URL of the acme-dns API, for example https://auth.example.org.",
        required=True,
    ),
    "username": _secret("The registration's username (X-Api-User), as env:NAME."),
    "password": _secret("The registration's key (X-Api-Key), as env:NAME."),
    "subdomain": Field(
        convert=plain(text), required=True, description="The registration's subdomain."
    ),
    "fulldomain": Field(
        convert=plain(normalise_zone),
        required=True,
        description="The registration's fulldomain, the target of _acme-challenge CNAMEs.",
    ),
    "ca_bundle": Field(convert=ca_bundle, description="PEM file of CAs for api_url."),
}


def build(values: Mapping[str, Any], ctx: BuildContext) -> AcmeDnsSettings:
    return AcmeDnsSettings(
        values["api_url"],
        values["username"],
        values["password"],
        values["subdomain"],
        values["fulldomain"],
        values["ca_bundle"],
    )


TYPE = SettingsType("dns", "acme-dns", "an acme-dns registration (/update API)", FIELDS, build)
