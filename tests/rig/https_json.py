"""A threaded HTTPS server that answers JSON: the base of the OIDC issuer and Entra stand-ins.

Both bind 127.0.0.1 on a kernel-chosen port, serve TLS with the rig's per-run
certificates (handshakes happen in the per-connection thread, so one slow
client cannot stall the accept loop), and are stopped by ``stop()``. A
subclass implements ``handle`` and answers a ``Reply``; an exception in it
becomes a 500 with the error, never a hang.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple, Self
from urllib.parse import parse_qs, urlsplit

from .threaded import ThreadedServer
from .tls import TlsMaterial

_LOG = logging.getLogger(__name__)


class Reply(NamedTuple):
    status: int
    body: Mapping[str, Any]


class HttpsJsonServer(ThreadedServer[ThreadingHTTPServer]):
    """A threaded HTTPS server answering JSON; subclasses implement ``handle``."""

    kind = "https server"

    def __init__(self, tls: TlsMaterial) -> None:
        self.tls = tls
        self.port = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """``https://127.0.0.1:<port>`` (the certificate has IP SAN 127.0.0.1)."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_bundle(self) -> Path:
        """The root certificate clients must trust to talk to this server."""
        return self.tls.root

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Reply:
        raise NotImplementedError

    def start(self) -> Self:
        """Bind 127.0.0.1:0 (no port race), wrap in TLS and serve in a daemon thread."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.tls.cert), str(self.tls.key))
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._dispatch("GET")

            def do_POST(self) -> None:
                self._dispatch("POST")

            def _dispatch(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = parse_qs(parts.query, keep_blank_values=True)
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    reply = owner.handle(method, parts.path, query, headers, body)
                except Exception as exc:  # a rig bug must show up as a 500, not a hang
                    _LOG.exception("%s failed on %s %s", owner.kind, method, parts.path)
                    reply = Reply(500, {"error": "server_error", "error_description": repr(exc)})
                data = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")  # no keep-alive threads at stop()
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                # Request lines carry paths only, never tokens (those are in
                # headers and bodies); keep them out of stderr.
                _LOG.debug("%s: " + format, owner.kind, *args)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                # e.g. a client that does not trust our certificate aborts the
                # handshake: expected in negative tests, so no stderr traceback.
                _LOG.debug(
                    "%s: connection from %s failed", owner.kind, client_address, exc_info=True
                )

        server = Server(("127.0.0.1", 0), Handler)
        # Handshake lazily in the per-connection thread, so one slow client
        # cannot stall the accept loop.
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
        self.port = int(server.server_address[1])
        self._serve(server, f"{self.kind}:{self.port}", poll_interval=0.05)
        return self
