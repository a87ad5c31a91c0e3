"""Reading what endpoints serve: resolve, connect, handshake, read the chain.

The handshake uses the standard ``ssl`` module with verification off: a
verifying handshake would fail on exactly the cases verify must describe
(expired, foreign, incomplete chain), so the facts are read first and judged
by ``renewer.verify.judge``. The peer's chain as sent comes from
``SSLSocket.get_unverified_chain``, public from Python 3.13; CPython 3.10 to
3.12 have the same method on the internal ``_sslobj`` (bpo-18233), which is
used there rather than adding pyOpenSSL or spawning ``openssl s_client``
per endpoint (200 processes would dominate the run). Without either, the
leaf alone is read and the chain is reported as just the leaf.

Every name is resolved to all its addresses (IPv4 and IPv6) and each is
probed, so each VM behind a DNS name is seen. Connect and handshake each
have a timeout, so a listener that accepts and never answers costs one
timeout, not a hung run; probes run in a bounded pool.
"""

from __future__ import annotations

import errno
import hashlib
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from renewer.core.endpoints import EndpointSpec
from renewer.verify.model import Probe, ServedCertificate

DEFAULT_CONCURRENCY = 64
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_HANDSHAKE_TIMEOUT = 10.0


@dataclass(frozen=True)
class ProbeSettings:
    """How hard to try: pool size and the two timeouts (seconds)."""

    concurrency: int = DEFAULT_CONCURRENCY
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT


DEFAULT_SETTINGS = ProbeSettings()
_NO_ROUTE = (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT)

Resolver = Callable[[str, int], list[tuple[int, str]]]
"""host, port -> [(address family, IP)]; tests may pin names to loopback addresses."""


def resolve(host: str, port: int) -> list[tuple[int, str]]:
    """Every address ``host`` has (IPv4 and IPv6), each once, in resolver order."""
    found: dict[str, int] = {}
    for family, _type, _proto, _name, sockaddr in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        if family in (socket.AF_INET, socket.AF_INET6):
            found.setdefault(str(sockaddr[0]), family)
    return [(family, ip) for ip, family in found.items()]


def probe_all(
    endpoints: Sequence[EndpointSpec],
    settings: ProbeSettings = DEFAULT_SETTINGS,
    resolver: Resolver = resolve,
) -> list[list[Probe]]:
    """For each endpoint (same order) one Probe per address it resolves to."""
    workers = max(1, min(settings.concurrency, len(endpoints) or 1))
    with ThreadPoolExecutor(workers, thread_name_prefix="verify-dns") as pool:
        resolved = list(pool.map(lambda e: _resolve(e, resolver), endpoints))
    jobs = [(e, fam, ip) for e, addresses in zip(endpoints, resolved, strict=True)
            for fam, ip in addresses if fam]  # fmt: skip
    workers = max(1, min(settings.concurrency, len(jobs) or 1))
    with ThreadPoolExecutor(workers, thread_name_prefix="verify-tls") as pool:
        done = iter(pool.map(lambda job: probe_one(*job, settings=settings), jobs))
        results: list[list[Probe]] = []
        for endpoint, addresses in zip(endpoints, resolved, strict=True):
            if addresses and not addresses[0][0]:  # did not resolve: (0, error)
                results.append([Probe(endpoint, endpoint.host, error=addresses[0][1])])
            else:
                results.append([next(done) for _ in addresses])
    return results


def _resolve(endpoint: EndpointSpec, resolver: Resolver) -> list[tuple[int, str]]:
    try:
        found = resolver(endpoint.host, endpoint.port)
    except (OSError, UnicodeError) as exc:
        return [(0, f"{endpoint.host} does not resolve ({_reason(exc)})")]
    return found or [(0, f"{endpoint.host} has no address")]


def probe_one(
    endpoint: EndpointSpec, family: int, ip: str, *, settings: ProbeSettings = DEFAULT_SETTINGS
) -> Probe:
    """Connect to one address, handshake with the endpoint's SNI, read the served chain."""
    started = time.monotonic()
    try:
        chain = _handshake(endpoint, family, ip, settings)
        served = served_from_chain(chain)
    except (OSError, ssl.SSLError, ValueError) as exc:
        reason = _reason(exc)
        if family == socket.AF_INET6 and isinstance(exc, OSError) and exc.errno in _NO_ROUTE:
            reason += " (this machine has no IPv6 route; GitHub-hosted runners have none)"
        return Probe(endpoint, ip, error=reason, seconds=time.monotonic() - started)
    return Probe(endpoint, ip, served=served, seconds=time.monotonic() - started)


def _context() -> ssl.SSLContext:
    """A client context that reads any certificate: judging happens afterwards."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # read now, judged in renewer.verify.judge
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


_CONTEXT = _context()


def _handshake(
    endpoint: EndpointSpec, family: int, ip: str, settings: ProbeSettings
) -> list[bytes]:
    stage, limit = "connect", settings.connect_timeout
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(limit)
        sock.connect((ip, endpoint.port))
        stage, limit = "TLS handshake", settings.handshake_timeout
        sock.settimeout(limit)
        with _CONTEXT.wrap_socket(sock, server_hostname=endpoint.sni or None) as tls:
            return _peer_chain(tls)
    except TimeoutError:
        raise TimeoutError(f"{stage} timed out after {limit:g} s") from None
    finally:
        sock.close()


def _peer_chain(tls: ssl.SSLSocket) -> list[bytes]:
    """The certificates the server sent, leaf first, as DER."""
    reader = getattr(tls, "get_unverified_chain", None)  # Python 3.13+
    if reader is None:
        reader = getattr(getattr(tls, "_sslobj", None), "get_unverified_chain", None)
    items: Iterable[object] = reader() if reader is not None else ()
    chain = [_der(item) for item in items or ()]
    if not chain:
        leaf = tls.getpeercert(binary_form=True)
        if not leaf:
            raise ValueError("the server sent no certificate")
        chain = [leaf]
    return chain


def _der(item: object) -> bytes:
    if isinstance(item, bytes):
        return item
    # _ssl.Certificate (Python 3.10 to 3.12): public_bytes(format), format 2 is DER
    return bytes(item.public_bytes(ssl._ssl.ENCODING_DER))  # type: ignore[attr-defined]


def served_from_chain(chain: Sequence[bytes]) -> ServedCertificate:
    """The facts judge needs, parsed from the served DER chain (leaf first)."""
    leaf = x509.load_der_x509_certificate(chain[0])
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = tuple(san.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = ()
    return ServedCertificate(
        sha1=hashlib.sha1(leaf.public_bytes(serialization.Encoding.DER)).hexdigest(),  # noqa: S324
        serial=format(leaf.serial_number, "x"),
        subject=leaf.subject.rfc4514_string(),
        issuer=leaf.issuer.rfc4514_string(),
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        names=names,
        chain_der=tuple(chain),
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed ({exc.reason or exc.strerror or exc})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return exc.strerror or str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__
