"""An acme-dns API stand-in (POST /register, POST /update) whose records BIND serves.

Why a stand-in: acme-dns is a Go server not packaged for Debian. This models
its README's API: /register answers {username, password, fulldomain,
subdomain, allowfrom}; /update takes X-Api-User/X-Api-Key and
{"subdomain", "txt"}, answers {"txt"}; a wrong user/key or subdomain is 401
{"error": "forbidden"}, a TXT value that is not 43 characters 400
{"error": "bad_txt"}. Like acme-dns it keeps the two newest values of a
subdomain. Its zone (``domain``) is served by ``bind``: every update
replaces the subdomain's TXT set there. ``fail_next`` answers 503s, as a load
balancer in front of it would (acme-dns itself documents no rate limit).
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import dns.query
import dns.rcode
import dns.update

from .bind import Bind
from .procs import RigError
from .threaded import ThreadedServer


@dataclass
class Registration:
    username: str
    password: str
    subdomain: str
    fulldomain: str
    values: list[str] = field(default_factory=list)


class AcmeDnsStandIn(ThreadedServer[ThreadingHTTPServer]):
    """HTTP on 127.0.0.1 (``url``); registrations live under ``domain`` in ``bind``."""

    def __init__(self, bind: Bind, domain: str = "delegated.test") -> None:
        self.bind = bind
        self.domain = domain.rstrip(".")
        self.registrations: dict[str, Registration] = {}
        self.fail_next = 0
        self.log: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def register(self) -> Registration:
        sub = str(uuid.uuid4())
        reg = Registration(
            str(uuid.uuid4()), secrets.token_urlsafe(30), sub, f"{sub}.{self.domain}"
        )
        with self.lock:
            self.registrations[sub] = reg
        return reg

    def handle(self, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503, {"error": "unavailable"}
            if path == "/register":
                self.lock.release()
                try:
                    made = self.register()
                finally:
                    self.lock.acquire()
                return 201, {
                    "username": made.username,
                    "password": made.password,
                    "fulldomain": made.fulldomain,
                    "subdomain": made.subdomain,
                    "allowfrom": [],
                }
            if path != "/update":
                return 404, {"error": "not_found"}
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                return 400, {"error": "malformed_json_payload"}
            reg = self.registrations.get(str(data.get("subdomain")))
            if (
                reg is None
                or headers.get("X-Api-User") != reg.username
                or headers.get("X-Api-Key") != reg.password
            ):
                return 401, {"error": "forbidden"}
            txt = str(data.get("txt", ""))
            if len(txt) != 43:
                return 400, {"error": "bad_txt"}
            reg.values = [*reg.values, txt][-2:]  # acme-dns keeps the two newest
            self._publish(reg)
            return 200, {"txt": txt}

    def _publish(self, reg: Registration) -> None:
        update = dns.update.UpdateMessage(self.domain + ".", keyring=self.bind.keyring())
        update.replace(reg.fulldomain + ".", 1, "TXT", *[f'"{v}"' for v in reg.values])
        response = dns.query.tcp(update, self.bind.address, port=self.bind.port, timeout=5)
        if response.rcode() != dns.rcode.NOERROR:
            raise RigError(f"publishing to BIND failed: {dns.rcode.to_text(response.rcode())}")

    def start(self) -> AcmeDnsStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, answer = stand_in.handle(self.path, self.headers, body)
                with stand_in.lock:
                    stand_in.log.append((self.path, status))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._serve(server, "acme-dns-stand-in", 0.05)
        return self
