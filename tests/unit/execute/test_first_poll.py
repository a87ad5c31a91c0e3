"""The first authorization poll: no fixed 0.2 s pause when the CA is quick (issue 17)."""

from __future__ import annotations

import threading
import time

import requests

from renewer.core.retry import Deadline
from renewer.execute.order import MIN_POLL_PAUSE, poll_until


def _answer(retry_after: str | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return response


def _poll(pending: int, retry_after: str | None = None) -> tuple[float, int]:
    looks = 0

    def look() -> tuple[bool, requests.Response]:
        nonlocal looks
        looks += 1
        return looks > pending, _answer(retry_after)

    started = time.monotonic()
    poll_until(look, "validation", Deadline.after(30), threading.Event())
    return time.monotonic() - started, looks


def test_a_quick_ca_is_seen_done_within_tens_of_milliseconds() -> None:
    elapsed, looks = _poll(pending=2)
    assert looks == 3
    assert elapsed < 0.3  # was 0.2 + 0.32 s with the fixed first pause


def test_the_cas_retry_after_is_honoured() -> None:
    elapsed, looks = _poll(pending=1, retry_after="1")
    assert looks == 2
    assert elapsed >= 0.95


def test_retry_after_zero_does_not_busy_loop() -> None:
    elapsed, looks = _poll(pending=4, retry_after="0")
    assert looks == 5
    assert elapsed >= 4 * MIN_POLL_PAUSE * 0.9
