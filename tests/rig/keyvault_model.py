"""The data behind the Key Vault stand-in: certificates, pending operations, secrets.

Everything here is real crypto in real formats: keys are generated on the
"server" side, CSRs are built from the certificate policy, merges are checked
against the pending key, linked secrets are real PKCS#12 / PEM bundles.  JSON
shapes follow the azure-keyvault-certificates / -secrets 4.12 generated models
(``_generated/models/_models.py``); errors use Key Vault's
``{"error": {"code", "message"}}`` envelope.

Service behaviour we could not observe directly (there is no real vault here)
is marked ``GUESS`` where it is implemented; tests/rig/keyvault.py's docstring
lists them.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

Json = dict[str, Any]
Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")
PKCS12 = "application/x-pkcs12"
PEM = "application/x-pem-file"
MAX_TAGS = 15
MAX_TAG_VALUE = 256
RECOVERY = {"recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90}
CURVES: dict[str, ec.EllipticCurve] = {
    "P-256": ec.SECP256R1(),
    "P-384": ec.SECP384R1(),
    "P-521": ec.SECP521R1(),
    "P-256K": ec.SECP256K1(),
}
RDN = {
    "CN": NameOID.COMMON_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "L": NameOID.LOCALITY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "S": NameOID.STATE_OR_PROVINCE_NAME,
    "C": NameOID.COUNTRY_NAME,
    "E": NameOID.EMAIL_ADDRESS,
}
KEY_USAGE = (
    "digitalSignature",
    "nonRepudiation",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
    "encipherOnly",
    "decipherOnly",
)


class VaultError(Exception):
    """A Key Vault error response."""

    def __init__(self, status: int, code: str, message: str, inner: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.inner = inner

    def body(self) -> Json:
        error: Json = {"code": self.code, "message": self.message}
        if self.inner:
            error["innererror"] = {"code": self.inner}
        return {"error": error}


def bad(message: str) -> VaultError:
    return VaultError(400, "BadParameter", message)


def now() -> int:
    return int(time.time())


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def new_version() -> str:
    return uuid.uuid4().hex


def check_name(name: str) -> None:
    if not NAME.match(name):
        raise bad(f"The name '{name}' is invalid: use 1-127 characters 0-9, a-z, A-Z and '-'.")


def check_tags(tags: Any) -> dict[str, str] | None:
    if tags is None:
        return None
    if not isinstance(tags, dict):
        raise bad("Tags must be an object of string values.")
    if len(tags) > MAX_TAGS:
        raise bad(f"The number of tags ({len(tags)}) exceeds the maximum of {MAX_TAGS}.")  # GUESS
    for name, value in tags.items():
        if not isinstance(value, str) or len(value) > MAX_TAG_VALUE:
            raise bad(f"Tag '{name}' value exceeds {MAX_TAG_VALUE} characters.")  # GUESS text
    return dict(tags)


def public_der(key: Any) -> bytes:
    return bytes(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


# -- objects -------------------------------------------------------------------------------
@dataclass
class CertVersion:
    version: str
    cer: bytes
    chain: list[bytes]
    key: Key
    policy: Json
    tags: dict[str, str] | None
    enabled: bool = True
    preserve_order: bool = False
    created: int = field(default_factory=now)
    updated: int = field(default_factory=now)

    @property
    def leaf(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.cer)

    def attributes(self) -> Json:
        leaf = self.leaf
        return {
            "enabled": self.enabled,
            "nbf": int(leaf.not_valid_before_utc.timestamp()),
            "exp": int(leaf.not_valid_after_utc.timestamp()),
            "created": self.created,
            "updated": self.updated,
            **RECOVERY,
        }

    def thumbprint(self) -> str:
        return b64url(hashlib.sha1(self.cer).digest())  # noqa: S324 - x5t is SHA-1 by definition

    def secret_value(self) -> str:
        """The linked secret: key (when exportable) and chain, PKCS#12 or PEM."""
        exportable = bool(self.policy["key_props"].get("exportable"))
        chain = [x509.load_der_x509_certificate(c) for c in self.chain]
        if not self.preserve_order:
            # GUESS: without preserveCertOrder the service does not keep the submitted
            # order (users report reordered PFX chains); we model it as reversed.
            chain.reverse()
        leaf = self.leaf
        if self.policy["secret_props"]["contentType"] == PEM:
            parts = []
            if exportable:
                parts.append(
                    self.key.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                )
            parts += [c.public_bytes(serialization.Encoding.PEM) for c in [leaf, *chain]]
            return b"".join(parts).decode()
        blob = pkcs12.serialize_key_and_certificates(
            None,
            self.key if exportable else None,
            leaf,
            chain or None,
            serialization.NoEncryption(),
        )
        return b64(blob)


@dataclass
class PendingOperation:
    version: str
    key: Key
    csr: bytes
    policy: Json
    tags: dict[str, str] | None
    preserve_order: bool
    status: str = "inProgress"
    cancellation_requested: bool = False
    target: str | None = None
    request_id: str = field(default_factory=new_version)
    created: int = field(default_factory=now)


@dataclass
class Placeholder:
    """The version Key Vault makes at create time, before any merge.

    Real Key Vault (REST spec ``CreateCertificate``: "If this is the first
    version, the certificate resource is created"; SDK recordings of
    ``begin_create_certificate`` with issuer ``Unknown`` show
    ``GET /certificates/{name}`` answering a version with
    ``attributes.enabled: false``, nbf/exp from ``x509_props.validity_months``
    and no ``cer``/``x5t``) keeps this version after the operation is deleted:
    it is a disabled version without a certificate, and a listing may name it
    as the current item.
    """

    version: str
    policy: Json
    tags: dict[str, str] | None
    nbf: int
    exp: int
    created: int = field(default_factory=now)

    def attributes(self) -> Json:
        return {
            "enabled": False,
            "nbf": self.nbf,
            "exp": self.exp,
            "created": self.created,
            "updated": self.created,
            **RECOVERY,
        }


@dataclass
class CertificateObject:
    name: str
    versions: list[CertVersion] = field(default_factory=list)
    pending: PendingOperation | None = None
    policy: Json | None = None
    placeholders: list[Placeholder] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # every version id, oldest first

    def latest(self) -> CertVersion | None:
        return self.versions[-1] if self.versions else None

    def placeholder(self, version: str) -> Placeholder | None:
        return next((p for p in self.placeholders if p.version == version), None)

    def newest(self, with_placeholders: bool) -> CertVersion | Placeholder | None:
        """The current version: the newest one, placeholders counted only if asked."""
        for version in reversed(self.order):
            real = next((v for v in self.versions if v.version == version), None)
            if real is not None:
                return real
            held = self.placeholder(version) if with_placeholders else None
            if held is not None:
                return held
        return self.latest()

    def find(self, version: str) -> CertVersion | None:
        if not version:
            return self.latest()
        return next((v for v in self.versions if v.version == version), None)


@dataclass
class DeletedCertificate:
    """A soft-deleted certificate (REST spec ``DeletedCertificateBundle``).

    Soft delete is on for every vault (Microsoft Learn, "Azure Key Vault
    soft-delete overview": mandatory since February 2025 … retention 7-90
    days, 90 by default); the name cannot be reused until it is recovered or
    purged, and purge is refused when purge protection is on.
    """

    certificate: CertificateObject
    secret: SecretObject | None
    deleted: int
    scheduled_purge: int


@dataclass
class SecretVersion:
    version: str
    value: str | None  # None: computed from ``certificate`` (a certificate's linked secret)
    content_type: str | None
    tags: dict[str, str] | None
    enabled: bool = True
    nbf: int | None = None
    exp: int | None = None
    certificate: CertVersion | None = None
    created: int = field(default_factory=now)
    updated: int = field(default_factory=now)

    def attributes(self) -> Json:
        attributes: Json = {"enabled": self.enabled, "created": self.created}
        attributes["updated"] = self.updated
        if self.nbf is not None:
            attributes["nbf"] = self.nbf
        if self.exp is not None:
            attributes["exp"] = self.exp
        return {**attributes, **RECOVERY}

    def current_value(self) -> str:
        if self.certificate is not None:
            return self.certificate.secret_value()
        return self.value or ""


@dataclass
class SecretObject:
    name: str
    versions: list[SecretVersion] = field(default_factory=list)

    @property
    def managed(self) -> bool:
        return any(v.certificate is not None for v in self.versions)

    def find(self, version: str) -> SecretVersion | None:
        if not version:
            return self.versions[-1] if self.versions else None
        return next((v for v in self.versions if v.version == version), None)


# -- errors and request parts the operations share ------------------------------------
HELP = "For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"


def not_found(kind: str, name: str) -> VaultError:
    code = "CertificateNotFound" if kind == "certificate" else "SecretNotFound"
    return VaultError(
        404,
        code,
        f"A {kind} with (name/id) {name} was not found in this key vault. If you recently "
        f"deleted this {kind} you may be able to recover it using the correct recovery "
        f"command. {HELP}",
    )


def pending_not_found(name: str) -> VaultError:
    return VaultError(404, "PendingCertificateNotFound", f"Pending certificate not found: {name}")


def attributes_of(body: Json) -> Json:
    value = body.get("attributes") or {}
    if not isinstance(value, dict):
        raise bad("attributes must be an object")
    return value
