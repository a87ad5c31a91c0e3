"""A Google Cloud DNS v1 REST stand-in (plus the OAuth token endpoint) for google-auth.

Why a stand-in: Cloud DNS has no emulator. Modelled from the REST reference
(cloud.google.com/dns/docs/reference/rest/v1) and Google's OAuth2 service
account flow (developers.google.com/identity/protocols/oauth2/service-account):

* ``POST /token`` takes the JWT-bearer grant google-auth sends for a service
  account (RS256, ``aud`` = token_uri, ``scope``), checks its signature with
  the account's public key and answers an access token;
* ``managedZones.list`` pages with ``maxResults``/``pageToken``/``nextPageToken``;
* ``rrsets.list`` filters by ``name`` and ``type``;
* ``changes.create`` applies deletions and additions atomically: a deletion
  that does not match the current set exactly is 412 ``conditionNotMet``, an
  addition over an existing set is 409 ``alreadyExists``; the change is
  ``pending`` until ``changes.get`` sees it (then ``done``);
* errors are ``{"error": {"code", "message", "errors": [{"reason"}], "status"}}``;
  ``throttle`` injects 429 ``rateLimitExceeded``; a token of the read-only
  account gets 403 ``forbidden`` on writes.

Every applied change is published to ``bind`` so Pebble resolves it.
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dns.query
import dns.rcode
import dns.update
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .bind import Bind
from .procs import RigError
from .threaded import ThreadedServer

SCOPE = "https://www.googleapis.com/auth/ndev.clouddns.readwrite"
# google-auth always signs for Google's token endpoint, whatever token_uri says; Google checks it.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"


def _error(code: int, reason: str, message: str, status: str) -> tuple[int, dict[str, Any]]:
    return code, {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"domain": "global", "reason": reason, "message": message}],
            "status": status,
        }
    }


@dataclass
class _State:
    zones: dict[str, str]  # zone name -> dnsName (trailing dot)
    rrsets: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (zone, name)
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # access token -> account email
    throttled: int = 0
    log: list[tuple[str, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class GoogleDnsStandIn(ThreadedServer[ThreadingHTTPServer]):
    """HTTP on 127.0.0.1: ``endpoint`` for the provider, ``account_file()`` for google-auth."""

    def __init__(self, bind: Bind | None, project: str = "renewer-test", page_size: int = 1):
        self.bind = bind
        self.project = project
        self.page_size = page_size
        self.state = _State({"example-test": "example.test.", "delegated-test": "delegated.test."})
        self.keys = {
            email: rsa.generate_private_key(public_exponent=65537, key_size=2048)
            for email in (f"renewer@{project}.iam", f"reader@{project}.iam")
        }
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def account_info(self, reader: bool = False) -> dict[str, str]:
        email = f"{'reader' if reader else 'renewer'}@{self.project}.iam"
        pem = self.keys[email].private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return {
            "type": "service_account",
            "project_id": self.project,
            "private_key_id": "k1",
            "private_key": pem.decode(),
            "client_email": email,
            "client_id": "1",
            "token_uri": f"{self.endpoint}/token",
        }

    def txt(self, name: str) -> list[str]:
        with self.state.lock:
            return sorted(
                r.strip('"')
                for (_, n), s in self.state.rrsets.items()
                if n == name
                for r in s["rrdatas"]
            )

    def put_foreign(self, name: str, values: list[str]) -> None:
        with self.state.lock:
            zone = self._zone_of(name)
            rrset = {"name": name, "type": "TXT", "ttl": 300, "rrdatas": [f'"{v}"' for v in values]}
            self.state.rrsets[(zone, name)] = {"kind": "dns#resourceRecordSet", **rrset}
            self._publish(zone, name)

    def throttle(self, count: int) -> None:
        with self.state.lock:
            self.state.throttled = count

    def _zone_of(self, name: str) -> str:
        found = [z for z, d in self.state.zones.items() if name == d or name.endswith("." + d)]
        if not found:
            raise RigError(f"no stand-in zone holds {name}")
        return max(found, key=lambda z: len(self.state.zones[z]))

    # -- requests ------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
        with self.state.lock:
            status, answer = self._dispatch(method, path, headers, body)
            self.state.log.append((method, path, status))
            return status, answer

    def _dispatch(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
        parts = urlsplit(path)
        if parts.path == "/token" and method == "POST":
            return self._token(parse_qs(body.decode()))
        if self.state.throttled > 0:
            self.state.throttled -= 1
            return _error(429, "rateLimitExceeded", "Rate Limit Exceeded", "RESOURCE_EXHAUSTED")
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        account = self.state.tokens.get(token)
        if account is None:
            return _error(401, "authError", "Invalid Credentials", "UNAUTHENTICATED")
        prefix = f"/dns/v1/projects/{self.project}/managedZones"
        if not parts.path.startswith(prefix):
            return _error(403, "forbidden", "Forbidden", "PERMISSION_DENIED")
        rest = parts.path.removeprefix(prefix).strip("/").split("/") if parts.path != prefix else []
        query = parse_qs(parts.query)
        if not rest and method == "GET":
            return self._zones_page(query)
        zone = rest[0]
        if zone not in self.state.zones:
            message = f"The 'parameters.managedZone' resource named '{zone}' does not exist."
            return _error(404, "notFound", message, "NOT_FOUND")
        if rest[1:] == ["rrsets"] and method == "GET":
            name, rtype = query.get("name", [""])[0], query.get("type", ["TXT"])[0]
            sets = [
                s
                for (z, n), s in self.state.rrsets.items()
                if z == zone and (not name or n == name) and s["type"] == rtype
            ]
            return 200, {"kind": "dns#resourceRecordSetsListResponse", "rrsets": sets}
        if rest[1:] == ["changes"] and method == "POST":
            if account.startswith("reader@"):
                message = f"Forbidden: {account} lacks dns.changes.create"
                return _error(403, "forbidden", message, "PERMISSION_DENIED")
            return self._change(zone, json.loads(body or b"{}"))
        if len(rest) == 3 and rest[1] == "changes" and method == "GET":
            change = self.state.changes.get(rest[2])
            if change is None:
                return _error(404, "notFound", "change not found", "NOT_FOUND")
            change["status"] = "done"
            return 200, change
        return _error(404, "notFound", "Not Found", "NOT_FOUND")

    def _token(self, form: dict[str, list[str]]) -> tuple[int, Any]:
        assertion = form.get("assertion", [""])[0]
        try:
            claims = jwt.decode(assertion, options={"verify_signature": False})
            key = self.keys[claims["iss"]].public_key()
            claims = jwt.decode(
                assertion, key, algorithms=["RS256"], audience=GOOGLE_TOKEN_AUDIENCE
            )
        except (jwt.PyJWTError, KeyError):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        if SCOPE not in str(claims.get("scope", "")).split():
            return 400, {"error": "invalid_scope", "error_description": "Invalid OAuth scope."}
        token = secrets.token_urlsafe(24)
        self.state.tokens[token] = str(claims["iss"])
        return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def _zones_page(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        names = sorted(self.state.zones)
        start = int(query.get("pageToken", ["0"])[0])
        chunk = names[start : start + self.page_size]
        page: dict[str, Any] = {
            "kind": "dns#managedZonesListResponse",
            "managedZones": [
                {"name": n, "dnsName": self.state.zones[n], "visibility": "public"} for n in chunk
            ],
        }
        if start + self.page_size < len(names):
            page["nextPageToken"] = str(start + self.page_size)
        return 200, page

    def _change(self, zone: str, change: dict[str, Any]) -> tuple[int, Any]:
        touched = set()
        for deletion in change.get("deletions", []):
            current = self.state.rrsets.get((zone, deletion["name"]))
            strip = {k: v for k, v in (current or {}).items() if k != "kind"}
            given = {k: v for k, v in deletion.items() if k != "kind"}
            if current is None or strip != given:
                message = f"Precondition not met for 'entity.change.deletions[{deletion['name']}]'"
                return _error(412, "conditionNotMet", message, "FAILED_PRECONDITION")
        remaining = dict(self.state.rrsets)
        for deletion in change.get("deletions", []):
            del remaining[(zone, deletion["name"])]
            touched.add(deletion["name"])
        for addition in change.get("additions", []):
            if (zone, addition["name"]) in remaining:
                message = (
                    f"The resource 'entity.change.additions[{addition['name']}]' already exists"
                )
                return _error(409, "alreadyExists", message, "ALREADY_EXISTS")
            remaining[(zone, addition["name"])] = {"kind": "dns#resourceRecordSet", **addition}
            touched.add(addition["name"])
        self.state.rrsets = remaining
        for name in touched:
            self._publish(zone, name)
        made = {"kind": "dns#change", "id": str(uuid.uuid4().int % 10**6), "status": "pending"}
        made |= {"additions": change.get("additions", []), "deletions": change.get("deletions", [])}
        self.state.changes[made["id"]] = made
        return 200, dict(made)

    def _publish(self, zone: str, name: str) -> None:
        if self.bind is None:
            return
        rrset = self.state.rrsets.get((zone, name))
        update = dns.update.UpdateMessage(self.state.zones[zone], keyring=self.bind.keyring())
        if rrset:
            update.replace(name, 60, "TXT", *rrset["rrdatas"])
        else:
            update.delete(name, "TXT")
        response = dns.query.tcp(update, self.bind.address, port=self.bind.port, timeout=5)
        if response.rcode() != dns.rcode.NOERROR:
            raise RigError(f"publishing to BIND failed: {dns.rcode.to_text(response.rcode())}")

    def start(self) -> GoogleDnsStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, answer = stand_in.handle(self.command, self.path, self.headers, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._serve(server, "google-dns-stand-in", 0.05)
        return self
