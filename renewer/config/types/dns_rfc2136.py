"""DNS type ``rfc2136``: dynamic updates (BIND, Knot, PowerDNS), optionally TSIG-signed."""

from __future__ import annotations

from typing import Literal, get_args

from renewer.config.convert import SECRET, base64_secret, plain
from renewer.config.domains import normalise_zone, parse_host_port
from renewer.config.types.base import DnsAbout, SettingsType, setting, settings
from renewer.core.settings import ProviderSettings, SecretRef

TsigAlgorithm = Literal["hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha1"]
ALGORITHMS: tuple[TsigAlgorithm, ...] = get_args(TsigAlgorithm)


@settings
class TsigSettings:
    """A TSIG key (the attributes' order is the journal's: its names depend on it)."""

    name: str = setting(
        convert=plain(normalise_zone), description="Key name as configured on the server."
    )
    secret: SecretRef = setting(
        like=SECRET,
        convert=base64_secret(urlsafe=False),
        description="Base64 key secret, as env:NAME.",
    )
    algorithm: TsigAlgorithm = setting(
        default="hmac-sha256", enum=ALGORITHMS, description="HMAC algorithm (default hmac-sha256)."
    )


@settings
class Rfc2136Settings(ProviderSettings):
    nameserver: str = setting(  # "host:port", IPv6 bracketed
        convert=plain(parse_host_port),
        description=(
            "Primary server that accepts updates, as host or host:port (port 53 by default)."
        ),
    )
    tsig: TsigSettings | None = setting(
        default=None,
        shape="section",
        section="tsig",
        secret=True,
        description="TSIG key for signing updates.",
    )
    zone: str | None = setting(
        default=None,
        convert=plain(normalise_zone),
        description="Zone to update (absolute or relative name); found from the SOA if omitted.",
    )


TYPE = SettingsType(
    "dns",
    "rfc2136",
    "dynamic updates (BIND, Knot, PowerDNS)",
    Rfc2136Settings,
    "renewer.dns.providers.rfc2136:Rfc2136Provider",
    sections={"tsig": TsigSettings},
    section_descriptions={"tsig": "A TSIG key; the secret must be an env:NAME reference."},
    about=DnsAbout(
        serves="BIND, Knot, PowerDNS, Windows DNS (dynamic updates)",
        credentials="TSIG key, `env:`",
        writes_through="RFC 2136 dynamic updates, TSIG",
        safety="the protocol adds/deletes one RR",
        tested_against="BIND",
    ),
)
