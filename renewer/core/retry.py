"""When to try a CA request or an order again, and for how long.

Transient CA problems (``serverInternal``, ``rateLimited`` with a Retry-After
that fits, connection failures) are retried, first at the request and then at
the order level, always inside the certificate's deadline and never without a
pause. Permanent ones (``rejectedIdentifier``, ``caa``, ``unauthorized``,
``badCSR``...) are not retried: a second attempt would fail the same way and
spend the account's rate limit; the failure carries a hint of what to fix.

The deadline and the last Retry-After seen are per thread: each certificate
runs its whole order in one executor thread.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import threading
import time
from collections.abc import Iterator

TRANSIENT = frozenset({"serverInternal", "rateLimited", "badNonce"})
PERMANENT_HINTS = {
    "rejectedIdentifier": "the CA will not issue for one of the names; change the domains",
    "caa": "a CAA record forbids this CA; add 'issue' for it to the domain's CAA records",
    "unauthorized": "the account may not issue for a name (or replaces a foreign certificate)",
    "badCSR": "the CA refused the CSR; check the key type and names",
    "invalidContact": "the CA refused the contact address; fix acme.contact",
    "externalAccountRequired": "the CA requires external account binding; set acme.eab",
    "unsupportedIdentifier": "the CA does not support one of the names",
    "malformed": "the CA refused the request as malformed",
}
DEFAULT_DEADLINE = 600.0
REQUEST_RETRIES = 3
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0

_local = threading.local()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    current = dt.datetime.now(dt.UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


@contextlib.contextmanager
def deadline_scope(seconds: float) -> Iterator[None]:
    """Give the current thread (one certificate) a deadline ``seconds`` from now."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.deadline = previous


def remaining() -> float:
    """Seconds left before this thread's deadline (the default when none is set)."""
    deadline: float | None = getattr(_local, "deadline", None)
    if deadline is None:
        return DEFAULT_DEADLINE
    return deadline - time.monotonic()


def note_response(status: int, retry_after: str | None) -> None:
    """Remember the last error response's Retry-After for this thread."""
    if status >= 400:
        _local.retry_after = parse_retry_after(retry_after)


def last_retry_after() -> float | None:
    value: float | None = getattr(_local, "retry_after", None)
    return value


def clear_retry_after() -> None:
    _local.retry_after = None


def is_transient(code: str | None, message: str = "") -> bool:
    """A CA problem worth another try, or the CA unreachable."""
    unreachable = message.startswith("CA unreachable") or (
        message.startswith("CA directory ") and " unreachable" in message
    )
    return code in TRANSIENT or (code is None and unreachable)


def hint(code: str | None) -> str | None:
    return PERMANENT_HINTS.get(code or "")


def backoff(attempt: int) -> float:
    """1, 2, 4, ... seconds, at most MAX_BACKOFF."""
    return float(min(MAX_BACKOFF, FIRST_BACKOFF * 2**attempt))


def pause_for(code: str | None, attempt: int) -> float | None:
    """How long to wait before the next try, or None when it would not fit the deadline.

    A rateLimited answer without Retry-After is not retried in this run: Let's
    Encrypt's limits reset in hours, and the next scheduled run tries again.
    """
    after = last_retry_after()
    if code == "rateLimited" and after is None:
        return None
    delay = after if after is not None else backoff(attempt)
    if delay >= remaining():
        return None
    return delay


def sleep(seconds: float, cancel: threading.Event | None) -> bool:
    """Wait (a Retry-After or back-off pause); True if the run was cancelled meanwhile."""
    return (cancel or threading.Event()).wait(seconds)
