"""A thin layer over certbot's ``acme`` (ClientV2) for what renewer needs.

What it adds to the library, and why:
- one account per CA directory, kept in the store and reused by every run
  (new accounts per run burn the CA's account rate limit);
- a CA bundle per directory (private CAs, local Pebble) without touching
  global TLS settings;
- RFC 9773 ARI with the ``replaces`` field on renewal orders (the library's
  NewOrder has no such field), retried without it when the CA refuses;
- profile validation against ``meta.profiles``;
- polling by Retry-After or a short backoff instead of fixed one-second sleeps,
  and badNonce retried more than once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Any

import requests
from acme import client as acme_client
from acme import crypto_util, messages
from acme import errors as acme_errors
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from josepy.errors import DeserializationError
from josepy.json_util import field
from josepy.jwa import ES256, RS256, JWASignature
from josepy.jwk import JWK, JWKEC
from requests.adapters import HTTPAdapter

from renewer.core import retry
from renewer.core.certs import IssuedChain, split_chain, top_issuer_name
from renewer.core.errors import RenewerError, clip
from renewer.core.models import AcmeSettings, RenewalInfo
from renewer.core.secrets import decode_base64
from renewer.stores.contract import AccountRecord, CertificateStore

log = logging.getLogger(__name__)

USER_AGENT = "renewer/0.1 (+acme-python)"
BAD_NONCE_RETRIES = 20  # each try is two requests (the library retries once itself)
HTTP_TIMEOUT = 30
HTTP_POOL = 16  # as many as run.ARI_CONCURRENCY lookups in flight


class AcmeFailure(RenewerError):
    """The CA refused or failed; the message is one line a human can act on."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


def problem_text(error: messages.Error) -> str:
    """'rateLimited: too many certificates' from an ACME problem document."""
    code = error.code or (error.typ or "error").rsplit(":", 1)[-1]
    detail = error.detail or error.title or ""
    subs = getattr(error, "subproblems", None) or ()
    extra = "; ".join(
        f"{getattr(s, 'identifier', None) and s.identifier.value}: {s.detail}" for s in subs
    )
    return f"{code}: {detail}" + (f" ({extra})" if extra else "")


class RenewalOrder(messages.NewOrder):
    """newOrder with RFC 9773's ``replaces`` (the ARI id of the certificate renewed)."""

    replaces: str | None = field("replaces", omitempty=True)


class _Network(acme_client.ClientNetwork):
    """ClientNetwork that trusts a given CA bundle instead of a global switch."""

    def __init__(self, key: JWK, alg: JWASignature, ca_bundle: Path | None) -> None:
        super().__init__(key, alg=alg, user_agent=USER_AGENT, timeout=HTTP_TIMEOUT)
        if ca_bundle is not None:
            # requests accepts a CA file path wherever it accepts True.
            self.verify_ssl = str(ca_bundle)  # type: ignore[assignment]

    def _send_request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        response = super()._send_request(method, url, *args, **kwargs)
        retry.note_response(response.status_code, response.headers.get("Retry-After"))
        return response


class AcmeClient(acme_client.ClientV2):
    """ClientV2 that retries badNonce with fresh nonces instead of only once, and
    transient problems (serverInternal, rateLimited) after the pause the CA asks
    for, when it fits the certificate's deadline (renewer.core.retry)."""

    cancel: threading.Event | None = None

    def _post(self, *args: Any, **kwargs: Any) -> requests.Response:
        transient = 0
        bad_nonces = 0
        while True:
            retry.clear_retry_after()
            try:
                return self._post_nonce_retried(*args, **kwargs)
            except messages.Error as error:
                if error.code == "badNonce":
                    bad_nonces += 1
                    if bad_nonces >= BAD_NONCE_RETRIES:
                        raise
                    log.debug("badNonce, retrying with a fresh nonce (%d)", bad_nonces)
                    continue
                if not retry.is_transient(error.code) or transient >= retry.REQUEST_RETRIES:
                    raise
                delay = retry.pause_for(error.code, transient)
                if delay is None:
                    raise
                transient += 1
                log.info("CA answered %s; trying again in %.1fs", error.code, delay)
                if retry.sleep(delay, self.cancel):
                    raise

    def _post_nonce_retried(self, *args: Any, **kwargs: Any) -> requests.Response:
        return super()._post(*args, **kwargs)

    def post_as_get(self, url: str) -> requests.Response:
        """Public name for the library's POST-as-GET (RFC 8555 6.3)."""
        return self._post_as_get(url)

    def links(self, response: requests.Response, relation: str) -> list[str]:
        """Link header URLs of one relation (``alternate`` chains, RFC 8555 7.4.2)."""
        return list(self._get_links(response, relation))


def _account_alg(key: JWK) -> JWASignature:
    return ES256 if isinstance(key, JWKEC) else RS256


class AcmeAccount:
    """One CA directory and our account there, shared by every order of a run.

    The library's network object keeps nonces in a plain set, so each order
    gets its own ClientV2 and network; the directory and account are shared.
    """

    def __init__(self, settings: AcmeSettings, store: CertificateStore) -> None:
        self.settings = settings
        self.store = store
        self._lock = threading.Lock()
        self._directory: messages.Directory | None = None
        self._key: JWK | None = None
        self._regr: messages.RegistrationResource | None = None
        self._ari: dict[str, RenewalInfo | None] = {}
        # One pooled session for the unauthenticated GETs (directory, ARI): planning
        # thousands of certificates otherwise pays a TLS handshake and a CA-bundle
        # load per lookup.
        self._http = requests.Session()
        self._http.headers["User-Agent"] = USER_AGENT
        # Passed per request: a Session's own verify loses to REQUESTS_CA_BUNDLE.
        self._verify: bool | str = str(settings.ca_bundle) if settings.ca_bundle else True
        pool = HTTPAdapter(pool_connections=2, pool_maxsize=HTTP_POOL)
        self._http.mount("https://", pool)
        self._http.mount("http://", pool)

    # -- directory -------------------------------------------------------
    def directory(self) -> messages.Directory:
        with self._lock:
            if self._directory is None:
                self._directory = self._fetch_directory()
            return self._directory

    def _fetch_directory(self) -> messages.Directory:
        try:
            response = self._http.get(
                self.settings.directory, timeout=HTTP_TIMEOUT, verify=self._verify
            )
            response.raise_for_status()
            return messages.Directory.from_json(response.json())
        except (requests.RequestException, ValueError, DeserializationError) as exc:
            raise AcmeFailure(
                f"CA directory {self.settings.directory} unreachable: {_short(exc)}"
            ) from None

    def profiles(self) -> dict[str, str]:
        meta = getattr(self.directory(), "meta", None)
        return dict(getattr(meta, "profiles", None) or {})

    def check_profile(self, profile: str | None) -> None:
        if profile is None:
            return
        offered = self.profiles()
        if profile not in offered:
            names = ", ".join(sorted(offered)) or "none"
            raise AcmeFailure(f"profile {profile!r} is not offered by the CA (offers: {names})")

    # -- account ---------------------------------------------------------
    def client(self) -> AcmeClient:
        """A fresh client for one order, signed by the (cached) account."""
        directory = self.directory()
        with self._lock:
            if self._regr is None:
                self._key, self._regr = self._ensure_account(directory)
            key, regr = self._key, self._regr
        assert key is not None
        net = _Network(key, _account_alg(key), self.settings.ca_bundle)
        net.account = regr
        return AcmeClient(directory, net)

    def _ensure_account(
        self, directory: messages.Directory
    ) -> tuple[JWK, messages.RegistrationResource]:
        record = self.store.load_account(self.settings.directory)
        if record is not None:
            key = JWK.json_loads(record.key_json)
            regr = self._existing_account(directory, key)
            if regr is not None:
                if regr.uri != record.uri:
                    self.store.save_account(
                        AccountRecord(self.settings.directory, record.key_json, regr.uri)
                    )
                return key, regr
            log.info(
                "stored ACME account unknown to %s; registering it again", self.settings.directory
            )
        else:
            key = JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
        regr = self._register(directory, key)
        self.store.save_account(AccountRecord(self.settings.directory, key.json_dumps(), regr.uri))
        log.info("ACME account ready at %s", self.settings.directory)
        return key, regr

    def _bare_client(self, directory: messages.Directory, key: JWK) -> AcmeClient:
        return AcmeClient(directory, _Network(key, _account_alg(key), self.settings.ca_bundle))

    def _existing_account(
        self, directory: messages.Directory, key: JWK
    ) -> messages.RegistrationResource | None:
        acme = self._bare_client(directory, key)
        try:
            return acme.new_account(messages.NewRegistration(only_return_existing=True))
        except acme_errors.ConflictError as found:
            uri = found.location
            return messages.RegistrationResource(uri=uri, body=messages.Registration())
        except messages.Error as error:
            if error.code == "accountDoesNotExist":
                return None
            raise AcmeFailure(f"account lookup failed: {problem_text(error)}", error.code) from None

    def _register(self, directory: messages.Directory, key: JWK) -> messages.RegistrationResource:
        acme = self._bare_client(directory, key)
        fields: dict[str, Any] = {"terms_of_service_agreed": True}
        if self.settings.contact:
            fields["contact"] = self.settings.contact
        if self.settings.eab is not None:
            hmac_key = self.settings.eab.hmac_key.resolve()
            eab_key = f"acme.eab.hmac_key (the value of {self.settings.eab.hmac_key})"
            decode_base64(hmac_key, eab_key, urlsafe=True)  # issue 12: name the setting
            fields["external_account_binding"] = messages.ExternalAccountBinding.from_data(
                account_public_key=key.public_key(),
                kid=self.settings.eab.kid.resolve(),
                hmac_key=hmac_key,
                directory=directory,
            )
        elif getattr(directory.meta, "external_account_required", False):
            raise AcmeFailure("the CA requires external account binding: set acme.eab")
        try:
            return acme.new_account(messages.NewRegistration(**fields))
        except acme_errors.ConflictError as found:
            return messages.RegistrationResource(uri=found.location, body=messages.Registration())
        except messages.Error as error:
            raise AcmeFailure(
                f"account registration failed: {problem_text(error)}", error.code
            ) from None

    # -- renewal info ----------------------------------------------------
    def renewal_info(self, ari_cert_id: str) -> RenewalInfo | None:
        """The CA's window for a certificate (None: no ARI), asked once per run per id."""
        if ari_cert_id in self._ari:
            return self._ari[ari_cert_id]
        info = self._fetch_renewal_info(ari_cert_id)
        self._ari[ari_cert_id] = info
        return info

    def _fetch_renewal_info(self, ari_cert_id: str) -> RenewalInfo | None:
        base = getattr(self.directory(), "renewalInfo", None)
        if not base:
            return None
        url = f"{str(base).rstrip('/')}/{ari_cert_id}"
        try:
            response = self._http.get(url, timeout=HTTP_TIMEOUT, verify=self._verify)
            if response.status_code == 404:
                return None
            response.raise_for_status()
            info = messages.RenewalInfo.from_json(response.json())
        except (requests.RequestException, ValueError, DeserializationError) as exc:
            raise AcmeFailure(f"renewal info unavailable: {_short(exc)}") from None
        window = info.suggested_window
        return RenewalInfo(
            start=_utc(window.start),
            end=_utc(window.end),
            explanation_url=response.json().get("explanationURL"),
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
            raise AcmeFailure(f"new order refused: {problem_text(error)}", error.code) from None

    def _post_order(
        self, acme: AcmeClient, csr_pem: bytes, profile: str | None, replaces: str | None
    ) -> messages.OrderResource:
        csr = x509.load_pem_x509_csr(csr_pem)
        names, _ = crypto_util.get_identifiers_from_x509(csr.subject, csr.extensions)
        identifiers = [messages.Identifier(typ=messages.IDENTIFIER_FQDN, value=n) for n in names]
        order = RenewalOrder(identifiers=identifiers, profile=profile, replaces=replaces)
        log.debug("newOrder %s profile=%s replaces=%s", ",".join(names), profile, replaces)
        response = acme._post(acme.directory["newOrder"], order)
        body = messages.Order.from_json(response.json())
        authorizations = [
            acme._authzr_from_response(acme.post_as_get(url), uri=url)
            for url in body.authorizations
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
            raise AcmeFailure(f"revocation refused: {problem_text(error)}", error.code) from None


def choose_chain(order: messages.OrderResource, preferred: str | None) -> IssuedChain:
    """The default chain, or the alternate whose root name matches ``preferred``."""
    chains = [order.fullchain_pem, *(order.alternative_fullchains_pem or [])]
    if preferred:
        for pem in chains:
            if top_issuer_name(pem).strip().lower() == preferred.strip().lower():
                return split_chain(pem)
        log.info("no chain up to %r offered; using the default chain", preferred)
    return split_chain(chains[0])


def retry_after_seconds(response: requests.Response, fallback: float) -> float:
    """Seconds the server asked us to wait (Retry-After), else ``fallback``."""
    if "Retry-After" not in response.headers:
        return fallback
    when = acme_client.ClientV2.retry_after(response, 0)
    return max(0.0, (when - dt.datetime.now()).total_seconds())


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _short(exc: BaseException) -> str:
    """A library error's first line, clipped in the middle: its cause comes last."""
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return clip(text)
