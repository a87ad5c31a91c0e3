"""The store contract: where certificates and the ACME account key live.

A store lists its state cheaply (the planner reads it on every run) and owns
the private key when it issues: ``issue`` hands the ACME layer a CSR through
``finalize`` and receives the chain back, so a vault-backed store never lets
the key leave the vault.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from renewer.core.certs import IssuedChain
from renewer.core.errors import RenewerError
from renewer.core.models import CertificateSpec, LockHolder, RenewalInfo, StoredCertificate

Finalize = Callable[[bytes], IssuedChain]
"""Given a CSR in PEM, run the ACME order and return the issued chain."""


class StoreError(RenewerError):
    """A store operation failed; the message names the store and the certificate."""


class LockBusy(StoreError):
    """Another run holds the certificate's lock; ``holder`` says who, where the store knows."""

    def __init__(self, message: str, holder: LockHolder | None = None) -> None:
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class AccountRecord:
    """An ACME account: its private JWK (JSON) and its URL at the CA.

    ``pending_key_json`` is a new key a key rollover stored before it asked the
    CA to switch (RFC 8555 7.3.5): until the CA's answer is known either key may
    be the one the CA holds, so both are kept, and the next start asks the CA
    (renewer.acme.keychange).
    """

    directory: str
    key_json: str
    uri: str | None = None
    pending_key_json: str | None = None

    def __repr__(self) -> str:  # never show the keys
        pending = ", rollover pending" if self.pending_key_json else ""
        return f"AccountRecord(directory={self.directory!r}, uri={self.uri!r}{pending})"

    def body(self) -> dict[str, str | None]:
        """The JSON a store keeps (a file, a secret's value); the pending key only when set."""
        body = {"directory": self.directory, "uri": self.uri, "key": self.key_json}
        if self.pending_key_json:
            body["pending_key"] = self.pending_key_json
        return body

    @classmethod
    def from_body(cls, data: object) -> AccountRecord:
        """The record in a stored body; KeyError, TypeError or ValueError when it is not one."""
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        pending = data.get("pending_key")
        uri = data.get("uri")
        return cls(
            directory=str(data["directory"]),
            key_json=str(data["key"]),
            uri=str(uri) if uri is not None else None,
            pending_key_json=str(pending) if pending else None,
        )


@dataclass(frozen=True)
class StoredVersion:
    """One version a store keeps of a certificate (``renewer verify`` compares what is served).

    Enough to recognise what an endpoint serves (the SHA-1 thumbprint is the
    identifier Key Vault, Windows and Azure portals show) and to say since
    when the current one is current.
    """

    version: str
    sha1: str  # lower-case hex of the leaf's DER
    not_after: datetime
    created: datetime  # when this version was stored
    current: bool = False
    serial: str | None = None  # hex, as StoredCertificate.serial; None if not listed
    not_before: datetime | None = None
    chain_der: tuple[bytes, ...] | None = None  # issuers without the leaf; None: unknown


class CertificateStore(abc.ABC):
    """What the planner and executor need from a place that keeps certificates."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where this store is, for messages ("directory .local/certs")."""

    @abc.abstractmethod
    def iter_current(self) -> Iterator[StoredCertificate]:
        """Every certificate's current version, yielded as the backend pages it in.

        In as few backend calls as possible (Key Vault: one paged list, no
        per-certificate GET). The primitive, because listings page: the run
        starts renewal-info lookups while a long listing is still arriving.
        """

    def list_current(self) -> dict[str, StoredCertificate]:
        """The whole listing at once, by name (derived from :meth:`iter_current`)."""
        return {stored.name: stored for stored in self.iter_current()}

    @abc.abstractmethod
    def current(self, name: str) -> StoredCertificate | None:
        """Re-read one certificate (after taking its lock)."""

    @abc.abstractmethod
    def issue(self, spec: CertificateSpec, finalize: Finalize) -> StoredCertificate:
        """Make a key and CSR, call ``finalize``, persist the chain as the new version."""

    def versions(self, name: str) -> tuple[StoredVersion, ...]:
        """Every version of ``name`` the store keeps, newest first; () if there is none.

        Not abstract so third-party stores written before ``renewer verify``
        existed still load; they cannot be verified against and say so.
        """
        raise StoreError(f"{self.describe()}: cannot list the versions of {name}")

    @abc.abstractmethod
    def certificate_pem(self, name: str) -> str | None:
        """The current leaf certificate (public), for revocation."""

    @abc.abstractmethod
    def mark_revoked(self, name: str) -> None:
        """Remember that the current version was revoked so the next plan renews it."""

    @abc.abstractmethod
    def load_account(self, directory: str) -> AccountRecord | None:
        """The ACME account kept for one CA directory, if any."""

    def account_uri(self, directory: str) -> str | None:
        """The account's URL at the CA, if known, without reading its private key.

        What a plan needs (dns-persist-01 records name the account): a store whose
        key is guarded apart from its metadata (Key Vault) answers from metadata, so
        the identity that plans pull requests needs no right to read the key.
        """
        record = self.load_account(directory)
        return record.uri if record is not None and record.uri else None

    @abc.abstractmethod
    def save_account(self, record: AccountRecord) -> None:
        """Keep the account for its CA directory (created once, reused by every run)."""

    @abc.abstractmethod
    def lock(self, name: str) -> AbstractContextManager[None]:
        """Hold the certificate against a concurrent run; raises LockBusy if taken."""


@runtime_checkable
class KeepsJournal(Protocol):
    """Optional: a store with a folder of its own for the TXT journal (the directory store).

    Other stores journal in the run's state folder, if there is one.
    """

    def journal_dir(self) -> Path:
        """Where runs journal the TXT values they present (renewer.dns.journal)."""
        ...


@runtime_checkable
class StagesVersions(Protocol):
    """Optional: a store that writes a version beside the current one, then swaps it in.

    A killed run may leave a half-written version behind; the executor asks
    the store to remove it, under the certificate's lock, before ordering.
    """

    def sweep_staging(self, name: str) -> int:
        """Remove what killed runs left half-written; returns how many."""
        ...


@runtime_checkable
class RemembersRenewalInfo(Protocol):
    """Optional: a store that keeps the CA's renewal window with each certificate.

    Stores write the window asked at issuance themselves (``IssuedChain.renewal_info``);
    this is for a window asked again later, on a run that did not renew.
    """

    def remember_renewal_info(self, stored: StoredCertificate, info: RenewalInfo) -> bool:
        """Keep ``info`` with the version ``stored`` describes; False if it could not be kept
        (no room, or that version is no longer current). Raises StoreError on a failed write."""
        ...


@runtime_checkable
class Adopts(Protocol):
    """Optional: a store that can take over a same-name certificate another tool issued.

    Consumers watch the name (a vault's versionless secret URL), so adoption keeps
    it: the store writes renewer's tags on the current version, changing nothing
    else, and later renewals are new versions of the same name.
    """

    def adopt(self, spec: CertificateSpec) -> StoredCertificate:
        """Record renewer's tags on the current version of ``spec.name``; returns what is
        stored now (managed). Raises StoreError when there is nothing of that name."""
        ...
