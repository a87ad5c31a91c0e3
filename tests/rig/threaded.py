"""A ``socketserver`` served from a daemon thread: the in-process stand-ins' lifecycle.

The HTTP(S) stand-ins (ARM, Key Vault, OIDC issuer/Entra, GitHub API) bind
127.0.0.1:0 in ``start()``, hand the server to ``_serve`` and are stopped by
``stop()``: shut down the accept loop, close the socket, join the thread.
"""

from __future__ import annotations

import threading
from socketserver import BaseServer
from typing import Generic, TypeVar

from .procs import Service

S = TypeVar("S", bound=BaseServer)


class ThreadedServer(Service, Generic[S]):
    """Subclasses build their server in ``start()`` and pass it to ``_serve``."""

    _server: S | None = None
    _thread: threading.Thread | None = None

    def _serve(self, server: S, name: str, poll_interval: float) -> None:
        """Run ``server.serve_forever`` in a daemon thread called ``name``.

        ``poll_interval`` is how long ``stop()`` may wait for the loop to notice.
        """
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": poll_interval},
            name=name,
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, close the socket and join the server thread.  Idempotent."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
