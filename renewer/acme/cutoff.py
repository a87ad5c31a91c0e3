"""Ctrl-C during a CA request that never answers: cut the session's connections.

A blocking socket read cannot be woken from another thread, so every CA
request used to run in a thread of its own while the certificate's thread
watched the run's cancel event: one new thread, and a handful of GIL
hand-offs, per request (half the run's system time at 50 orders). Now the
request runs in the certificate's own thread, and one watcher per run waits
on the cancel event; when it is set, the watcher shuts down every socket the
session opened, so a read in flight ends at once with an error that the
transport turns into ``Cancelled``. Requests started after that find the
pools closed. A connect still in progress is bounded by the connect timeout
(5 s); the watcher cuts again shortly after, for connections opened in
between.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import weakref
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3.exceptions import ClosedPoolError

# After the first cut, again after these pauses: connections opened meanwhile.
RECUT = (0.25, 1.0)
IDLE_LOOK = 1.0  # how often a watcher whose session is gone notices and ends


class Connections:
    """Every connection a session's pools opened; ``cut`` ends them all."""

    def __init__(self) -> None:
        self._all: weakref.WeakSet[Any] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._watched: set[int] = set()
        self.is_cut = False

    def add(self, connection: Any) -> None:
        with self._lock:
            self._all.add(connection)

    def cut(self) -> None:
        """Shut down every open socket: blocked reads and writes return at once."""
        self.is_cut = True
        with self._lock:
            connections = list(self._all)
        for connection in connections:
            sock = getattr(connection, "sock", None)
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


class _Tracked:
    """A pool that records its connections and refuses new requests once cut."""

    connections: Connections | None = None

    def _new_conn(self) -> Any:
        connection = super()._new_conn()  # type: ignore[misc]
        if self.connections is not None:
            self.connections.add(connection)
        return connection

    def _get_conn(self, timeout: float | None = None) -> Any:
        if self.connections is not None and self.connections.is_cut:
            raise ClosedPoolError(self, "run cancelled")  # type: ignore[arg-type]
        return super()._get_conn(timeout)  # type: ignore[misc]


class _HttpPool(_Tracked, HTTPConnectionPool):
    pass


class _HttpsPool(_Tracked, HTTPSConnectionPool):
    pass


class CuttablePools(PoolManager):
    """A PoolManager whose pools report their connections to ``registry``."""

    def __init__(self, *args: Any, registry: Connections, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections = registry
        self.pool_classes_by_scheme = {"http": _HttpPool, "https": _HttpsPool}

    def _new_pool(self, *args: Any, **kwargs: Any) -> HTTPConnectionPool:
        pool = super()._new_pool(*args, **kwargs)
        if isinstance(pool, _Tracked):
            pool.connections = self.connections
        return pool


class CuttableAdapter(HTTPAdapter):
    """requests' adapter on :class:`CuttablePools` (the connections of ``registry``).

    Its responses skip the per-answer cookie parsing when no cookie was set:
    ACME answers set none, and the jar is parsed as before when one does.
    """

    def __init__(self, registry: Connections, **kwargs: Any) -> None:
        self.registry = registry
        super().__init__(**kwargs)

    def build_response(self, req: PreparedRequest, resp: Any) -> requests.Response:
        """requests' Response; its cookie jar is only parsed when a cookie was set."""
        if "set-cookie" in resp.headers:
            return super().build_response(req, resp)
        response = requests.Response()
        response.status_code = resp.status
        response.headers = CaseInsensitiveDict(resp.headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw, response.reason = resp, resp.reason
        response.url = req.url.decode() if isinstance(req.url, bytes) else str(req.url)
        response.request, response.connection = req, self
        return response

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        self._pool_connections, self._pool_maxsize, self._pool_block = connections, maxsize, block
        self.poolmanager = CuttablePools(
            num_pools=connections,
            maxsize=maxsize,
            block=block,
            registry=self.registry,
            **pool_kwargs,
        )
