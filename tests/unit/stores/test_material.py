"""Per-certificate isolation: a damaged folder fails (renews) only its own certificate.

The fuzz test damages one certificate's files at random (truncation, junk,
another certificate's file, JSON edits, symlinks, removal) and checks that
the store still lists every certificate, the others untouched, and that the
damaged one is either reported damaged or really whole (an independent check
with full key arithmetic); the plan renews a damaged certificate with the
reason "stored certificate damaged: …", and a new issue repairs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renewer.config.types.store_directory import DirectorySettings
from renewer.core.models import ActionKind, CertificateSpec
from renewer.plan.planner import plan
from renewer.stores import material
from renewer.stores.contract import StoreError
from renewer.stores.directory import DirectoryStore
from tests.unit.factories import spec
from tests.unit.local_ca import LocalCA

NAMES = ("a", "b", "c")
FILES = ("metadata.json", "cert.pem", "fullchain.pem", "privkey.pem", "chain.pem")


def specs() -> dict[str, CertificateSpec]:
    return {n: spec(name=n, domains=(f"{n}.example.test",)) for n in NAMES}


@cache
def pristine() -> Path:
    """One store with three whole certificates, copied for every example."""
    root = Path(tempfile.mkdtemp(prefix="renewer-damage-"))
    store, ca = DirectoryStore(DirectorySettings(root / "store")), LocalCA()
    for s in specs().values():
        store.issue(s, ca.finalize)
    return root / "store"


def copy_store() -> Path:
    target = Path(tempfile.mkdtemp(prefix="renewer-damage-")) / "store"
    shutil.copytree(pristine(), target, symlinks=True)
    return target


def version_file(root: Path, name: str, filename: str) -> Path:
    return (root / name / "current").resolve() / filename


def really_whole(root: Path, name: str) -> bool:
    """Independent oracle: leaf parses, chain starts with it, key matches, serial recorded."""
    folder = root / name / "current"
    try:
        leaf = x509.load_pem_x509_certificate((folder / "cert.pem").read_bytes())
        first = x509.load_pem_x509_certificates((folder / "fullchain.pem").read_bytes())[0]
        key = serialization.load_pem_private_key((folder / "privkey.pem").read_bytes(), None)
        meta = json.loads((folder / "metadata.json").read_text())
    except Exception:
        return False
    return (
        first == leaf
        and key.public_key() == leaf.public_key()
        and meta.get("serial") == format(leaf.serial_number, "x")
    )


def json_edit(kind: str) -> Callable[[dict[str, Any]], Any]:
    edits: dict[str, Callable[[dict[str, Any]], Any]] = {
        "list": lambda m: [m],
        "null": lambda m: None,
        "drop_not_before": lambda m: {k: v for k, v in m.items() if k != "not_before"},
        "drop_serial": lambda m: {k: v for k, v in m.items() if k != "serial"},
        "bad_date": lambda m: {**m, "not_after": "yesterday"},
        "naive_date": lambda m: {**m, "not_after": "2026-01-01T00:00:00"},
        "date_number": lambda m: {**m, "not_before": 17},
        "serial_number": lambda m: {**m, "serial": 12345},
        "other_serial": lambda m: {**m, "serial": "abc"},
        "domains_string": lambda m: {**m, "domains": "x.example"},
        "revoked_string": lambda m: {**m, "revoked": "no"},
        "drop_hashes": lambda m: {
            k: v for k, v in m.items() if k not in ("key_sha256", "spki_sha256")
        },
    }
    return edits[kind]


damage = st.one_of(
    st.tuples(st.just("truncate"), st.sampled_from(FILES), st.integers(0, 400)),
    st.tuples(st.just("junk"), st.sampled_from(FILES), st.binary(max_size=300)),
    st.tuples(st.just("swap"), st.sampled_from(FILES), st.sampled_from(("a", "c"))),
    st.tuples(
        st.just("json"),
        st.just("metadata.json"),
        st.sampled_from(
            [
                "list",
                "null",
                "drop_not_before",
                "drop_serial",
                "bad_date",
                "naive_date",
                "date_number",
                "serial_number",
                "other_serial",
                "domains_string",
                "revoked_string",
                "drop_hashes",
            ]
        ),
    ),
    st.tuples(st.just("remove"), st.sampled_from(FILES), st.just(0)),
    st.tuples(st.just("symlink"), st.sampled_from(FILES), st.sampled_from(("/dev/null", "/nope"))),
    st.tuples(st.just("directory"), st.sampled_from(FILES), st.just(0)),
    st.tuples(st.just("dangling_current"), st.just(""), st.just(0)),
)


def apply(root: Path, operation: tuple[str, str, Any]) -> None:
    kind, filename, arg = operation
    if kind == "dangling_current":
        shutil.rmtree((root / "b" / "current").resolve())
        return
    path = version_file(root, "b", filename)
    if kind == "truncate":
        path.write_bytes(path.read_bytes()[:arg])
    elif kind == "junk":
        path.write_bytes(arg)
    elif kind == "swap":
        path.write_bytes(version_file(root, arg, filename).read_bytes())
    elif kind == "json":
        path.write_text(json.dumps(json_edit(arg)(json.loads(path.read_text()))))
    elif kind == "remove":
        path.unlink()
    elif kind == "symlink":
        path.unlink()
        path.symlink_to(arg)
    elif kind == "directory":
        path.unlink()
        path.mkdir()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operation=damage)
def test_damage_to_one_certificate_touches_only_it(operation: tuple[str, str, Any]) -> None:
    root = copy_store()
    try:
        before = DirectoryStore(DirectorySettings(pristine())).list_current()
        apply(root, operation)
        listed = DirectoryStore(DirectorySettings(root)).list_current()  # never raises
        assert sorted(listed) == list(NAMES)
        for name in ("a", "c"):
            assert listed[name] == before[name] and listed[name].damage is None
        b = listed["b"]
        if b.damage is None:
            assert really_whole(root, "b"), operation  # only harmless edits go unnoticed
        the_plan = plan(specs().values(), listed, datetime.now(UTC))
        action = {a.name: a for a in the_plan.actions}["b"]
        if b.damage:
            assert action.kind is ActionKind.RENEW
            assert action.reason == f"stored certificate damaged: {b.damage}"
            if b.dates_known:  # the leaf still tells the real expiry
                assert b.not_after == before["b"].not_after or operation[0] == "swap"
        repaired = DirectoryStore(DirectorySettings(root))
        repaired.issue(specs()["b"], LocalCA().finalize)
        again = repaired.list_current()["b"]
        assert again.damage is None and really_whole(root, "b")
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


@pytest.mark.parametrize(
    ("operation", "words"),
    [
        (("json", "metadata.json", "list"), "metadata.json holds a list, not an object"),
        (("junk", "metadata.json", b"{not json"), "metadata.json is not JSON"),
        (("json", "metadata.json", "drop_not_before"), "metadata.json lacks not_before"),
        (("json", "metadata.json", "bad_date"), "metadata.json: not_after 'yesterday' is not"),
        (("truncate", "fullchain.pem", 100), "fullchain.pem holds no PEM certificate"),
        (("swap", "privkey.pem", "a"), "privkey.pem is not the key written with this"),
        (("junk", "cert.pem", b"\x00\x01"), "cert.pem is not a PEM certificate"),
        (("swap", "fullchain.pem", "a"), "fullchain.pem does not start with the leaf"),
    ],
)
def test_each_damage_is_named(operation: tuple[str, str, Any], words: str) -> None:
    root = copy_store()
    apply(root, operation)
    b = DirectoryStore(DirectorySettings(root)).list_current()["b"]
    assert b.damage is not None and words in b.damage, b.damage
    shutil.rmtree(root.parent)


def test_metadata_without_recorded_hashes_still_has_its_key_checked() -> None:
    """Metadata written before the hashes existed: the key is compared by loading it."""
    root = copy_store()
    apply(root, ("json", "metadata.json", "drop_hashes"))
    assert DirectoryStore(DirectorySettings(root)).list_current()["b"].damage is None
    apply(root, ("swap", "privkey.pem", "a"))
    damage = DirectoryStore(DirectorySettings(root)).list_current()["b"].damage
    assert damage == "privkey.pem does not match the certificate"
    shutil.rmtree(root.parent)


def test_planted_symlinks_are_replaced_never_followed() -> None:
    root = copy_store()
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "keep").write_text("keep")
    folder = root / "b"
    (folder / "privkey.pem").unlink()
    (folder / "privkey.pem").symlink_to(outside / "keep")
    shutil.rmtree(folder / "versions")
    (folder / "versions").symlink_to(outside)
    DirectoryStore(DirectorySettings(root)).issue(specs()["b"], LocalCA().finalize)
    assert os.readlink(folder / "privkey.pem") == "current/privkey.pem"
    assert not (folder / "versions").is_symlink() and (folder / "versions").is_dir()
    assert sorted(p.name for p in outside.iterdir()) == ["keep"]
    assert (outside / "keep").read_text() == "keep"
    assert really_whole(root, "b")
    shutil.rmtree(root.parent)


def test_a_store_path_that_is_a_file_names_it(tmp_path: Path) -> None:
    (tmp_path / "store").write_text("")
    with pytest.raises(StoreError, match=r"store: store path is not a directory"):
        DirectoryStore(DirectorySettings(tmp_path / "store")).list_current()


def test_revocation_never_writes_through_a_planted_current_link() -> None:
    root = copy_store()
    outside = root.parent / "elsewhere"
    shutil.copytree((root / "b" / "current").resolve(), outside)
    (root / "b" / "current").unlink()
    (root / "b" / "current").symlink_to(outside)
    before = (outside / "metadata.json").read_text()
    with pytest.raises(StoreError, match="points outside versions"):
        DirectoryStore(DirectorySettings(root)).mark_revoked("b")
    assert (outside / "metadata.json").read_text() == before
    shutil.rmtree(root.parent)


# The reader itself (renewer/stores/material.py), on one folder at a time.


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (b"\xff", "metadata.json is not JSON (UnicodeDecodeError)"),
        (b"[]", "metadata.json holds a list, not an object"),
        (b'{"name": "a"}', "metadata.json lacks serial, not_before, not_after"),
        (
            b'{"name": "a", "serial": 1, "not_before": "x", "not_after": "x"}',
            "metadata.json: serial is not a string",
        ),
        (
            b'{"name": "a", "serial": "1", "not_before": "2026-01-01T00:00:00",'
            b' "not_after": "2026-02-01T00:00:00+00:00"}',
            "metadata.json: not_before has no time zone",
        ),
    ],
)
def test_metadata_damage_is_said_precisely(text: bytes, says: str) -> None:
    with pytest.raises(material.Damaged, match=re.escape(says)):
        material.parse_metadata(text)


def test_a_whole_folder_reads_without_damage_and_a_new_one_as_none(tmp_path: Path) -> None:
    root = copy_store()
    found = material.read(root / "a", "a")
    assert found is not None and found.damage is None
    assert found.meta is not None and found.meta["name"] == "a"
    assert material.read(tmp_path / "never-issued", "x") is None


def test_damaged_metadata_is_rebuilt_from_the_leaf_keeping_the_real_expiry() -> None:
    root = copy_store()
    leaf = x509.load_pem_x509_certificate(version_file(root, "b", "cert.pem").read_bytes())
    version_file(root, "b", "metadata.json").write_text("{not json")
    found = material.read(root / "b", "b")
    assert found is not None and found.meta is not None
    assert found.damage == "metadata.json is not JSON (JSONDecodeError)"
    assert found.meta == material.from_leaf("b", leaf)
    assert found.meta["not_after"] == leaf.not_valid_after_utc.isoformat()
    assert found.meta["domains"] == ["b.example.test"]


def test_another_certificates_key_or_leaf_is_found_out() -> None:
    root = copy_store()
    shutil.copy(version_file(root, "a", "privkey.pem"), version_file(root, "c", "privkey.pem"))
    found = material.read(root / "c", "c")
    assert found is not None
    assert found.damage == "privkey.pem is not the key written with this certificate"
    shutil.copy(version_file(root, "a", "cert.pem"), version_file(root, "b", "cert.pem"))
    found = material.read(root / "b", "b")
    assert found is not None and found.damage is not None
    assert "cert.pem has serial" in found.damage and "fullchain.pem does not start" in found.damage


def test_a_file_past_the_cap_is_damage_not_read() -> None:
    root = copy_store()
    version_file(root, "a", "fullchain.pem").write_bytes(b"x" * (material.MAX_FILE + 1))
    found = material.read(root / "a", "a")
    assert found is not None
    assert found.damage == f"fullchain.pem is larger than {material.MAX_FILE} bytes"
