"""A root -> intermediate CA for verify tests, issuing into the real directory store.

Two levels, as public CAs have, so "the server does not send the
intermediate" is a real, detectable condition. Fast enough to issue a
version per test; the Pebble scenario in test_verify_nginx covers the real
ACME path.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from renewer.core.certs import IssuedChain, split_chain
from renewer.core.endpoints import EndpointSpec
from renewer.core.models import CertificateSpec, StoredCertificate, StoreSettings
from renewer.stores.directory import DirectoryStore
from tests.unit.factories import spec as base_spec

PEM = serialization.Encoding.PEM


def _ca(
    name: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer: object
) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(signer, hashes.SHA256())  # type: ignore[arg-type]
    )


class ChainCA:
    """Root and intermediate; ``finalize`` signs a CSR's names with the intermediate."""

    def __init__(self, label: str = "verify test") -> None:
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{label} root")])
        self.root = _ca(f"{label} root", self.root_key, root_name, self.root_key)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.intermediate = _ca(f"{label} intermediate", self.key, root_name, self.root_key)
        self.lifetime = timedelta(days=90)
        self.backdate = timedelta(0)

    def finalize(self, csr_pem: bytes) -> IssuedChain:
        csr = x509.load_pem_x509_csr(csr_pem)
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        start = datetime.now(UTC) - self.backdate
        leaf = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.intermediate.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + self.lifetime)
            .add_extension(san, critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return split_chain((leaf.public_bytes(PEM) + self.intermediate.public_bytes(PEM)).decode())


def spec_for(
    root: Path,
    name: str,
    domains: tuple[str, ...],
    endpoints: tuple[EndpointSpec, ...],
    grace: timedelta = timedelta(hours=26),
) -> CertificateSpec:
    """A directory-store certificate with endpoints, as the config loader would build it."""
    made = base_spec(name=name, domains=domains)
    store = StoreSettings(type="directory", options={"path": str(root)})
    return replace(made, store=store, endpoints=endpoints, grace=grace)


def issue(store: DirectoryStore, spec: CertificateSpec, ca: ChainCA) -> StoredCertificate:
    return store.issue(spec, ca.finalize)


def version_files(store: DirectoryStore, name: str, version: str) -> tuple[Path, Path, Path]:
    """(fullchain, leaf only, key) of one stored version: what a stale server still holds."""
    folder = store.root / name / "versions" / version
    return folder / "fullchain.pem", folder / "cert.pem", folder / "privkey.pem"
