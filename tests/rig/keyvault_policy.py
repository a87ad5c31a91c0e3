"""Certificate policies in the Key Vault stand-in: defaults, keys, CSRs and self-signed leaves.

What Key Vault fills into a policy it is given (CertificatePolicy in the REST
spec: key type and size, validity, subject, SANs, issuer), the key a create
generates for it, the CSR a create with issuer ``Unknown`` hands out and the
certificate issuer ``Self`` signs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .keyvault_model import CURVES, KEY_USAGE, PEM, PKCS12, RDN, Json, Key, bad


def normalise_policy(policy: Json | None, premium: bool, key: Key | None = None) -> Json:
    """Fill Key Vault's defaults and reject what the service rejects."""
    policy = dict(policy or {})
    props = dict(policy.get("key_props") or {})
    if key is not None:
        actual = "EC" if isinstance(key, ec.EllipticCurvePrivateKey) else "RSA"
        declared = str(props.get("kty") or actual)
        if declared.removesuffix("-HSM") != actual:
            raise bad(f"Key type {declared} in the policy does not match the {actual} key.")
        props.setdefault("kty", actual)
        if isinstance(key, rsa.RSAPrivateKey):
            props["key_size"] = key.key_size
        else:
            props["crv"] = next(n for n, c in CURVES.items() if c.name == key.curve.name)
    kty = str(props.setdefault("kty", "RSA"))
    if kty not in ("RSA", "RSA-HSM", "EC", "EC-HSM"):
        raise bad(f"Unsupported key type {kty}.")
    if kty.endswith("-HSM") and not premium:
        raise bad(f"Key type {kty} needs a Premium vault.")
    props.setdefault("exportable", not kty.endswith("-HSM"))
    if kty.endswith("-HSM") and props["exportable"]:
        # GUESS: HSM keys are exportable only with a key release policy.
        raise bad("Exportable HSM-protected keys need a release policy.")
    if kty.startswith("RSA"):
        props.setdefault("key_size", 2048)
        if props["key_size"] not in (2048, 3072, 4096):
            raise bad(f"RSA key size {props['key_size']} is not supported.")
        props.pop("crv", None)
    else:
        props.setdefault("crv", "P-256")
        if props["crv"] not in CURVES:
            raise bad(f"Curve {props['crv']} is not supported.")
        props.pop("key_size", None)
    props.setdefault("reuse_key", False)
    policy["key_props"] = props
    secret = dict(policy.get("secret_props") or {})
    secret.setdefault("contentType", PKCS12)
    if secret["contentType"] not in (PKCS12, PEM):
        raise bad(f"Content type {secret['contentType']} is not supported.")
    policy["secret_props"] = secret
    x509_props = dict(policy.get("x509_props") or {})
    x509_props.setdefault("ekus", ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"])
    x509_props.setdefault(
        "key_usage",
        ["digitalSignature", "keyEncipherment"] if kty.startswith("RSA") else ["digitalSignature"],
    )
    x509_props.setdefault("validity_months", 12)
    policy["x509_props"] = x509_props
    policy["issuer"] = dict(policy.get("issuer") or {"name": "Unknown"})
    policy.setdefault(
        "lifetime_actions",
        [{"trigger": {"lifetime_percentage": 80}, "action": {"action_type": "EmailContacts"}}],
    )
    return policy


def generate(policy: Json) -> Key:
    props = policy["key_props"]
    if str(props["kty"]).startswith("RSA"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(props["key_size"]))
    return ec.generate_private_key(CURVES[str(props["crv"])])


def parse_subject(subject: str) -> x509.Name:
    attributes = []
    for part in (p.strip() for p in subject.split(",") if p.strip()):
        label, _, value = part.partition("=")
        oid = RDN.get(label.strip().upper())
        if oid is None or not value:
            raise bad(f"The subject '{subject}' is not a valid X.500 name.")
        attributes.append(x509.NameAttribute(oid, value.strip()))
    return x509.Name(attributes)


def _extensions(
    builder: Any, x509_props: Json, subject_key: Any
) -> Any:  # CSR and certificate builders share add_extension
    sans = (x509_props.get("sans") or {}).get("dns_names") or []
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), critical=False
        )
    usage = set(x509_props.get("key_usage") or ())
    flags = {name: name in usage for name in KEY_USAGE}
    if usage:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=flags["digitalSignature"],
                content_commitment=flags["nonRepudiation"],
                key_encipherment=flags["keyEncipherment"],
                data_encipherment=flags["dataEncipherment"],
                key_agreement=flags["keyAgreement"],
                key_cert_sign=flags["keyCertSign"],
                crl_sign=flags["cRLSign"],
                encipher_only=flags["encipherOnly"] and flags["keyAgreement"],
                decipher_only=flags["decipherOnly"] and flags["keyAgreement"],
            ),
            critical=True,
        )
    ekus = x509_props.get("ekus") or []
    if ekus:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.ObjectIdentifier(o) for o in ekus]), critical=False
        )
    return builder


def _digest(key: Key) -> hashes.HashAlgorithm:
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size > 256:
        return hashes.SHA384() if key.curve.key_size == 384 else hashes.SHA512()
    return hashes.SHA256()


def _subject(x509_props: Json) -> x509.Name:
    subject = x509_props.get("subject")
    sans = (x509_props.get("sans") or {}).get("dns_names")
    if not subject and not sans:
        raise bad("The policy needs a subject or subject alternative names.")
    return parse_subject(str(subject)) if subject else x509.Name([])


def make_csr(key: Key, policy: Json) -> bytes:
    props = policy["x509_props"]
    builder = x509.CertificateSigningRequestBuilder().subject_name(_subject(props))
    builder = _extensions(builder, props, key.public_key())
    csr: x509.CertificateSigningRequest = builder.sign(key, _digest(key))
    return csr.public_bytes(serialization.Encoding.DER)


def self_signed(key: Key, policy: Json) -> bytes:
    props = policy["x509_props"]
    name = _subject(props)
    start = datetime.now(UTC) - timedelta(minutes=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=30 * int(props["validity_months"])))
    )
    builder = _extensions(builder, props, key.public_key())
    cert: x509.Certificate = builder.sign(key, _digest(key))
    return cert.public_bytes(serialization.Encoding.DER)
