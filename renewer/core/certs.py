"""X.509 helpers every store needs: keys, CSRs, chain parsing, ARI certificate ids.

Kept apart from the stores so the Key Vault store (CSR made in the vault) and
the directory store (key made here) read issued chains the same way.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from renewer.core.models import RenewalInfo
from renewer.core.settings import AcmeSettings

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def generate_key(key_type: str) -> PrivateKey:
    """A fresh private key for one of models.KEY_TYPES (the -hsm suffix is the vault's)."""
    base = key_type.removesuffix("-hsm")
    if base == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if base == "ec-p384":
        return ec.generate_private_key(ec.SECP384R1())
    if base.startswith("rsa-"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(base[4:]))
    raise ValueError(f"unsupported key type {key_type}")


def key_to_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def make_csr(key: PrivateKey, domains: tuple[str, ...]) -> bytes:
    """A CSR with the first name as CN (when it fits) and every name as a SAN."""
    builder = x509.CertificateSigningRequestBuilder()
    if len(domains[0]) <= 64:
        builder = builder.subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domains[0])])
        )
    builder = builder.add_extension(
        x509.SubjectAlternativeName([x509.DNSName(d) for d in domains]), critical=False
    )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class IssuedChain:
    """A full chain split the way consumers want it: leaf first, then issuers."""

    leaf_pem: str
    chain_pem: str  # intermediates, in order, without the leaf
    # The CA's window, asked right after issuance (RFC 9773), stored with the chain.
    renewal_info: RenewalInfo | None = None
    # The CA that issued it when several are listed (the store records that one).
    issuer: AcmeSettings | None = None

    @property
    def fullchain_pem(self) -> str:
        return self.leaf_pem + self.chain_pem

    @property
    def leaf(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.leaf_pem.encode())

    @property
    def serial(self) -> str:
        return format(self.leaf.serial_number, "x")

    @property
    def not_before(self) -> datetime:
        return self.leaf.not_valid_before_utc

    @property
    def not_after(self) -> datetime:
        return self.leaf.not_valid_after_utc

    @property
    def domains(self) -> tuple[str, ...]:
        return san_names(self.leaf)

    @property
    def ari_cert_id(self) -> str | None:
        return ari_cert_id(self.leaf)


def split_chain(fullchain_pem: str) -> IssuedChain:
    """Split a PEM bundle into leaf and the rest; rejects anything without a leaf."""
    certs = x509.load_pem_x509_certificates(fullchain_pem.encode())
    if not certs:
        raise ValueError("the CA returned no certificate")
    pems = [c.public_bytes(serialization.Encoding.PEM).decode() for c in certs]
    return IssuedChain(leaf_pem=pems[0], chain_pem="".join(pems[1:]))


def san_names(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    return tuple(ext.value.get_values_for_type(x509.DNSName))


def top_issuer_name(fullchain_pem: str) -> str:
    """The issuer CN of the last certificate in a chain: the root it chains to."""
    certs = x509.load_pem_x509_certificates(fullchain_pem.encode())
    attrs = certs[-1].issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = attrs[0].value if attrs else ""
    return value if isinstance(value, str) else value.decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def ari_cert_id(cert: x509.Certificate) -> str | None:
    """RFC 9773 certificate identifier: base64url(AKI keyIdentifier) '.' base64url(serial DER)."""
    try:
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        return None
    if aki.key_identifier is None:
        return None
    serial = cert.serial_number
    serial_bytes = serial.to_bytes(math.ceil((serial.bit_length() + 1) / 8), "big", signed=True)
    return f"{_b64url(aki.key_identifier)}.{_b64url(serial_bytes)}"


def key_name(cert: x509.Certificate) -> str | None:
    """The leaf's key as one of models.KEY_TYPES (``ec-p256``, ``rsa-2048``…), None if other.

    Used where the issuer recorded nothing renewer can read (another tool's
    certificate): what the certificate is tells whether the config asks for it.
    """
    key = cert.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return {"secp256r1": "ec-p256", "secp384r1": "ec-p384"}.get(key.curve.name)
    if isinstance(key, rsa.RSAPublicKey):
        return f"rsa-{key.key_size}"
    return None
