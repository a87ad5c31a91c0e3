"""The HTTPS server under the ARM stand-ins (tests/rig/arm.py, tests/rig/arm_consumers.py).

The TLS handshake happens in the handler thread, so a slow client never blocks
``accept()``; idle keep-alive connections are ended at ``server_close()`` so no
handler thread outlives ``stop()``.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class TlsServer(ThreadingHTTPServer):
    """TLS handshake in the handler thread, so a slow client never blocks accept()."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(address, handler)
        self.context = context
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def finish_request(self, request: Any, client_address: Any) -> None:
        assert isinstance(request, socket.socket)
        request.settimeout(30)
        with self._open_lock:
            self._open.add(request)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        """Also end idle keep-alive connections, so no handler thread outlives stop()."""
        super().server_close()
        with self._open_lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
