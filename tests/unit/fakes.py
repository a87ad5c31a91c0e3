"""In-memory fakes of the two adapter contracts, for unit tests of what sits above them.

``MemoryStore`` honours the store contract (``renewer.stores.contract``): it
keeps certificates in a dict, owns the key when it issues (it makes the key and
CSR and hands ``finalize`` the CSR, as Key Vault does), pages its listing
(``page``) and counts what it was asked. ``MemoryDns`` honours the DNS-provider
contract (``renewer.dns.contract``): values per name, ``cleanup`` removes only
its own value. Neither is a stand-in for a real service: integration tests use
the real parts (tests/rig/README.md).
"""

from __future__ import annotations

import contextlib
import threading
from collections import defaultdict
from collections.abc import Iterator

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from renewer.core.models import CertificateSpec, StoredCertificate
from renewer.dns.contract import DnsError, DnsProvider
from renewer.stores.contract import AccountRecord, CertificateStore, Finalize, LockBusy, StoreError


class MemoryStore(CertificateStore):
    """A store in a dict; ``fail_listing`` makes its listing fail after that many items."""

    def __init__(self, name: str = "memory", page: int = 25) -> None:
        self.name = name
        self.page = page
        self.certificates: dict[str, StoredCertificate] = {}
        self.pems: dict[str, str] = {}
        self.accounts: dict[str, AccountRecord] = {}
        self.fail_listing: int | None = None
        self.pages_read = 0
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"memory {self.name}"

    def iter_current(self) -> Iterator[StoredCertificate]:
        items = sorted(self.certificates.values(), key=lambda s: s.name)
        for start in range(0, max(len(items), 1), self.page):
            self.pages_read += 1
            for offset, stored in enumerate(items[start : start + self.page]):
                if self.fail_listing is not None and start + offset >= self.fail_listing:
                    raise StoreError(f"{self.describe()}: listing failed")
                yield stored

    def current(self, name: str) -> StoredCertificate | None:
        return self.certificates.get(name)

    def issue(self, spec: CertificateSpec, finalize: Finalize) -> StoredCertificate:
        key = ec.generate_private_key(ec.SECP256R1())
        names = [x509.DNSName(d) for d in spec.domains]
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, spec.domains[0])]))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .sign(key, hashes.SHA256())
        )
        chain = finalize(csr.public_bytes(serialization.Encoding.PEM))
        stored = StoredCertificate(
            name=spec.name,
            not_before=chain.not_before,
            not_after=chain.not_after,
            serial=chain.serial,
            fingerprint=spec.fingerprint(),
            domains=chain.domains,
            key=spec.key,
            profile=spec.acme.profile,
            directory=spec.acme.directory,
            ari_cert_id=chain.ari_cert_id,
            renewal_info=chain.renewal_info,
        )
        self.certificates[spec.name] = stored
        self.pems[spec.name] = chain.fullchain_pem
        return stored

    def certificate_pem(self, name: str) -> str | None:
        return self.pems.get(name)

    def mark_revoked(self, name: str) -> None:
        found = self.certificates[name]
        self.certificates[name] = StoredCertificate(**{**vars(found), "revoked": True})

    def load_account(self, directory: str) -> AccountRecord | None:
        return self.accounts.get(directory)

    def save_account(self, record: AccountRecord) -> None:
        self.accounts[record.directory] = record

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        with self._lock:
            if name in self._held:
                raise LockBusy(f"{name} is being renewed by another run")
            self._held.add(name)
        try:
            yield
        finally:
            with self._lock:
                self._held.discard(name)


class MemoryDns(DnsProvider):
    """TXT values per name; ``fail`` names a fqdn whose writes fail (transient or not)."""

    def __init__(self) -> None:
        self.values: dict[str, list[str]] = defaultdict(list)
        self.calls: list[tuple[str, str, str]] = []
        self.fail: dict[str, bool] = {}  # fqdn -> transient

    def describe(self) -> str:
        return "memory DNS"

    def present(self, fqdn: str, value: str) -> None:
        self._maybe_fail(fqdn)
        self.calls.append(("present", fqdn, value))
        if value not in self.values[fqdn]:
            self.values[fqdn].append(value)

    def cleanup(self, fqdn: str, value: str) -> None:
        self._maybe_fail(fqdn)
        self.calls.append(("cleanup", fqdn, value))
        if value in self.values[fqdn]:
            self.values[fqdn].remove(value)

    def _maybe_fail(self, fqdn: str) -> None:
        if fqdn in self.fail:
            raise DnsError(f"{fqdn}: refused", transient=self.fail[fqdn])
