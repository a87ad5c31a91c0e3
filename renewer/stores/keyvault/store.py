"""Azure Key Vault as the certificate store (the product's default).

Default ``key_mode: csr``: key and CSR made INSIDE the vault (issuer ``Unknown``), the
chain merged back: the private key never exists outside the vault. ``key_mode: import``
makes the key in memory and imports a PKCS#12 or PEM bundle (nothing touches disk).

Planning costs one paged list: the listed properties and renewer's tags
(policy.py); certificates without ``managed-by=renewer`` are unmanaged. The ACME
account key (account.py) and the leases (lease.py) are secrets, in
``state_vault_url`` when set. Azure failures become one-line StoreErrors (errors.py).

Real-vault behaviour (sources in each module): conflicts.py reads a 409
(soft-deleted name -> recovery.py; transient, retried; else a pending operation,
reused or deleted; import 409s while one is pending); a create-time placeholder
or disabled item resolves to the newest enabled version (current.py), never
"unmanaged"; a window asked again is remembered in the tags (windows.py);
another tool's certificate is adopted by tags alone (adoption.py).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceResponseError,
)
from azure.keyvault.certificates import (
    CertificateClient,
    CertificateOperation,
    CertificatePolicy,
    CertificateProperties,
    KeyVaultCertificate,
)
from azure.keyvault.secrets import SecretClient
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from renewer.azure import signin
from renewer.config.types.store_keyvault import KeyVaultSettings
from renewer.core.certs import IssuedChain, generate_key, key_to_pem, make_csr
from renewer.core.models import CertificateSpec, RenewalInfo, StoredCertificate
from renewer.core.settings import AzureSettings
from renewer.stores.contract import (
    AccountRecord,
    CertificateStore,
    Finalize,
    StoredVersion,
    StoreError,
)
from renewer.stores.keyvault.account import AccountSecret
from renewer.stores.keyvault.account import account_secret_name as account_secret_name
from renewer.stores.keyvault.adoption import write_adoption
from renewer.stores.keyvault.conflicts import Conflict, classify, retry_transient
from renewer.stores.keyvault.current import in_flight
from renewer.stores.keyvault.current import resolve as resolve_in_flight
from renewer.stores.keyvault.errors import describe_http, vault_errors
from renewer.stores.keyvault.lease import SecretLease
from renewer.stores.keyvault.listing import Listed, list_certificates
from renewer.stores.keyvault.policy import (
    build_policy,
    csr_matches,
    fit_tags,
    is_hsm,
    policy_matches,
    renewer_tags,
    stored_from_chain,
    stored_from_properties,
    with_revoked,
)
from renewer.stores.keyvault.recovery import soft_deleted
from renewer.stores.keyvault.versions import list_versions
from renewer.stores.keyvault.windows import WindowTags

log = logging.getLogger(__name__)

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def client_options(vault_url: str, azure: AzureSettings, ca_bundle: Path | None) -> dict[str, Any]:
    """SDK options: local vaults (emulators) skip the challenge-resource check; custom trust."""
    options: dict[str, Any] = {}
    if (urlsplit(vault_url).hostname or "") in LOCAL_HOSTS:
        options["verify_challenge_resource"] = False
    bundle = ca_bundle or azure.ca_bundle
    if bundle is not None:
        options["connection_verify"] = str(bundle)
    return options


def _chain_der(chain: IssuedChain) -> list[bytes]:
    certs = x509.load_pem_x509_certificates(chain.fullchain_pem.encode())
    return [c.public_bytes(serialization.Encoding.DER) for c in certs]


def _version(cert: KeyVaultCertificate) -> str | None:
    return cert.properties.version if cert.properties is not None else None


class KeyVaultStore(CertificateStore):
    """Certificates, the ACME account and leases in one Azure Key Vault."""

    def __init__(
        self,
        settings: KeyVaultSettings,
        credential: TokenCredential | None = None,  # None: the run's sign-in to its cloud
        *,
        lock_settle: float | None = None,
        **sdk_options: Any,
    ) -> None:
        """``settings`` were checked by the loader (modes, URLs, files): not again here."""
        self.on_soft_deleted = on_soft_deleted = settings.on_soft_deleted
        self.vault_url = settings.vault_url.rstrip("/")
        self.key_mode = settings.key_mode
        self.exportable = settings.exportable
        self.content_type = settings.content_type
        credential = credential or signin.azure_credential(settings.azure)
        options = {
            **client_options(self.vault_url, settings.azure, settings.ca_bundle),
            **sdk_options,
        }
        self._certs = CertificateClient(self.vault_url, credential, **options)
        # renewer's own secrets (account keys, leases): in state_vault_url when set
        state = (settings.state_vault_url or self.vault_url).rstrip("/")
        secrets = SecretClient(state, credential, **options)
        self._lease = SecretLease(secrets, state, lock_settle, on_soft_deleted)
        self._account = AccountSecret(secrets, state, on_soft_deleted)
        self._windows = WindowTags(self._certs)

    def describe(self) -> str:
        return f"keyvault {self.vault_url}"

    def _errors(self, subject: str) -> contextlib.AbstractContextManager[None]:
        return vault_errors(self.vault_url, subject)

    # -- reading -----------------------------------------------------------------------------
    def iter_current(self) -> Iterator[StoredCertificate]:
        """One paged list (25 per page at most, read as JSON: listing.py), yielded as it comes."""
        with self._errors("the certificate list"):
            for listed in list_certificates(self._certs):
                props: Listed | None = listed
                if listed.name and in_flight(listed):
                    # A placeholder (renewal in flight) or a disabled item: never "unmanaged".
                    # With no enabled version, a merged (x5t) item stands as listed (someone's
                    # disabled certificate stays theirs); a bare placeholder is nothing yet.
                    resolved = resolve_in_flight(self._certs, listed.name)
                    props = resolved or (listed if listed.x509_thumbprint else None)
                stored = stored_from_properties(props) if props is not None else None
                if stored is not None and props is not None:
                    self._windows.seen(props)
                    yield stored

    def _get(self, name: str) -> tuple[CertificateProperties, x509.Certificate] | None:
        """The current version's properties and leaf; None if absent or never merged."""
        with self._errors(f"certificate {name}"):
            try:
                cert = self._certs.get_certificate(name)
                if cert.properties is None or not cert.cer or in_flight(cert.properties):
                    resolved = resolve_in_flight(self._certs, name)
                    if resolved is not None and resolved.version:
                        cert = self._certs.get_certificate_version(name, resolved.version)
            except ResourceNotFoundError:
                return None
        if cert.properties is None or not cert.cer:
            return None
        return cert.properties, x509.load_der_x509_certificate(bytes(cert.cer))

    def current(self, name: str) -> StoredCertificate | None:
        found = self._get(name)
        return stored_from_properties(*found) if found else None

    def versions(self, name: str) -> tuple[StoredVersion, ...]:
        with self._errors(f"the versions of certificate {name}"):
            return list_versions(self._certs, name)

    def certificate_pem(self, name: str) -> str | None:
        found = self._get(name)
        return found[1].public_bytes(serialization.Encoding.PEM).decode() if found else None

    def mark_revoked(self, name: str) -> None:
        found = self._get(name)
        if found is None:
            raise StoreError(f"{self.describe()}: no certificate named {name}")
        props = found[0]
        with self._errors(f"certificate {name}"):
            self._certs.update_certificate_properties(
                name, props.version, tags=with_revoked(props.tags or {})
            )

    def remember_renewal_info(self, stored: StoredCertificate, info: RenewalInfo) -> bool:
        with self._errors(f"certificate {stored.name}"):
            return self._windows.remember(stored, info)

    def adopt(self, spec: CertificateSpec) -> StoredCertificate:
        """renewer's tags on the current version another tool issued (adoption.py)."""
        found = self._get(spec.name)
        with self._errors(f"certificate {spec.name}"):
            before = write_adoption(self._certs, spec, found, self.describe())
        return self.current(spec.name) or before

    # -- issuing -----------------------------------------------------------------------------
    def issue(self, spec: CertificateSpec, finalize: Finalize) -> StoredCertificate:
        if self.key_mode == "import":
            return self._issue_imported(spec, finalize)
        return self._issue_in_vault(spec, finalize)

    def _tags(self, spec: CertificateSpec, chain: IssuedChain) -> dict[str, str]:
        return fit_tags(renewer_tags(spec, chain), spec.tags)

    def _issue_in_vault(self, spec: CertificateSpec, finalize: Finalize) -> StoredCertificate:
        policy = build_policy(spec, self.exportable, self.content_type)
        operation = self._open_operation(spec, policy)
        subject = f"certificate {spec.name}"
        try:
            if not operation.csr:
                raise StoreError(f"{self.describe()}: the vault gave no CSR for {spec.name}")
            csr = x509.load_der_x509_csr(operation.csr)
            chain = finalize(csr.public_bytes(serialization.Encoding.PEM))
            spec = spec.with_issuer(chain.issuer or spec.acme)  # what is recorded
            tags = self._tags(spec, chain)
            with self._errors(subject):
                try:
                    merged = self._certs.merge_certificate(spec.name, _chain_der(chain), tags=tags)
                except ServiceResponseError:
                    # Sent, answer lost: the merge may have landed; look before calling it failed.
                    landed = self._merged_meanwhile(spec.name, chain)
                    if landed is None:
                        raise
                    merged = landed
                version = _version(merged)
                if merged.properties is None or dict(merged.properties.tags or {}) != tags:
                    self._certs.update_certificate_properties(spec.name, version, tags=tags)
        except Exception:
            self._abandon(spec.name)
            raise
        log.info("%s: merged into %s", spec.name, self.describe())
        return stored_from_chain(spec, chain, version)

    def _merged_meanwhile(self, name: str, chain: IssuedChain) -> KeyVaultCertificate | None:
        """The current version if it holds exactly this chain's leaf, else None."""
        try:
            cert = self._certs.get_certificate(name)
        except AzureError:
            return None
        if not cert.cer:
            return None
        leaf = x509.load_der_x509_certificate(bytes(cert.cer))
        return cert if leaf.serial_number == chain.leaf.serial_number else None

    def _open_operation(
        self, spec: CertificateSpec, policy: CertificatePolicy
    ) -> CertificateOperation:
        """A pending operation (key + CSR in the vault) for this spec.

        One left by a crashed run is reused when its CSR and policy fit the
        spec, and deleted otherwise: it never blocks issuance.
        """
        with self._errors(f"certificate {spec.name}"):
            try:
                return self._create_once_free(spec.name, policy)
            except ResourceExistsError as exc:
                if classify(exc) is Conflict.TRANSIENT:  # retried while the budget allowed
                    raise StoreError(
                        describe_http(self.vault_url, f"certificate {spec.name}", exc)
                        + " (still after retrying; the next run tries again)"
                    ) from None
                pending = self._certs.get_certificate_operation(spec.name)
            if str(pending.status or "").lower() == "inprogress" and self._reusable(
                spec, policy, pending
            ):
                log.info("%s: reusing the key and CSR of an unfinished earlier run", spec.name)
                return pending
            log.info("%s: deleting a stale pending operation (%s)", spec.name, pending.status)
            self._delete_operation(spec.name)
            return retry_transient(lambda: self._create(spec.name, policy), spec.name)

    def _delete_operation(self, name: str) -> None:
        with contextlib.suppress(ResourceNotFoundError):
            retry_transient(lambda: self._certs.delete_certificate_operation(name), name)

    def _free_name(self, name: str, exc: HttpResponseError) -> bool:
        """After a 409: True when a soft-deleted name was recovered (try again), else False."""
        if classify(exc) is not Conflict.SOFT_DELETED:
            return False
        soft_deleted(self._certs, self.vault_url, name, self.on_soft_deleted)
        return True

    def _create_once_free(self, name: str, policy: CertificatePolicy) -> CertificateOperation:
        """Create; a soft-deleted name is recovered first. A pending operation -> 409 out."""
        try:
            return retry_transient(lambda: self._create(name, policy), name)
        except ResourceExistsError as exc:
            if not self._free_name(name, exc):
                raise
        return retry_transient(lambda: self._create(name, policy), name)

    def _create(self, name: str, policy: CertificatePolicy) -> CertificateOperation:
        poller = self._certs.begin_create_certificate(name, policy, preserve_order=True)
        result = poller.result()
        if not isinstance(result, CertificateOperation):
            raise StoreError(f"{self.describe()}: {name} was issued by the vault, not merged")
        if result.csr is None:
            result = self._certs.get_certificate_operation(name)
        return result

    def _reusable(
        self, spec: CertificateSpec, policy: CertificatePolicy, pending: CertificateOperation
    ) -> bool:
        if not pending.csr or str(pending.issuer_name or "").lower() != "unknown":
            return False
        if not csr_matches(x509.load_der_x509_csr(pending.csr), spec):
            return False
        try:
            return policy_matches(self._certs.get_certificate_policy(spec.name), policy)
        except ResourceNotFoundError:
            return False

    def _abandon(self, name: str) -> None:
        """Delete the pending operation after a failed order (best effort)."""
        try:
            with self._errors(f"certificate {name}"):
                self._delete_operation(name)
        except StoreError as exc:
            log.warning("%s: pending operation left in the vault: %s", name, exc)

    def _issue_imported(self, spec: CertificateSpec, finalize: Finalize) -> StoredCertificate:
        if is_hsm(spec.key):
            raise StoreError(
                f"{self.describe()}: key type {spec.key} needs key_mode csr "
                "(an HSM key is made in the vault, not imported)"
            )
        key = generate_key(spec.key)
        chain = finalize(make_csr(key, spec.domains))
        spec = spec.with_issuer(chain.issuer or spec.acme)  # what is recorded
        if self.content_type == "pem":
            bundle = key_to_pem(key) + chain.fullchain_pem.encode()
        else:
            intermediates = x509.load_pem_x509_certificates(chain.chain_pem.encode())
            bundle = pkcs12.serialize_key_and_certificates(
                spec.name.encode(),
                key,
                chain.leaf,
                intermediates or None,
                serialization.NoEncryption(),
            )
        del key
        policy = build_policy(spec, self.exportable, self.content_type)
        tags = self._tags(spec, chain)

        def once() -> KeyVaultCertificate:
            return retry_transient(
                lambda: self._certs.import_certificate(
                    spec.name, bundle, policy=policy, tags=tags, enabled=True, preserve_order=True
                ),
                spec.name,
            )

        with self._errors(f"certificate {spec.name}"):
            try:
                imported = once()
            except ResourceExistsError as exc:
                if not self._free_name(spec.name, exc):
                    # Import answers 409 while an operation is pending (a csr-mode run
                    # crashed, or key_mode changed): that operation can never finish.
                    log.info("%s: deleting a pending operation that blocks import", spec.name)
                    self._delete_operation(spec.name)
                imported = once()
        log.info("%s: imported into %s", spec.name, self.describe())
        return stored_from_chain(spec, chain, _version(imported))

    # -- account and lock --------------------------------------------------------------------
    def load_account(self, directory: str) -> AccountRecord | None:
        return self._account.load(directory)

    def save_account(self, record: AccountRecord) -> None:
        self._account.save(record)

    def account_uri(self, directory: str) -> str | None:
        return self._account.uri(directory)

    def lock(self, name: str) -> contextlib.AbstractContextManager[None]:
        return self._lease.hold(name)
