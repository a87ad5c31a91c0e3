"""What the Key Vault store's unit tests share: the real SDK against the rig's stand-in.

The modules under test talk to Key Vault through ``CertificateClient``; the vault
side is tests/rig/keyvault.py (its behaviour sourced from the REST spec there).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from azure.keyvault.certificates import CertificateClient
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from rig import KeyVaultStandIn


def client(kv: KeyVaultStandIn) -> CertificateClient:
    return CertificateClient(
        kv.url,
        kv.credential(),
        verify_challenge_resource=False,
        connection_verify=str(kv.ca_bundle),
    )


def pfx(*domains: str, days: int = 90, serial: int | None = None) -> bytes:
    """A self-signed leaf for ``domains`` with its key, as PKCS#12 (what import takes)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domains[0])])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(d) for d in domains]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        None, key, cert, None, serialization.NoEncryption()
    )
