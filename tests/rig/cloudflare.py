"""A Cloudflare API v4 stand-in (zones and DNS records) for the official ``cloudflare`` SDK.

Why a stand-in: Cloudflare has no emulator. This one is kept to what the
provider uses, modelled from the API reference (developers.cloudflare.com/api,
"Zones: List Zones", "DNS Records for a Zone": list/create/delete) and the
API's documented conventions:

* every answer is the envelope ``{"success", "errors": [{"code", "message"}],
  "messages", "result"}``; lists add ``result_info`` {page, per_page, count,
  total_count, total_pages} and page with ``page``/``per_page``;
* ``Authorization: Bearer <token>``; an unknown token answers 403 code 10000
  "Authentication error" (a token without DNS:Edit on a zone gets the same on
  writes: Cloudflare does not say which permission is missing);
* each TXT value is its own record with its own id; creating an identical
  record answers 400 code 81058 "An identical record already exists.";
* rate limiting ("API rate limits": 1200 requests / 5 minutes) answers 429
  with ``Retry-After``; here it is injected on demand (``throttle``).

Each record change is published to ``bind`` (RFC 2136, TSIG) so Pebble
resolves what the stand-in holds, as tests/rig/arm.py does for Azure DNS.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dns.query
import dns.rcode
import dns.update

from .bind import Bind
from .procs import RigError
from .threaded import ThreadedServer

PREFIX = "/client/v4"


@dataclass
class _State:
    zones: dict[str, str]  # zone id -> name (no trailing dot)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> record
    throttled: int = 0  # answer this many next requests with 429
    retry_after: str = "1"
    log: list[tuple[str, str, int]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # monotonic time of each logged request
    lock: threading.Lock = field(default_factory=threading.Lock)


def _envelope(result: Any, status: int = 200, **extra: Any) -> tuple[int, dict[str, Any]]:
    return status, {"success": True, "errors": [], "messages": [], "result": result, **extra}


def _failure(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    body = {"success": False, "errors": [{"code": code, "message": message}], "messages": []}
    return status, {**body, "result": None}


def _page(items: list[Any], query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
    page = int(query.get("page", ["1"])[0])
    per_page = int(query.get("per_page", ["20"])[0])
    chunk = items[(page - 1) * per_page : page * per_page]
    info = {
        "page": page,
        "per_page": per_page,
        "count": len(chunk),
        "total_count": len(items),
        "total_pages": max(1, -(-len(items) // per_page)),
    }
    return _envelope(chunk, result_info=info)


class CloudflareStandIn(ThreadedServer[ThreadingHTTPServer]):
    """HTTP on 127.0.0.1; ``base_url`` for the SDK, ``token`` (DNS:Edit) and ``read_token``."""

    def __init__(self, bind: Bind | None, zones: tuple[str, ...] = ("example.test",)) -> None:
        self.bind = bind
        self.token = secrets.token_urlsafe(24)
        self.read_token = secrets.token_urlsafe(24)  # Zone:Read only
        self.state = _State({uuid.uuid4().hex: z.rstrip(".") for z in zones})
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    def throttle(self, count: int, retry_after: str = "1") -> None:
        with self.state.lock:
            self.state.throttled, self.state.retry_after = count, retry_after

    def count(self, method: str, status: int | None = None) -> int:
        with self.state.lock:
            return sum(1 for m, _, s in self.state.log if m == method and status in (None, s))

    def txt(self, name: str) -> list[str]:
        name = name.rstrip(".")
        with self.state.lock:
            return sorted(r["content"] for r in self.state.records.values() if r["name"] == name)

    def add_foreign(self, name: str, value: str) -> None:
        zone_id = self._zone_of(name.rstrip("."))
        with self.state.lock:
            self._create(zone_id, {"type": "TXT", "name": name.rstrip("."), "content": value})

    # -- request handling ----------------------------------------------------------------

    def _zone_of(self, name: str) -> str:
        matches = [i for i, z in self.state.zones.items() if name == z or name.endswith("." + z)]
        if not matches:
            raise RigError(f"no stand-in zone holds {name}")
        return max(matches, key=lambda i: len(self.state.zones[i]))

    def handle(
        self, method: str, path: str, headers: Any, body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        state = self.state
        with state.lock:
            if state.throttled > 0:
                state.throttled -= 1
                status, answer = _failure(
                    429, 971, "Please wait and consider throttling your request speed"
                )
                state.log.append((method, path, status))
                state.times.append(time.monotonic())
                return status, answer, {"Retry-After": state.retry_after}
            status, answer = self._dispatch(method, path, headers, body)
            state.log.append((method, path, status))
            state.times.append(time.monotonic())
            return status, answer, {}

    def _dispatch(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
        auth = headers.get("Authorization", "")
        if auth not in (f"Bearer {self.token}", f"Bearer {self.read_token}"):
            return _failure(403, 10000, "Authentication error")
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        segments = parts.path.removeprefix(PREFIX).strip("/").split("/")
        if segments == ["zones"] and method == "GET":
            names = query.get("name")
            zones = [
                {"id": i, "name": z, "status": "active"}
                for i, z in sorted(self.state.zones.items(), key=lambda kv: kv[1])
                if not names or z == names[0]
            ]
            return _page(zones, query)
        if len(segments) >= 3 and segments[0] == "zones" and segments[2] == "dns_records":
            zone_id = segments[1]
            if zone_id not in self.state.zones:
                return _failure(
                    404,
                    7003,
                    "Could not route to /zones/..., perhaps your object identifier is invalid?",
                )
            writing = method in ("POST", "DELETE", "PUT", "PATCH")
            if writing and auth == f"Bearer {self.read_token}":
                return _failure(403, 10000, "Authentication error")
            if len(segments) == 3 and method == "GET":
                records = [
                    r
                    for r in self.state.records.values()
                    if r["zone_id"] == zone_id
                    and r["type"] in query.get("type", [r["type"]])
                    and r["name"] in query.get("name.exact", query.get("name", [r["name"]]))
                ]
                return _page(sorted(records, key=lambda r: r["id"]), query)
            if len(segments) == 3 and method == "POST":
                return self._create(zone_id, json.loads(body or b"{}"))
            if len(segments) == 4 and method == "DELETE":
                record = self.state.records.get(segments[3])
                if record is None or record["zone_id"] != zone_id:
                    return _failure(404, 81044, "Record does not exist.")
                del self.state.records[segments[3]]
                self._publish(record["name"])
                return _envelope({"id": segments[3]})
        return _failure(404, 7000, "No route for that URI")

    def _create(self, zone_id: str, data: dict[str, Any]) -> tuple[int, Any]:
        name = str(data.get("name", "")).rstrip(".").lower()
        if data.get("type") != "TXT" or not name or "content" not in data:
            return _failure(400, 9005, "Content for TXT record is invalid.")
        for r in self.state.records.values():
            if (r["name"], r["type"], r["content"]) == (name, "TXT", data["content"]):
                return _failure(400, 81058, "An identical record already exists.")
        record = {
            "id": uuid.uuid4().hex,
            "zone_id": zone_id,
            "zone_name": self.state.zones[zone_id],
            "name": name,
            "type": "TXT",
            "content": data["content"],
            "ttl": int(data.get("ttl", 1)),
            "proxiable": False,
            "proxied": False,
            "meta": {},
            "comment": data.get("comment"),
            "tags": [],
            "created_on": "2026-01-01T00:00:00Z",
            "modified_on": "2026-01-01T00:00:00Z",
        }
        self.state.records[record["id"]] = record
        self._publish(name)
        return _envelope(record)

    def _publish(self, name: str) -> None:
        """Mirror the TXT set at ``name`` into BIND (caller holds the lock)."""
        if self.bind is None:
            return
        zone = self.state.zones[self._zone_of(name)] + "."
        values = [r["content"] for r in self.state.records.values() if r["name"] == name]
        update = dns.update.UpdateMessage(zone, keyring=self.bind.keyring())
        if values:
            quoted = ['"' + v.replace('"', '\\"') + '"' for v in values]
            update.replace(name + ".", 60, "TXT", *quoted)
        else:
            update.delete(name + ".", "TXT")
        response = dns.query.tcp(update, self.bind.address, port=self.bind.port, timeout=5)
        if response.rcode() != dns.rcode.NOERROR:
            raise RigError(f"publishing to BIND failed: {dns.rcode.to_text(response.rcode())}")

    def start(self) -> CloudflareStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, answer, extra = stand_in.handle(self.command, self.path, self.headers, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._serve(server, "cloudflare-stand-in", 0.05)
        return self
