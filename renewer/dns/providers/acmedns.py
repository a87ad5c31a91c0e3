"""acme-dns (github.com/joohoi/acme-dns): a DNS server that exists only for DNS-01.

Each name is delegated once, by hand: ``_acme-challenge.<domain> CNAME
<fulldomain>``, where ``fulldomain`` (``<subdomain>.<acme-dns zone>``) and the
username/key come from acme-dns's ``POST /register``. After that renewer
needs no access to the real zone at all: ``POST /update`` with
``X-Api-User``/``X-Api-Key`` and ``{"subdomain", "txt"}`` sets a value.

acme-dns keeps the two most recent values of a subdomain and has no delete:
an apex and its wildcard (two values behind one CNAME) fit; cleanup is a
no-op, the next update rotates old values out. One registration should serve
one certificate's names (at most two values at a time). renewer follows the
CNAME before writing, so ``present`` receives the target name and checks it
is this registration's ``fulldomain``; ``plan`` prints the CNAME each domain
needs (``delegations``).

Reference: the acme-dns README ("API": /register, /update; 401 forbidden,
400 bad_subdomain / bad_txt; TXT values are 43 characters).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import requests

from renewer.config.types.dns_acmedns import AcmeDnsSettings
from renewer.dns.contract import DnsError, DnsProvider, absolute
from renewer.dns.providers import httpretry

log = logging.getLogger(__name__)


def delegations(fulldomain: str, domains: Iterable[str]) -> list[str]:
    """The CNAME records acme-dns needs for ``domains`` (a wildcard shares its apex's)."""
    target = absolute(fulldomain)
    names = dict.fromkeys(f"_acme-challenge.{d.removeprefix('*.')}." for d in domains)
    return [f"{name} CNAME {target}" for name in names]


class AcmeDnsProvider(DnsProvider):
    """Sets TXT values through one acme-dns registration."""

    def __init__(self, settings: AcmeDnsSettings) -> None:
        self.api_url = settings.api_url.rstrip("/")
        self.username = settings.username
        self.password = settings.password
        self.subdomain = settings.subdomain
        self.fulldomain = absolute(settings.fulldomain)
        self._session = requests.Session()
        self._session.trust_env = False
        if settings.ca_bundle is not None:
            self._session.verify = str(settings.ca_bundle)

    def describe(self) -> str:
        return f"acme-dns {self.api_url}"

    def present(self, fqdn: str, value: str) -> None:
        name = absolute(fqdn)
        if name != self.fulldomain:
            raise DnsError(
                f"{self.describe()}: {name} is not this registration's {self.fulldomain}; "
                f"add the CNAME: {name} CNAME {self.fulldomain}"
            )
        headers = {"X-Api-User": self.username.resolve(), "X-Api-Key": self.password.resolve()}
        response = httpretry.send(
            self._session,
            "POST",
            f"{self.api_url}/update",
            what=f"{self.describe()}: updating {name}",
            json={"subdomain": self.subdomain, "txt": value},
            headers=headers,
        )
        if response.status_code == 200:
            return
        try:
            code = str(response.json().get("error", ""))
        except ValueError:
            code = ""
        if response.status_code == 401:
            raise DnsError(
                f"{self.describe()}: the username/key were refused (HTTP 401 {code}); set "
                "dns.username and dns.password to the env: variables of this registration "
                "(and check its allowfrom)"
            )
        raise DnsError(
            f"{self.describe()}: updating {name} failed: HTTP {response.status_code}"
            + (f" {code}" if code else ""),
            transient=response.status_code in httpretry.RETRY_STATUSES,
        )

    def cleanup(self, fqdn: str, value: str) -> None:
        # acme-dns has no delete: it keeps the two newest values and rotates the rest out.
        log.debug("%s: nothing to remove at %s (acme-dns rotates values)", self.describe(), fqdn)
