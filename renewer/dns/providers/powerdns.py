"""PowerDNS Authoritative through its HTTP API (``/api/v1``, ``X-API-Key``).

The API changes a whole RRset at a time: ``PATCH /servers/{id}/zones/{zone}``
with ``changetype: REPLACE`` and the complete record list, or ``DELETE``.
(PowerDNS 5 adds EXTEND/PRUNE for single records; Debian 12 ships 4.7, which
answers 422 "Changetype not understood", so REPLACE is what works everywhere.)
PowerDNS has no ETag or If-Match either, so adding our value means reading
the set, appending, and replacing it: ``valueset.change_value`` serialises
writers of one name within this process and re-reads after every write to
verify the change held. Two processes writing one name at the same instant
can still lose a value between one's read and the other's write; the
verification and the propagation check before the CA is asked narrow that to
a failed validation that the next run repeats, never a foreign value lost for
good (we only ever write back what we read plus or minus our own value).

Reference: https://doc.powerdns.com/authoritative/http-api/zone.html (PATCH
rrsets, 204 on success, 422 ``{"error": ...}`` on bad data, 404 unknown zone,
401 wrong key); the ``rrset_name``/``rrset_type`` query filters of GET zone.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote

import requests

from renewer.config.types.dns_powerdns import PowerDnsSettings
from renewer.dns.contract import DnsError, DnsProvider, absolute, holding_zone
from renewer.dns.providers import httpretry
from renewer.dns.providers.txt import quote_txt, unquote_txt
from renewer.dns.providers.valueset import change_value

TTL = 60
MESSAGE_LIMIT = 200


class PowerDnsProvider(DnsProvider):
    """Adds and removes single TXT values in the zones of one PowerDNS server."""

    def __init__(
        self,
        settings: PowerDnsSettings,
    ) -> None:
        self.api_url = settings.api_url.rstrip("/")
        self.api_key = settings.api_key
        self.server_id = settings.server_id
        self.zone = absolute(settings.zone) if settings.zone else None
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy from the environment sees the key
        if settings.ca_bundle is not None:
            self._session.verify = str(settings.ca_bundle)
        self._zones: dict[str, str] | None = None  # zone name -> API id
        self._zones_lock = threading.Lock()

    def describe(self) -> str:
        return f"powerdns {self.api_url}"

    # -- HTTP -------------------------------------------------------------------------

    def _base(self) -> str:
        return f"{self.api_url}/api/v1/servers/{quote(self.server_id, safe='')}"

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> requests.Response:
        headers = {"X-API-Key": self.api_key.resolve(), "Accept": "application/json"}
        return httpretry.send(
            self._session,
            method,
            self._base() + path,
            what=f"{self.describe()}: {what}",
            headers=headers,
            **kwargs,
        )

    def _error(self, response: requests.Response, what: str, zone: str | None) -> DnsError:
        status = response.status_code
        if status == 401:
            return DnsError(
                f"{self.describe()}: {what}: the API rejected the key (HTTP 401); "
                f"set dns.api_key to the env: variable holding the server's api-key"
            )
        if status == 403:
            return DnsError(
                f"{self.describe()}: {what}: permission refused (HTTP 403); allow this "
                "client in the server's webserver-allow-from and api settings"
            )
        if status == 404 and zone is not None:
            return DnsError(
                f"{self.describe()}: zone {zone} not found on server {self.server_id}; "
                "create it or fix dns.zone"
            )
        try:
            detail = str(response.json().get("error", ""))
        except ValueError:
            detail = response.text
        detail = detail.strip().splitlines()[0][:MESSAGE_LIMIT] if detail.strip() else ""
        return DnsError(
            f"{self.describe()}: {what} failed: HTTP {status}" + (f": {detail}" if detail else ""),
            transient=status in httpretry.RETRY_STATUSES,
        )

    # -- zones ------------------------------------------------------------------------

    def zones(self) -> dict[str, str]:
        """Zone name -> API id, listed once per provider."""
        with self._zones_lock:
            if self._zones is None:
                response = self._call("GET", "/zones", "listing zones")
                if response.status_code != 200:
                    raise self._error(response, "listing zones", None)
                self._zones = {
                    absolute(str(z["name"])): str(z.get("id") or z["name"]) for z in response.json()
                }
            return self._zones

    def locate(self, fqdn: str) -> tuple[str, str]:
        """(zone name, API id) of the longest zone holding ``fqdn``."""
        name = absolute(fqdn)
        if self.zone is not None:
            return self.zone, self.zone
        zones = self.zones()
        zone = holding_zone(name, zones)
        if zone is not None:
            return zone, zones[zone]
        raise DnsError(
            f"{self.describe()}: no zone on server {self.server_id} holds {name}; "
            "create the zone or delegate _acme-challenge by CNAME to one it has"
        )

    # -- the contract -----------------------------------------------------------------

    def present(self, fqdn: str, value: str) -> None:
        self._change(fqdn, value, adding=True)

    def cleanup(self, fqdn: str, value: str) -> None:
        self._change(fqdn, value, adding=False)

    def _change(self, fqdn: str, value: str, *, adding: bool) -> None:
        name = absolute(fqdn)
        zone, zone_id = self.locate(name)
        path = f"/zones/{quote(zone_id, safe='.=')}"
        seen: dict[str, dict[str, Any]] = {}  # value -> the record as read (kept verbatim)
        ttl = [TTL]

        def read() -> list[str]:
            what = f"reading TXT {name}"
            params = {"rrset_name": name, "rrset_type": "TXT"}
            response = self._call("GET", path, what, params=params)
            if response.status_code != 200:
                raise self._error(response, what, zone)
            seen.clear()
            for rrset in response.json().get("rrsets", []):
                if absolute(str(rrset.get("name", ""))) == name and rrset.get("type") == "TXT":
                    ttl[0] = int(rrset.get("ttl") or TTL)
                    for record in rrset.get("records", []):
                        seen.setdefault(unquote_txt(str(record["content"])), record)
            return list(seen)

        def write(values: list[str]) -> None:
            what = f"{'adding' if adding else 'removing'} TXT at {name}"
            rrset: dict[str, Any] = {"name": name, "type": "TXT"}
            if values:
                records = [
                    seen.get(v) or {"content": quote_txt(v), "disabled": False} for v in values
                ]
                rrset |= {"changetype": "REPLACE", "ttl": ttl[0], "records": records}
            else:
                rrset["changetype"] = "DELETE"
            response = self._call("PATCH", path, what, json={"rrsets": [rrset]})
            if response.status_code not in (200, 204):
                raise self._error(response, what, zone)

        change_value(
            f"{self.api_url}|{self.server_id}|{name}",
            value,
            adding=adding,
            read=read,
            write=write,
            what=f"{self.describe()}: TXT at {name}",
        )
