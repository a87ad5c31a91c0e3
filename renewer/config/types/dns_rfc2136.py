"""DNS type ``rfc2136``: dynamic updates (BIND, Knot, PowerDNS), optionally TSIG-signed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from renewer.config.convert import SECRET, Field, base64_secret, plain
from renewer.config.domains import normalise_zone, parse_host_port
from renewer.config.types.base import BuildContext, SettingsType
from renewer.core.settings import ProviderSettings, SecretRef

TsigAlgorithm = Literal["hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha1"]
ALGORITHMS: tuple[TsigAlgorithm, ...] = ("hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha1")


@dataclass(frozen=True)
class TsigSettings:
    """A TSIG key (field order as in the ``tsig`` table: the journal's names depend on it)."""

    name: str
    secret: SecretRef
    algorithm: TsigAlgorithm = "hmac-sha256"


@dataclass(frozen=True)
class Rfc2136Settings(ProviderSettings):
    nameserver: str  # "host:port", IPv6 bracketed
    tsig: TsigSettings | None = None
    zone: str | None = None  # None: found from the SOA


FIELDS = {
    "nameserver": Field(
        convert=plain(parse_host_port),
        required=True,
        description=(
            "Primary server that accepts updates, as host or host:port (port 53 by default)."
        ),
    ),
    "tsig": Field(
        "section", section="tsig", secret=True, description="TSIG key for signing updates."
    ),
    "zone": Field(
        convert=plain(normalise_zone),
        description="Zone to update (absolute or relative name); found from the SOA if omitted.",
    ),
}
TSIG = {
    "name": Field(
        convert=plain(normalise_zone),
        required=True,
        description="Key name as configured on the server.",
    ),
    "secret": Field(
        convert=base64_secret(urlsafe=False),
        required=True,
        secret=True,
        accepts=SECRET.accepts,
        description="Base64 key secret, as env:NAME.",
    ),
    "algorithm": Field(
        enum=ALGORITHMS, default="hmac-sha256", description="HMAC algorithm (default hmac-sha256)."
    ),
}


def build(values: Mapping[str, Any], ctx: BuildContext) -> Rfc2136Settings:
    tsig = values["tsig"]
    return Rfc2136Settings(
        values["nameserver"], TsigSettings(**tsig) if tsig else None, values["zone"]
    )


TYPE = SettingsType(
    "dns",
    "rfc2136",
    "dynamic updates (BIND, Knot, PowerDNS)",
    FIELDS,
    build,
    sections={"tsig": TSIG},
    section_descriptions={"tsig": "A TSIG key; the secret must be an env:NAME reference."},
)
