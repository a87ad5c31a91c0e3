"""DNS type ``route53``: Amazon Route 53 through boto3 and the standard AWS credential chain."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from renewer.config.convert import (
    CREDENTIAL_URL,
    NUMBER,
    SECONDS,
    Field,
    ca_bundle,
    doc,
    plain,
    text,
)
from renewer.config.types.base import BuildContext, SettingsType
from renewer.core.settings import ProviderSettings


@dataclass(frozen=True)
class Route53Settings(ProviderSettings):
    hosted_zone_id: str | None = None  # None: the longest public zone by name
    region: str = "us-east-1"
    endpoint_url: str | None = None
    ca_bundle: Path | None = None
    insync_timeout: float = 120.0


def _zone_id(value: str) -> str:
    zone_id = text(value).split("/")[-1]
    if not zone_id.isalnum():
        raise ValueError(f"{zone_id[:40]!r} is not a hosted zone id (like Z0123456789ABC)")
    return zone_id


FIELDS = {
    "hosted_zone_id": Field(
        convert=plain(_zone_id),
        description="Hosted zone to write (Z...); found by longest suffix if omitted.",
    ),
    "region": Field(
        convert=plain(text), default="us-east-1", description="AWS region for the client."
    ),
    "endpoint_url": doc(
        CREDENTIAL_URL,
        "Another Route 53 endpoint (an emulator such as moto); AWS's by default.",
    ),
    "ca_bundle": Field(convert=ca_bundle, description="PEM file of CAs for endpoint_url."),
    "insync_timeout": Field(
        convert=SECONDS,
        accepts=NUMBER,
        default=120.0,
        description="How long to wait for a change to be INSYNC (default 120s).",
        schema={"$ref": "#/$defs/duration"},
    ),
}


def build(values: Mapping[str, Any], ctx: BuildContext) -> Route53Settings:
    return Route53Settings(
        values["hosted_zone_id"],
        values["region"] or "us-east-1",
        values["endpoint_url"],
        values["ca_bundle"],
        float(values["insync_timeout"] or 120.0),
    )


TYPE = SettingsType("dns", "route53", "Amazon Route 53 (boto3)", FIELDS, build)
