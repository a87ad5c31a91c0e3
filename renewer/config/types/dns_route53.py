"""DNS type ``route53``: Amazon Route 53 through boto3 and the standard AWS credential chain."""

from __future__ import annotations

from pathlib import Path

from renewer.config.convert import CREDENTIAL_URL, NUMBER, SECONDS, ca_bundle, plain, text
from renewer.config.types.base import DnsAbout, SettingsType, setting, settings
from renewer.core.settings import ProviderSettings


def _zone_id(value: str) -> str:
    zone_id = text(value).split("/")[-1]
    if not zone_id.isalnum():
        raise ValueError(f"{zone_id[:40]!r} is not a hosted zone id (like Z0123456789ABC)")
    return zone_id


@settings
class Route53Settings(ProviderSettings):
    hosted_zone_id: str | None = setting(
        default=None,
        convert=plain(_zone_id),
        description="Hosted zone to write (Z...); found by longest suffix if omitted.",
    )
    region: str = setting(
        default="us-east-1", convert=plain(text), description="AWS region for the client."
    )
    endpoint_url: str | None = setting(
        default=None,
        like=CREDENTIAL_URL,
        description="Another Route 53 endpoint (an emulator such as moto); AWS's by default.",
    )
    ca_bundle: Path | None = setting(
        default=None, convert=ca_bundle, description="PEM file of CAs for endpoint_url."
    )
    insync_timeout: float = setting(
        default=120.0,
        convert=SECONDS,
        accepts=NUMBER,
        description="How long to wait for a change to be INSYNC (default 120s).",
        schema={"$ref": "#/$defs/duration"},
    )


TYPE = SettingsType(
    "dns",
    "route53",
    "Amazon Route 53 (boto3)",
    Route53Settings,
    "renewer.dns.providers.route53:Route53Provider",
    about=DnsAbout(
        serves="Amazon Route 53 (boto3)",
        credentials="standard AWS chain (GitHub OIDC → AssumeRoleWithWebIdentity)",
        writes_through="boto3, standard AWS credential chain",
        safety="per-name lock + verify after write",
        tested_against="moto server + BIND",
    ),
)
