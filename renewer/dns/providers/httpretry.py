"""Rate-limit and server-error retries for the HTTP-API DNS providers.

DNS APIs answer bursts (an order with many names writes many TXT values)
with 429 and a Retry-After, and fail over with 502/503/504. Each request is
tried a bounded number of times through the one retry primitive
(``renewer.core.retry.attempt_until``): Retry-After is honoured (capped),
otherwise a jittered exponential pause is taken. The last answer is handed
back (or a transient DnsError when the server never answered), so each
provider still turns its own error bodies into one readable line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from renewer.core import retry
from renewer.dns.contract import DnsError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_ATTEMPTS = 5
TIMEOUT = 20.0
POLICY = retry.Policy(
    attempts=MAX_ATTEMPTS, first=0.25, factor=2.0, cap=8.0, jitter=True, max_retry_after=60.0
)


class _Again(DnsError):
    """One answer worth another try (429/5xx) or no answer at all."""

    transient = True

    def __init__(self, message: str, response: requests.Response | None, after: float | None):
        super().__init__(message, retry_after=after)
        self.response = response


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    what: str,
    json: Any = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    policy: retry.Policy = POLICY,
) -> requests.Response:
    """One API call with retries on 429/5xx and connection failures.

    ``what`` names the provider and operation for the error message (never a
    header: they carry credentials).
    """

    def attempt() -> requests.Response:
        try:
            response = session.request(
                method, url, json=json, params=params, headers=headers, timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            raise _Again(f"cannot reach the API ({exc.__class__.__name__})", None, None) from None
        if response.status_code in RETRY_STATUSES:
            after = retry.parse_retry_after(response.headers.get("Retry-After"))
            raise _Again(f"HTTP {response.status_code}", response, after)
        return response

    try:
        return retry.attempt_until(attempt, policy=policy)
    except _Again as last:
        if last.response is not None:
            return last.response  # the provider reads its error body
        raise DnsError(
            f"{what} failed: {last} after {policy.attempts} attempts", transient=True
        ) from None
