"""One CA account's HTTP session for a run: kept-alive connections, nonces, TLS trust.

What every order of one account shares: one urllib3 pool manager (a run of 50
orders used to open 52 TLS connections, one per order's client) and one locked
nonce pool, so an order starts with a nonce the previous answers left behind
instead of a HEAD newNonce of its own. The TLS trust is one SSLContext, built
once from ``acme.ca_bundle`` (or ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE``,
which users of requests-based tools already set, or certifi's roots), and the
proxy is read from the environment once.

Only urllib3's public API is used: ``PoolManager`` / ``ProxyManager``,
``urlopen`` with explicit timeouts, ``retries=False`` (the transport decides
what is tried again) and no redirects (ACME answers none). The connections
are recorded for Ctrl-C through the pools' ``ConnectionCls`` attribute
(renewer.acme.cutoff).
"""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import threading
import urllib.request
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3
from josepy.errors import DeserializationError
from josepy.json_util import decode_b64jose
from urllib3 import HTTPHeaderDict
from urllib3.util import Timeout, create_urllib3_context

from renewer.acme.cutoff import Connections
from renewer.acme.failures import AcmeFailure

USER_AGENT = "renewer/0.1 (+acme-python)"
HTTP_POOL = 32  # kept-alive connections per CA host: the ARI lookups and every order in flight
NONCE_POOL = 64  # nonces kept for later requests; older ones are the likeliest to be stale
REPLAY_NONCE = "Replay-Nonce"
BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@dataclass(frozen=True)
class Reply:
    """A CA's answer, read in full (the connection is back in the pool)."""

    status_code: int
    headers: HTTPHeaderDict
    content: bytes
    url: str

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    @property
    def text(self) -> str:
        """The body as text: ACME's JSON and PEM are UTF-8 (RFC 8555 5)."""
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.content)


class NoncePool:
    """Unused nonces from the CA's answers, shared by every order of an account.

    Each nonce is handed out once (the CA rejects a reused one); a stale one
    costs a badNonce answer, which carries a fresh nonce and is retried.
    """

    def __init__(self) -> None:
        self._nonces: deque[bytes] = deque(maxlen=NONCE_POOL)
        self._lock = threading.Lock()

    def take(self) -> bytes | None:
        with self._lock:
            return self._nonces.pop() if self._nonces else None

    def add(self, nonce: bytes) -> None:
        with self._lock:
            self._nonces.append(nonce)

    def __len__(self) -> int:
        return len(self._nonces)


class NoNonce(AcmeFailure):
    """An answer without a usable Replay-Nonce (RFC 8555 6.5.1 says every answer has one)."""


def decode_nonce(reply: Reply) -> bytes:
    """The Replay-Nonce of an answer: base64url without padding (RFC 8555 6.5.1)."""
    header = reply.headers.get(REPLAY_NONCE)
    if header is None:
        raise NoNonce(f"the CA's answer from {reply.url} carries no Replay-Nonce")
    try:
        return decode_b64jose(header)
    except DeserializationError:
        raise NoNonce(f"the CA's Replay-Nonce from {reply.url} is not base64url") from None


def trust_store(ca_bundle: Path | None) -> str:
    """The CA file or folder to trust: the config's, the environment's, or certifi's."""
    if ca_bundle is not None:
        return str(ca_bundle)
    for name in BUNDLE_VARIABLES:
        if os.environ.get(name):
            return os.environ[name]
    return certifi.where()


def tls_context(where: str) -> ssl.SSLContext:
    """One SSLContext trusting ``where`` (a CA file or a hashed folder); the host name
    and chain are still checked on every new connection."""
    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    if os.path.isdir(where):
        context.load_verify_locations(capath=where)
    else:
        context.load_verify_locations(cafile=where)
    return context


def _proxy_for(url: str) -> str | None:
    """The proxy the environment names for ``url`` (HTTPS_PROXY, NO_PROXY...), if any."""
    parts = urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        return proxy
    return None


class CaSession:
    """One CA account's HTTP session for the run: pooled connections and nonces."""

    def __init__(self, directory: str, ca_bundle: Path | None) -> None:
        self.verify = trust_store(ca_bundle)
        options: dict[str, Any] = {
            "maxsize": HTTP_POOL,
            "block": False,
            "retries": False,
            "ssl_context": tls_context(self.verify),
            "headers": {"User-Agent": USER_AGENT},
        }
        proxy = _proxy_for(directory)
        self.pools: urllib3.PoolManager = (
            urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
        )
        # Every connection, so Ctrl-C can end a read in flight (renewer.acme.cutoff).
        self.connections = Connections()
        self._classes = self.connections.connection_classes()
        self.nonces = NoncePool()

    def request(
        self,
        method: str,
        url: str,
        timeouts: tuple[float, float],
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """One request, no retry, no redirect; urllib3's errors are the caller's."""
        pool = self.pools.connection_from_url(url)
        tracked = self._classes[1] if pool.scheme == "https" else self._classes[0]
        if pool.ConnectionCls is not tracked:
            pool.ConnectionCls = tracked
        answer = self.pools.urlopen(
            method,
            url,
            body=body,
            headers={**self.pools.headers, **(headers or {})},
            timeout=Timeout(connect=timeouts[0], read=timeouts[1]),
            retries=False,
            redirect=False,
            preload_content=True,
        )
        return Reply(answer.status, answer.headers, answer.data, url)

    def keep_nonce(self, reply: Reply) -> None:
        """Pool the nonce of an answer that carries one (the directory, an error...)."""
        with contextlib.suppress(NoNonce):
            self.nonces.add(decode_nonce(reply))
