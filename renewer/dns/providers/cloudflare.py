"""Cloudflare DNS through the official ``cloudflare`` SDK and an API token.

Cloudflare keeps every TXT value as a record of its own, so single-value
add/remove is native: ``present`` creates one record (an identical one
already there, error 81058, counts as done) and ``cleanup`` deletes the
records whose content is our value, by id. Nothing else at the name is
read back or rewritten, so concurrent writers cannot lose each other's value.

The token needs Zone:Read (to find the zone by longest suffix) and DNS:Edit
on that zone only (docs/dns-providers.md). Cloudflare answers a missing
permission with 403 code 10000 "Authentication error", so the message names
both the token and the scopes. 429s and 5xx are retried by the SDK (which
honours Retry-After); an error left after its retries becomes a transient
DnsError.

Reference: developers.cloudflare.com/api (Zones: List Zones; DNS Records
for a Zone: List, Create, Delete) and the SDK's retry documentation.
"""

from __future__ import annotations

import threading
from typing import Any

import cloudflare
from cloudflare import Cloudflare

from renewer.config.types.dns_cloudflare import CloudflareSettings
from renewer.dns.contract import DnsError, DnsProvider, absolute, holding_zone

TTL = 60  # Cloudflare's minimum for non-Enterprise zones
MAX_RETRIES = 5
IDENTICAL_RECORD = 81058
SCOPES_HINT = "the token needs Zone:Read and DNS:Edit on the zone (see docs/dns-providers.md)"
MESSAGE_LIMIT = 200


def _bare(name: str) -> str:
    return absolute(name).rstrip(".")


def _content(record: Any) -> str:
    """A TXT record's value; Cloudflare may return it wrapped in quotes."""
    text = str(getattr(record, "content", "") or "")
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _codes(exc: cloudflare.APIStatusError) -> list[int]:
    body = exc.body if isinstance(exc.body, dict) else {}
    return [int(e.get("code", 0)) for e in body.get("errors", []) if isinstance(e, dict)]


class CloudflareProvider(DnsProvider):
    """Adds and removes single TXT records in the zones an API token can see."""

    def __init__(
        self,
        settings: CloudflareSettings,
        *,
        max_retries: int = MAX_RETRIES,
    ) -> None:
        self.api_token = settings.api_token
        self.zone = _bare(settings.zone) if settings.zone else None
        self.base_url = settings.base_url
        self.max_retries = max_retries
        self._client: Cloudflare | None = None
        self._zones: dict[str, str] | None = None  # name -> id
        self._lock = threading.Lock()

    def describe(self) -> str:
        return "cloudflare" + (f" {self.base_url}" if self.base_url else "")

    def client(self) -> Cloudflare:
        with self._lock:
            if self._client is None:
                options: dict[str, Any] = {}
                if self.base_url:
                    options["base_url"] = self.base_url
                self._client = Cloudflare(
                    api_token=self.api_token.resolve(), max_retries=self.max_retries, **options
                )
            return self._client

    # -- errors ---------------------------------------------------------------------

    def _error(self, exc: Exception, what: str, zone: str | None) -> DnsError:
        where = f" zone {zone}" if zone else ""
        if isinstance(exc, cloudflare.APIStatusError):
            status = exc.status_code
            if status in (401, 403):
                return DnsError(
                    f"{self.describe()}: {what}: refused{where} (HTTP {status}, "
                    f"codes {_codes(exc)}); check dns.api_token: {SCOPES_HINT}"
                )
            detail = str(exc.message).strip().splitlines()
            first = detail[0][:MESSAGE_LIMIT] if detail else ""
            return DnsError(
                f"{self.describe()}: {what} failed{where}: HTTP {status} {first}".rstrip(),
                transient=status == 429 or status >= 500,
            )
        return DnsError(
            f"{self.describe()}: {what} failed: cannot reach the API ({exc.__class__.__name__})",
            transient=True,
        )

    # -- zones ----------------------------------------------------------------------

    def zones(self) -> dict[str, str]:
        """Zone name -> id for every zone the token can read (all pages), listed once."""
        if self._zones is None:
            try:
                listed = {_bare(z.name): z.id for z in self.client().zones.list(per_page=50)}
            except cloudflare.APIError as exc:
                raise self._error(exc, "listing zones", None) from None
            self._zones = listed
        return self._zones

    def locate(self, fqdn: str) -> tuple[str, str]:
        """(zone name, zone id) of the longest zone holding ``fqdn``."""
        name = _bare(fqdn)
        zones = self.zones()
        zone = holding_zone(name, [self.zone] if self.zone else zones)
        if zone is not None and zone in zones:
            return zone, zones[zone]
        wanted = f"zone {self.zone}" if self.zone else f"a zone holding {name}"
        raise DnsError(
            f"{self.describe()}: the token sees no {wanted}; add the zone to the token's "
            "resources (Zone:Read) or delegate _acme-challenge by CNAME"
        )

    # -- the contract ---------------------------------------------------------------

    def _records(self, zone_id: str, name: str, zone: str) -> list[Any]:
        try:
            pages = self.client().dns.records.list(
                zone_id=zone_id, type="TXT", name={"exact": name}, per_page=100
            )
            return [r for r in pages if _bare(str(r.name)) == name]
        except cloudflare.APIError as exc:
            raise self._error(exc, f"reading TXT {name}", zone) from None

    def present(self, fqdn: str, value: str) -> None:
        name = _bare(fqdn)
        zone, zone_id = self.locate(name)
        try:
            self.client().dns.records.create(
                zone_id=zone_id,
                type="TXT",
                name=name,
                content=value,
                ttl=TTL,
                comment="renewer DNS-01",
            )
        except cloudflare.APIStatusError as exc:
            if IDENTICAL_RECORD in _codes(exc):
                return  # our value is there already (a retry, or our sibling wrote it)
            raise self._error(exc, f"adding TXT at {name}.", zone) from None
        except cloudflare.APIError as exc:
            raise self._error(exc, f"adding TXT at {name}.", zone) from None

    def cleanup(self, fqdn: str, value: str) -> None:
        name = _bare(fqdn)
        zone, zone_id = self.locate(name)
        for record in self._records(zone_id, name, zone):
            if _content(record) != value:
                continue  # someone else's value: not ours to remove
            try:
                self.client().dns.records.delete(str(record.id), zone_id=zone_id)
            except cloudflare.NotFoundError:
                continue  # removed meanwhile
            except cloudflare.APIError as exc:
                raise self._error(exc, f"removing TXT at {name}.", zone) from None
