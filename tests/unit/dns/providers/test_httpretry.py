"""dns.providers.httpretry: DNS API calls retried on 429/5xx, the last answer handed back.

The API side is a small upstream behind the rig's fault proxy (tests/rig/httpfault.py),
which answers the injected errors and forwards the rest.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest
import requests
from rig.httpfault import HttpFault, HttpFaultProxy

from renewer.core import retry
from renewer.dns.contract import DnsError
from renewer.dns.providers.httpretry import send

QUICK = retry.Policy(attempts=3, first=0.01, factor=1.0, cap=0.01, max_retry_after=0.5)


class Upstream(BaseHTTPRequestHandler):
    """Answers 200 with the method and path it saw; 404 under /missing."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        sent = self.rfile.read(length).decode() if length else ""
        body = json.dumps({"method": self.command, "path": self.path, "body": sent}).encode()
        self.send_response(404 if self.path.startswith("/missing") else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = _answer


@pytest.fixture(scope="module")
def proxy() -> Iterator[HttpFaultProxy]:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    thread = Thread(target=upstream.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    front = HttpFaultProxy(f"http://127.0.0.1:{upstream.server_address[1]}").start()
    yield front
    front.stop()
    upstream.shutdown()
    upstream.server_close()
    thread.join(timeout=5)


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.trust_env = False
        yield s


def test_an_answer_is_passed_through_with_body_and_params(
    proxy: HttpFaultProxy, session: requests.Session
) -> None:
    answer = send(
        session, "POST", proxy.url + "/zones", what="test add", json={"v": 1}, params={"a": "b"}
    )
    assert answer.status_code == 200
    assert answer.json() == {"method": "POST", "path": "/zones?a=b", "body": '{"v": 1}'}


def test_rate_limits_and_server_errors_are_retried_honouring_retry_after(
    proxy: HttpFaultProxy, session: requests.Session
) -> None:
    proxy.inject(HttpFault(1, 429, fragment="/burst", headers={"Retry-After": "1"}))
    proxy.inject(HttpFault(1, 503, fragment="/burst"))
    started = time.monotonic()
    answer = send(session, "GET", proxy.url + "/burst", what="test read", policy=QUICK)
    assert answer.status_code == 200
    assert time.monotonic() - started >= 0.45  # Retry-After 1 s, capped at 0.5 s here
    assert [s.status for s in proxy.log if "/burst" in s.path] == [429, 503, 200]


def test_after_the_last_attempt_the_error_answer_is_handed_back(
    proxy: HttpFaultProxy, session: requests.Session
) -> None:
    proxy.inject(HttpFault(3, 502, fragment="/down", body=b'{"error": "bad gateway"}'))
    answer = send(session, "GET", proxy.url + "/down", what="test read", policy=QUICK)
    assert answer.status_code == 502
    assert answer.json() == {"error": "bad gateway"}  # the provider words its own body
    assert len([s for s in proxy.log if "/down" in s.path]) == 3


def test_a_client_error_is_not_retried(proxy: HttpFaultProxy, session: requests.Session) -> None:
    answer = send(session, "GET", proxy.url + "/missing/x", what="test read", policy=QUICK)
    assert answer.status_code == 404
    assert len([s for s in proxy.log if "/missing/x" in s.path]) == 1


def test_no_answer_at_all_is_a_transient_error_naming_the_operation(
    session: requests.Session,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]  # nothing listens here once the socket closes
    with pytest.raises(DnsError) as caught:
        send(session, "GET", f"http://127.0.0.1:{closed}/", what="bunny add TXT", policy=QUICK)
    assert caught.value.transient
    assert str(caught.value) == (
        "bunny add TXT failed: cannot reach the API (ConnectionError) after 3 attempts"
    )
