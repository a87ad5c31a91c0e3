"""CA requests run in the certificate's own thread; Ctrl-C cuts the socket.

Running every CA request in a thread of its own (so that the certificate's
thread could stop waiting for it on Ctrl-C) cost a thread per request. The
session records its connections instead (renewer.acme.cutoff) and one
watcher per run shuts them down when the cancel event is set: a read that
would hang for the whole timeout ends at once, and no thread is started per
request.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from rig import Challtestsrv
from rig.hung import HungCA

from renewer.acme.session import CaSession
from renewer.acme.transport import CaHealth, send
from renewer.core.retry import Cancelled, Deadline

pytestmark = [pytest.mark.resilience, pytest.mark.integration]


def _get(session: CaSession, url: str) -> Any:
    return lambda timeouts: session.request("GET", url, timeouts)


def test_requests_start_no_thread_each(
    challtestsrv: Challtestsrv, pebble_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    session = CaSession(pebble.directory_url, pebble.ca_bundle)
    cancel = threading.Event()
    started: list[str] = []
    real_start = threading.Thread.start

    def counting_start(thread: threading.Thread) -> None:
        started.append(thread.name)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    url = pebble.directory_url
    for _ in range(20):
        response = send(
            CaHealth(), url, Deadline.after(30), cancel, _get(session, url), session.connections
        )
        assert response.status_code == 200
    assert started == ["ca-cancel"]  # the run's one watcher, no thread per request
    assert len(session.connections) == 1  # one kept-alive connection served all 20


def test_cancel_cuts_a_read_in_flight_at_once() -> None:
    with HungCA() as hung:  # plain HTTP: the request is sent, no answer ever comes
        url = f"http://127.0.0.1:{hung.port}/dir"
        session = CaSession(url, None)
        cancel = threading.Event()
        outcome: list[BaseException] = []

        def run() -> None:
            try:
                send(CaHealth(), url, Deadline.after(60), cancel, _get(session, url),
                     session.connections)  # fmt: skip
            except BaseException as exc:
                outcome.append(exc)

        worker = threading.Thread(target=run)
        worker.start()
        deadline = time.monotonic() + 10
        while hung.connections == 0:
            assert time.monotonic() < deadline, "the request never reached the server"
            time.sleep(0.02)
        time.sleep(0.3)  # the read is blocked now (the read timeout is 30 s)
        cut_at = time.monotonic()
        cancel.set()
        worker.join(10)
        assert not worker.is_alive()
        assert time.monotonic() - cut_at < 2.5  # the watcher looks every second at most
        assert len(outcome) == 1 and isinstance(outcome[0], Cancelled), outcome
        assert str(outcome[0]) == "run cancelled during a CA request"
        # Later requests of the cancelled run do not reach the CA.
        asked = hung.connections
        with pytest.raises(Cancelled):
            send(CaHealth(), url, Deadline.after(60), cancel, _get(session, url),
                 session.connections)  # fmt: skip
        assert hung.connections == asked
