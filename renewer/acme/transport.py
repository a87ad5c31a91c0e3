"""Every HTTP request to a CA: bounded waits, and a CA that stopped answering stays down.

A CA that accepts connections and never answers used to cost the full
30-second timeout per request, one certificate after the other. Now:
- connect and read timeouts are separate (5 s to connect, 30 s for an
  answer), and never longer than what is left of the certificate's deadline;
- a refused or reset connection is tried again twice (0.5 s, 1 s apart);
- the first timeout, or a connection still refused after those tries, marks
  the CA directory down in :class:`CaHealth` for the rest of the run: every
  later request to it, for any certificate, fails at once with the same line
  (planning's renewal-info lookups too, which then use the lifetime rule).

``AcmeClient`` is the library's ClientV2 with its POSTs run through the retry
primitive: badNonce up to 20 times with a fresh nonce, serverInternal and
rateLimited-with-Retry-After up to 3 more times after the CA's pause, all
inside the certificate's deadline and stopped by the run's cancel event.
The CA's Retry-After rides on the raised problem (``error.retry_after``).

``Network`` runs on the account's ``CaSession`` (renewer.acme.session): its
connections and nonces are shared by every order of the account.
"""

from __future__ import annotations

import logging
import threading
from base64 import b64encode
from collections.abc import Callable
from typing import Any

import requests
from acme import client as acme_client
from acme import messages
from josepy.jwa import JWASignature
from josepy.jwk import JWK

from renewer.acme.cutoff import Connections
from renewer.acme.failures import AcmeFailure, CaDown, problem_retry_after, problem_transient
from renewer.acme.session import USER_AGENT, CaSession, decode_nonce
from renewer.acme.signing import sign_with_kid
from renewer.core import retry
from renewer.core.errors import RenewerError, clip
from renewer.core.retry import Deadline, Policy

log = logging.getLogger(__name__)
_WIRE_LOG = logging.getLogger("acme.client")  # the library's request/answer lines

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
# A timeout shorter than this says more about the certificate's deadline than the CA.
MIN_DOWN_WAIT = 1.0
CANCEL_LOOK = 0.1  # how often a request in flight looks at the run's cancel event
CONNECT_RETRIES = Policy(attempts=3, first=0.5, factor=2.0, cap=2.0)
BAD_NONCE_RETRIES = 20  # each try is two requests (the library retries once itself)
REQUEST_RETRIES = 3  # serverInternal / rateLimited with a Retry-After, per request
FRESH_NONCE = Policy(attempts=BAD_NONCE_RETRIES, first=0.0, cap=0.0)
TRANSIENT_PROBLEM = Policy(attempts=1 + REQUEST_RETRIES)


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
    request: Callable[[tuple[float, float]], requests.Response],
    cut: Connections | None = None,
    advisory: bool = False,
) -> requests.Response:
    """One CA request under the timeouts and the down list (see the module doc).

    With ``cut`` (the session's connections, renewer.acme.cutoff) the request
    runs in this thread and a set ``cancel`` shuts its socket; without it, it
    runs in a thread of its own that this one stops waiting for. An
    ``advisory`` request (the renewal-info question right after an issuance,
    with a short deadline) that gets no answer fails alone: it neither marks
    the CA down for the run's other orders nor is tried again.
    """
    health.check(directory)
    if cut is not None and cancel is not None:
        cut.watch(cancel)

    def attempt(timeouts: tuple[float, float]) -> requests.Response:
        if cut is None or cancel is None:
            return _interruptible(lambda: request(timeouts), cancel)
        if cancel.is_set():
            raise retry.Cancelled("run cancelled during a CA request")
        try:
            return request(timeouts)
        except (requests.RequestException, OSError):
            if cancel.is_set():  # the cut socket, not the CA
                raise retry.Cancelled("run cancelled during a CA request") from None
            raise

    def once() -> requests.Response:
        timeouts = request_timeouts(deadline)
        try:
            return attempt(timeouts)
        except requests.Timeout as exc:
            connecting = isinstance(exc, requests.ConnectTimeout)
            waited = timeouts[0] if connecting else timeouts[1]
            if waited < MIN_DOWN_WAIT:
                raise AcmeFailure(
                    "the certificate's deadline passed before the CA answered"
                ) from None
            if advisory:
                raise AcmeFailure(f"no answer in {waited:.0f}s") from None
            what = "connect" if connecting else "request"
            raise health.mark_down(directory, not_answering(directory, waited, what)) from None
        except requests.exceptions.SSLError:
            raise  # TLS trust is configuration: the caller words it, nothing to wait for
        except requests.ConnectionError as exc:
            raise _Unreachable(f"CA directory {directory} unreachable: {short(exc)}") from None

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


def _interruptible(
    call: Callable[[], requests.Response], cancel: threading.Event | None
) -> requests.Response:
    """``call()``, left behind at once when ``cancel`` is set (Ctrl-C during a hung request).

    A blocking socket read cannot be woken from another thread, so the request
    runs in a daemon thread that ends at its own timeout; the certificate's
    thread moves on to clean up. Without a cancel event: a plain call.
    """
    if cancel is None:
        return call()
    outcome: list[requests.Response] = []
    failure: list[BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="ca-request", daemon=True).start()
    while not done.wait(CANCEL_LOOK):
        if cancel.is_set():
            raise retry.Cancelled("run cancelled during a CA request")
    if failure:
        raise failure[0]
    return outcome[0]


class Network(acme_client.ClientNetwork):
    """ClientNetwork on the account's shared session and nonce pool, every
    request bounded by the certificate's deadline, and a problem's Retry-After
    attached to the error."""

    def __init__(
        self,
        key: JWK,
        alg: JWASignature,
        session: CaSession,
        *,
        directory: str,
        health: CaHealth,
        deadline: Deadline,
        cancel: threading.Event | None,
    ) -> None:
        # Not the library's __init__: it builds a requests.Session and an adapter
        # per client (per order) only to have them replaced by the account's.
        self.key, self.account, self.alg = key, None, alg
        self.user_agent, self._default_timeout = USER_AGENT, int(READ_TIMEOUT)
        self._nonces = set()  # unused: nonces live in the account's pool
        self.session = session.http
        self.shared = session
        # requests accepts a CA file path wherever it accepts True.
        self.verify_ssl = session.verify  # type: ignore[assignment]
        self.directory_url = directory
        self.health = health
        self.deadline = deadline
        self.cancel = cancel

    def __del__(self) -> None:
        """The session belongs to the account (the library closes its own here)."""

    def _wrap_in_jws(self, obj: Any, nonce: bytes, url: str) -> str:  # type: ignore[override]
        """The request's JWS; with the account's URL as ``kid``, built directly (signing)."""
        if self.account is None or self.key is None:
            return str(super()._wrap_in_jws(obj, nonce, url))  # type: ignore[arg-type]
        payload = obj.json_dumps().encode() if obj else b""
        _WIRE_LOG.debug("JWS payload:\n%s", payload)
        return sign_with_kid(self.key, self.alg, self.account["uri"], nonce, url, payload)

    def _add_nonce(self, response: requests.Response) -> None:
        self.shared.nonces.add(decode_nonce(response))

    def _get_nonce(self, url: str, new_nonce_url: str) -> bytes:  # type: ignore[override]
        nonce = self.shared.nonces.take()
        if nonce is not None:
            return nonce
        log.debug("nonce pool empty: asking newNonce")
        response = self.head(new_nonce_url) if new_nonce_url else self.head(url)
        if new_nonce_url:
            self._check_response(response, content_type=None)
        # Used right away, never pooled: another order could take it first.
        return decode_nonce(response)

    def _send_request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        """The library's request: same headers, encoding and debug lines, the latter
        formatted only when debug logging is on (the library joins every answer's
        headers and decodes its body for the log line on every request)."""
        headers = kwargs.setdefault("headers", {})
        headers.setdefault("User-Agent", self.user_agent)
        kwargs["verify"] = self.verify_ssl
        http = self.session
        debug = _WIRE_LOG.isEnabledFor(logging.DEBUG)
        if debug and method == "POST":
            _WIRE_LOG.debug("Sending POST request to %s:\n%s", url, kwargs.get("data"))
        elif debug:
            _WIRE_LOG.debug("Sending %s request to %s.", method, url)

        def request(timeouts: tuple[float, float]) -> requests.Response:
            return http.request(method, url, *args, **{**kwargs, "timeout": timeouts})

        response = send(
            self.health,
            self.directory_url,
            self.deadline,
            self.cancel,
            request,
            self.shared.connections,
        )
        if "Accept" not in headers:
            response.encoding = "utf-8"  # as the library: the CA's JSON and PEM are UTF-8
        if debug:
            content = response.text if "Accept" not in headers else b64encode(response.content)
            lines = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
            _WIRE_LOG.debug(
                "Received response:\nHTTP %d\n%s\n\n%s", response.status_code, lines, content
            )
        if method == "POST" and not response.ok:
            # The library drops an error answer's nonce (it pools only a success's);
            # keeping it saves the badNonce retry a HEAD newNonce.
            self.shared.keep_nonce(response)
        return response

    @classmethod
    def _check_response(
        cls, response: requests.Response, content_type: str | None = None
    ) -> requests.Response:
        try:
            return super()._check_response(response, content_type=content_type)
        except messages.Error as error:
            # The exception carries the pause the CA asked for (RFC 8555 6.6).
            error.retry_after = retry.parse_retry_after(response.headers.get("Retry-After"))
            raise


class _Problem(RenewerError):
    """A CA problem document on its way through the retry primitive (see AcmeClient._post)."""

    def __init__(self, error: messages.Error) -> None:
        after = problem_retry_after(error)
        super().__init__(str(error.code), transient=problem_transient(error.code, after))
        self.retry_after = after
        self.error = error
        self.code = error.code


class AcmeClient(acme_client.ClientV2):
    """ClientV2 that retries badNonce with fresh nonces instead of only once, and
    transient problems (serverInternal, rateLimited with a Retry-After) after
    the pause the CA asks for, when it fits the certificate's deadline."""

    cancel: threading.Event | None = None
    deadline: Deadline | None = None

    def _post(self, *args: Any, **kwargs: Any) -> requests.Response:
        def once() -> requests.Response:
            try:
                return self._post_nonce_retried(*args, **kwargs)
            except messages.Error as error:
                raise _Problem(error) from None

        def fresh_nonces() -> requests.Response:
            return retry.attempt_until(
                once,
                policy=FRESH_NONCE,
                deadline=self.deadline,
                cancel=self.cancel,
                retry_on=_bad_nonce,
                on_retry=lambda _e, _d: log.debug("badNonce, retrying with a fresh nonce"),
            )

        try:
            return retry.attempt_until(
                fresh_nonces,
                policy=TRANSIENT_PROBLEM,
                deadline=self.deadline,
                cancel=self.cancel,
                retry_on=lambda e: retry.is_retryable(e) and not _bad_nonce(e),
                on_retry=_log_retry,
            )
        except _Problem as problem:
            raise problem.error from None

    def _post_nonce_retried(self, *args: Any, **kwargs: Any) -> requests.Response:
        return super()._post(*args, **kwargs)

    def post_as_get(self, url: str) -> requests.Response:
        """Public name for the library's POST-as-GET (RFC 8555 6.3)."""
        return self._post_as_get(url)

    def links(self, response: requests.Response, relation: str) -> list[str]:
        """Link header URLs of one relation (``alternate`` chains, RFC 8555 7.4.2)."""
        return list(self._get_links(response, relation))


def _bad_nonce(error: BaseException) -> bool:
    return isinstance(error, _Problem) and error.code == "badNonce"


def _log_retry(error: BaseException, delay: float) -> None:
    log.info("CA answered %s; trying again in %.1fs", getattr(error, "code", error), delay)


def short(exc: BaseException) -> str:
    """A library error's first line, clipped in the middle (issue 12: its cause comes last)."""
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return clip(text)
