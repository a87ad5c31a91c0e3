"""A plain-HTTP fault-injecting proxy in front of a real API (PowerDNS, moto).

Why: real servers rarely rate-limit on demand. This proxy forwards every
request unchanged to ``upstream`` and, for the next N requests matching a
method and path fragment, answers a configured error instead (429 with
Retry-After, 503, Route 53's 400 Throttling XML, ...) without forwarding, so
a test proves the provider waited and retried against the real server
behind it. Every request is logged with whether it was faulted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from .threaded import ThreadedServer

HOP_HEADERS = {"connection", "transfer-encoding", "keep-alive", "content-length", "host"}


@dataclass
class HttpFault:
    """Answer the next ``count`` requests with ``method`` and ``fragment`` in the path."""

    count: int
    status: int
    method: str = ""  # "" = any method
    fragment: str = ""  # "" = any path
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    at: float
    method: str
    path: str
    status: int
    faulted: bool


class HttpFaultProxy(ThreadedServer[ThreadingHTTPServer]):
    """HTTP on 127.0.0.1:<port>, forwarding to ``upstream`` (http://host:port)."""

    def __init__(
        self, upstream: str, on_forward: Callable[[str, str, int], None] | None = None
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.on_forward = on_forward  # (method, path, status) after a forwarded answer
        self.port = 0
        self.faults: list[HttpFault] = []
        self.log: list[Seen] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inject(self, fault: HttpFault) -> None:
        with self.lock:
            self.faults.append(fault)

    def faulted(self) -> list[Seen]:
        with self.lock:
            return [s for s in self.log if s.faulted]

    def _take(self, method: str, path: str) -> HttpFault | None:
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and fault.method in ("", method) and fault.fragment in path:
                    fault.count -= 1
                    return fault
        return None

    def start(self) -> HttpFaultProxy:
        proxy = self
        session = requests.Session()
        session.trust_env = False

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy._take(self.command, self.path)
                if fault is not None:
                    # Logged before the client can see the answer: a test that reads the log
                    # right after its last attempt failed must find that attempt in it.
                    self._note(fault.status, True)
                    self.send_response(fault.status)
                    for name, value in fault.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(fault.body)))
                    self.end_headers()
                    self.wfile.write(fault.body)
                else:
                    headers = {
                        k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS
                    }
                    # the client's Host: SigV4 signs it (moto does not check, AWS would)
                    headers["Host"] = self.headers.get("Host", "")
                    answer = session.request(
                        self.command,
                        proxy.upstream + self.path,
                        data=body,
                        headers=headers,
                        timeout=30,
                        allow_redirects=False,
                    )
                    if proxy.on_forward is not None:  # before the client sees the answer
                        proxy.on_forward(self.command, self.path, answer.status_code)
                    self._note(answer.status_code, False)
                    self.send_response(answer.status_code)
                    for name, value in answer.headers.items():
                        if name.lower() not in HOP_HEADERS and name.lower() != "content-encoding":
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.content)))
                    self.end_headers()
                    self.wfile.write(answer.content)

            def _note(self, status: int, faulted: bool) -> None:
                with proxy.lock:
                    proxy.log.append(
                        Seen(time.monotonic(), self.command, self.path, status, faulted)
                    )

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._serve(server, "http-fault-proxy", 0.05)
        return self
