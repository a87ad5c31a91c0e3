"""Every HTTP request to a CA: bounded waits, and a CA that stopped answering stays down.

A CA that accepts connections and never answers used to cost the full
30-second timeout per request, one certificate after the other. Now:
- connect and read timeouts are separate (5 s to connect, 30 s for an
  answer), and never longer than what is left of the certificate's deadline;
- a refused or reset connection is tried again twice (0.5 s, 1 s apart);
- the first timeout, or a connection still refused after those tries, marks
  the CA directory down in :class:`CaHealth` for the rest of the run: every
  later request to it, for any certificate, fails at once with the same line
  (planning's renewal-info lookups too, which then use the lifetime rule);
- a TLS failure is configuration (``acme.ca_bundle``), reported at once;
- with the session's connections (renewer.acme.cutoff), the run's cancel
  event ends a request in flight.

The requests themselves are urllib3's (renewer.acme.session), so the errors
mapped here are urllib3's public exception classes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from urllib3 import exceptions as http_errors

from renewer.acme.cutoff import Connections
from renewer.acme.failures import AcmeFailure, CaDown
from renewer.core import retry
from renewer.core.errors import clip
from renewer.core.retry import Deadline, Policy

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
# A timeout shorter than this says more about the certificate's deadline than the CA.
MIN_DOWN_WAIT = 1.0
CONNECT_RETRIES = Policy(attempts=3, first=0.5, factor=2.0, cap=2.0)

T = TypeVar("T")


class _Unreachable(AcmeFailure):
    """The connection was refused or dropped; tried again a few times, then the CA is down."""


class CaHealth:
    """The CA directories that stopped answering during this run, with the line to report."""

    def __init__(self) -> None:
        self._down: dict[str, str] = {}
        self._lock = threading.Lock()

    def check(self, directory: str) -> None:
        """Raise the CA's down line at once when it already stopped answering."""
        line = self._down.get(directory)
        if line is not None:
            raise CaDown(line)

    def mark_down(self, directory: str, line: str) -> CaDown:
        """Remember the first reason the CA is down; every later failure repeats that line."""
        with self._lock:
            first = directory not in self._down
            line = self._down.setdefault(directory, line)
        if first:
            log.warning("%s", line)
        return CaDown(line)

    def down(self, directory: str) -> bool:
        return directory in self._down


def request_timeouts(deadline: Deadline) -> tuple[float, float]:
    """(connect, read) seconds for one request, within what is left of ``deadline``."""
    left = deadline.remaining()
    if left <= 0:
        raise AcmeFailure("the certificate's deadline passed before the CA answered")
    return min(CONNECT_TIMEOUT, left), min(READ_TIMEOUT, left)


def not_answering(directory: str, waited: float, what: str) -> str:
    return (
        f"CA {directory} not answering ({what}: no answer in {waited:.0f}s); "
        "not asked again in this run"
    )


def send(
    health: CaHealth,
    directory: str,
    deadline: Deadline,
    cancel: threading.Event | None,
    request: Callable[[tuple[float, float]], T],
    cut: Connections | None = None,
    advisory: bool = False,
) -> T:
    """One CA request under the timeouts and the down list (see the module doc).

    With ``cut`` (the session's connections) a set ``cancel`` shuts the
    request's socket; without it, ``cancel`` is looked at between tries. An
    ``advisory`` request (the renewal-info question right after an issuance,
    with a short deadline) that gets no answer fails alone: it neither marks
    the CA down for the run's other orders nor is tried again.
    """
    health.check(directory)
    if cut is not None and cancel is not None:
        cut.watch(cancel)

    def cancelled() -> bool:
        return cancel is not None and cancel.is_set()

    def once() -> T:
        if cancelled():
            raise retry.Cancelled("run cancelled during a CA request")
        timeouts = request_timeouts(deadline)
        try:
            return request(timeouts)
        except (http_errors.HTTPError, OSError) as exc:
            if cancelled():  # the cut socket, not the CA
                raise retry.Cancelled("run cancelled during a CA request") from None
            raise _failure(exc, health, directory, timeouts, advisory) from None

    try:
        return retry.attempt_until(
            once,
            policy=CONNECT_RETRIES,
            deadline=deadline,
            cancel=cancel,
            retry_on=lambda error: (
                isinstance(error, _Unreachable) and not advisory and not health.down(directory)
            ),
        )
    except _Unreachable as exc:
        if advisory:
            raise AcmeFailure(str(exc)) from None
        raise health.mark_down(directory, str(exc)) from None


def _failure(
    exc: BaseException,
    health: CaHealth,
    directory: str,
    timeouts: tuple[float, float],
    advisory: bool,
) -> AcmeFailure:
    """What one failed request means: our deadline, a CA down, TLS, or a dropped line."""
    if isinstance(exc, http_errors.SSLError):
        # TLS trust is configuration: nothing to wait for, and the CA is not down.
        return AcmeFailure(f"CA directory {directory} unreachable: {short(exc)}")
    timed_out = isinstance(exc, http_errors.TimeoutError | TimeoutError)
    if timed_out and not isinstance(exc, http_errors.NewConnectionError):
        connecting = isinstance(exc, http_errors.ConnectTimeoutError)
        waited = timeouts[0] if connecting else timeouts[1]
        if waited < MIN_DOWN_WAIT:
            return AcmeFailure("the certificate's deadline passed before the CA answered")
        if advisory:
            return AcmeFailure(f"no answer in {waited:.0f}s")
        what = "connect" if connecting else "request"
        return health.mark_down(directory, not_answering(directory, waited, what))
    return _Unreachable(f"CA directory {directory} unreachable: {short(exc)}")


def short(exc: BaseException) -> str:
    """A library error's first line, clipped in the middle (its cause comes last)."""
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return clip(text)
