"""Directory store: layout, modes, versions, atomic publication, locks, accounts."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from renewer.config.types.store_directory import DirectorySettings
from renewer.stores.contract import AccountRecord, LockBusy
from renewer.stores.directory import FILES, DirectoryStore
from tests.unit.factories import spec
from tests.unit.local_ca import LocalCA


def test_issue_writes_every_file_and_key_matches_leaf(tmp_path: Path) -> None:
    store, ca, s = DirectoryStore(DirectorySettings(tmp_path)), LocalCA(), spec()
    stored = store.issue(s, ca.finalize)
    folder = tmp_path / s.name
    for name in FILES:
        assert (folder / name).is_file(), name
    assert stat.S_IMODE(os.stat(folder / "privkey.pem").st_mode) == 0o600
    leaf = x509.load_pem_x509_certificate((folder / "cert.pem").read_bytes())
    key = serialization.load_pem_private_key((folder / "privkey.pem").read_bytes(), None)
    assert leaf.public_key() == key.public_key()
    chain = (folder / "fullchain.pem").read_text()
    assert chain.startswith((folder / "cert.pem").read_text())
    assert chain.endswith((folder / "chain.pem").read_text())
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["domains"] == list(s.domains)
    assert meta["fingerprint"] == s.fingerprint()
    assert stored.serial == format(leaf.serial_number, "x")
    assert store.list_current()[s.name].serial == stored.serial
    assert stored.ari_cert_id and "." in stored.ari_cert_id


def test_second_issue_keeps_earlier_version(tmp_path: Path) -> None:
    store, ca, s = DirectoryStore(DirectorySettings(tmp_path)), LocalCA(), spec()
    first = store.issue(s, ca.finalize)
    second = store.issue(s, ca.finalize)
    assert first.serial != second.serial
    versions = sorted(p.name for p in (tmp_path / s.name / "versions").iterdir())
    assert len(versions) == 2
    assert store.current(s.name) == second


def test_failed_finalize_leaves_previous_version_intact(tmp_path: Path) -> None:
    store, ca, s = DirectoryStore(DirectorySettings(tmp_path)), LocalCA(), spec()
    first = store.issue(s, ca.finalize)

    def broken(_csr: bytes) -> object:
        raise RuntimeError("CA went away")

    with pytest.raises(RuntimeError):
        store.issue(s, broken)  # type: ignore[arg-type]
    assert store.current(s.name) == first
    assert len(list((tmp_path / s.name / "versions").iterdir())) == 1


def test_lock_is_exclusive(tmp_path: Path) -> None:
    store = DirectoryStore(DirectorySettings(tmp_path))
    with (
        store.lock("a"),
        pytest.raises(LockBusy),
        DirectoryStore(DirectorySettings(tmp_path)).lock("a"),
    ):
        pass
    with store.lock("a"):
        pass  # released after the first block


def test_account_round_trip_is_private(tmp_path: Path) -> None:
    store = DirectoryStore(DirectorySettings(tmp_path))
    assert store.load_account("https://ca/dir") is None
    store.save_account(AccountRecord("https://ca/dir", '{"kty": "EC"}', "https://ca/acct/1"))
    record = store.load_account("https://ca/dir")
    assert record is not None and record.uri == "https://ca/acct/1"
    assert "kty" not in repr(record)
    files = list((tmp_path / "_accounts").iterdir())
    assert stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600
    assert "_accounts" not in store.list_current()


def test_an_account_with_a_pending_rollover_key_keeps_both(tmp_path: Path) -> None:
    store = DirectoryStore(DirectorySettings(tmp_path))
    record = AccountRecord("https://ca/dir", '{"kty": "EC", "d": "old"}', "https://ca/a/1")
    store.save_account(AccountRecord(record.directory, record.key_json, record.uri, '{"d": "new"}'))
    loaded = store.load_account("https://ca/dir")
    assert loaded is not None and loaded.pending_key_json == '{"d": "new"}'
    assert loaded.key_json == record.key_json and "new" not in repr(loaded)
    store.save_account(record)  # promoted or abandoned: the pending key is gone from the file
    (path,) = (tmp_path / "_accounts").iterdir()
    assert "pending_key" not in path.read_text()
    assert store.load_account("https://ca/dir") == record


def test_mark_revoked_is_seen_by_next_listing(tmp_path: Path) -> None:
    store, ca, s = DirectoryStore(DirectorySettings(tmp_path)), LocalCA(), spec()
    store.issue(s, ca.finalize)
    store.mark_revoked(s.name)
    assert store.list_current()[s.name].revoked
