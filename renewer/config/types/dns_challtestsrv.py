"""DNS type ``challtestsrv``: Pebble's test DNS server, driven over its management API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from renewer.config.convert import Field, plain
from renewer.config.domains import check_url
from renewer.config.types.base import BuildContext, SettingsType
from renewer.core.settings import ProviderSettings


@dataclass(frozen=True)
class ChallTestSrvSettings(ProviderSettings):
    url: str


FIELDS = {
    "url": Field(
        convert=plain(lambda v: check_url(v, ("http", "https"))),
        required=True,
        description="Management URL of pebble-challtestsrv, for example http://127.0.0.1:8055.",
        pattern=r"^\s*https?://[^\s/?#]+",
    ),
}


def build(values: Mapping[str, Any], ctx: BuildContext) -> ChallTestSrvSettings:
    return ChallTestSrvSettings(values["url"])


TYPE = SettingsType("dns", "challtestsrv", "Pebble's test server", FIELDS, build)
