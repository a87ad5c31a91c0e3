"""One CA account's HTTP session for a run: kept-alive connections, nonces, TLS trust.

What every order of one account shares: one keep-alive connection pool (a run
of 50 orders used to open 52 TLS connections, one per order's fresh ClientV2)
and one locked nonce pool, so an order starts with a nonce the previous
answers left behind instead of a HEAD newNonce of its own. The environment
(proxies, ``REQUESTS_CA_BUNDLE``) is read once per run and the TLS trust is
one SSLContext, rather than both being worked out again on every request.
"""

from __future__ import annotations

import contextlib
import os
import ssl
import threading
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from acme import client as acme_client
from acme import errors as acme_errors
from acme import jws
from josepy.errors import DeserializationError
from requests.adapters import HTTPAdapter
from urllib3.util.ssl_ import create_urllib3_context

USER_AGENT = "renewer/0.1 (+acme-python)"
HTTP_POOL = 32  # kept-alive connections per CA: the ARI lookups and every order in flight
NONCE_POOL = 64  # nonces kept for later requests; older ones are the likeliest to be stale


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


def decode_nonce(response: requests.Response) -> bytes:
    """The Replay-Nonce of an answer, checked as the library checks it."""
    header = response.headers.get(acme_client.ClientNetwork.REPLAY_NONCE_HEADER)
    if header is None:
        raise acme_errors.MissingNonce(response)
    try:
        nonce: bytes = jws.Header._fields["nonce"].decode(header)
        return nonce
    except DeserializationError as error:
        raise acme_errors.BadNonce(header, error) from None


class PinnedTlsAdapter(HTTPAdapter):
    """An adapter whose TLS trust is decided once: one SSLContext, the bundle loaded once.

    requests checks the CA bundle's path on every request (``os.path.exists``,
    two ``isdir``): three file-system calls per renewal-info lookup, each a
    GIL hand-off that 16 lookup threads queue behind. Here the pool key carries
    the context and the per-request checks are skipped; urllib3 still verifies
    the chain and the host name on every new connection.
    """

    def __init__(self, context: ssl.SSLContext, **kwargs: Any) -> None:
        self._context = context
        super().__init__(**kwargs)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, ssl_context=self._context)

    def build_connection_pool_key_attributes(  # type: ignore[override]
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        url = urlsplit(request.url or "")
        host = {"scheme": url.scheme.lower(), "host": url.hostname, "port": url.port}
        return host, {"cert_reqs": "CERT_REQUIRED", "ssl_context": self._context}

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        conn.cert_reqs = "CERT_REQUIRED"  # the context holds the trusted roots


def tls_context(verify: bool | str) -> ssl.SSLContext:
    """The SSLContext for ``verify``: a CA file or folder, or requests' default bundle."""
    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    where = requests.utils.DEFAULT_CA_BUNDLE_PATH if verify is True else str(verify)
    if os.path.isdir(where):
        context.load_verify_locations(capath=where)
    else:
        context.load_verify_locations(cafile=where)
    return context


class CaSession:
    """One CA account's HTTP session for the run: pooled connections and nonces.

    ``verify`` and the proxies are resolved here once: an explicit CA bundle
    wins, otherwise what requests would read from the environment per call.
    """

    def __init__(self, directory: str, ca_bundle: Path | None) -> None:
        http = requests.Session()
        found = http.merge_environment_settings(directory, {}, None, None, None)
        http.trust_env = False  # no per-request environment, proxy and netrc look-ups
        http.proxies = dict(found.get("proxies") or {})
        verify = found.get("verify")
        self.verify: bool | str = str(ca_bundle) if ca_bundle else (verify or True)
        http.verify = self.verify
        http.headers["User-Agent"] = USER_AGENT
        pool = PinnedTlsAdapter(
            tls_context(self.verify), pool_connections=2, pool_maxsize=HTTP_POOL
        )
        http.mount("https://", pool)
        http.mount("http://", HTTPAdapter(pool_connections=2, pool_maxsize=HTTP_POOL))
        self.http = http
        self.nonces = NoncePool()

    def keep_nonce(self, response: requests.Response) -> None:
        """Pool the nonce of an answer that carries one (the directory, for instance)."""
        with contextlib.suppress(acme_errors.MissingNonce, acme_errors.BadNonce):
            self.nonces.add(decode_nonce(response))
