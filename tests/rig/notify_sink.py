"""A webhook receiver on 127.0.0.1: what Teams Workflows, Slack and generic webhooks get.

A real ``http.server`` in a thread (``ThreadedServer``), so renewer's real
``requests`` calls cross a real socket. It records every POST (path,
headers, raw body, arrival time) and answers from a script of faults:
``respond(status, retry_after=..., body=...)`` queues answers for the next
requests (then 200/202 again), ``hang = True`` accepts and never answers
(until stopped), like an endpoint behind a black-holing proxy. Slack answers
200 "ok"; a Teams Workflows trigger answers 202 Accepted with no body
(learn.microsoft.com, "Create incoming webhooks with Workflows for Microsoft
Teams"); ``accept_status`` picks which.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .threaded import ThreadedServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival
    status: int = 0

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Answer:
    status: int
    retry_after: str | None = None
    body: bytes = b""


@dataclass
class NotifySink(ThreadedServer[ThreadingHTTPServer]):
    accept_status: int = 200
    accept_body: bytes = b"ok"
    hang: bool = False
    received: list[Received] = field(default_factory=list)
    _script: list[_Answer] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def respond(self, status: int, retry_after: str | None = None, body: bytes = b"") -> None:
        with self._lock:
            self._script.append(_Answer(status, retry_after, body))

    def posts(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def _next(self) -> _Answer:
        with self._lock:
            if self._script:
                return self._script.pop(0)
        return _Answer(self.accept_status, None, self.accept_body)

    def start(self) -> NotifySink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                record = Received(self.path, dict(self.headers.items()), body, time.monotonic())
                with sink._lock:
                    sink.received.append(record)
                if sink.hang:
                    sink._release.wait(30)
                    return
                answer = sink._next()
                record.status = answer.status
                self.send_response(answer.status)
                if answer.retry_after is not None:
                    self.send_header("Retry-After", answer.retry_after)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._serve(server, "notify-sink", 0.05)
        return self

    def stop(self) -> None:
        self._release.set()
        super().stop()
