"""Rate-limit and server-error retries for the HTTP-API DNS providers.

DNS APIs answer bursts (an order with many names writes many TXT values)
with 429 and a Retry-After, and fail over with 502/503/504. Each request is
tried a bounded number of times: Retry-After is honoured when it fits the
certificate's deadline (``renewer.core.retry.remaining``), otherwise a
jittered exponential pause is taken. The last answer is handed back (or a
transient DnsError when the server never answered), so each provider still
turns its own error bodies into one readable line.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from typing import Any

import requests

from renewer.core.retry import parse_retry_after, remaining
from renewer.dns.contract import DnsError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_ATTEMPTS = 5
BACKOFF_BASE = 0.25  # seconds, doubled per attempt, full jitter
BACKOFF_CAP = 8.0
MAX_RETRY_AFTER = 60.0
TIMEOUT = 20.0

_pause = threading.Event()  # never set: an interruptible sleep


def pause_for(attempt: int, retry_after: float | None) -> float:
    """Seconds to wait before attempt ``attempt + 1`` (Retry-After wins when given)."""
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_AFTER)
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    what: str,
    json: Any = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    attempts: int = MAX_ATTEMPTS,
) -> requests.Response:
    """One API call with retries on 429/5xx and connection failures.

    ``what`` names the provider and operation for the error message (never a
    header: they carry credentials).
    """
    last: str = "no answer"
    for attempt in range(attempts):
        try:
            response = session.request(
                method, url, json=json, params=params, headers=headers, timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            last = f"cannot reach the API ({exc.__class__.__name__})"
            retry_after = None
        else:
            if response.status_code not in RETRY_STATUSES:
                return response
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            last = f"HTTP {response.status_code}"
            if attempt + 1 == attempts:
                return response
        wait = pause_for(attempt, retry_after)
        if attempt + 1 == attempts or wait >= remaining():
            break
        _pause.wait(wait)
    raise DnsError(f"{what} failed: {last} after {attempt + 1} attempts", transient=True)
