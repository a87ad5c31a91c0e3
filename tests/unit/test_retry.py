"""renewer/core/retry.py: which CA problems are retried, Retry-After, and the deadline."""

from __future__ import annotations

import email.utils
import threading
import time

import pytest

from renewer.core import retry


@pytest.mark.parametrize("code", ["serverInternal", "rateLimited", "badNonce"])
def test_transient_problems(code: str) -> None:
    assert retry.is_transient(code)
    assert retry.hint(code) is None


def test_unreachable_ca_is_transient_but_other_codeless_errors_are_not() -> None:
    assert retry.is_transient(None, "CA unreachable: connection refused")
    assert not retry.is_transient(None, "something else")
    assert not retry.is_transient("unknownCode")


@pytest.mark.parametrize("code", sorted(retry.PERMANENT_HINTS))
def test_permanent_problems_are_not_retried_and_say_what_to_fix(code: str) -> None:
    assert not retry.is_transient(code)
    hint = retry.hint(code)
    assert hint and len(hint) > 10


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("0", 0.0), ("3", 3.0), (" 120 ", 120.0), ("", None), (None, None), ("soon", None)],
)
def test_retry_after_seconds(value: str | None, seconds: float | None) -> None:
    assert retry.parse_retry_after(value) == seconds


def test_retry_after_http_date() -> None:
    now = 1_800_000_000.0
    later = email.utils.formatdate(now + 90, usegmt=True)
    assert retry.parse_retry_after(later, now=now) == pytest.approx(90, abs=1)
    earlier = email.utils.formatdate(now - 90, usegmt=True)
    assert retry.parse_retry_after(earlier, now=now) == 0.0  # never negative


def test_backoff_doubles_and_is_capped() -> None:
    assert [retry.backoff(n) for n in range(4)] == [1.0, 2.0, 4.0, 8.0]
    assert retry.backoff(20) == retry.MAX_BACKOFF


def test_note_response_keeps_retry_after_of_errors_only() -> None:
    retry.clear_retry_after()
    retry.note_response(200, "5")
    assert retry.last_retry_after() is None
    retry.note_response(429, "5")
    assert retry.last_retry_after() == 5.0
    retry.note_response(500, None)
    assert retry.last_retry_after() is None
    retry.clear_retry_after()


def test_pause_uses_retry_after_then_backoff_within_the_deadline() -> None:
    with retry.deadline_scope(30):
        assert 29 < retry.remaining() <= 30
        retry.clear_retry_after()
        assert retry.pause_for("serverInternal", 0) == 1.0
        assert retry.pause_for("serverInternal", 2) == 4.0
        retry.note_response(429, "7")
        assert retry.pause_for("rateLimited", 0) == 7.0
        retry.note_response(429, "3600")  # would not fit the 30 s deadline
        assert retry.pause_for("rateLimited", 0) is None
        retry.note_response(429, None)  # rateLimited without Retry-After: next run
        assert retry.pause_for("rateLimited", 0) is None
        assert retry.pause_for("serverInternal", 5) is None  # 32 s backoff > 30 s left
    retry.clear_retry_after()


def test_deadline_is_per_thread_and_restored() -> None:
    seen: list[float] = []
    with retry.deadline_scope(5):
        worker = threading.Thread(target=lambda: seen.append(retry.remaining()))
        worker.start()
        worker.join()
        with retry.deadline_scope(1):
            assert retry.remaining() <= 1
        assert 4 < retry.remaining() <= 5
    assert seen == [retry.DEFAULT_DEADLINE]
    assert retry.remaining() == retry.DEFAULT_DEADLINE


def test_sleep_returns_early_when_cancelled() -> None:
    cancel = threading.Event()
    cancel.set()
    started = time.monotonic()
    assert retry.sleep(5, cancel) is True
    assert time.monotonic() - started < 1
    assert retry.sleep(0.01, threading.Event()) is False
    assert retry.sleep(0.01, None) is False
