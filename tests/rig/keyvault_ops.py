"""Key Vault operations of the stand-in, one method per REST operation, returning JSON.

The HTTP layer (tests/rig/keyvault.py) authenticates, routes and pages; this
class holds the vault's state under one lock and implements what each
operation does to it, with the service's status codes and error codes.
"""

from __future__ import annotations

import base64
import binascii
import threading

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .keyvault_bundles import Bundles
from .keyvault_import import parse_import, san_names
from .keyvault_lifecycle import Lifecycle, placeholder_for
from .keyvault_model import (
    CertificateObject,
    CertVersion,
    Json,
    PendingOperation,
    Placeholder,
    SecretObject,
    SecretVersion,
    VaultError,
    attributes_of,
    bad,
    check_name,
    check_tags,
    new_version,
    not_found,
    now,
    pending_not_found,
    public_der,
)
from .keyvault_policy import generate, make_csr, normalise_policy, self_signed


class Vault(Bundles, Lifecycle):
    """In-memory vault state; every public method takes the lock."""

    def __init__(self, base_url: str, *, premium: bool = True) -> None:
        self.base_url = base_url
        self.premium = premium
        self.certificates: dict[str, CertificateObject] = {}
        self.secrets: dict[str, SecretObject] = {}
        self.lock = threading.RLock()
        self._init_lifecycle()

    # -- lookups -----------------------------------------------------------------------------
    def _cert(self, name: str) -> CertificateObject:
        self.settle_recoveries()
        obj = self.certificates.get(name.lower())
        if obj is None:
            raise not_found("certificate", name)
        return obj

    def _secret_object(self, name: str) -> SecretObject:
        self.settle_recoveries()
        obj = self.secrets.get(name.lower())
        if obj is None or not obj.versions:
            raise not_found("secret", name)
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
            raise not_found("certificate", f"{name}/{version}" if version else name)

    def get_policy(self, name: str) -> Json:
        with self.lock:
            obj = self._cert(name)
            if obj.policy is None:
                raise not_found("certificate", name)
            return self._policy(obj, obj.policy)

    def update_certificate(self, name: str, version: str, body: Json) -> Json:
        with self.lock:
            obj = self._cert(name)
            found = obj.find(version)
            if found is None:
                raise not_found("certificate", name)
            tags = check_tags(body.get("tags"))
            if tags is not None:
                found.tags = tags
            attributes = attributes_of(body)
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
                        enabled=attributes_of(body).get("enabled", True) is not False,
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
                raise pending_not_found(name)
            return self._operation(obj, obj.pending)

    def update_operation(self, name: str, body: Json) -> Json:
        with self.lock:
            obj = self._cert(name)
            if obj.pending is None:
                raise pending_not_found(name)
            if body.get("cancellation_requested") and obj.pending.status == "inProgress":
                obj.pending.cancellation_requested = True
                obj.pending.status = "cancelled"
            return self._operation(obj, obj.pending)

    def delete_operation(self, name: str) -> Json:
        with self.lock:
            obj = self._cert(name)
            if obj.pending is None:
                raise pending_not_found(name)
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
                raise pending_not_found(name)
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
                enabled=attributes_of(body).get("enabled", True) is not False,
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
            key, leaf, chain = parse_import(raw, content_type, password)
            policy = normalise_policy(body.get("policy"), self.premium, key)
            if not body.get("policy") or not (body["policy"].get("x509_props") or {}):
                sans = san_names(leaf)
                policy["x509_props"]["sans"] = {"dns_names": sans}
                policy["x509_props"]["subject"] = leaf.subject.rfc4514_string()
            version = CertVersion(
                new_version(),
                leaf.public_bytes(serialization.Encoding.DER),
                [c.public_bytes(serialization.Encoding.DER) for c in chain],
                key,
                policy,
                check_tags(body.get("tags")),
                enabled=attributes_of(body).get("enabled", True) is not False,
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
            attributes = attributes_of(body)
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
                raise not_found("secret", f"{name}/{version}")
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
                raise not_found("secret", f"{name}/{version}")
            attributes = attributes_of(body)
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
