"""renewer/core/retry.py: which failures are retried, Retry-After, the deadline, cancel.

The decision to try again reads only the error's own facts (``transient``,
``retry_after``); these tests pin those facts where the errors are made and
the one primitive that reads them.
"""

from __future__ import annotations

import email.utils
import threading
import time

import pytest

from renewer.acme.failures import AcmeFailure
from renewer.core import retry
from renewer.core.errors import RenewerError, describe_error
from renewer.core.retry import Cancelled, Deadline, NotYet, Policy


@pytest.mark.parametrize("code", ["serverInternal", "badNonce"])
def test_transient_problems(code: str) -> None:
    assert AcmeFailure("CA error", code).transient
    assert retry.hint(code) is None


def test_rate_limited_is_transient_only_with_a_retry_after() -> None:
    assert AcmeFailure("slow down", "rateLimited", retry_after=5.0).transient
    assert not AcmeFailure("slow down", "rateLimited").transient  # the next run tries again
    assert retry.hint("rateLimited") is None


def test_unreachable_ca_is_transient_but_other_codeless_errors_are_not() -> None:
    assert AcmeFailure("CA unreachable: ConnectionError", transient=True).transient
    assert not AcmeFailure("something else").transient
    assert not AcmeFailure("odd", "unknownCode").transient
    assert retry.is_retryable(AcmeFailure("x", "serverInternal"))
    assert not retry.is_retryable(ValueError("serverInternal"))  # never by wording


@pytest.mark.parametrize("code", sorted(retry.PERMANENT_HINTS))
def test_permanent_problems_are_not_retried_and_say_what_to_fix(code: str) -> None:
    assert not AcmeFailure("refused", code).transient
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
    minus_zero = email.utils.formatdate(now + 30)  # "-0000": UTC too
    assert retry.parse_retry_after(minus_zero, now=now) == pytest.approx(30, abs=1)


def test_backoff_doubles_and_is_capped() -> None:
    policy = Policy()
    assert [policy.backoff(n) for n in range(4)] == [1.0, 2.0, 4.0, 8.0]
    assert policy.backoff(20) == retry.MAX_BACKOFF
    jittered = Policy(first=0.05, cap=2.0, jitter=True)
    assert all(0 <= jittered.backoff(n) <= min(2.0, 0.05 * 2**n) for n in range(10))


def test_pause_uses_retry_after_then_backoff() -> None:
    policy = Policy()
    assert policy.pause(AcmeFailure("x", "serverInternal"), 0) == 1.0
    assert policy.pause(AcmeFailure("x", "serverInternal"), 2) == 4.0
    assert policy.pause(AcmeFailure("x", "rateLimited", retry_after=7.0), 0) == 7.0
    assert Policy(max_retry_after=60).pause(RenewerError("x", retry_after=3600), 0) == 60


class _Failing:
    """An attempt that fails ``failures`` times with ``error``, then returns 'done'."""

    def __init__(self, error: Exception, failures: int = 10_000) -> None:
        self.error, self.failures, self.calls = error, failures, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "done"


def test_a_retry_after_beyond_the_deadline_is_not_slept_through() -> None:
    attempt = _Failing(AcmeFailure("x", "rateLimited", retry_after=3600))
    started = time.monotonic()
    with pytest.raises(AcmeFailure):
        retry.attempt_until(attempt, policy=Policy(), deadline=Deadline.after(30))
    assert attempt.calls == 1 and time.monotonic() - started < 0.5


def test_rate_limited_without_retry_after_and_permanent_problems_are_tried_once() -> None:
    for error in (AcmeFailure("x", "rateLimited"), AcmeFailure("x", "caa"), ValueError("x")):
        attempt = _Failing(error)
        with pytest.raises(type(error)):
            retry.attempt_until(attempt, policy=Policy(first=0.01), deadline=Deadline.after(30))
        assert attempt.calls == 1


def test_back_off_stops_when_the_next_pause_would_pass_the_deadline() -> None:
    # pauses 0.01, 0.02, 0.04, 0.08 (0.15 s); the next, 0.16 s, does not fit 0.25 s
    attempt = _Failing(AcmeFailure("x", "serverInternal"))
    with pytest.raises(AcmeFailure):
        retry.attempt_until(attempt, policy=Policy(first=0.01), deadline=Deadline.after(0.25))
    assert attempt.calls == 5


def test_attempts_are_bounded_and_success_returns() -> None:
    attempt = _Failing(AcmeFailure("x", "badNonce"), failures=2)
    assert retry.attempt_until(attempt, policy=Policy(attempts=3, first=0)) == "done"
    assert attempt.calls == 3
    attempt = _Failing(AcmeFailure("x", "badNonce"), failures=3)
    with pytest.raises(AcmeFailure):
        retry.attempt_until(attempt, policy=Policy(attempts=3, first=0))
    assert attempt.calls == 3


def test_a_poll_looks_one_last_time_at_the_deadline() -> None:
    attempt = _Failing(NotYet("the certificate"))
    started = time.monotonic()
    with pytest.raises(NotYet):
        retry.attempt_until(
            attempt, policy=Policy(first=5, poll=True), deadline=Deadline.after(0.3)
        )
    elapsed = time.monotonic() - started
    assert attempt.calls == 2 and 0.25 < elapsed < 1.5


def test_wait_budget_is_the_callers() -> None:
    budget = [0.05]

    def may_wait(seconds: float) -> bool:
        budget[0] -= seconds
        return budget[0] >= 0

    attempt = _Failing(AcmeFailure("x", "serverInternal"))
    with pytest.raises(AcmeFailure):
        retry.attempt_until(attempt, policy=Policy(first=0.02, factor=1), may_wait=may_wait)
    assert attempt.calls == 3  # 0.02 + 0.02 fit, the third pause would not


def test_deadlines_are_values_owned_by_one_certificate() -> None:
    five, one = Deadline.after(5), Deadline.after(1)
    assert 4 < five.remaining() <= 5 and not five.passed()
    assert five.sooner(one) is one and one.sooner(five) is one and five.sooner(None) is five
    assert Deadline.after(-1).passed()


def test_cancel_stops_a_pause_at_once_and_keeps_the_cause() -> None:
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    error = AcmeFailure("x", "serverInternal")
    started = time.monotonic()
    with pytest.raises(Cancelled) as raised:
        retry.attempt_until(_Failing(error), policy=Policy(first=30), cancel=cancel)
    assert time.monotonic() - started < 2
    assert raised.value.__cause__ is error


def test_errors_that_joined_the_base_keep_their_lines() -> None:
    from renewer.publish.github_api import GitHubUnavailable

    down = GitHubUnavailable("GitHub API GET /x: HTTP 502 after 3 attempt(s)")
    assert down.transient and isinstance(down, RenewerError)
    assert (
        describe_error(down) == "GitHubUnavailable: GitHub API GET /x: HTTP 502 after 3 attempt(s)"
    )
    assert describe_error(AcmeFailure("CA error: caa: no")) == "CA error: caa: no"
