"""The directly built JWS is the one the library would build (RFC 8555 6.2)."""

from __future__ import annotations

import json

import pytest
from acme import jws as acme_jws
from acme import messages
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from josepy.jwa import ES256, RS256, JWASignature
from josepy.jwk import JWK, JWKEC, JWKRSA

from renewer.acme.signing import b64, sign_request, sign_with_kid


def _keys() -> list[tuple[JWK, JWASignature]]:
    return [
        (JWKEC(key=ec.generate_private_key(ec.SECP256R1())), ES256),
        (JWKRSA(key=rsa.generate_private_key(public_exponent=65537, key_size=2048)), RS256),
    ]


@pytest.mark.parametrize(("key", "alg"), _keys(), ids=["ES256", "RS256"])
def test_the_jws_verifies_with_the_account_key_and_carries_the_acme_fields(
    key: JWK, alg: JWASignature
) -> None:
    payload = (
        messages.NewOrder(
            identifiers=[messages.Identifier(typ=messages.IDENTIFIER_FQDN, value="a.example.test")]
        )
        .json_dumps()
        .encode()
    )
    kid = "https://ca.test/acme/acct/1"
    text = sign_with_kid(key, alg, kid, b"nonce-bytes", "https://ca.test/new-order", payload)
    parsed = acme_jws.JWS.json_loads(text)
    assert parsed.verify(key.public_key())
    header = parsed.signature.combined
    assert (header.alg, header.kid, header.nonce, header.url) == (
        alg,
        kid,
        b"nonce-bytes",
        "https://ca.test/new-order",
    )
    assert header.jwk is None  # kid and jwk are mutually exclusive (RFC 8555 6.2)
    assert parsed.payload == payload
    assert set(json.loads(text)) == {"protected", "payload", "signature"}  # flattened form
    other = next(k for k, a in _keys() if a is alg)  # another key of the same type
    assert not parsed.verify(other.public_key())


def test_post_as_get_has_an_empty_payload_and_new_account_keeps_the_jwk() -> None:
    key, alg = _keys()[0]
    signed = sign_request(key, alg, None, b"n1", "https://ca.test/acct", b"")
    with_jwk = acme_jws.JWS.json_loads(signed)
    assert with_jwk.signature.combined.jwk == key.public_key()
    assert with_jwk.signature.combined.kid is None
    assert with_jwk.signature.combined.nonce == b"n1"
    assert with_jwk.verify(key.public_key())
    kid = "https://ca.test/acct/7"
    text = sign_request(key, alg, kid, b"n2", "https://ca.test/order/1", b"")
    as_get = acme_jws.JWS.json_loads(text)
    assert as_get.payload == b"" and json.loads(text)["payload"] == ""  # RFC 8555 6.3
    assert as_get.signature.combined.kid == kid
    assert as_get.signature.combined.jwk is None
    assert as_get.verify(key.public_key())
    assert b64(b"\xfb\xff") == "-_8"  # url-safe alphabet, no padding
