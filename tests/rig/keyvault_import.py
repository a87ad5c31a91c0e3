"""Reading what an import sends: a PFX (base64) or PEM with a PKCS#8 key, as Key Vault takes it.

Key Vault finds the leaf as the certificate whose public key is the key's, and
refuses PKCS#1/SEC1 PEM keys (ImportCertificate in the REST spec; texts GUESS).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from .keyvault_model import PEM, Key, bad, public_der


def san_names(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return list(ext.value.get_values_for_type(x509.DNSName))


def parse_import(
    raw: str, content_type: str | None, password: Any
) -> tuple[Key, x509.Certificate, list[x509.Certificate]]:
    """Key, leaf and the rest of the chain (submitted order) from PFX or PEM."""
    pwd = str(password).encode() if password else None
    if raw.lstrip().startswith("-----BEGIN"):
        data = raw.encode()
    else:
        try:
            data = base64.b64decode(raw, validate=True)
        except binascii.Error:
            raise bad("value is not base64") from None
    if content_type == PEM:
        if b"-----BEGIN RSA PRIVATE KEY-----" in data or b"-----BEGIN EC PRIVATE KEY-----" in data:
            raise bad("Key Vault accepts only PKCS#8 private keys in PEM.")
        try:
            key: Any = serialization.load_pem_private_key(data, pwd)
            certs = x509.load_pem_x509_certificates(data)
        except ValueError:
            raise bad("The specified PEM X.509 certificate content is invalid.") from None
    else:
        try:
            key, first, rest = pkcs12.load_key_and_certificates(data, pwd)
        except ValueError:
            raise bad("The specified PFX content is invalid or the password is wrong.") from None
        certs = ([first] if first else []) + list(rest)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise bad("The certificate to import must contain an RSA or EC private key.")
    wanted = public_der(key.public_key())
    leaf = next((c for c in certs if public_der(c.public_key()) == wanted), None)
    if leaf is None:
        raise bad("No certificate in the content matches the private key.")
    return key, leaf, [c for c in certs if c is not leaf]
