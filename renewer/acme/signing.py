"""The JWS of an account's requests (RFC 8555 6.2, RFC 7515 7.2.2).

The library builds each request's JWS as josepy objects (a Header, a
Signature, a JWS), serializes them field by field and base64s them: about a
millisecond of CPU per request at 50 orders, for four header fields. Requests
signed with the account's URL (``kid``) are the same flattened JSON built here
from plain strings and signed by josepy's algorithm object
(``JWASignature.sign``); requests that must carry the key itself (newAccount)
are built by ``acme.jws.JWS.sign``.
"""

from __future__ import annotations

import base64
import json

from acme import jws as acme_jws
from josepy.jwa import JWASignature
from josepy.jwk import JWK


def b64(data: bytes) -> str:
    """base64url without padding (RFC 7515 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_with_kid(
    key: JWK, alg: JWASignature, kid: str, nonce: bytes, url: str, payload: bytes
) -> str:
    """The flattened JWS of ``payload`` for ``url``: protected alg, kid, nonce and url."""
    header = {"alg": alg.name, "kid": kid, "nonce": b64(nonce), "url": url}
    protected = b64(json.dumps(header, separators=(",", ":")).encode())
    encoded = b64(payload)
    signature = alg.sign(key.key, f"{protected}.{encoded}".encode("ascii"))
    return json.dumps({"protected": protected, "payload": encoded, "signature": b64(signature)})


def sign_request(
    key: JWK, alg: JWASignature, kid: str | None, nonce: bytes, url: str, payload: bytes
) -> bytes:
    """The request body: signed with the account URL as ``kid``, or (no account yet,
    newAccount) with the public key itself as ``jwk``; the two are exclusive."""
    if kid is not None:
        return sign_with_kid(key, alg, kid, nonce, url, payload).encode()
    signed = acme_jws.JWS.sign(payload, key=key, alg=alg, nonce=nonce, url=url)
    return str(signed.json_dumps()).encode()
