"""The embedded default store: one folder per certificate on local disk.

Layout (``<root>/<name>/``)::

    versions/<UTC stamp>-<serial>/  fullchain.pem chain.pem cert.pem privkey.pem metadata.json
    current -> versions/<latest>    (symlink, swapped atomically)
    fullchain.pem, chain.pem, cert.pem, privkey.pem, metadata.json -> current/<file>

A version directory is written completely under a temporary name and renamed
into place, then ``current`` is swapped with one rename, so a crash at any
point leaves either the old or the new version, never a half-written file.
Earlier versions stay for rollback.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from renewer.config.types.store_directory import DirectorySettings
from renewer.core import renewal_window
from renewer.core.certs import IssuedChain, generate_key, key_to_pem, make_csr, split_chain
from renewer.core.models import CertificateSpec, RenewalInfo, StoredCertificate
from renewer.stores import lockfile, material
from renewer.stores.contract import (
    AccountRecord,
    CertificateStore,
    Finalize,
    StoredVersion,
    StoreError,
)

FILES = ("fullchain.pem", "chain.pem", "cert.pem", "privkey.pem", "metadata.json")
ACCOUNTS = "_accounts"  # '_' cannot start a certificate name, so no clash
SECRET_MODE = 0o600
DIR_MODE = 0o700  # every folder the store creates, whatever the umask


def make_dirs(path: Path) -> None:
    """Create ``path`` and its missing parents with DIR_MODE (chmod: the umask cannot widen it)."""
    missing: list[Path] = []
    probe = path
    while not probe.is_dir() and probe.parent != probe:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(folder, DIR_MODE)


def own_dir(path: Path) -> None:
    """A folder of ours: a symlink planted in its place is removed, never followed."""
    if path.is_symlink():
        path.unlink()
    make_dirs(path)


def _write_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write via a temporary file in the same folder and rename: all or nothing.

    A failure names the file ("No space left on device" alone names none).
    """
    try:
        _write_atomically(path, data, mode)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise StoreError(f"{path}: cannot write ({reason})") from None


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        if hasattr(os, "fchmod"):  # POSIX modes; Windows (before 3.13) has no fchmod
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _swap_symlink(link: Path, target: str) -> None:
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(target)
    os.replace(tmp, link)


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def metadata_for(
    spec: CertificateSpec, chain: IssuedChain, version: str, key_pem: bytes = b""
) -> dict[str, Any]:
    """What the planner needs next run, recorded from the issued leaf and the spec.

    ``key_sha256`` and ``spki_sha256`` let every listing check that the key and
    the leaf on disk are still the pair written here, without loading the key.
    """
    hashes = (
        {
            "key_sha256": hashlib.sha256(key_pem).hexdigest(),
            "spki_sha256": material.spki_sha256(chain.leaf),
        }
        if key_pem
        else {}
    )
    return {
        "name": spec.name,
        "version": version,
        "domains": list(chain.domains) or list(spec.domains),
        "key": spec.key,
        "profile": spec.acme.profile,
        "directory": spec.acme.directory,
        "fingerprint": spec.fingerprint(),
        "serial": chain.serial,
        "not_before": chain.not_before.isoformat(),
        "not_after": chain.not_after.isoformat(),
        "ari_cert_id": chain.ari_cert_id,
        "issued_at": datetime.now(UTC).isoformat(),
        "revoked": False,
        **hashes,
        **window_field(chain.renewal_info),
    }


def window_field(info: RenewalInfo | None) -> dict[str, str]:
    """The metadata entry for a remembered renewal window ({} when there is none)."""
    text = renewal_window.encode(info) if info is not None else None
    return {"renewal_info": text} if text else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def stored_from_metadata(meta: dict[str, Any], damage: str | None = None) -> StoredCertificate:
    """The planner's view of checked metadata (``material.parse_metadata``); optional
    fields of the wrong type count as absent, so a hand-edited file cannot crash a run."""
    domains = meta.get("domains")
    return StoredCertificate(
        name=meta["name"],
        not_before=_parse_time(meta["not_before"]),
        not_after=_parse_time(meta["not_after"]),
        serial=meta["serial"],
        fingerprint=_text(meta.get("fingerprint")),
        domains=tuple(d for d in domains if isinstance(d, str))
        if isinstance(domains, list)
        else (),
        key=_text(meta.get("key")),
        profile=_text(meta.get("profile")),
        directory=_text(meta.get("directory")),
        ari_cert_id=_text(meta.get("ari_cert_id")),
        version=_text(meta.get("version")),
        revoked=meta.get("revoked") is True,
        renewal_info=renewal_window.decode(meta.get("renewal_info")),
        damage=damage,
    )


def _unknown(name: str, damage: str) -> StoredCertificate:
    when = material.UNKNOWN_TIME
    return StoredCertificate(name=name, not_before=when, not_after=when, serial="", damage=damage)


def version_from_folder(folder: Path, current: bool) -> StoredVersion:
    """A StoredVersion from one version folder's metadata and PEM files."""
    try:
        meta = json.loads((folder / "metadata.json").read_text())
        chain = split_chain((folder / "fullchain.pem").read_text())
    except (OSError, ValueError) as exc:
        raise StoreError(f"{folder}: unreadable version ({exc})") from None
    der = chain.leaf.public_bytes(serialization.Encoding.DER)
    issuers = (
        tuple(
            c.public_bytes(serialization.Encoding.DER)
            for c in x509.load_pem_x509_certificates(chain.chain_pem.encode())
        )
        if chain.chain_pem.strip()
        else ()
    )
    return StoredVersion(
        version=folder.name,
        sha1=hashlib.sha1(der).hexdigest(),  # noqa: S324 - an identifier, not a signature
        not_after=_parse_time(meta["not_after"]),
        created=_parse_time(meta.get("issued_at") or meta["not_before"]),
        current=current,
        serial=meta.get("serial"),
        not_before=_parse_time(meta["not_before"]),
        chain_der=issuers,
    )


class DirectoryStore(CertificateStore):
    """Certificates as PEM files under one root folder."""

    def __init__(self, settings: DirectorySettings) -> None:
        self.root = settings.path

    def describe(self) -> str:
        return f"directory {self.root}"

    def _folder(self, name: str) -> Path:
        return self.root / name

    def _read_metadata(self, name: str) -> dict[str, Any] | None:
        path = self._folder(name) / "current" / "metadata.json"
        try:
            data: dict[str, Any] = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StoreError(f"{path}: unreadable metadata ({exc})") from None
        return data

    def iter_current(self) -> Iterator[StoredCertificate]:
        """Every certificate, each checked on its own (``material``): damage marks that one."""
        if not self.root.exists():
            return
        if not self.root.is_dir():
            raise StoreError(f"{self.root}: store path is not a directory")
        try:
            entries = sorted(self.root.iterdir())
        except OSError as exc:
            raise StoreError(f"{self.root}: cannot list the store ({exc.strerror})") from None
        for entry in entries:
            if entry.name.startswith((".", "_")) or not entry.is_dir():
                continue
            current = self.current(entry.name)
            if current is not None:
                yield current

    def current(self, name: str) -> StoredCertificate | None:
        try:
            found = material.read(self._folder(name), name)
        except Exception as exc:  # whatever is on disk, it fails only this certificate
            return _unknown(name, f"unreadable ({exc.__class__.__name__})")
        if found is None:
            return None
        if found.meta is None:
            return _unknown(name, found.damage or "unreadable")
        return stored_from_metadata({**found.meta, "name": name}, found.damage)

    def versions(self, name: str) -> tuple[StoredVersion, ...]:
        """Every complete version folder, newest first (``renewer verify`` compares them)."""
        folder = self._folder(name) / "versions"
        if not folder.is_dir():
            return ()
        current = os.path.basename(os.readlink(self._folder(name) / "current"))
        found = []
        for entry in sorted(folder.iterdir(), reverse=True):  # names start with a UTC stamp
            if entry.name.startswith(".") or not (entry / "metadata.json").is_file():
                continue
            found.append(version_from_folder(entry, entry.name == current))
        return tuple(found)

    def issue(self, spec: CertificateSpec, finalize: Finalize) -> StoredCertificate:
        key = generate_key(spec.key)
        chain = finalize(make_csr(key, spec.domains))
        spec = spec.with_issuer(chain.issuer or spec.acme)  # what is recorded
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        version = f"{stamp}-{chain.serial[:16]}"
        key_pem = key_to_pem(key)
        meta = metadata_for(spec, chain, version, key_pem)
        contents = {
            "fullchain.pem": (chain.fullchain_pem.encode(), 0o644),
            "chain.pem": (chain.chain_pem.encode(), 0o644),
            "cert.pem": (chain.leaf_pem.encode(), 0o644),
            "privkey.pem": (key_pem, SECRET_MODE),
            "metadata.json": (json.dumps(meta, indent=2).encode() + b"\n", 0o644),
        }
        self._publish(spec.name, version, contents)
        return stored_from_metadata(meta)

    def _publish(self, name: str, version: str, contents: dict[str, tuple[bytes, int]]) -> None:
        folder = self._folder(name)
        versions = folder / "versions"
        make_dirs(folder)
        own_dir(versions)
        staging = Path(tempfile.mkdtemp(dir=versions, prefix=".staging-"))
        for filename, (data, mode) in contents.items():
            _write_file(staging / filename, data, mode)
        os.replace(staging, versions / version)
        _swap_symlink(folder / "current", f"versions/{version}")
        for filename in FILES:  # a planted file or symlink in their place is replaced
            link = folder / filename
            if not link.is_symlink() or os.readlink(link) != f"current/{filename}":
                _swap_symlink(link, f"current/{filename}")

    def certificate_pem(self, name: str) -> str | None:
        path = self._folder(name) / "current" / "cert.pem"
        return path.read_text() if path.exists() else None

    def mark_revoked(self, name: str) -> None:
        meta = self._read_metadata(name)
        if meta is None:
            raise StoreError(f"{self.describe()}: no certificate named {name}")
        self._rewrite_metadata(name, {**meta, "revoked": True})

    def remember_renewal_info(self, stored: StoredCertificate, info: RenewalInfo) -> bool:
        """Rewrite the current version's metadata with the window, if it is still that version."""
        meta = self._read_metadata(stored.name)
        entry = window_field(info)
        if meta is None or meta.get("version") != stored.version or not entry:
            return False
        self._rewrite_metadata(stored.name, {**meta, **entry})
        return True

    def _rewrite_metadata(self, name: str, meta: dict[str, Any]) -> None:
        """Replace the current version's metadata.json; never written outside versions/."""
        versions = (self._folder(name) / "versions").resolve()
        target = (self._folder(name) / "current").resolve() / "metadata.json"
        if not target.is_relative_to(versions) or (self._folder(name) / "versions").is_symlink():
            raise StoreError(f"{self._folder(name)}/current: points outside versions/, not written")
        _write_file(target, json.dumps(meta, indent=2).encode() + b"\n")

    def _account_path(self, directory: str) -> Path:
        digest = hashlib.sha256(directory.encode()).hexdigest()[:16]
        return self.root / ACCOUNTS / f"{digest}.json"

    def load_account(self, directory: str) -> AccountRecord | None:
        path = self._account_path(directory)
        if not path.exists():
            return None
        try:
            return AccountRecord.from_body(json.loads(path.read_text()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            what = f"missing {exc}" if isinstance(exc, KeyError) else exc.__class__.__name__
            raise StoreError(f"{path}: unreadable ACME account file ({what})") from None

    def save_account(self, record: AccountRecord) -> None:
        path = self._account_path(record.directory)
        make_dirs(path.parent)
        _write_file(path, json.dumps(record.body(), indent=2).encode(), SECRET_MODE)

    def journal_dir(self) -> Path:
        """Where runs journal the TXT values they present (renewer.dns.journal)."""
        return self.root / "_journal"

    def sweep_staging(self, name: str) -> int:
        """Remove version folders a killed run left half-written; call under the lock."""
        versions = self._folder(name) / "versions"
        removed = 0
        for staging in versions.glob(".staging-*") if versions.is_dir() else ():
            shutil.rmtree(staging, ignore_errors=True)
            removed += 1
        for tmp in self._folder(name).glob(".*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()
        return removed

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        folder = self._folder(name)
        make_dirs(folder)
        with lockfile.hold(folder / ".lock", name):
            yield
