"""Reading one directory-store certificate defensively: damage is a finding, never a crash.

A store folder is shared with whatever reads the certificate (a web server,
a sync job, an operator). Any of its files can be truncated, replaced or
planted; one bad folder must fail (renew) only that certificate, and junk must
not be reported as a healthy certificate just because ``metadata.json`` is.

Checks, cheapest first, on every listing:

- ``metadata.json`` is an object with ``name``, ``serial``, ``not_before``,
  ``not_after`` (ISO 8601 with a zone);
- ``cert.pem`` parses, and its serial is the one recorded;
- ``fullchain.pem`` starts with that leaf;
- ``privkey.pem`` is the key of the leaf: metadata written by newer
  versions records ``key_sha256`` (SHA-256 of the key file) and ``spki_sha256`` (of the
  leaf's public key), compared without any private-key arithmetic; older
  metadata has neither, so the key is loaded and its public key compared.

When ``metadata.json`` is damaged the leaf still gives the dates, so the
report keeps the real expiry; when nothing parses, the dates are unknown.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from renewer.core.certs import ari_cert_id, san_names
from renewer.core.errors import RenewerError

MAX_FILE = 1024 * 1024  # no certificate file is bigger; a bigger one is damage, not read
_REQUIRED = ("name", "serial", "not_before", "not_after")


class Damaged(RenewerError):
    """One certificate's files are not a whole certificate; the message says which and why."""


@dataclass(frozen=True)
class Material:
    """What was read: the metadata (possibly repaired from the leaf) and the damage found."""

    meta: dict[str, Any] | None
    damage: str | None


def spki_sha256(cert: x509.Certificate) -> str:
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def _read(folder: Path, name: str) -> bytes:
    path = folder / name
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE + 1)
    except FileNotFoundError:
        raise Damaged(f"{name} is missing") from None
    except OSError as exc:
        raise Damaged(f"{name} unreadable ({exc.strerror or exc.__class__.__name__})") from None
    if len(data) > MAX_FILE:
        raise Damaged(f"{name} is larger than {MAX_FILE} bytes")
    return data


def _time(value: Any, key: str) -> datetime:
    if not isinstance(value, str):
        raise Damaged(f"metadata.json: {key} is not a date")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Damaged(f"metadata.json: {key} {value[:40]!r} is not an ISO 8601 date") from None
    if moment.tzinfo is None:
        raise Damaged(f"metadata.json: {key} has no time zone")
    return moment


def parse_metadata(data: bytes) -> dict[str, Any]:
    """The metadata object, or Damaged saying what is wrong with it."""
    try:
        meta = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Damaged(f"metadata.json is not JSON ({exc.__class__.__name__})") from None
    if not isinstance(meta, dict):
        raise Damaged(f"metadata.json holds a {type(meta).__name__}, not an object")
    missing = [key for key in _REQUIRED if key not in meta]
    if missing:
        raise Damaged(f"metadata.json lacks {', '.join(missing)}")
    for key in ("name", "serial"):
        if not isinstance(meta[key], str):
            raise Damaged(f"metadata.json: {key} is not a string")
    _time(meta["not_before"], "not_before")
    _time(meta["not_after"], "not_after")
    return meta


def _leaf(folder: Path) -> tuple[x509.Certificate, bytes]:
    data = _read(folder, "cert.pem")
    try:
        return x509.load_pem_x509_certificate(data), data
    except ValueError:
        raise Damaged("cert.pem is not a PEM certificate") from None


def _check_chain(folder: Path, leaf: x509.Certificate) -> None:
    data = _read(folder, "fullchain.pem")
    try:
        first = x509.load_pem_x509_certificates(data)[0]
    except (ValueError, IndexError):
        raise Damaged("fullchain.pem holds no PEM certificate") from None
    if first != leaf:
        raise Damaged("fullchain.pem does not start with the leaf in cert.pem")


def _check_key(folder: Path, leaf: x509.Certificate, meta: dict[str, Any] | None) -> None:
    data = _read(folder, "privkey.pem")
    recorded_key = meta.get("key_sha256") if meta else None
    recorded_spki = meta.get("spki_sha256") if meta else None
    if isinstance(recorded_key, str) and isinstance(recorded_spki, str):
        if hashlib.sha256(data).hexdigest() != recorded_key:
            raise Damaged("privkey.pem is not the key written with this certificate")
        if spki_sha256(leaf) != recorded_spki:
            raise Damaged("cert.pem is not the certificate written with this key")
        return
    try:  # metadata from before the hashes were recorded: compare the keys themselves
        key = serialization.load_pem_private_key(data, None, unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError):
        raise Damaged("privkey.pem is not an unencrypted PEM private key") from None
    if key.public_key() != leaf.public_key():
        raise Damaged("privkey.pem does not match the certificate")


def from_leaf(name: str, leaf: x509.Certificate) -> dict[str, Any]:
    """Metadata rebuilt from the certificate alone (its dates, serial and names)."""
    return {
        "name": name,
        "serial": format(leaf.serial_number, "x"),
        "not_before": leaf.not_valid_before_utc.isoformat(),
        "not_after": leaf.not_valid_after_utc.isoformat(),
        "domains": list(san_names(leaf)),
        "ari_cert_id": ari_cert_id(leaf),
    }


def read(folder: Path, name: str) -> Material | None:
    """None when the folder holds no version yet; else the metadata and any damage."""
    current = folder / "current"
    if not current.is_symlink() and not current.exists():
        return None
    meta: dict[str, Any] | None = None
    problems: list[str] = []
    try:
        meta = parse_metadata(_read(current, "metadata.json"))
    except Damaged as exc:
        problems.append(str(exc))
    try:
        leaf, _ = _leaf(current)
    except Damaged as exc:
        return Material(meta, "; ".join([*problems, str(exc)]))
    if meta is None:
        meta = from_leaf(name, leaf)
    elif meta["serial"] != format(leaf.serial_number, "x"):
        problems.append(
            f"cert.pem has serial {format(leaf.serial_number, 'x')}, "
            f"metadata.json says {meta['serial']}"
        )
    for check in (_check_chain, lambda f, c: _check_key(f, c, meta)):
        try:
            check(current, leaf)
        except Damaged as exc:
            problems.append(str(exc))
    return Material(meta, "; ".join(problems) or None)


UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
"""The dates of a certificate none of whose files parse (``StoredCertificate.serial`` is "")."""
