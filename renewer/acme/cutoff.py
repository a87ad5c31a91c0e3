"""Ctrl-C during a CA request that never answers: cut the session's connections.

A blocking socket read cannot be woken from another thread. Rather than run
every CA request in a thread of its own (one new thread and a handful of GIL
hand-offs per request), the request runs in the certificate's own thread and
one watcher per run waits on the cancel event; when it is set, the watcher
shuts down every socket the session opened, so a read in flight ends at once
with an error that the transport turns into ``Cancelled``. A connect still in
progress is bounded by the connect timeout (5 s); the watcher cuts again
shortly after, for connections opened in between, and a cut registry refuses
to open new ones.

The connections are found through urllib3's public extension point: a pool's
``ConnectionCls`` attribute names the class it builds connections from, and
``connect()`` is the documented method (of ``http.client.HTTPConnection``)
that opens the socket.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import weakref
from typing import Any, cast

from urllib3.connection import HTTPConnection, HTTPSConnection

# After the first cut, again after these pauses: connections opened meanwhile.
RECUT = (0.25, 1.0)
IDLE_LOOK = 1.0  # how often a watcher whose session is gone notices and ends


class Connections:
    """Every connection a session's pools opened; ``cut`` ends them all."""

    def __init__(self) -> None:
        self._all: weakref.WeakSet[HTTPConnection] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._watched: set[int] = set()
        self.is_cut = False

    def __len__(self) -> int:
        with self._lock:
            return len(self._all)

    def add(self, connection: HTTPConnection) -> None:
        if self.is_cut:  # the run was cancelled: no new connection to the CA
            raise ConnectionAbortedError("run cancelled")
        with self._lock:
            self._all.add(connection)

    def cut(self) -> None:
        """Shut down every open socket: blocked reads and writes return at once."""
        self.is_cut = True
        with self._lock:
            connections = list(self._all)
        for connection in connections:
            sock = connection.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    # socket.shutdown, not SSLSocket's: the TLS object stays to the reader.
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def watch(self, cancel: threading.Event) -> None:
        """Cut when ``cancel`` is set (one daemon watcher per event; ends with the session)."""
        with self._lock:
            if id(cancel) in self._watched:
                return
            self._watched.add(id(cancel))
        owner = weakref.ref(self)
        threading.Thread(target=_watch, args=(owner, cancel), name="ca-cancel", daemon=True).start()

    def connection_classes(self) -> tuple[type[HTTPConnection], type[HTTPSConnection]]:
        """(http, https) connection classes whose connections this registry records."""
        attributes: dict[str, Any] = {"registry": self}
        http = type("CaHttpConnection", (_TrackedHttp,), attributes)
        https = type("CaHttpsConnection", (_TrackedHttps,), attributes)
        return cast(type[HTTPConnection], http), cast(type[HTTPSConnection], https)


def _watch(owner: weakref.ref[Connections], cancel: threading.Event) -> None:
    while not cancel.wait(IDLE_LOOK):
        if owner() is None:
            return
    for pause in (0.0, *RECUT):
        time.sleep(pause)
        connections = owner()
        if connections is None:
            return
        connections.cut()
        del connections


class _TrackedHttp(HTTPConnection):
    """A connection that reports itself to its registry before it opens its socket."""

    registry: Connections

    def connect(self) -> None:
        self.registry.add(self)
        super().connect()


class _TrackedHttps(HTTPSConnection):
    """The TLS twin of :class:`_TrackedHttp`."""

    registry: Connections

    def connect(self) -> None:
        self.registry.add(self)
        super().connect()
