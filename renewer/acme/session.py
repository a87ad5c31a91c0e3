"""One CA account's HTTP session for a run: kept-alive connections, nonces, TLS trust.

What every order of one account shares: one keep-alive connection pool (a run
of 50 orders used to open 52 TLS connections, one per order's fresh ClientV2)
and one locked nonce pool, so an order starts with a nonce the previous
answers left behind instead of a HEAD newNonce of its own. The environment
(proxies, ``REQUESTS_CA_BUNDLE``) is read once per run and the TLS trust is
one SSLContext, rather than both being worked out again on every request.

Its plain requests (every ACME POST, the directory and renewal-info GETs) go
straight to the connection adapter (:class:`LeanSession`): requests' per-call
merging of settings, cookies, hooks and URL re-parsing was a third of a
request's CPU, and at 50 orders the run is CPU-bound.
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
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict
from urllib3.util.ssl_ import create_urllib3_context

from renewer.acme.cutoff import Connections, CuttableAdapter

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


class PinnedTlsAdapter(CuttableAdapter):
    """An adapter whose TLS trust is decided once: one SSLContext, the bundle loaded once.

    requests checks the CA bundle's path on every request (``os.path.exists``,
    two ``isdir``): three file-system calls per renewal-info lookup, each a
    GIL hand-off that 16 lookup threads queue behind. Here the pool key carries
    the context and the per-request checks are skipped; urllib3 still verifies
    the chain and the host name on every new connection.
    """

    def __init__(self, context: ssl.SSLContext, registry: Connections, **kwargs: Any) -> None:
        self._context = context
        super().__init__(registry, **kwargs)

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


# What a plain request may carry; anything else (params, files, auth, a stream,
# another verify, proxies...) takes requests' full path.
_PLAIN = frozenset({"data", "headers", "timeout", "verify", "allow_redirects"})


class LeanSession(requests.Session):
    """A Session whose plain requests skip requests' per-call machinery.

    ``Session.request`` prepares every call from scratch: it merges the
    session's settings, copies and merges cookie jars, re-parses and re-quotes
    the URL, builds hooks and times the answer. A CA's URLs come from its own
    directory and answers, nothing here uses cookies, hooks or auth, and the
    trust and proxies are fixed for the run, so a plain request is prepared in
    a few assignments and handed to the same adapter (same pool, same TLS
    checks, same exception mapping). Redirects are still followed by requests
    itself, cookies a server sets are still kept (then requests' path is used
    from there on), and anything unusual takes the full path.
    """

    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        data = kwargs.get("data")
        verify = kwargs.get("verify")
        if (
            args
            or any(value is not None for key, value in kwargs.items() if key not in _PLAIN)
            or not isinstance(data, str | bytes | None)
            or verify not in (None, self.verify)
            or self.proxies
            or self.auth
            or len(self.cookies)
            or not url.isascii()
            or any(c in url for c in " \t\r\n")
        ):
            return super().request(method, url, *args, **kwargs)
        prepared = PreparedRequest()
        prepared.method = method.upper()
        prepared.url = url
        headers = CaseInsensitiveDict(self.headers)
        for name, value in (kwargs.get("headers") or {}).items():
            if value is None:
                headers.pop(name, None)  # as requests merges: None removes a default
            else:
                headers[name] = value
        body = data.encode() if isinstance(data, str) else data
        if body is not None:
            headers["Content-Length"] = str(len(body))
        elif prepared.method not in ("GET", "HEAD"):
            headers["Content-Length"] = "0"
        prepared.headers = headers  # type: ignore[assignment]
        prepared.body = body
        adapter = self.get_adapter(url)
        timeout = kwargs.get("timeout")
        trust = True if self.verify is None else self.verify
        response = adapter.send(prepared, timeout=timeout, verify=trust, proxies={})
        if "set-cookie" in response.headers:
            extract_cookies_to_jar(self.cookies, prepared, response.raw)  # type: ignore[no-untyped-call]
        if kwargs.get("allow_redirects", True) and response.is_redirect:
            prepared._cookies = RequestsCookieJar()  # type: ignore[attr-defined]
            redirects = self.resolve_redirects(
                response,
                prepared,
                timeout=timeout,
                verify=trust,  # type: ignore[arg-type]  # a CA file, as requests allows
                proxies={},
            )
            chain = [response, *redirects]
            response = chain.pop()
            response.history = chain
        response.content  # noqa: B018 - read now: the connection goes back to the pool
        return response


class CaSession:
    """One CA account's HTTP session for the run: pooled connections and nonces.

    ``verify`` and the proxies are resolved here once: an explicit CA bundle
    wins, otherwise what requests would read from the environment per call.
    """

    def __init__(self, directory: str, ca_bundle: Path | None) -> None:
        http = LeanSession()
        found = http.merge_environment_settings(directory, {}, None, None, None)
        http.trust_env = False  # no per-request environment, proxy and netrc look-ups
        http.proxies = dict(found.get("proxies") or {})
        verify = found.get("verify")
        self.verify: bool | str = str(ca_bundle) if ca_bundle else (verify or True)
        http.verify = self.verify
        http.headers["User-Agent"] = USER_AGENT
        # Every connection, so Ctrl-C can end a read in flight (renewer.acme.cutoff);
        # through a proxy, requests' own proxy pools are used and not cut.
        self.connections: Connections | None = None if http.proxies else Connections()
        registry = self.connections or Connections()
        pool = PinnedTlsAdapter(
            tls_context(self.verify), registry, pool_connections=2, pool_maxsize=HTTP_POOL
        )
        http.mount("https://", pool)
        http.mount("http://", CuttableAdapter(registry, pool_connections=2, pool_maxsize=HTTP_POOL))
        self.http = http
        self.nonces = NoncePool()

    def keep_nonce(self, response: requests.Response) -> None:
        """Pool the nonce of an answer that carries one (the directory, for instance)."""
        with contextlib.suppress(acme_errors.MissingNonce, acme_errors.BadNonce):
            self.nonces.add(decode_nonce(response))
