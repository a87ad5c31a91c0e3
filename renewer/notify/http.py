"""POST a rendered message, trying again on 429 and 5xx, within a time budget.

A chat webhook that is briefly overloaded (Teams Workflows and Slack both
answer 429 with Retry-After; 5xx during incidents) should not lose the one
message of a failing run, but a dead endpoint must not hold the run up
either: every attempt has a timeout, the waits double from ``backoff``, a
Retry-After is honoured (never retried sooner) and nothing happens past the
``budget``. Errors never quote the URL: requests' exception texts do, and a
Teams or Slack URL is a credential.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import requests

from renewer.core.errors import RenewerError
from renewer.core.redact import redact
from renewer.core.retry import Deadline, Policy, attempt_until, parse_retry_after
from renewer.notify.contract import DeliveryError, Rendered

ATTEMPTS = 4
BACKOFF = 2.0  # seconds before the second attempt; doubles after each failure
MAX_WAIT = 30.0  # a Retry-After longer than this is not waited for
BUDGET = 60.0  # all attempts and waits of one message together
USER_AGENT = "renewer-notify/1"


def _float_env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try; RENEWER_NOTIFY_ATTEMPTS / _BACKOFF / _BUDGET override (tests, CI)."""

    attempts: int = ATTEMPTS
    backoff: float = BACKOFF
    max_wait: float = MAX_WAIT
    budget: float = BUDGET

    @classmethod
    def from_env(cls) -> RetryPolicy:
        attempts = int(_float_env("RENEWER_NOTIFY_ATTEMPTS", ATTEMPTS))
        return cls(
            attempts=max(1, min(attempts, 10)),
            backoff=max(0.0, min(_float_env("RENEWER_NOTIFY_BACKOFF", BACKOFF), MAX_WAIT)),
            budget=max(1.0, min(_float_env("RENEWER_NOTIFY_BUDGET", BUDGET), 600.0)),
        )


def _snippet(response: requests.Response) -> str:
    """The start of an error answer (Slack: "invalid_payload"), masked and on one line."""
    text = " ".join(response.text[:120].split())
    return f": {redact(text)}" if text else ""


class TryAgain(RenewerError):
    """One attempt that may succeed later (429, 5xx, no answer); the primitive decides."""

    transient = True


def attempts_policy(policy: RetryPolicy) -> Policy:
    """The shared retry primitive's policy for one message (core.retry.attempt_until)."""
    return Policy(
        attempts=policy.attempts,
        first=policy.backoff,
        cap=policy.budget,
        max_retry_after=None,  # a longer Retry-After is refused below, not shortened
    )


def post(url: str, message: Rendered, timeout: float, policy: RetryPolicy) -> str:
    """POST ``message`` to ``url``; "HTTP 200 after 1 attempt(s)", or DeliveryError."""
    headers = {"Content-Type": message.media_type, "User-Agent": USER_AGENT, **message.headers}
    deadline = Deadline.after(policy.budget)
    tries = 0

    def attempt() -> str:
        nonlocal tries
        tries += 1
        limit = max(0.001, min(timeout, deadline.remaining()))
        try:
            response = requests.post(
                url, data=message.body, headers=headers, timeout=limit, allow_redirects=False
            )
        except requests.Timeout:
            raise TryAgain(f"no answer within {limit:.0f}s") from None
        except requests.RequestException as exc:  # the text holds the URL: name the kind only
            raise TryAgain(f"cannot connect ({exc.__class__.__name__})") from None
        status = response.status_code
        if 200 <= status < 300:
            return f"HTTP {status} after {tries} attempt(s)"
        if status != 429 and status < 500:
            raise DeliveryError(f"refused with HTTP {status}{_snippet(response)}")
        raise TryAgain(
            f"HTTP {status}{_snippet(response)}",
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    def may_wait(pause: float) -> bool:
        return pause <= policy.max_wait

    try:
        return attempt_until(
            attempt, policy=attempts_policy(policy), deadline=deadline, may_wait=may_wait
        )
    except TryAgain as last:
        if tries >= policy.attempts:
            raise DeliveryError(f"{last} after {tries} attempt(s)") from None
        raise DeliveryError(f"{last}; a retry would pass the time budget") from None
