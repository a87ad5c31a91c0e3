"""Account key rollover (RFC 8555 7.3.5) and settling one a killed run left half done.

The account URL is an identity others pin to (CAA ``accounturi``, dns-persist-01
records), so a rollover must never leave a store holding a key the CA no longer
accepts. The steps are ordered so that a kill at any point leaves a working
account (renewer.execute.rollover): the new key is stored as *pending* beside
the old one before the CA is asked; once the CA answered, it is promoted and
the old one dropped. A store that still holds a pending key does not know
which of the two the CA holds: :func:`settle` asks the CA with each (a
POST-as-GET of the account URL, RFC 8555 7.3) and keeps the one it accepts.

Nothing is decided from a refusal of the keyChange request itself: the
transport may send a request again after a timeout, and a repeated keyChange
is refused (signed by the old key) although the first one switched the key.
Only a key the CA accepts is kept.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from acme import jws as acme_jws
from acme import messages
from cryptography.hazmat.primitives.asymmetric import ec
from josepy.interfaces import JSONDeSerializable
from josepy.jwa import ES256, RS256, JWASignature
from josepy.jwk import JWK, JWKEC

from renewer.acme.failures import AcmeFailure
from renewer.acme.protocol import AcmeClient, Identity
from renewer.acme.signing import b64
from renewer.core.errors import describe_error
from renewer.stores.contract import AccountRecord, CertificateStore

log = logging.getLogger(__name__)

# How a CA refuses a request signed by a key that is not the account's: Pebble and
# Boulder answer "malformed: JWS verification error"; RFC 8555 6.7 also names these.
WRONG_KEY = frozenset({"malformed", "unauthorized", "accountDoesNotExist", "badSignatureAlgorithm"})


def signing_alg(key: JWK) -> JWASignature:
    """The JWS algorithm of an account key (EC keys are P-256 here: ES256)."""
    return ES256 if isinstance(key, JWKEC) else RS256


def new_account_key() -> JWK:
    """A fresh account key: EC P-256, as renewer registers accounts with."""
    return JWKEC(key=ec.generate_private_key(ec.SECP256R1()))


def thumbprint(key_json: str) -> str:
    """The RFC 7638 thumbprint of a stored key's public part (safe to print)."""
    return b64(JWK.json_loads(key_json).public_key().thumbprint())


class _Signed(JSONDeSerializable):
    """An already signed JWS as the payload of another request (the inner keyChange JWS)."""

    def __init__(self, flattened: dict[str, object]) -> None:
        self.flattened = flattened

    def to_partial_json(self) -> dict[str, object]:
        return self.flattened

    @classmethod
    def from_json(cls, jobj: object) -> _Signed:
        raise NotImplementedError("only sent, never read")


def key_change_request(url: str, account_uri: str, old_key: JWK, new_key: JWK) -> _Signed:
    """The inner JWS of keyChange: signed by the new key, with its ``jwk`` and the
    keyChange ``url`` (no nonce), over ``{account, oldKey}`` (RFC 8555 7.3.5)."""
    payload = json.dumps(
        {"account": account_uri, "oldKey": old_key.public_key().to_partial_json()},
        separators=(",", ":"),
    ).encode()
    inner = acme_jws.JWS.sign(payload, key=new_key, alg=signing_alg(new_key), nonce=None, url=url)
    flattened: dict[str, object] = json.loads(inner.json_dumps())
    return _Signed(flattened)


def send_key_change(acme: AcmeClient, new_key: JWK) -> None:
    """Ask the CA to switch the account of ``acme`` (signed by the old key) to ``new_key``.

    Raises AcmeFailure when the CA answers a problem or does not answer; either
    way the caller asks the CA which key it holds before deciding (module doc).
    """
    if acme.net.account is None or not acme.net.account.uri:
        raise AcmeFailure("key rollover needs the account URL; none is known yet")
    try:
        url = acme.directory["keyChange"]
    except KeyError:
        raise AcmeFailure("the CA offers no keyChange (RFC 8555 7.3.5) in its directory") from None
    inner = key_change_request(url, acme.net.account.uri, acme.net.key, new_key)
    try:
        acme.post(url, inner)
    except messages.Error as error:
        raise AcmeFailure.from_problem("the CA refused: ", error) from None


def signed_by(acme: AcmeClient, key: JWK) -> AcmeClient:
    """A client like ``acme`` (same session, deadline, cancel) that signs with ``key``."""
    return AcmeClient(
        acme.directory,
        Identity(key, signing_alg(key)),
        acme.session,
        directory_url=acme.directory_url,
        health=acme.health,
        deadline=acme.deadline,
        cancel=acme.cancel,
    )


Probe = Callable[[JWK], bool]
"""Whether the CA accepts requests for the account signed by this key."""


def account_answers(make_client: Callable[[JWK], AcmeClient], account_uri: str) -> Probe:
    """A probe that POST-as-GETs the account URL signed by a key (kid = the URL).

    True on 200; False when the CA refuses the signature (:data:`WRONG_KEY`);
    any other answer (the CA down, a server error) raises: no key is dropped on
    a guess.
    """

    def probe(key: JWK) -> bool:
        acme = make_client(key)
        acme.net.account = messages.RegistrationResource(
            uri=account_uri, body=messages.Registration()
        )
        try:
            acme.post_as_get(account_uri)
        except messages.Error as error:
            if error.code in WRONG_KEY:
                return False
            raise AcmeFailure.from_problem("account lookup failed: ", error) from None
        return True

    return probe


def settle(record: AccountRecord, probe: Probe, store: CertificateStore) -> AccountRecord:
    """The record with its pending key resolved: the key the CA accepts, kept alone.

    The new key first (a rollover the CA carried out is the likelier case once a
    request was sent), then the old. When the CA takes neither, both stay
    stored and the account fails with a reason; nothing is registered. The
    store is written only when it still holds what was read, so a rollover
    running at the same time is not undone.
    """
    pending = record.pending_key_json
    if not pending:
        return record
    try:
        if probe(JWK.json_loads(pending)):
            chosen, what = pending, "the CA holds the new key: rollover completed"
        elif probe(JWK.json_loads(record.key_json)):
            chosen, what = record.key_json, "the CA holds the old key: rollover abandoned"
        else:
            raise AcmeFailure(
                f"the CA accepts neither the account key nor the pending new key of "
                f"{record.uri}; both are kept in the store"
            )
    except AcmeFailure:
        raise
    except Exception as exc:
        raise AcmeFailure(
            f"cannot tell which key the CA holds for {record.uri}: {describe_error(exc)}; "
            "both are kept in the store"
        ) from None
    settled = AccountRecord(record.directory, chosen, record.uri)
    if store.load_account(record.directory) == record:
        store.save_account(settled)
    log.warning("ACME account %s: pending key rollover settled (%s)", record.uri, what)
    return settled
