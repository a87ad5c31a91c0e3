"""An HTTPS fault-injecting proxy in front of Pebble.

It forwards every request to Pebble unchanged, keeping the client's ``Host``
header: Pebble builds every URL it hands out (directory, orders, finalize)
from that header, so clients keep talking to the proxy and the JWS ``url``
still matches what Pebble checks. For the first N requests of a kind
(``newOrder``, ``finalize``) it answers an ACME problem document instead
(``application/problem+json``, optional Retry-After), without forwarding;
requests of a kind can also be held a while first (``delay``: a slow endpoint),
or stalled (``stall``): held without an answer until ``clear()``, either before
Pebble sees them or after Pebble answered. A client killed while a request is
stalled dies either before or just after the CA acted, which is where a
crash-safe protocol (a key rollover) must prove itself.

Every request is logged with its kind, time and whether it was faulted, so
tests can prove pauses were honoured and that nothing looped. Every accepted
connection (one TLS handshake each) is counted, so tests can prove a run's
orders share kept-alive connections.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from .pebble import Pebble
from .threaded import ThreadedServer
from .tls import TlsMaterial

KINDS = {
    "/order-plz": "newOrder",
    "/finalize-order/": "finalize",
    "/nonce-plz": "newNonce",
    "/renewalInfo/": "renewalInfo",
    "/rollover-account-key": "keyChange",
    "/sign-me-up": "newAccount",
    "/my-account/": "account",
}
HOP_HEADERS = {"connection", "transfer-encoding", "keep-alive", "content-length", "host"}


def kind_of(path: str) -> str:
    for marker, kind in KINDS.items():
        if marker in path:
            return kind
    return "other"


@dataclass
class Fault:
    """Answer the next ``count`` requests of ``kind`` with this problem."""

    kind: str
    count: int
    problem: str  # e.g. "rateLimited" -> urn:ietf:params:acme:error:rateLimited
    status: int = 503
    retry_after: str | None = None
    detail: str = "injected by the fault proxy"


@dataclass(frozen=True)
class Logged:
    at: float
    kind: str
    method: str
    faulted: str | None


@dataclass
class _State:
    faults: list[Fault] = field(default_factory=list)
    delays: dict[str, float] = field(default_factory=dict)  # kind -> seconds before forwarding
    log: list[Logged] = field(default_factory=list)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    stalls: dict[str, bool] = field(default_factory=dict)  # kind -> forward first?
    stalled: list[tuple[str, bool]] = field(default_factory=list)  # (kind, Pebble answered)
    released: threading.Event = field(default_factory=threading.Event)


class FaultProxy(ThreadedServer[ThreadingHTTPServer]):
    """HTTPS on 127.0.0.1:<port> (certificate from ``tls``), forwarding to ``pebble``."""

    def __init__(self, tls: TlsMaterial, pebble: Pebble) -> None:
        self.tls = tls
        self.pebble = pebble
        self.state = _State()
        self.port = 0

    @property
    def directory_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/dir"

    @property
    def ca_bundle(self) -> Path:
        return self.tls.root

    def inject(self, fault: Fault) -> None:
        with self.state.lock:
            self.state.faults.append(fault)

    def delay(self, kind: str, seconds: float) -> None:
        """Hold every request of ``kind`` this long before forwarding it (a slow endpoint)."""
        with self.state.lock:
            self.state.delays[kind] = seconds

    def stall(self, kind: str, *, forward: bool) -> None:
        """Hold requests of ``kind`` unanswered until ``clear()``: never forwarded, or
        (``forward``) forwarded and Pebble's answer withheld. Released requests get
        no answer; their connection is closed."""
        with self.state.lock:
            self.state.stalls[kind] = forward
            self.state.released.clear()

    def stalled(self) -> list[tuple[str, bool]]:
        """The requests stalled so far: (kind, whether Pebble had answered it)."""
        with self.state.lock:
            return list(self.state.stalled)

    def clear(self) -> None:
        with self.state.lock:
            self.state.faults.clear()
            self.state.delays.clear()
            self.state.stalls.clear()
            self.state.released.set()

    def stop(self) -> None:
        self.state.released.set()  # stalled handler threads end before the server's close
        super().stop()

    @property
    def connections(self) -> int:
        """TLS connections accepted so far (each one handshake)."""
        with self.state.lock:
            return self.state.connections

    def requests_of(self, kind: str) -> list[Logged]:
        with self.state.lock:
            return [entry for entry in self.state.log if entry.kind == kind]

    def start(self) -> FaultProxy:
        state, upstream = self.state, self.pebble
        upstream_port = int(upstream.directory_url.split(":")[2].split("/")[0])
        verify = str(upstream.ca_bundle)
        local = threading.local()

        def proxy_port() -> int:
            return self.port

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def setup(self) -> None:
                # One handler per accepted connection, after its TLS handshake.
                with state.lock:
                    state.connections += 1
                super().setup()

            def _session(self) -> requests.Session:
                session: requests.Session | None = getattr(local, "session", None)
                if session is None:
                    session = requests.Session()
                    session.trust_env = False
                    local.session = session
                return session

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                kind = kind_of(self.path)
                fault = None
                if self.command == "POST":
                    with state.lock:
                        for candidate in state.faults:
                            if candidate.kind == kind and candidate.count > 0:
                                candidate.count -= 1
                                fault = candidate
                                break
                with state.lock:
                    state.log.append(
                        Logged(
                            time.monotonic(),
                            kind,
                            self.command,
                            fault.problem if fault else None,
                        )
                    )
                if fault is not None:
                    self._problem(fault)
                    return
                with state.lock:
                    pause = state.delays.get(kind, 0.0)
                    stall = state.stalls.get(kind) if self.command == "POST" else None
                if pause:
                    time.sleep(pause)
                if stall is False:
                    self._stall(kind, answered=False)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                headers["Host"] = self.headers.get("Host") or f"127.0.0.1:{proxy_port()}"
                try:
                    answer = self._session().request(
                        self.command,
                        f"https://127.0.0.1:{upstream_port}{self.path}",
                        data=body,
                        headers=headers,
                        verify=verify,
                        timeout=30,
                        allow_redirects=False,
                    )
                except requests.RequestException:
                    self.send_error(502)
                    return
                if stall:
                    self._stall(kind, answered=True)
                    return
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in HOP_HEADERS and name.lower() != "content-encoding":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def _stall(self, kind: str, answered: bool) -> None:
                with state.lock:
                    state.stalled.append((kind, answered))
                state.released.wait()
                self.close_connection = True

            def _problem(self, fault: Fault) -> None:
                payload = json.dumps(
                    {
                        "type": f"urn:ietf:params:acme:error:{fault.problem}",
                        "detail": fault.detail,
                        "status": fault.status,
                    }
                ).encode()
                self.send_response(fault.status)
                self.send_header("Content-Type", "application/problem+json")
                if fault.retry_after is not None:
                    self.send_header("Retry-After", fault.retry_after)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_HEAD = _handle

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.tls.cert), str(self.tls.key))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self.port = server.server_address[1]
        self._serve(server, "fault-proxy", 0.05)
        return self
