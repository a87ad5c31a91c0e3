"""A CA that accepts connections and never answers, on 127.0.0.1.

The failure issue 12 measured: a load balancer in front of a stuck CA
accepts the TCP connection (and, with ``tls``, completes the TLS handshake)
and then sends nothing. Every connection is held open until ``stop()``; the
server never reads a request and never writes a byte, so the client's read
timeout is the only way out. ``connections`` counts what was accepted, so a
test can prove a down CA was not asked again.
"""

from __future__ import annotations

import socket
import ssl
import threading
from typing import Self

from .procs import Service
from .tls import TlsMaterial


class HungCA(Service):
    """Accept (and optionally finish TLS), then hold the connection silently."""

    def __init__(self, tls: TlsMaterial | None = None) -> None:
        self.tls = tls
        self.port = 0
        self.connections = 0
        self._listener: socket.socket | None = None
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def directory_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/dir"

    def start(self) -> Self:
        listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        listener.settimeout(0.1)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name="hung-ca", daemon=True)
        self._thread.start()
        return self

    def _accept(self) -> None:
        context: ssl.SSLContext | None = None
        if self.tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.tls.cert), str(self.tls.key))
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            if context is not None:
                threading.Thread(target=self._handshake, args=(conn, context), daemon=True).start()
            else:
                self._hold(conn)

    def _handshake(self, conn: socket.socket, context: ssl.SSLContext) -> None:
        conn.settimeout(10)
        try:
            wrapped = context.wrap_socket(conn, server_side=True)
        except OSError:
            conn.close()
            return
        self._hold(wrapped)

    def _hold(self, conn: socket.socket) -> None:
        with self._lock:
            if self._stopping.is_set():
                conn.close()
                return
            self._held.append(conn)

    def stop(self) -> None:
        """Close the listener and every held connection; join the accept thread."""
        self._stopping.set()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            for conn in self._held:
                conn.close()
            self._held.clear()
