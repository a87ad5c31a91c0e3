"""RFC 8555 requests of one order: signed POSTs on the account's session.

Owned here rather than taken from ``acme.client`` because what renewer needs
sits in that client's private methods: its requests.Session per client (one
TLS connection per order), its nonce set per client, one badNonce retry, a
fixed timeout with no deadline and no way to cut a hung read. This layer is
small: the protocol objects stay the library's (``acme.messages``,
``acme.challenges``, ``acme.jws``), the JWS is josepy's, and the HTTP is
urllib3's public API (renewer.acme.session, through renewer.acme.transport).

Every POST is tried again on ``badNonce`` with a fresh nonce (up to
:data:`BAD_NONCE_TRIES` times; the library tries twice), and on
``serverInternal`` or ``rateLimited`` with a Retry-After up to
:data:`REQUEST_RETRIES` more times after the CA's pause, all inside the
certificate's deadline and stopped by the run's cancel event. The CA's
Retry-After rides on the raised problem (``error.retry_after``).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from acme import challenges, messages
from acme import errors as acme_errors
from cryptography import x509
from josepy.errors import DeserializationError
from josepy.interfaces import JSONDeSerializable
from josepy.jwa import JWASignature
from josepy.jwk import JWK

from renewer.acme.failures import AcmeFailure, problem_retry_after, problem_transient
from renewer.acme.session import CaSession, Reply, decode_nonce
from renewer.acme.signing import sign_request
from renewer.acme.transport import CaHealth, send
from renewer.core import retry
from renewer.core.errors import RenewerError
from renewer.core.retry import Deadline, Policy

log = logging.getLogger(__name__)

JOSE = "application/jose+json"
BAD_NONCE_TRIES = 25  # a CA rejecting half its nonces fails one POST in 30 million
REQUEST_RETRIES = 3  # serverInternal / rateLimited with a Retry-After, per request
FRESH_NONCE = Policy(attempts=BAD_NONCE_TRIES, first=0.0, cap=0.0)
TRANSIENT_PROBLEM = Policy(attempts=1 + REQUEST_RETRIES)
_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)")
_REL = re.compile(r'rel\s*=\s*"?([^";]+)"?')


@dataclass
class Identity:
    """Who signs: the account key, its algorithm and, once known, the account."""

    key: JWK
    alg: JWASignature
    account: messages.RegistrationResource | None = None


class _Problem(RenewerError):
    """A CA problem document on its way through the retry primitive (see AcmeClient.post)."""

    def __init__(self, error: messages.Error) -> None:
        after = problem_retry_after(error)
        super().__init__(str(error.code), transient=problem_transient(error.code, after))
        self.retry_after = after
        self.error = error
        self.code = error.code


class AcmeClient:
    """One order's requests to the CA: its deadline and cancel event, the account's session.

    ``net`` is the signing identity (key, algorithm, account), named as in
    ``acme.client`` for the order code that reads ``net.key``.
    """

    def __init__(
        self,
        directory: messages.Directory,
        net: Identity,
        session: CaSession,
        *,
        directory_url: str,
        health: CaHealth,
        deadline: Deadline,
        cancel: threading.Event | None = None,
        on_transient: Callable[[str], None] | None = None,
    ) -> None:
        self.directory = directory
        self.net = net
        self.session = session
        self.directory_url = directory_url
        self.health = health
        self.deadline = deadline
        self.cancel = cancel
        # Told the problem (its ACME code, e.g. "serverInternal") each time a transient
        # one is retried: the run reports that the CA struggled, not only a log line.
        self.on_transient = on_transient

    # -- the wire ----------------------------------------------------------
    def _send(self, method: str, url: str, body: bytes | None = None) -> Reply:
        headers = {"Content-Type": JOSE} if body is not None else None
        session = self.session
        return send(
            self.health,
            self.directory_url,
            self.deadline,
            self.cancel,
            lambda timeouts: session.request(method, url, timeouts, body, headers),
            session.connections,
        )

    def _nonce(self) -> bytes:
        nonce = self.session.nonces.take()
        if nonce is not None:
            return nonce
        log.debug("nonce pool empty: asking newNonce")
        reply = self._send("HEAD", self.directory["newNonce"])
        checked(reply)
        return decode_nonce(reply)  # used right away, never pooled: another order could take it

    def _sign(self, obj: JSONDeSerializable | None, nonce: bytes, url: str) -> bytes:
        payload = obj.json_dumps().encode() if obj is not None else b""
        kid = self.net.account.uri if self.net.account is not None else None
        return sign_request(self.net.key, self.net.alg, kid, nonce, url, payload)

    def _post_once(self, url: str, obj: JSONDeSerializable | None) -> Reply:
        reply = self._send("POST", url, self._sign(obj, self._nonce(), url))
        self.session.keep_nonce(reply)  # an error's nonce too: a badNonce retry needs no HEAD
        try:
            return checked(reply)
        except messages.Error as error:
            raise _Problem(error) from None

    def post(
        self, url: str, obj: JSONDeSerializable | None, *, transient_retries: bool = True
    ) -> Reply:
        """A signed POST, tried again on badNonce and on transient problems (module doc).

        ``transient_retries`` False: badNonce only. A caller with its own rule for a
        problem the CA calls transient (newAccount with EAB: a 500 there is usually a
        binding the CA cannot match, renewer.acme.registration) decides itself.
        """

        def fresh_nonces() -> Reply:
            return retry.attempt_until(
                lambda: self._post_once(url, obj),
                policy=FRESH_NONCE,
                deadline=self.deadline,
                cancel=self.cancel,
                retry_on=_bad_nonce,
                on_retry=lambda _e, _d: log.debug("badNonce, retrying with a fresh nonce"),
            )

        try:
            if not transient_retries:
                return fresh_nonces()
            return retry.attempt_until(
                fresh_nonces,
                policy=TRANSIENT_PROBLEM,
                deadline=self.deadline,
                cancel=self.cancel,
                retry_on=lambda e: retry.is_retryable(e) and not _bad_nonce(e),
                on_retry=self._retried,
            )
        except _Problem as problem:
            raise problem.error from None

    def _retried(self, error: BaseException, delay: float) -> None:
        log.info("CA answered %s; trying again in %.1fs", problem_name(error), delay)
        if self.on_transient is not None:
            self.on_transient(problem_name(error))

    def post_as_get(self, url: str) -> Reply:
        """POST-as-GET (RFC 8555 6.3): an empty payload."""
        return self.post(url, None)

    # -- RFC 8555 resources ------------------------------------------------
    def new_account(self, registration: messages.NewRegistration) -> messages.RegistrationResource:
        """newAccount; ``ConflictError(location)`` when the key already has an account
        (200 with a Location), as ``acme.client`` answers, so callers find it either way."""
        reply = self.post(self.directory["newAccount"], registration)
        location = reply.headers.get("Location")
        if reply.status_code == 200 and location:
            raise acme_errors.ConflictError(location)
        regr = messages.RegistrationResource(
            body=messages.Registration.from_json(reply.json()), uri=location
        )
        self.net.account = regr
        return regr

    def authorization(self, reply: Reply, uri: str) -> messages.AuthorizationResource:
        """The authorization in ``reply`` (fetched from ``uri``)."""
        body = messages.Authorization.from_json(reply.json())
        return messages.AuthorizationResource(body=body, uri=reply.headers.get("Location", uri))

    def poll(
        self, authzr: messages.AuthorizationResource
    ) -> tuple[messages.AuthorizationResource, Reply]:
        """The authorization now, and the answer (its Retry-After paces the next look)."""
        reply = self.post_as_get(authzr.uri)
        updated = self.authorization(reply, authzr.uri)
        if updated.body.identifier != authzr.body.identifier:
            raise AcmeFailure(f"the CA changed the identifier of authorization {authzr.uri}")
        return updated, reply

    def answer_challenge(
        self, challb: messages.ChallengeBody, response: challenges.ChallengeResponse
    ) -> messages.ChallengeBody:
        """Tell the CA the challenge is ready (RFC 8555 7.5.1)."""
        reply = self.post(challb.uri, response)
        answered: messages.ChallengeBody = messages.ChallengeBody.from_json(reply.json())
        return answered

    def deactivate_authorization(
        self, authzr: messages.AuthorizationResource
    ) -> messages.AuthorizationResource:
        reply = self.post(authzr.uri, messages.UpdateAuthorization(status="deactivated"))
        return self.authorization(reply, authzr.uri)

    def begin_finalization(self, order: messages.OrderResource) -> messages.OrderResource:
        """Send the order's CSR to its finalize URL (RFC 8555 7.4)."""
        csr = x509.load_pem_x509_csr(order.csr_pem)
        reply = self.post(order.body.finalize, messages.CertificateRequest(csr=csr))
        updated: messages.OrderResource = order.update(body=messages.Order.from_json(reply.json()))
        return updated

    def revoke(self, cert: x509.Certificate, reason: int) -> None:
        reply = self.post(
            self.directory["revokeCert"], messages.Revocation(certificate=cert, reason=reason)
        )
        if reply.status_code != 200:
            raise AcmeFailure(f"revocation answered HTTP {reply.status_code}, not 200")

    @staticmethod
    def links(reply: Reply, relation: str) -> list[str]:
        """Link header URLs of one relation (``alternate`` chains, RFC 8555 7.4.2; RFC 8288)."""
        found: list[str] = []
        for header in reply.headers.getlist("Link"):
            for url, params in _LINK.findall(header):
                rel = _REL.search(params)
                if rel is not None and relation in rel.group(1).split():
                    found.append(url)
        return found


def checked(reply: Reply) -> Reply:
    """``reply`` when it is a success; its problem document (with Retry-After) otherwise."""
    if reply.status_code == 409:
        raise acme_errors.ConflictError(reply.headers.get("Location", "UNKNOWN-LOCATION"))
    if reply.ok:
        return reply
    try:
        error = messages.Error.from_json(reply.json())
    except (ValueError, DeserializationError):
        raise AcmeFailure(
            f"CA answered HTTP {reply.status_code} without a problem document ({reply.url})",
            transient=reply.status_code >= 500,
        ) from None
    # The exception carries the pause the CA asked for (RFC 8555 6.6).
    error.retry_after = retry.parse_retry_after(reply.headers.get("Retry-After"))
    raise error


def _bad_nonce(error: BaseException) -> bool:
    return isinstance(error, _Problem) and error.code == "badNonce"


def problem_name(error: BaseException) -> str:
    """The ACME code of a retried problem, or what stood in for one (an HTTP 5xx)."""
    code = getattr(error, "code", None)
    return str(code) if code else "an error without a problem document"
