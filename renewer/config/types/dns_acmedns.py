"""DNS type ``acme-dns``: one acme-dns registration (/update API), reached by a CNAME."""

from __future__ import annotations

from pathlib import Path

from renewer.config.convert import CREDENTIAL_URL, SECRET, ca_bundle, plain, text
from renewer.config.domains import normalise_zone
from renewer.config.types.base import DnsAbout, SettingsType, setting, settings
from renewer.core.settings import ProviderSettings, SecretRef


@settings
class AcmeDnsSettings(ProviderSettings):
    api_url: str = setting(
        like=CREDENTIAL_URL,
        description="Base URL of the acme-dns API, for example https://auth.example.org.",
    )
    username: SecretRef = setting(
        like=SECRET, description="The registration's username (X-Api-User), as env:NAME."
    )
    password: SecretRef = setting(
        like=SECRET, description="The registration's key (X-Api-Key), as env:NAME."
    )
    subdomain: str = setting(convert=plain(text), description="The registration's subdomain.")
    fulldomain: str = setting(
        convert=plain(normalise_zone),
        description="The registration's fulldomain, the target of _acme-challenge CNAMEs.",
    )
    ca_bundle: Path | None = setting(
        default=None, convert=ca_bundle, description="PEM file of CAs for api_url."
    )


TYPE = SettingsType(
    "dns",
    "acme-dns",
    "an acme-dns registration (/update API)",
    AcmeDnsSettings,
    "renewer.dns.providers.acmedns:AcmeDnsProvider",
    about=DnsAbout(
        serves="an acme-dns server, reached by CNAME",
        credentials="registration username/key, `env:`",
        writes_through="the acme-dns `/update` API",
        safety="dedicated name, two rolling values",
        tested_against="API stand-in + BIND",
    ),
)
