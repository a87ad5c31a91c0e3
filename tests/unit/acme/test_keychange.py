"""The keyChange request (RFC 8555 7.3.5) and settling a pending key, without a CA.

The inner JWS is checked as a CA checks it (Pebble's wfe KeyRollover): signed by
the new key, which it carries as ``jwk``; ``url`` the keyChange URL; no nonce;
the payload names the account and the old public key. Settling keeps the key
the CA accepts and never drops one on a guess.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from josepy.jwk import JWK
from josepy.jws import JWS

from renewer.acme.failures import AcmeFailure
from renewer.acme.keychange import key_change_request, new_account_key, settle, thumbprint
from renewer.config.types.store_directory import DirectorySettings
from renewer.stores.contract import AccountRecord
from renewer.stores.directory import DirectoryStore

URL = "https://ca.example/key-change"
ACCOUNT = "https://ca.example/acct/7"


def test_the_inner_jws_is_what_a_ca_verifies() -> None:
    old, new = new_account_key(), new_account_key()
    inner = JWS.from_json(key_change_request(URL, ACCOUNT, old, new).to_partial_json())
    assert inner.verify(new.public_key())  # the new key proves possession
    assert not inner.verify(old.public_key())
    header = inner.signature.combined
    assert header.jwk == new.public_key() and header.alg is not None
    assert header.alg.name == "ES256"
    protected = json.loads(inner.signature.protected)
    assert protected["url"] == URL and "nonce" not in protected and "kid" not in protected
    payload = json.loads(inner.payload)
    assert payload["account"] == ACCOUNT
    assert JWK.from_json(payload["oldKey"]) == old.public_key()
    assert "d" not in payload["oldKey"]  # the old key's public part only


def _stored(tmp_path: Path) -> tuple[DirectoryStore, AccountRecord, str, str]:
    old, new = new_account_key().json_dumps(), new_account_key().json_dumps()
    store = DirectoryStore(DirectorySettings(tmp_path))
    record = AccountRecord("https://ca.example/dir", old, ACCOUNT, new)
    store.save_account(record)
    return store, record, old, new


@pytest.mark.parametrize("holds", ["new", "old"])
def test_settle_keeps_the_key_the_ca_accepts(tmp_path: Path, holds: str) -> None:
    store, record, old, new = _stored(tmp_path)
    held = new if holds == "new" else old
    asked: list[str] = []

    def probe(key: JWK) -> bool:
        asked.append(thumbprint(key.json_dumps()))
        return thumbprint(key.json_dumps()) == thumbprint(held)

    settled = settle(record, probe, store)
    assert settled == AccountRecord(record.directory, held, ACCOUNT)
    assert store.load_account(record.directory) == settled
    assert asked[0] == thumbprint(new)  # the new key is asked first


def test_settle_drops_nothing_when_the_ca_takes_neither_or_cannot_say(tmp_path: Path) -> None:
    store, record, _old, _new = _stored(tmp_path)
    with pytest.raises(AcmeFailure, match="accepts neither"):
        settle(record, lambda _key: False, store)

    def down(_key: JWK) -> bool:
        raise OSError("connection refused")

    with pytest.raises(AcmeFailure, match=r"cannot tell which key .* connection refused"):
        settle(record, down, store)
    assert store.load_account(record.directory) == record  # both keys still stored


def test_settle_does_not_undo_a_newer_write(tmp_path: Path) -> None:
    """A rollover that wrote meanwhile wins: settle writes only over what it read."""
    store, record, old, _new = _stored(tmp_path)
    newer = AccountRecord(record.directory, old, ACCOUNT, new_account_key().json_dumps())
    store.save_account(newer)
    settle(record, lambda _key: True, store)
    assert store.load_account(record.directory) == newer
