"""Key Vault operations of the stand-in, one method per REST operation, returning JSON.

The HTTP layer (tests/rig/keyvault.py) authenticates, routes and pages; this
class holds the vault's state under one lock and implements what each
operation does to it, with the service's status codes and error codes.
"""

from __future__ import annotations

import base64
import binascii
import threading
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from .keyvault_lifecycle import Lifecycle, placeholder_for
from .keyvault_model import (
    PEM,
    CertificateObject,
    CertVersion,
    Json,
    Key,
    PendingOperation,
    Placeholder,
    SecretObject,
    SecretVersion,
    VaultError,
    b64,
    bad,
    check_name,
    check_tags,
    generate,
    make_csr,
    new_version,
    normalise_policy,
    now,
    public_der,
    self_signed,
)

HELP = "For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"


def _not_found(kind: str, name: str) -> VaultError:
    code = "CertificateNotFound" if kind == "certificate" else "SecretNotFound"
    return VaultError(
        404,
        code,
        f"A {kind} with (name/id) {name} was not found in this key vault. If you recently "
        f"deleted this {kind} you may be able to recover it using the correct recovery "
        f"command. {HELP}",
    )


def _pending_not_found(name: str) -> VaultError:
    return VaultError(404, "PendingCertificateNotFound", f"Pending certificate not found: {name}")


def _attributes(body: Json) -> Json:
    value = body.get("attributes") or {}
    if not isinstance(value, dict):
        raise bad("attributes must be an object")
    return value


class Vault(Lifecycle):
    """In-memory vault state; every public method takes the lock."""

    def __init__(self, base_url: str, *, premium: bool = True) -> None:
        self.base_url = base_url
        self.premium = premium
        self.certificates: dict[str, CertificateObject] = {}
        self.secrets: dict[str, SecretObject] = {}
        self.lock = threading.RLock()
        self._init_lifecycle()

    # -- identifiers and JSON ----------------------------------------------------------------
    def _id(self, collection: str, name: str, version: str | None = None) -> str:
        suffix = f"/{version}" if version else ""
        return f"{self.base_url}/{collection}/{name}{suffix}"

    def _policy(self, obj: CertificateObject, policy: Json) -> Json:
        return {
            "id": f"{self._id('certificates', obj.name)}/policy",
            **policy,
            "attributes": {"enabled": True, "created": now(), "updated": now()},
        }

    def _bundle(self, obj: CertificateObject, version: CertVersion, policy: bool) -> Json:
        body: Json = {
            "id": self._id("certificates", obj.name, version.version),
            "kid": self._id("keys", obj.name, version.version),
            "sid": self._id("secrets", obj.name, version.version),
            "x5t": version.thumbprint(),
            "cer": b64(version.cer),
            "attributes": version.attributes(),
            "tags": version.tags,
            "preserveCertOrder": version.preserve_order,
        }
        if policy:
            body["policy"] = self._policy(obj, version.policy)
        return body

    def _pending_bundle(self, obj: CertificateObject, pending: PendingOperation) -> Json:
        # GUESS: a first version still waiting for its merge reads as a disabled
        # certificate without cer/x5t/sid (Terraform sees 200 and no SID).
        return {
            "id": self._id("certificates", obj.name, pending.version),
            "kid": self._id("keys", obj.name, pending.version),
            "attributes": {
                "enabled": False,
                "created": pending.created,
                "updated": pending.created,
            },
            "policy": self._policy(obj, pending.policy),
            "tags": pending.tags,
            "preserveCertOrder": pending.preserve_order,
        }

    def _operation(self, obj: CertificateObject, pending: PendingOperation) -> Json:
        details = {
            "inProgress": "Pending certificate created. Please Perform Merge to complete the "
            "request.",
            "completed": "",
            "cancelled": "The certificate operation was cancelled.",
        }
        body: Json = {
            "id": f"{self._id('certificates', obj.name)}/pending",
            "issuer": {"name": pending.policy["issuer"]["name"]},
            "csr": b64(pending.csr),
            "cancellation_requested": pending.cancellation_requested,
            "status": pending.status,
            "status_details": details.get(pending.status, ""),
            "request_id": pending.request_id,
            "preserveCertOrder": pending.preserve_order,
        }
        if pending.target:
            body["target"] = pending.target
        return body

    def _placeholder_bundle(self, obj: CertificateObject, held: Placeholder) -> Json:
        """A placeholder version read back: disabled, nbf/exp, no cer/x5t/sid (see Placeholder)."""
        return {
            "id": self._id("certificates", obj.name, held.version),
            "kid": self._id("keys", obj.name, held.version),
            "attributes": held.attributes(),
            "policy": self._policy(obj, held.policy),
            "tags": held.tags,
        }

    def _placeholder_item(self, obj: CertificateObject, held: Placeholder, versioned: bool) -> Json:
        return {
            "id": self._id("certificates", obj.name, held.version if versioned else None),
            "attributes": held.attributes(),
            "tags": held.tags,
        }

    def _item(self, obj: CertificateObject, version: CertVersion, versioned: bool) -> Json:
        return {
            "id": self._id("certificates", obj.name, version.version if versioned else None),
            "x5t": version.thumbprint(),
            "attributes": version.attributes(),
            "tags": version.tags,
        }

    def _secret(self, obj: SecretObject, version: SecretVersion, value: bool) -> Json:
        body: Json = {
            "id": self._id("secrets", obj.name, version.version),
            "attributes": version.attributes(),
            "tags": version.tags,
        }
        if version.content_type:
            body["contentType"] = version.content_type
        if version.certificate is not None:
            body["kid"] = self._id("keys", obj.name, version.version)
            body["managed"] = True
        if value:
            body["value"] = version.current_value()
        return body

    # -- lookups -----------------------------------------------------------------------------
    def _cert(self, name: str) -> CertificateObject:
        self.settle_recoveries()
        obj = self.certificates.get(name.lower())
        if obj is None:
            raise _not_found("certificate", name)
        return obj

    def _secret_object(self, name: str) -> SecretObject:
        self.settle_recoveries()
        obj = self.secrets.get(name.lower())
        if obj is None or not obj.versions:
            raise _not_found("secret", name)
        return obj

    def _claim_name(self, name: str) -> CertificateObject:
        check_name(name)
        self.check_name_free(name)
        secret = self.secrets.get(name.lower())
        if secret is not None and not secret.managed:
            # GUESS: the linked secret's name must be free (documented collision; text ours).
            raise VaultError(
                409, "Conflict", f"Certificate {name} conflicts with an existing secret {name}."
            )
        return self.certificates.setdefault(name.lower(), CertificateObject(name))

    def _publish(self, obj: CertificateObject, version: CertVersion) -> None:
        obj.versions.append(version)
        obj.placeholders = [p for p in obj.placeholders if p.version != version.version]
        if version.version not in obj.order:
            obj.order.append(version.version)
        obj.policy = version.policy
        secret = self.secrets.setdefault(obj.name.lower(), SecretObject(obj.name))
        secret.versions.append(
            SecretVersion(
                version=version.version,
                value=None,
                content_type=version.policy["secret_props"]["contentType"],
                tags=version.tags,
                certificate=version,
            )
        )

    # -- certificates ------------------------------------------------------------------------
    def list_certificates(self, include_pending: bool) -> list[Json]:
        with self.lock:
            self.settle_recoveries()
            items = []
            for key in sorted(self.certificates):
                obj = self.certificates[key]
                latest = obj.newest(self.placeholder_current)
                if isinstance(latest, Placeholder):
                    items.append(self._placeholder_item(obj, latest, versioned=False))
                elif latest is not None:
                    items.append(self._item(obj, latest, versioned=False))
                elif include_pending and obj.pending is not None:
                    items.append(
                        {"id": self._id("certificates", obj.name), "attributes": {"enabled": False}}
                    )
            return items

    def certificate_versions(self, name: str) -> list[Json]:
        with self.lock:
            obj = self._cert(name)
            items = []
            for version in obj.order:  # placeholders included: they are versions
                real = obj.find(version)
                held = obj.placeholder(version)
                if real is not None:
                    items.append(self._item(obj, real, versioned=True))
                elif held is not None:
                    items.append(self._placeholder_item(obj, held, versioned=True))
            return items

    def get_certificate(self, name: str, version: str) -> Json:
        with self.lock:
            obj = self._cert(name)
            current = obj.newest(self.placeholder_current)
            if not version and isinstance(current, Placeholder):
                return self._placeholder_bundle(obj, current)
            held = obj.placeholder(version) if version else None
            if held is not None:
                return self._placeholder_bundle(obj, held)
            found = obj.find(version)
            if found is not None:
                return self._bundle(obj, found, policy=not version)
            if not version and obj.pending is not None:
                return self._pending_bundle(obj, obj.pending)
            raise _not_found("certificate", f"{name}/{version}" if version else name)

    def get_policy(self, name: str) -> Json:
        with self.lock:
            obj = self._cert(name)
            if obj.policy is None:
                raise _not_found("certificate", name)
            return self._policy(obj, obj.policy)

    def update_certificate(self, name: str, version: str, body: Json) -> Json:
        with self.lock:
            obj = self._cert(name)
            found = obj.find(version)
            if found is None:
                raise _not_found("certificate", name)
            tags = check_tags(body.get("tags"))
            if tags is not None:
                found.tags = tags
            attributes = _attributes(body)
            if "enabled" in attributes and attributes["enabled"] is not None:
                found.enabled = bool(attributes["enabled"])
            found.updated = now()
            return self._bundle(obj, found, policy=True)

    def create(self, name: str, body: Json) -> Json:
        with self.lock:
            obj = self._claim_name(name)
            if obj.pending is not None and obj.pending.status == "inProgress":
                # Documented by the SDK team (azure-sdk-for-python#13289); text is ours.
                raise VaultError(
                    409,
                    "Conflict",
                    f"There is a pending certificate operation for "
                    f"'{self._id('certificates', obj.name)}'. Merge, cancel or delete it "
                    "before creating a new version.",
                )
            source = body.get("policy") or obj.policy
            if source is None:
                raise bad("A policy is required to create the first version of a certificate.")
            policy = normalise_policy(source, self.premium)
            tags = check_tags(body.get("tags"))
            issuer = str(policy["issuer"].get("name") or "")
            if issuer.lower() not in ("self", "unknown"):
                raise bad(f"Issuer '{issuer}' is not configured in this vault.")
            key = generate(policy)
            pending = PendingOperation(
                version=new_version(),
                key=key,
                csr=make_csr(key, policy),
                policy=policy,
                tags=tags,
                preserve_order=bool(body.get("preserveCertOrder")),
            )
            obj.pending = pending
            obj.policy = policy
            obj.order.append(pending.version)
            if issuer.lower() == "unknown":
                obj.placeholders.append(placeholder_for(pending.version, policy, tags))
            answer = self._operation(obj, pending)
            if issuer.lower() == "self":
                self._publish(
                    obj,
                    CertVersion(
                        pending.version,
                        self_signed(key, policy),
                        [],
                        key,
                        policy,
                        tags,
                        enabled=_attributes(body).get("enabled", True) is not False,
                        preserve_order=pending.preserve_order,
                    ),
                )
                pending.status = "completed"
                pending.target = self._id("certificates", obj.name)
            return answer  # the service answers "inProgress" first, even for Self

    def get_operation(self, name: str) -> Json:
        with self.lock:
            obj = self._cert(name)
            if obj.pending is None:
                raise _pending_not_found(name)
            return self._operation(obj, obj.pending)

    def update_operation(self, name: str, body: Json) -> Json:
        with self.lock:
            obj = self._cert(name)
            if obj.pending is None:
                raise _pending_not_found(name)
            if body.get("cancellation_requested") and obj.pending.status == "inProgress":
                obj.pending.cancellation_requested = True
                obj.pending.status = "cancelled"
            return self._operation(obj, obj.pending)

    def delete_operation(self, name: str) -> Json:
        with self.lock:
            obj = self._cert(name)
            if obj.pending is None:
                raise _pending_not_found(name)
            answer = self._operation(obj, obj.pending)
            obj.pending = None
            if not obj.versions and not obj.placeholders:
                del self.certificates[name.lower()]
            # The placeholder version survives (see Placeholder): still disabled, no cer.
            return answer

    def merge(self, name: str, body: Json) -> Json:
        with self.lock:
            obj = self._cert(name)
            pending = obj.pending
            if pending is None or pending.status != "inProgress":
                raise _pending_not_found(name)
            try:
                chain = [base64.b64decode(c, validate=True) for c in body.get("x5c") or []]
                certs = [x509.load_der_x509_certificate(c) for c in chain]
            except (binascii.Error, ValueError, TypeError):
                raise bad("x5c must hold base64 DER certificates.") from None
            if not certs:
                raise bad("x5c must hold at least the certificate to merge.")
            if public_der(certs[0].public_key()) != public_der(pending.key.public_key()):
                raise bad("Public key from x509 certificate and key of this instance doesn't match")
            tags = check_tags(body.get("tags"))
            version = CertVersion(
                pending.version,
                chain[0],
                chain[1:],
                pending.key,
                pending.policy,
                tags if tags is not None else pending.tags,
                enabled=_attributes(body).get("enabled", True) is not False,
                preserve_order=pending.preserve_order,
            )
            self._publish(obj, version)
            pending.status = "completed"
            pending.target = self._id("certificates", obj.name)
            return self._bundle(obj, version, policy=True)

    def import_certificate(self, name: str, body: Json) -> Json:
        with self.lock:
            obj = self._claim_name(name)
            if obj.pending is not None and obj.pending.status == "inProgress":
                # Import while an operation is pending answers 409 (REST spec
                # ImportCertificate has no pending semantics; the SDK team's answer in
                # azure-sdk-for-python#13289: merge, cancel or delete the operation first).
                raise VaultError(
                    409,
                    "Conflict",
                    f"There is a pending certificate operation for "
                    f"'{self._id('certificates', obj.name)}'; it must complete or be deleted "
                    "before a certificate can be imported.",
                )
            raw = body.get("value")
            if not isinstance(raw, str) or not raw:
                raise bad("value is required")
            content_type = ((body.get("policy") or {}).get("secret_props") or {}).get("contentType")
            password = body.get("pwd")
            key, leaf, chain = _parse_import(raw, content_type, password)
            policy = normalise_policy(body.get("policy"), self.premium, key)
            if not body.get("policy") or not (body["policy"].get("x509_props") or {}):
                sans = _san_names(leaf)
                policy["x509_props"]["sans"] = {"dns_names": sans}
                policy["x509_props"]["subject"] = leaf.subject.rfc4514_string()
            version = CertVersion(
                new_version(),
                leaf.public_bytes(serialization.Encoding.DER),
                [c.public_bytes(serialization.Encoding.DER) for c in chain],
                key,
                policy,
                check_tags(body.get("tags")),
                enabled=_attributes(body).get("enabled", True) is not False,
                preserve_order=bool(body.get("preserveCertOrder")),
            )
            self._publish(obj, version)
            return self._bundle(obj, version, policy=True)

    # -- secrets -----------------------------------------------------------------------------
    def set_secret(self, name: str, body: Json) -> Json:
        with self.lock:
            check_name(name)
            self.check_secret_name_free(name)
            obj = self.secrets.setdefault(name.lower(), SecretObject(name))
            if obj.managed:
                # GUESS: a certificate's linked secret cannot be overwritten (text ours).
                raise VaultError(
                    409, "Conflict", f"Secret {name} is managed by certificate {name}."
                )
            value = body.get("value")
            if not isinstance(value, str):
                raise bad("value is required")
            attributes = _attributes(body)
            version = SecretVersion(
                version=new_version(),
                value=value,
                content_type=body.get("contentType"),
                tags=check_tags(body.get("tags")),
                enabled=attributes.get("enabled", True) is not False,
                nbf=attributes.get("nbf"),
                exp=attributes.get("exp"),
            )
            obj.versions.append(version)
            return self._secret(obj, version, value=True)

    def get_secret(self, name: str, version: str) -> Json:
        with self.lock:
            obj = self._secret_object(name)
            found = obj.find(version)
            if found is None:
                raise _not_found("secret", f"{name}/{version}")
            if not found.enabled:
                raise VaultError(
                    403,
                    "Forbidden",
                    "Operation get is not allowed on a disabled secret.",
                    inner="SecretDisabled",
                )
            return self._secret(obj, found, value=True)

    def update_secret(self, name: str, version: str, body: Json) -> Json:
        with self.lock:
            obj = self._secret_object(name)
            found = obj.find(version)
            if found is None:
                raise _not_found("secret", f"{name}/{version}")
            attributes = _attributes(body)
            for field in ("nbf", "exp"):
                if field in attributes:
                    setattr(found, field, attributes[field])
            if attributes.get("enabled") is not None:
                found.enabled = bool(attributes["enabled"])
            tags = check_tags(body.get("tags"))
            if tags is not None:
                found.tags = tags
            if body.get("contentType") is not None:
                found.content_type = body["contentType"]
            found.updated = now()
            return self._secret(obj, found, value=False)

    def secret_versions(self, name: str) -> list[Json]:
        with self.lock:
            obj = self._secret_object(name)
            return [self._secret(obj, v, value=False) for v in obj.versions]


def _san_names(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return list(ext.value.get_values_for_type(x509.DNSName))


def _parse_import(
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
