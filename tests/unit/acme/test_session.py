"""renewer/acme/session.py: one account's HTTP session on urllib3's public API.

Run against a real HTTP server on 127.0.0.1 (the standard library's, which
echoes what it received): what a request carries, that nothing is retried
or redirected behind the transport's back, the nonce pool, and where the TLS
trust and the proxy come from.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import certifi
import pytest
import urllib3

from renewer.acme.session import (
    NONCE_POOL,
    USER_AGENT,
    CaSession,
    NoncePool,
    NoNonce,
    decode_nonce,
    trust_store,
)


class _Echo(BaseHTTPRequestHandler):
    """Answers with what it received and a Replay-Nonce; /moved redirects."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/echo")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        payload = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode(),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Replay-Nonce", "bm9uY2U")  # "nonce", base64url
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_HEAD = _answer

    def log_message(self, *_args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def echo() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_request_carries_its_body_in_bytes_and_the_user_agent(echo: str) -> None:
    session = CaSession(f"{echo}/dir", None)
    body = '{"payload": "caf\u00e9"}'.encode()  # Content-Length counts bytes
    headers = {"Content-Type": "application/jose+json"}
    reply = session.request("POST", f"{echo}/echo", (5, 5), body, headers)
    seen = reply.json()
    assert reply.ok and seen["method"] == "POST" and seen["body"] == body.decode()
    assert seen["headers"]["content-length"] == str(len(body))
    assert seen["headers"]["content-type"] == "application/jose+json"
    assert seen["headers"]["user-agent"] == USER_AGENT
    assert decode_nonce(reply) == b"nonce"
    head = session.request("HEAD", f"{echo}/echo", (5, 5))
    assert head.status_code == 200 and head.content == b""
    assert len(session.connections) == 1  # kept alive: both went over one connection


def test_a_redirect_is_returned_not_followed(echo: str) -> None:
    session = CaSession(f"{echo}/dir", None)
    moved = session.request("GET", f"{echo}/moved", (5, 5))
    assert moved.status_code == 302 and moved.headers["Location"] == "/echo"


def test_nonces_are_handed_out_once_newest_first_and_bounded() -> None:
    pool = NoncePool()
    assert pool.take() is None
    for n in range(NONCE_POOL + 5):
        pool.add(str(n).encode())
    assert len(pool) == NONCE_POOL  # the oldest (likeliest stale) were dropped
    assert pool.take() == str(NONCE_POOL + 4).encode()
    assert len(pool) == NONCE_POOL - 1


def test_an_answer_without_a_usable_nonce(echo: str) -> None:
    session = CaSession(f"{echo}/dir", None)
    reply = session.request("GET", f"{echo}/moved", (5, 5))  # the redirect carries none
    with pytest.raises(NoNonce, match="carries no Replay-Nonce"):
        decode_nonce(reply)
    session.keep_nonce(reply)  # not an error there: nothing to keep
    assert len(session.nonces) == 0
    reply.headers["Replay-Nonce"] = "not base64!"
    with pytest.raises(NoNonce, match="not base64url"):
        decode_nonce(reply)


def test_trust_comes_from_the_config_then_the_environment_then_certifi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert trust_store(None) == certifi.where()
    monkeypatch.setenv("CURL_CA_BUNDLE", str(tmp_path / "curl.pem"))
    assert trust_store(None) == str(tmp_path / "curl.pem")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "requests.pem"))
    assert trust_store(None) == str(tmp_path / "requests.pem")
    assert trust_store(tmp_path / "root.pem") == str(tmp_path / "root.pem")


def test_the_proxy_is_read_from_the_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    direct = CaSession("https://ca.example/dir", None)
    assert not isinstance(direct.pools, urllib3.ProxyManager)
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    proxied = CaSession("https://ca.example/dir", None)
    assert isinstance(proxied.pools, urllib3.ProxyManager)
    assert proxied.pools.proxy is not None and proxied.pools.proxy.host == "proxy.example"
    monkeypatch.setenv("no_proxy", "ca.example")
    assert not isinstance(CaSession("https://ca.example/dir", None).pools, urllib3.ProxyManager)
