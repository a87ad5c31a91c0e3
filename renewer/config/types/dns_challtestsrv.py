"""DNS type ``challtestsrv``: Pebble's test DNS server, driven over its management API."""

from __future__ import annotations

from dataclasses import field

from renewer.config.convert import plain
from renewer.config.domains import check_url
from renewer.config.types.base import DnsAbout, SettingsType, setting, settings
from renewer.core.settings import PropagationSettings, ProviderSettings


@settings
class ChallTestSrvSettings(ProviderSettings):
    url: str = setting(
        convert=plain(lambda v: check_url(v, ("http", "https"))),
        description="Management URL of pebble-challtestsrv, for example http://127.0.0.1:8055.",
        pattern=r"^\s*https?://[^\s/?#]+",
    )
    # The section's propagation servers: where the provider reads a name back
    # before it clears it (see renewer.dns.providers.challtestsrv). Filled from the
    # section, not a key of this type; it names no record.
    propagation: PropagationSettings = field(
        default_factory=PropagationSettings, compare=False, metadata={"dns_identity": False}
    )


TYPE = SettingsType(
    "dns",
    "challtestsrv",
    "Pebble's test server",
    ChallTestSrvSettings,
    "renewer.dns.providers.challtestsrv:ChallTestSrvProvider",
    about=DnsAbout(
        serves="Pebble's test server (local demo only)",
        credentials="none",
        writes_through="Pebble's test server (local demo only)",
        safety="in-process reference counts",
        tested_against="challtestsrv",
    ),
)
