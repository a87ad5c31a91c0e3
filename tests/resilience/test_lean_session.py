"""The CA session's lean request path keeps requests' behaviour (issue 17).

``LeanSession`` prepares plain requests itself instead of through
``Session.request``; these checks run it against a real HTTP server on
127.0.0.1 (the standard library's) and compare with what requests does:
headers merged the same way, bodies sized in bytes, redirects followed,
cookies a server sets kept and sent back.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from renewer.acme.session import USER_AGENT, CaSession

pytestmark = [pytest.mark.resilience]


class _Echo(BaseHTTPRequestHandler):
    """Answers with what it received; /moved redirects, /cookie sets a cookie."""

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
        if self.path == "/cookie":
            self.send_header("Set-Cookie", "lb=node1; Path=/")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
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


def test_plain_requests_send_what_requests_would(echo: str) -> None:
    lean = CaSession(f"{echo}/dir", None).http
    plain = requests.Session()
    plain.headers["User-Agent"] = USER_AGENT
    body = '{"payload": "caf\u00e9"}'  # Content-Length counts bytes, not characters
    headers = {"Content-Type": "application/jose+json", "Accept-Encoding": None}
    ours = lean.request("POST", f"{echo}/echo", data=body, headers=headers, timeout=5).json()
    theirs = plain.request("POST", f"{echo}/echo", data=body.encode(), headers=headers).json()
    assert ours["body"] == theirs["body"] == body
    for name in ("content-type", "content-length", "user-agent", "accept", "connection"):
        assert ours["headers"].get(name) == theirs["headers"].get(name), name
    # None removes the session's "gzip, deflate" (http.client then says identity), as in requests
    assert ours["headers"]["accept-encoding"] == theirs["headers"]["accept-encoding"] == "identity"
    head = lean.request("HEAD", f"{echo}/echo", timeout=5)
    assert head.status_code == 200 and head.content == b""
    empty = lean.request("POST", f"{echo}/echo", timeout=5).json()
    assert empty["headers"]["content-length"] == "0"


def test_redirects_are_followed_and_cookies_kept(echo: str) -> None:
    lean = CaSession(f"{echo}/dir", None).http
    moved = lean.get(f"{echo}/moved", timeout=5)
    assert moved.status_code == 200 and moved.json()["path"] == "/echo"
    assert [r.status_code for r in moved.history] == [302]
    unfollowed = lean.request("GET", f"{echo}/moved", allow_redirects=False, timeout=5)
    assert unfollowed.status_code == 302
    assert "cookie" not in lean.get(f"{echo}/echo", timeout=5).json()["headers"]
    plain_answer = lean.get(f"{echo}/echo", timeout=5)
    assert len(plain_answer.cookies) == 0 and plain_answer.url == f"{echo}/echo"
    assert plain_answer.encoding == "utf-8"  # application/json, as requests decides
    setting = lean.get(f"{echo}/cookie", timeout=5)
    assert setting.cookies.get("lb") == "node1"  # the answer's jar, as requests fills it
    assert lean.cookies.get("lb") == "node1"
    assert lean.get(f"{echo}/echo", timeout=5).json()["headers"]["cookie"] == "lb=node1"


def test_get_post_and_head_take_the_lean_path_and_the_rest_requests_own(
    echo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lean = CaSession(f"{echo}/dir", None).http
    full: list[str] = []
    real_send = requests.Session.send

    def counting_send(
        self: requests.Session, request: requests.PreparedRequest, **kw: object
    ) -> object:
        full.append(str(request.url))
        return real_send(self, request, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(requests.Session, "send", counting_send)
    lean.get(f"{echo}/echo", timeout=5)  # Session.get passes params=None
    lean.head(f"{echo}/echo", timeout=5)
    lean.post(f"{echo}/echo", data="{}", timeout=5)
    assert full == []
    answer = lean.get(f"{echo}/echo", params={"q": "1"}, timeout=5)
    assert answer.json()["path"] == "/echo?q=1"
    assert full == [f"{echo}/echo?q=1"]  # anything unusual: requests' full path
