"""Where a certificate is served: the endpoints ``renewer verify`` connects to.

A type of its own, next to the models, so CertificateSpec can carry the
endpoints without the core depending on the config layer that parses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

DEFAULT_PORT = 443
DEFAULT_GRACE = timedelta(hours=26)
"""Longer than the slowest Azure consumer (Front Door, App Service: within 24 h)."""


@dataclass(frozen=True)
class EndpointSpec:
    """One TLS endpoint: a host name or IP literal, a port, and the SNI name to send.

    ``host`` is kept as written (lower-cased, IPv6 unbracketed); names are
    resolved at probe time so every address behind a name is checked.
    """

    host: str
    port: int = DEFAULT_PORT
    sni: str = ""

    @property
    def address(self) -> str:
        """``host:port`` with IPv6 literals bracketed, for messages and reports."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.address} (SNI {self.sni})" if self.sni else self.address
