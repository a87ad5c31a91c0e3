"""The account at a CA, over certbot's ``acme`` protocol objects, for what renewer needs.

What it adds to the library, and why:
- one account per CA directory, kept in the store and reused by every run
  (new accounts per run burn the CA's account rate limit);
- a CA bundle per directory (private CAs, local Pebble) without touching
  global TLS settings;
- RFC 9773 ARI with the ``replaces`` field on renewal orders (the library's
  NewOrder has no such field), retried without it when the CA refuses;
- profile validation against ``meta.profiles``;
- every request bounded by the certificate's deadline, and a CA that stopped
  answering marked down for the run (``renewer.acme.transport``); the signed
  requests themselves, with their badNonce and transient-problem retries, are
  ``renewer.acme.protocol``'s.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from acme import crypto_util, messages
from acme import errors as acme_errors
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from josepy.errors import DeserializationError
from josepy.json_util import field
from josepy.jwk import JWK, JWKEC

from renewer.acme.failures import AcmeFailure as AcmeFailure
from renewer.acme.failures import problem_text as problem_text
from renewer.acme.keychange import account_answers, settle, signing_alg
from renewer.acme.protocol import AcmeClient as AcmeClient
from renewer.acme.protocol import Identity
from renewer.acme.registration import EabRefused, existing_account, register
from renewer.acme.session import CaSession, Reply
from renewer.acme.transport import (
    MIN_DOWN_WAIT,
    CaHealth,
    not_answering,
    send,
    short,
)
from renewer.core import renewal_window, retry
from renewer.core.certs import IssuedChain, split_chain, top_issuer_name
from renewer.core.models import RenewalInfo
from renewer.core.retry import Deadline
from renewer.core.settings import AcmeSettings
from renewer.stores.contract import AccountRecord, CertificateStore

log = logging.getLogger(__name__)

LOCK_SLICE = 0.2  # how often a wait for the shared directory or account looks at cancel


def _acquire(lock: threading.Lock, deadline: Deadline, cancel: threading.Event | None) -> bool:
    """Take ``lock`` before ``deadline``; Cancelled as soon as ``cancel`` is set."""
    while True:
        left = deadline.remaining()
        if lock.acquire(timeout=max(0.0, min(left, LOCK_SLICE))):
            return True
        if cancel is not None and cancel.is_set():
            raise retry.Cancelled("run cancelled")
        if left <= LOCK_SLICE:
            return False


def _deadline(deadline: Deadline | None) -> Deadline:
    return deadline if deadline is not None else Deadline.after(retry.DEFAULT_DEADLINE)


class RenewalOrder(messages.NewOrder):
    """newOrder with RFC 9773's ``replaces`` (the ARI id of the certificate renewed)."""

    replaces: str | None = field("replaces", omitempty=True)


class AcmeAccount:
    """One CA directory and our account there, shared by every order of a run.

    Each order gets a light client of its own (it carries that order's
    deadline and cancel event) on the account's one ``CaSession``: the
    connections, the nonces, the directory and the account are shared.
    """

    def __init__(
        self, settings: AcmeSettings, store: CertificateStore, health: CaHealth | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self.health = health or CaHealth()
        self._directory_lock = threading.Lock()
        self._lock = threading.Lock()
        self._directory: messages.Directory | None = None
        self._key: JWK | None = None
        self._regr: messages.RegistrationResource | None = None
        self._refused: EabRefused | None = None  # a binding the CA refused, said once per run
        self._ari: dict[str, RenewalInfo | None] = {}
        # Asked just before a new account is registered, with why; raises to refuse
        # (renewer.execute.accounts: never silently a new account).
        self.before_register: Callable[[str], None] | None = None
        # One pooled session for the GETs (directory, ARI) and every order's POSTs:
        # planning thousands of certificates otherwise pays a TLS handshake per
        # lookup, and issuing them one per order plus a HEAD newNonce.
        self.session = CaSession(settings.directory, settings.ca_bundle)

    # -- directory -------------------------------------------------------
    def directory(
        self, deadline: Deadline | None = None, cancel: threading.Event | None = None
    ) -> messages.Directory:
        """The CA's directory, fetched once per run; waits no longer than ``deadline``.

        Certificates that need it while another one fetches it wait for that
        fetch; one whose deadline passes meanwhile finds the CA not answering.
        """
        deadline = _deadline(deadline)
        if self._directory is not None:
            return self._directory
        url = self.settings.directory
        self.health.check(url)
        waited = max(0.0, deadline.remaining())
        if not _acquire(self._directory_lock, deadline, cancel):
            self.health.check(url)
            if waited < MIN_DOWN_WAIT:
                raise AcmeFailure("the certificate's deadline passed before the CA answered")
            raise self.health.mark_down(url, not_answering(url, waited, "directory"))
        try:
            if self._directory is None:
                self._directory = self._fetch_directory(deadline, cancel)
            return self._directory
        finally:
            self._directory_lock.release()

    def _get(
        self,
        url: str,
        deadline: Deadline,
        cancel: threading.Event | None = None,
        advisory: bool = False,
    ) -> Reply:
        """An unauthenticated GET on the pooled session, under the CA's timeouts."""
        session = self.session
        return send(
            self.health,
            self.settings.directory,
            deadline,
            cancel,
            lambda timeouts: session.request("GET", url, timeouts),
            session.connections,
            advisory=advisory,
        )

    def _fetch_directory(
        self, deadline: Deadline, cancel: threading.Event | None
    ) -> messages.Directory:
        url = self.settings.directory
        response = self._get(url, deadline, cancel)
        if not response.ok:
            raise AcmeFailure(f"CA directory {url} unreachable: HTTP {response.status_code}")
        self.session.keep_nonce(response)  # the first order's POST needs no HEAD
        try:
            return messages.Directory.from_json(response.json())
        except (ValueError, DeserializationError) as exc:
            raise AcmeFailure(f"CA directory {url} unreachable: {short(exc)}") from None

    def profiles(self, deadline: Deadline | None = None) -> dict[str, str]:
        meta = getattr(self.directory(deadline), "meta", None)
        return dict(getattr(meta, "profiles", None) or {})

    def check_profile(self, profile: str | None, deadline: Deadline | None = None) -> None:
        if profile is None:
            return
        offered = self.profiles(deadline)
        if profile not in offered:
            names = ", ".join(sorted(offered)) or "none"
            raise AcmeFailure(f"profile {profile!r} is not offered by the CA (offers: {names})")

    # -- account ---------------------------------------------------------
    def client(
        self, deadline: Deadline | None = None, cancel: threading.Event | None = None
    ) -> AcmeClient:
        """A client for one order on the account's session, signed by the (cached) account.

        Its requests wait no longer than ``deadline`` and its pauses end when
        ``cancel`` is set.
        """
        deadline = _deadline(deadline)
        directory = self.directory(deadline, cancel)
        if not _acquire(self._lock, deadline, cancel):
            self.health.check(self.settings.directory)
            raise AcmeFailure("the certificate's deadline passed waiting for the ACME account")
        try:
            if self._refused is not None:  # said once per run, not asked of the CA again
                raise self._refused
            if self._regr is None:
                try:
                    self._key, self._regr = self._ensure_account(directory, deadline)
                except EabRefused as refused:
                    self._refused = refused
                    raise
            key, regr = self._key, self._regr
        finally:
            self._lock.release()
        assert key is not None
        acme = self._bare_client(directory, key, deadline, cancel)
        acme.net.account = regr
        return acme

    def _ensure_account(
        self, directory: messages.Directory, deadline: Deadline
    ) -> tuple[JWK, messages.RegistrationResource]:
        record = self.store.load_account(self.settings.directory)
        if record is not None and record.pending_key_json and record.uri:
            # A key rollover stopped before it knew the CA's answer: ask which key it holds.
            probe = account_answers(lambda k: self._bare_client(directory, k, deadline), record.uri)
            record = settle(record, probe, self.store)
        if record is not None:
            key = JWK.json_loads(record.key_json)
            regr = existing_account(self._bare_client(directory, key, deadline))
            if regr is not None:
                if regr.uri != record.uri:
                    self.store.save_account(
                        AccountRecord(self.settings.directory, record.key_json, regr.uri)
                    )
                return key, regr
            log.info(
                "stored ACME account unknown to %s; registering it again", self.settings.directory
            )
            why = "the stored account is unknown to the CA"
        else:
            key = JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
            why = "no account stored"
        if self.before_register is not None:
            self.before_register(why)
        regr = register(self._bare_client(directory, key, deadline), key, self.settings)
        self.store.save_account(AccountRecord(self.settings.directory, key.json_dumps(), regr.uri))
        log.info("ACME account ready at %s", self.settings.directory)
        return key, regr

    def _bare_client(
        self,
        directory: messages.Directory,
        key: JWK,
        deadline: Deadline,
        cancel: threading.Event | None = None,
    ) -> AcmeClient:
        return AcmeClient(
            directory,
            Identity(key, signing_alg(key)),
            self.session,
            directory_url=self.settings.directory,
            health=self.health,
            deadline=deadline,
            cancel=cancel,
        )

    # -- renewal info ----------------------------------------------------
    def offers_renewal_info(self, deadline: Deadline | None = None) -> bool:
        """Whether the directory names a renewalInfo endpoint (RFC 9773 section 4).

        Asks nothing beyond the directory, which is fetched once per run: a CA
        without ARI (step-ca) is told apart from one whose window lookups failed.
        """
        return bool(getattr(self.directory(deadline), "renewalInfo", None))

    def renewal_info(
        self, ari_cert_id: str, deadline: Deadline | None = None, *, advisory: bool = False
    ) -> RenewalInfo | None:
        """The CA's window for a certificate (None: no ARI), asked once per run per id.

        ``advisory``: no answer fails only this question (renewer.acme.transport.send).
        """
        if ari_cert_id in self._ari:
            return self._ari[ari_cert_id]
        info = self._fetch_renewal_info(ari_cert_id, _deadline(deadline), advisory)
        self._ari[ari_cert_id] = info
        return info

    def _fetch_renewal_info(
        self, ari_cert_id: str, deadline: Deadline, advisory: bool = False
    ) -> RenewalInfo | None:
        if not self.offers_renewal_info(deadline):
            return None
        base = getattr(self.directory(deadline), "renewalInfo", None)
        url = f"{str(base).rstrip('/')}/{ari_cert_id}"
        response = self._get(url, deadline, advisory=advisory)
        if response.status_code == 404:
            return None
        if not response.ok:
            raise AcmeFailure(f"renewal info unavailable: HTTP {response.status_code}")
        try:
            body = response.json()
            info = messages.RenewalInfo.from_json(body)
        except (ValueError, DeserializationError) as exc:
            raise AcmeFailure(f"renewal info unavailable: {short(exc)}") from None
        window = info.suggested_window
        start, end = _utc(window.start), _utc(window.end)
        if end <= start:  # RFC 9773 4.2: treat as if no answer came
            raise AcmeFailure(f"renewal info unusable: window ends {end} before it starts")
        checked = dt.datetime.now(dt.UTC)
        wait = retry.parse_retry_after(response.headers.get("Retry-After"))
        return RenewalInfo(
            start=start,
            end=end,
            explanation_url=body.get("explanationURL") if isinstance(body, dict) else None,
            checked=checked,
            next_check=renewal_window.next_check(checked, wait),
        )

    # -- orders ------------------------------------------------------------
    def new_order(
        self, acme: AcmeClient, csr_pem: bytes, profile: str | None, replaces: str | None
    ) -> messages.OrderResource:
        """newOrder with ``replaces``; retried once without it if the CA refuses it."""
        if replaces and "renewalInfo" in acme.directory.to_partial_json():
            try:
                return self._post_order(acme, csr_pem, profile, replaces)
            except messages.Error as error:
                log.info("CA refused replaces=%s (%s); ordering without it", replaces, error.code)
            except acme_errors.ConflictError:
                # 409 alreadyReplaced: an interrupted run's order already named it.
                log.info("replaces=%s already used by another order; ordering without it", replaces)
        try:
            return self._post_order(acme, csr_pem, profile, None)
        except messages.Error as error:
            raise AcmeFailure.from_problem("new order refused: ", error) from None

    def _post_order(
        self, acme: AcmeClient, csr_pem: bytes, profile: str | None, replaces: str | None
    ) -> messages.OrderResource:
        csr = x509.load_pem_x509_csr(csr_pem)
        names, _ = crypto_util.get_identifiers_from_x509(csr.subject, csr.extensions)
        identifiers = [messages.Identifier(typ=messages.IDENTIFIER_FQDN, value=n) for n in names]
        order = RenewalOrder(identifiers=identifiers, profile=profile, replaces=replaces)
        log.debug("newOrder %s profile=%s replaces=%s", ",".join(names), profile, replaces)
        response = acme.post(acme.directory["newOrder"], order)
        body = messages.Order.from_json(response.json())
        authorizations = [
            acme.authorization(acme.post_as_get(url), url) for url in body.authorizations
        ]
        return messages.OrderResource(
            body=body,
            uri=response.headers.get("Location"),
            authorizations=authorizations,
            csr_pem=csr_pem,
        )

    def revoke(self, cert_pem: str, reason: int) -> None:
        acme = self.client()
        try:
            acme.revoke(x509.load_pem_x509_certificate(cert_pem.encode()), reason)
        except messages.Error as error:
            raise AcmeFailure.from_problem("revocation refused: ", error) from None


def choose_chain(order: messages.OrderResource, preferred: str | None) -> IssuedChain:
    """The default chain, or the alternate whose root name matches ``preferred``."""
    chains = [order.fullchain_pem, *(order.alternative_fullchains_pem or [])]
    if preferred:
        for pem in chains:
            if top_issuer_name(pem).strip().lower() == preferred.strip().lower():
                return split_chain(pem)
        log.info("no chain up to %r offered; using the default chain", preferred)
    return split_chain(chains[0])


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
