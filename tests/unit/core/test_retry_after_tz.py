"""A one-second Retry-After waits about one second in any time zone.

certbot's ``ClientV2.retry_after`` turns an HTTP-date into a naive UTC
datetime; renewer used to subtract local ``datetime.now()`` from it, so west
of UTC (America/New_York: UTC-5 or UTC-4) a one-second pause became four or
five hours and the order poll waited until the certificate's deadline. The
poll now reads Retry-After with ``renewer.core.retry.parse_retry_after``
(UTC on both sides).

The check runs in a subprocess with ``TZ=America/New_York`` so the zone is
set before anything reads it, and nothing in this process changes zone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent(
    """
    import datetime, email.utils, json, math, threading, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import requests
    from acme import client as acme_client

    from renewer.core import retry
    from renewer.core.retry import Deadline
    from renewer.execute.order import poll_until

    answered = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            done = bool(answered)
            answered.append(time.monotonic())
            self.send_response(200)
            if not done:
                # one second after the next whole second: a 1..2 s pause in HTTP-date form
                when = math.ceil(time.time()) + 1
                self.send_header("Retry-After", email.utils.formatdate(when, usegmt=True))
            body = json.dumps({"status": "valid" if done else "processing"}).encode()
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/order"
    session = requests.Session()
    session.trust_env = False

    def look():
        response = session.get(url, timeout=5)
        return response.json()["status"] == "valid", response

    started = time.monotonic()
    poll_until(look, "the certificate", Deadline.after(60), threading.Event())
    waited = time.monotonic() - started

    # The same kind of answer, read the old way and the new way.
    probe = requests.Response()
    probe.headers["Retry-After"] = email.utils.formatdate(time.time() + 1, usegmt=True)
    old = (acme_client.ClientV2.retry_after(probe, 0) - datetime.datetime.now()).total_seconds()
    new = retry.parse_retry_after(probe.headers["Retry-After"])
    server.shutdown()
    print(json.dumps({
        "offset": time.localtime().tm_gmtoff,
        "zone": time.tzname[0],
        "waited": waited,
        "looks": len(answered),
        "gap": answered[1] - answered[0],
        "old": old,
        "new": new,
    }))
    """
)


def test_one_second_http_date_retry_after_waits_about_one_second_in_new_york() -> None:
    env = {**os.environ, "TZ": "America/New_York", "PYTHONPATH": str(REPO)}
    env.pop("HTTP_PROXY", None)
    env.pop("HTTPS_PROXY", None)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found["offset"] in (-5 * 3600, -4 * 3600), found  # the zone really applied
    assert found["zone"] == "EST", found
    assert found["looks"] == 2, found
    assert 0.5 <= found["gap"] <= 3.0, found  # about one second, not hours
    assert 0.5 <= found["waited"] <= 3.0, found
    assert 0.0 <= found["new"] <= 1.5, found
    # The old reading (library date minus local time) is off by the zone's offset:
    # the wait the poll used to make here, four or five hours instead of one second.
    assert found["old"] > 3 * 3600, found
