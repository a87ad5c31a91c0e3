"""Azure DNS stand-in: the ARM record-set routes azure-mgmt-dns calls, over HTTPS.

A stand-in (tests/rig/README.md lists the others). Azure DNS has no emulator, so this
small in-process server plays Azure Resource Manager at the HTTP boundary; the real
``azure.mgmt.dns.DnsManagementClient`` (its pipeline, bearer-token policy,
serialisation, error parsing, paging) talks to it exactly as to Azure.

What it enforces, as Azure does (api-version 2018-05-01):
- ``Authorization: Bearer <token>`` with the configured token, else 401;
- a known ``api-version``, else 400 ``InvalidApiVersionParameter``;
- 404 ``SubscriptionNotFound`` / ``ResourceGroupNotFound`` / ``ResourceNotFound`` (zone)
  / ``NotFound`` (record set, flat body as the real service sends it);
- ETags: a new one on every write; ``If-Match`` that does not match (or names a
  set that does not exist) and ``If-None-Match: *`` on an existing set give 412
  ``PreconditionFailed``;
- 403 ``AuthorizationFailed`` on writes in ``read_only`` subscriptions (a Reader role);
- TXT bodies: ``properties.TTL`` an int, every string at most 255 characters;
- CAA record sets (``.../CAA/{name}``, ``properties.caaRecords``), checked and
  rendered by tests/rig/arm_caa.py, which cites the REST spec;
- at most 20 records per record set (Microsoft Learn, "Azure subscription and
  service limits", Azure DNS: "Records per record set in public DNS zones: 20");
  a PUT with more is 400 (code and text GUESS);
- zone listing is paged (``nextLink``) so clients must follow pages.

Every TXT and CAA change is published to a running ``Bind`` by a TSIG-signed RFC 2136
update (the whole RRset replaced atomically), so a CA validates real DNS.
``requests`` counts calls by (method, route, status) for assertions.
"""

from __future__ import annotations

import re
import secrets
import ssl
import threading
import uuid
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from http.server import ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import dns.name
import dns.query
import dns.rcode
import dns.update

from .arm_caa import Caa, CaaBodyError, CaaSet, caa_json, parse_caa_body
from .arm_keyvault import ArmKeyVaults
from .arm_records import ArmError, TxtSet, parse_txt_body, quote_txt, txt_json
from .arm_tls import TlsServer, json_handler
from .bind import Bind
from .procs import RigError
from .threaded import ThreadedServer
from .tls import TlsMaterial

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
API_VERSIONS = frozenset(
    {"2016-04-01", "2017-09-01", "2017-10-01", "2018-03-01-preview", "2018-05-01"}
)
_PREFIX = r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
_PREFIX += r"/providers/Microsoft\.Network/dnsZones"
ZONES_ROUTE = re.compile(_PREFIX + r"/?$", re.IGNORECASE)
RECORD_SET_ROUTE = re.compile(
    _PREFIX + r"/(?P<zone>[^/]+)/(?P<type>[^/]+)/(?P<name>[^/]+)$", re.IGNORECASE
)


class ArmDns(ThreadedServer[ThreadingHTTPServer]):
    """Threaded HTTPS ARM stand-in for Azure DNS on 127.0.0.1:<free port>.

    ``subscriptions`` maps subscription -> resource group -> zone names. Every zone
    must be served by ``bind`` (if given), which receives each TXT change.
    """

    def __init__(
        self,
        tls: TlsMaterial,
        *,
        bind: Bind | None = None,
        subscriptions: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
        read_only: Collection[str] = (),
        token: str | None = None,
        page_size: int = 1,
    ) -> None:
        self.tls = tls
        self.bind = bind
        self.subscriptions = {
            sub.lower(): {
                rg.lower(): [z.lower().rstrip(".") for z in zones] for rg, zones in rgs.items()
            }
            for sub, rgs in (subscriptions or {SUBSCRIPTION: {"dns": ["example.test"]}}).items()
        }
        self.read_only = {s.lower() for s in read_only}
        self.token = token or secrets.token_urlsafe(32)
        self.page_size = max(1, page_size)
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self.unauthorized = 0
        self._sets: dict[tuple[str, str, str, str], TxtSet] = {}
        self._caa_sets: dict[tuple[str, str, str, str], CaaSet] = {}
        self.keyvaults = ArmKeyVaults()
        self._lock = threading.Lock()
        if bind is not None:
            served = {z.rstrip(".") for z in bind.zone_names}
            missing = {
                z for rgs in self.subscriptions.values() for zs in rgs.values() for z in zs
            } - served
            if missing:
                raise RigError(f"ArmDns zones {sorted(missing)} are not served by the Bind")

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("ArmDns is not running")
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        """The ARM endpoint (``AzureSettings.arm_endpoint``)."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_bundle(self) -> str:
        """Root that signs the server certificate (``AzureSettings.ca_bundle``)."""
        return str(self.tls.root)

    def start(self) -> Self:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.tls.cert, self.tls.key)
        server = TlsServer(
            ("127.0.0.1", 0), json_handler(self.handle, "arm-dns-stand-in/1"), context
        )
        self._serve(server, "arm-dns", poll_interval=0.1)
        return self

    # -- inspection --------------------------------------------------------------------

    def count(
        self, method: str | None = None, route: str | None = None, status: int | None = None
    ) -> int:
        """Requests seen matching every given filter (route: 'zones' or 'recordset')."""
        return sum(
            n
            for (m, r, s), n in self.requests.items()
            if (method is None or m == method)
            and (route is None or r == route)
            and (status is None or s == status)
        )

    def txt(
        self, zone: str, name: str, *, subscription: str = SUBSCRIPTION, resource_group: str = "dns"
    ) -> list[str] | None:
        """Sorted TXT values of a stored record set, None if it does not exist."""
        key = (subscription.lower(), resource_group.lower(), zone.lower().rstrip("."), name.lower())
        with self._lock:
            found = self._sets.get(key)
            return found.values() if found else None

    def caa(
        self,
        zone: str,
        name: str = "@",
        *,
        subscription: str = SUBSCRIPTION,
        resource_group: str = "dns",
    ) -> CaaSet | None:
        """A stored CAA record set (records, TTL, ETag, metadata), None if it does not exist."""
        key = (subscription.lower(), resource_group.lower(), zone.lower().rstrip("."), name.lower())
        with self._lock:
            return self._caa_sets.get(key)

    def put_caa(
        self, zone: str, name: str, rdatas: Sequence[str], metadata: Mapping[str, str]
    ) -> None:
        """Seed a CAA set as another tool (or the portal) would have written it."""
        key = (SUBSCRIPTION, "dns", zone.lower().rstrip("."), name.lower())
        entry = CaaSet([Caa.parse(t) for t in rdatas], 3600, str(uuid.uuid4()), dict(metadata))
        with self._lock:
            self._publish(key[2], key[3], entry, "CAA")
            self._caa_sets[key] = entry

    # -- request handling (called from handler threads) --------------------------------

    def handle(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """Answer one request: (status, extra headers, JSON payload or None); counts it."""
        parts = urlsplit(raw_path)
        route = "unknown"
        if ZONES_ROUTE.match(parts.path):
            route = "zones"
        elif RECORD_SET_ROUTE.match(parts.path):
            route = "recordset"
        try:
            status, extra, payload = self._dispatch(method, parts.path, parts.query, headers, body)
        except ArmError as err:
            status, extra, payload = err.status, {}, err.body()
        with self._lock:
            self.requests[(method, route, status)] += 1
        return status, extra, payload

    def _dispatch(
        self, method: str, path: str, query_text: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        authorization = headers.get("authorization", "")
        if authorization != f"Bearer {self.token}":
            with self._lock:
                self.unauthorized += 1
            if not authorization:
                raise ArmError(
                    401,
                    "AuthenticationFailed",
                    "Authentication failed. The 'Authorization' header is missing.",
                )
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.")
        query = parse_qs(query_text)
        version = (query.get("api-version") or [""])[0]
        if self.keyvaults.handles(path):  # doctor's reads (tests/rig/arm_keyvault.py)
            if not version:
                raise ArmError(400, "MissingApiVersionParameter", "api-version is required.")
            answer = self.keyvaults.handle(path, version, list(self.subscriptions), self.read_only)
            if answer is not None:
                return answer[0], {}, answer[1]
        if version not in API_VERSIONS:
            raise ArmError(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{version}' is invalid for Microsoft.Network/dnszones.",
            )
        if match := ZONES_ROUTE.match(path):
            if method != "GET":
                raise ArmError(405, "MethodNotAllowed", f"{method} is not supported here.")
            skip = int((query.get("$skiptoken") or ["0"])[0])
            return 200, {}, self._list_zones(match["sub"], match["rg"], skip, version)
        if match := RECORD_SET_ROUTE.match(path):
            return self._record_set(method, match, headers, body)
        raise ArmError(404, "RouteNotImplemented", f"the stand-in has no route {path}")

    def _resource_group(self, sub: str, rg: str) -> list[str]:
        groups = self.subscriptions.get(sub.lower())
        if groups is None:
            raise ArmError(
                404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found."
            )
        zones = groups.get(rg.lower())
        if zones is None:
            raise ArmError(
                404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found."
            )
        return zones

    def _zone(self, sub: str, rg: str, zone: str) -> str:
        zone = zone.lower().rstrip(".")
        if zone not in self._resource_group(sub, rg):
            raise ArmError(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.Network/dnszones/{zone}' under resource group '{rg}' "
                "was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            )
        return zone

    def _list_zones(self, sub: str, rg: str, skip: int, version: str) -> dict[str, Any]:
        zones = self._resource_group(sub, rg)
        page = zones[skip : skip + self.page_size]
        with self._lock:
            counts = {
                z: sum(1 for k in self._sets if k[:3] == (sub.lower(), rg.lower(), z)) for z in page
            }
        body: dict[str, Any] = {
            "value": [
                {
                    "id": f"{_rg_id(sub, rg)}/providers/Microsoft.Network/dnszones/{z}",
                    "name": z,
                    "type": "Microsoft.Network/dnszones",
                    "etag": str(uuid.uuid5(uuid.NAMESPACE_DNS, z)),
                    "location": "global",
                    "tags": {},
                    "properties": {
                        "maxNumberOfRecordSets": 10000,
                        "maxNumberOfRecordsPerRecordSet": None,
                        "nameServers": [f"ns1.{z}."],
                        "numberOfRecordSets": 2 + counts[z],
                        "zoneType": "Public",
                    },
                }
                for z in page
            ]
        }
        if skip + self.page_size < len(zones):
            body["nextLink"] = (
                f"{self.endpoint}{_rg_id(sub, rg)}/providers/Microsoft.Network/dnsZones"
                f"?api-version={version}&$skiptoken={skip + self.page_size}"
            )
        return body

    def _record_set(
        self, method: str, match: re.Match[str], headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        sub, rg, name = match["sub"], match["rg"], match["name"].lower()
        kind = match["type"].upper()
        if kind not in ("TXT", "CAA"):
            raise ArmError(
                400, "UnsupportedRecordType", "the stand-in serves TXT and CAA sets only"
            )
        sets: dict[tuple[str, str, str, str], Any] = self._sets if kind == "TXT" else self._caa_sets
        if method not in ("GET", "PUT", "DELETE"):
            raise ArmError(405, "MethodNotAllowed", f"{method} is not supported here.")
        with self._lock:  # one writer at a time, as ARM serialises per resource
            zone = self._zone(sub, rg, match["zone"])
            key = (sub.lower(), rg.lower(), zone, name)
            current = sets.get(key)
            if method == "GET":
                if current is None:
                    raise ArmError(
                        404,
                        "NotFound",
                        f"The resource record '{name}' does not exist in resource group "
                        f"'{rg}' of subscription '{sub}'.",
                        flat=True,
                    )
                return 200, {"ETag": current.etag}, self._render(sub, rg, zone, name, current)
            if sub.lower() in self.read_only:
                raise ArmError(
                    403,
                    "AuthorizationFailed",
                    "The client 'renewer-test' with object id "
                    "'00000000-0000-0000-0000-0000000000aa' "
                    "does not have authorization to perform action "
                    f"'Microsoft.Network/dnszones/{kind}/{_verb(method)}' "
                    f"over scope '/subscriptions/{sub}/resourceGroups/{rg}/providers/"
                    f"Microsoft.Network/dnszones/{zone}/{kind}/{name}' or the scope is invalid. "
                    "If access was recently granted, please refresh your credentials.",
                )
            if_match = headers.get("if-match")
            if if_match is not None and (current is None or if_match.strip('"') != current.etag):
                raise ArmError(
                    412,
                    "PreconditionFailed",
                    f"The Record set {name} has been modified (etag mismatch).",
                )
            if method == "DELETE":
                if current is None:
                    return 204, {}, None
                self._publish(zone, name, None, kind)
                del sets[key]
                return 200, {}, None
            if headers.get("if-none-match") == "*" and current is not None:
                raise ArmError(412, "PreconditionFailed", f"The Record set {name} exists already.")
            updated: TxtSet | CaaSet
            if kind == "TXT":
                records, ttl, metadata = parse_txt_body(body)
                updated = TxtSet(records, ttl, str(uuid.uuid4()), metadata)
            else:
                try:
                    caa, ttl, metadata = parse_caa_body(body)
                except CaaBodyError as exc:
                    raise ArmError(400, "BadRequest", str(exc)) from None
                updated = CaaSet(caa, ttl, str(uuid.uuid4()), metadata)
            self._publish(zone, name, updated, kind)
            sets[key] = updated
            status = 200 if current is not None else 201
            return status, {"ETag": updated.etag}, self._render(sub, rg, zone, name, updated)

    def _render(self, sub: str, rg: str, zone: str, name: str, rs: TxtSet | CaaSet) -> Any:
        if isinstance(rs, CaaSet):
            return caa_json(_rg_id(sub, rg), zone, name, rs)
        return txt_json(_rg_id(sub, rg), zone, name, rs)

    def _publish(self, zone: str, name: str, rs: TxtSet | CaaSet | None, kind: str = "TXT") -> None:
        """Replace the RRset in BIND with what the stand-in now holds (caller has the lock)."""
        if self.bind is None:
            return
        owner = dns.name.from_text(zone if name == "@" else f"{name}.{zone}")
        update = dns.update.UpdateMessage(zone + ".", keyring=self.bind.keyring())
        if rs is None:
            update.delete(owner, kind)
        elif isinstance(rs, CaaSet):
            update.replace(owner, rs.ttl, "CAA", *(r.rdata() for r in rs.records))
        else:
            rdatas = [" ".join(quote_txt(s) for s in record) for record in rs.records]
            update.replace(owner, rs.ttl, "TXT", *rdatas)
        response = dns.query.tcp(update, self.bind.address, port=self.bind.port, timeout=5)
        if response.rcode() != dns.rcode.NOERROR:
            raise ArmError(
                500,
                "InternalServerError",
                f"publishing to BIND failed: {dns.rcode.to_text(response.rcode())}",
            )


def _verb(method: str) -> str:
    return "write" if method == "PUT" else "delete"


def _rg_id(sub: str, rg: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}"
