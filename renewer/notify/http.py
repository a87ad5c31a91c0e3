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
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from renewer.core.redact import redact
from renewer.core.retry import parse_retry_after
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


def post(
    url: str,
    message: Rendered,
    timeout: float,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """POST ``message`` to ``url``; "HTTP 200 after 1 attempt(s)", or DeliveryError."""
    headers = {"Content-Type": message.media_type, "User-Agent": USER_AGENT, **message.headers}
    deadline = clock() + policy.budget
    wait = policy.backoff
    problem = "not attempted"
    for attempt in range(1, policy.attempts + 1):
        remaining = deadline - clock()
        if remaining <= 0:
            raise DeliveryError(f"{problem}; gave up: the {policy.budget:.0f}s budget is spent")
        limit = min(timeout, remaining)
        retry_after: float | None = None
        try:
            response = requests.post(
                url, data=message.body, headers=headers, timeout=limit, allow_redirects=False
            )
        except requests.Timeout:
            problem = f"no answer within {limit:.0f}s"
        except requests.RequestException as exc:  # the text holds the URL: name the kind only
            problem = f"cannot connect ({exc.__class__.__name__})"
        else:
            status = response.status_code
            if 200 <= status < 300:
                return f"HTTP {status} after {attempt} attempt(s)"
            if status != 429 and status < 500:
                raise DeliveryError(f"refused with HTTP {status}{_snippet(response)}")
            problem = f"HTTP {status}{_snippet(response)}"
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if attempt == policy.attempts:
            break
        pause = wait if retry_after is None else retry_after
        if pause > policy.max_wait or clock() + pause >= deadline:
            raise DeliveryError(f"{problem}; a retry in {pause:.0f}s would pass the time budget")
        sleep(pause)
        wait *= 2
    raise DeliveryError(f"{problem} after {policy.attempts} attempt(s)")
