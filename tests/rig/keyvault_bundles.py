"""The JSON the Key Vault stand-in answers: certificate bundles, list items, operations, secrets.

Field names and shapes are the SDK 4.12 models' (CertificateBundle, CertificateItem,
CertificateOperation, SecretBundle); ``Vault`` (tests/rig/keyvault_ops.py) builds
its answers with these.
"""

from __future__ import annotations

from .keyvault_model import (
    CertificateObject,
    CertVersion,
    Json,
    PendingOperation,
    Placeholder,
    SecretObject,
    SecretVersion,
    b64,
    now,
)


class Bundles:
    """JSON builders; ``Vault`` supplies ``base_url``."""

    base_url: str

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
