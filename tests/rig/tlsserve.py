"""Small TLS listeners for verify tests: a Python ``ssl`` server and a blackhole.

``TlsServer`` serves one certificate file as given (a full chain, or just a
leaf for an incomplete chain), completing the handshake and closing, the way
a server that was never reloaded keeps serving an old version. ``Blackhole``
accepts TCP connections (the kernel completes them from the backlog) and
never speaks TLS, like a half-dead load balancer: the client's handshake
must end at its timeout.
"""

from __future__ import annotations

import socket
import socketserver
import ssl
from pathlib import Path
from typing import Self

from .procs import Service
from .threaded import ThreadedServer


class _TLSServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    context: ssl.SSLContext


class _TLSServer6(_TLSServer):
    address_family = socket.AF_INET6


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server = self.server
        assert isinstance(server, _TLSServer)
        self.request.settimeout(5)
        try:
            with server.context.wrap_socket(self.request, server_side=True):
                pass  # the handshake is all a client reads
        except (OSError, ssl.SSLError):
            pass  # clients that hang up early are fine


class TlsServer(ThreadedServer[_TLSServer]):
    """Serve ``certificate`` + ``key`` on ``host``:``port`` (port 0: pick one)."""

    def __init__(self, certificate: Path, key: Path, host: str = "127.0.0.1", port: int = 0):
        self.certificate, self.key = certificate, key
        self.host, self.port = host, port

    def start(self) -> Self:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificate, self.key)
        kind = _TLSServer6 if ":" in self.host else _TLSServer
        server = kind((self.host, self.port), _Handler)
        server.context = context
        self.port = int(server.server_address[1])
        self._serve(server, f"tls-{self.port}", 0.05)
        return self


class Blackhole(Service):
    """A listener that never accepts: connects succeed, handshakes never finish."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self._sock: socket.socket | None = None

    def start(self) -> Self:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, 0))
        sock.listen(64)
        self._sock, self.port = sock, int(sock.getsockname()[1])
        return self

    def stop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
