"""The one retry primitive: try, wait as asked, try again, inside a deadline.

Every loop in renewer that tries something again (a CA request after
``badNonce`` or ``serverInternal``, a new order, an authorization poll, a
GitHub call after a 502, an Azure DNS write that lost an ETag race, a TXT
lookup until the value is visible) is :func:`attempt_until` with a
:class:`Policy`. The decision to try again reads only the raised error's own
facts (``RenewerError.transient`` and ``.retry_after``, see
``renewer.core.errors``): no loop recognises a failure by its wording, and no
Retry-After travels beside the exception.

A poll is the same thing: its attempt raises :class:`NotYet` (transient,
with the server's Retry-After when it gave one) until the predicate holds.

Waits are ``cancel.wait`` so Ctrl-C or SIGTERM stops every pause at once,
and nothing waits past its :class:`Deadline` (the certificate's, for
everything done for one certificate).

Permanent ACME problems (``rejectedIdentifier``, ``caa``...) are never
retried: a second attempt would fail the same way and spend the account's
rate limit; ``hint`` says what to fix.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from renewer.core.errors import RenewerError

T = TypeVar("T")

TRANSIENT_CODES = frozenset({"serverInternal", "rateLimited", "badNonce"})
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
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0


class Cancelled(RenewerError):
    """The run is stopping (Ctrl-C or SIGTERM); cleanup still runs."""


class NotYet(RenewerError):
    """A poll's predicate does not hold yet; ``retry_after`` is the server's pause, if any."""

    transient = True


@dataclass(frozen=True)
class Deadline:
    """A point on the monotonic clock; nothing done for its owner waits past it."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def passed(self) -> bool:
        return self.remaining() <= 0

    def sooner(self, other: Deadline | None) -> Deadline:
        """The earlier of the two."""
        return self if other is None or self.at <= other.at else other


@dataclass(frozen=True)
class Policy:
    """How often and how patiently to try one thing.

    ``attempts`` None means "until the deadline". Pauses go ``first``,
    ``first*factor``... up to ``cap`` (with ``jitter``: a uniform random share
    of that, for writers racing each other); an error's ``retry_after`` wins,
    capped by ``max_retry_after`` when set. A pause that would pass the
    deadline ends the loop at once (the far side said it will not do better
    sooner), except for a ``poll``, which looks one last time at the deadline.
    """

    attempts: int | None = None
    first: float = FIRST_BACKOFF
    factor: float = 2.0
    cap: float = MAX_BACKOFF
    jitter: bool = False
    max_retry_after: float | None = None
    poll: bool = False

    def backoff(self, retry: int) -> float:
        """The pause before try ``retry + 2`` when the error named none."""
        delay = float(min(self.cap, self.first * self.factor**retry))
        return random.uniform(0, delay) if self.jitter else delay

    def pause(self, error: BaseException, retry: int) -> float:
        asked = error.retry_after if isinstance(error, RenewerError) else None
        if asked is None:
            return self.backoff(retry)
        if self.max_retry_after is not None:
            return min(asked, self.max_retry_after)
        return asked


def is_retryable(error: BaseException) -> bool:
    """The default test: our own errors that say another try may succeed."""
    return isinstance(error, RenewerError) and error.transient


def attempt_until(
    attempt: Callable[[], T],
    *,
    policy: Policy,
    deadline: Deadline | None = None,
    cancel: threading.Event | None = None,
    retry_on: Callable[[BaseException], bool] = is_retryable,
    may_wait: Callable[[float], bool] = lambda _seconds: True,
    on_retry: Callable[[BaseException, float], None] | None = None,
) -> T:
    """Call ``attempt`` until it returns; re-raise its error once trying again is pointless.

    An error is tried again when ``retry_on`` says so, attempts are left, the
    pause fits the deadline and ``may_wait`` (a caller's own wait budget)
    agrees; otherwise the last error is raised as it was. ``Cancelled`` (with
    the last error as its cause) when ``cancel`` is set before or during a pause.
    """
    retries = 0
    while True:
        try:
            return attempt()
        except Exception as error:
            if not retry_on(error):
                raise
            if policy.attempts is not None and retries + 1 >= policy.attempts:
                raise
            delay = max(0.0, policy.pause(error, retries))
            if deadline is not None:
                left = deadline.remaining()
                if left <= 0 or (delay >= left and not policy.poll):
                    raise
                delay = min(delay, left)
            if not may_wait(delay):
                raise
            retries += 1
            if on_retry is not None:
                on_retry(error, delay)
            if (cancel or threading.Event()).wait(delay):
                raise Cancelled("run cancelled") from error


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (RFC 9110 10.2.3), or None when absent or unreadable.

    Delta-seconds, or an HTTP-date compared with the current time in UTC
    (``now`` is a POSIX timestamp): never with local wall-clock time, which is
    what made a one-second pause last hours in a zone west of UTC.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": UTC by RFC 5322
        when = when.replace(tzinfo=dt.UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def hint(code: str | None) -> str | None:
    """What to fix for a permanent ACME problem (None: not one)."""
    return PERMANENT_HINTS.get(code or "")
