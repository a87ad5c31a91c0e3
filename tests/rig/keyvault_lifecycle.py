"""Soft delete, recovery, purge and the create-time placeholder of the Key Vault stand-in.

Mixed into ``keyvault_ops.Vault`` (one lock, one state). Sources:

- REST spec, specification/keyvault/data-plane/Microsoft.KeyVault/stable/7.5/certificates.json
  (Azure/azure-rest-api-specs): ``DELETE /certificates/{name}`` answers a
  ``DeletedCertificateBundle`` (``recoveryId``, ``deletedDate``,
  ``scheduledPurgeDate``); ``GET /deletedcertificates/{name}``;
  ``POST /deletedcertificates/{name}/recover`` answers the ``CertificateBundle``;
  ``DELETE /deletedcertificates/{name}`` (purge) answers 204.
- Microsoft Learn, "Azure Key Vault soft-delete overview"
  (learn.microsoft.com/azure/key-vault/general/soft-delete-overview): soft
  delete cannot be turned off; a soft-deleted object's name cannot be reused
  until it is recovered or purged; purge protection refuses purges for the
  retention period (7-90 days).
- The 409 for a create on a soft-deleted name, with inner error
  ``ObjectIsDeletedButRecoverable``: Microsoft Learn, "Azure Key Vault
  recovery management" ("... is currently in a deleted but recoverable
  state, and its name cannot be reused; in this state, the ... can only be
  recovered or purged"), also quoted in azure-sdk-for-python issue threads.
- Recovery is asynchronous: the SDKs' recover pollers
  (azure-keyvault-certificates ``_polling.DeleteRecoverPollingMethod``) poll
  ``GET /certificates/{name}`` until it stops answering 404; the recordings
  of ``test_recover_and_purge`` show several 404s first. Modelled by
  ``recovery_delay``.

GUESS: the texts of the purge-protection refusal and of a create during a
recovery (409, retried by clients like the pending-operation conflicts).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from .keyvault_model import (
    CertificateObject,
    DeletedCertificate,
    Json,
    Placeholder,
    SecretObject,
    VaultError,
    now,
)

if TYPE_CHECKING:
    import threading

DAY = 86400


def _deleted_not_found(name: str) -> VaultError:
    return VaultError(404, "CertificateNotFound", f"Deleted Certificate not found: {name}")


def deleted_but_recoverable(name: str) -> VaultError:
    return VaultError(
        409,
        "Conflict",
        f"Certificate {name} is currently in a deleted but recoverable state, and its name "
        "cannot be reused; in this state, the certificate can only be recovered or purged.",
        inner="ObjectIsDeletedButRecoverable",
    )


def placeholder_for(version: str, policy: Json, tags: dict[str, str] | None) -> Placeholder:
    """The disabled version of a new operation: nbf now, exp after the policy's validity."""
    start = now()
    months = int(policy["x509_props"].get("validity_months") or 12)
    end = int((datetime.fromtimestamp(start, UTC) + timedelta(days=30 * months)).timestamp())
    return Placeholder(version, policy, tags, nbf=start, exp=end)


class Lifecycle:
    """Soft-delete state and operations; ``Vault`` supplies the certificate store."""

    lock: threading.RLock
    certificates: dict[str, CertificateObject]
    secrets: dict[str, SecretObject]
    base_url: str

    def _init_lifecycle(self) -> None:
        self.deleted: dict[str, DeletedCertificate] = {}
        # Soft-deleted secrets (REST spec secrets.json: DeleteSecret, GetDeletedSecret,
        # RecoverDeletedSecret): name -> (secret, deletedDate); same 409 on reuse.
        self.deleted_secrets: dict[str, tuple[SecretObject, int]] = {}
        self.recovering_secrets: dict[str, tuple[SecretObject, float]] = {}
        self.recovering: dict[str, tuple[DeletedCertificate, float]] = {}
        self.recovery_delay = 0.6  # seconds until a recovered object is readable again
        self.retention_days = 90
        self.purge_protection = False
        # Whether a renewal's placeholder becomes the listed current version (see Placeholder).
        self.placeholder_current = False

    # -- helpers for Vault -------------------------------------------------------------------
    def settle_recoveries(self) -> None:
        """Put recovered objects back once their recovery has finished."""
        moment = time.monotonic()
        for key, (secret, ready) in list(self.recovering_secrets.items()):
            if ready <= moment:
                del self.recovering_secrets[key]
                self.secrets[key] = secret
        for key, (entry, ready) in list(self.recovering.items()):
            if ready <= moment:
                del self.recovering[key]
                self.certificates[key] = entry.certificate
                if entry.secret is not None:
                    self.secrets[key] = entry.secret

    def check_name_free(self, name: str) -> None:
        """409 for a soft-deleted name, or one still being recovered."""
        self.settle_recoveries()
        if name.lower() in self.deleted:
            raise deleted_but_recoverable(name)
        if name.lower() in self.recovering:
            raise VaultError(  # GUESS text
                409, "Conflict", f"Certificate {name} is currently being recovered; retry later."
            )

    def _deleted_bundle(self, name: str, entry: DeletedCertificate) -> Json:
        obj = entry.certificate
        body: Json = {
            "id": f"{self.base_url}/certificates/{obj.name}",
            "recoveryId": f"{self.base_url}/deletedcertificates/{obj.name}",
            "deletedDate": entry.deleted,
            "scheduledPurgeDate": entry.scheduled_purge,
            "attributes": {"enabled": True, "recoveryLevel": "Recoverable+Purgeable"},
        }
        latest = obj.latest()
        if latest is not None:
            body["x5t"] = latest.thumbprint()
            body["attributes"] = latest.attributes()
            body["tags"] = latest.tags
        return body

    # -- operations --------------------------------------------------------------------------
    def delete_certificate(self, name: str) -> Json:
        with self.lock:
            self.settle_recoveries()
            obj = self.certificates.pop(name.lower(), None)
            if obj is None:
                raise VaultError(
                    404,
                    "CertificateNotFound",
                    f"A certificate with (name/id) {name} was not found in this key vault.",
                )
            deleted = now()
            entry = DeletedCertificate(
                obj,
                self.secrets.pop(name.lower(), None),
                deleted,
                deleted + self.retention_days * DAY,
            )
            self.deleted[name.lower()] = entry
            return self._deleted_bundle(name, entry)

    def get_deleted_certificate(self, name: str) -> Json:
        with self.lock:
            entry = self.deleted.get(name.lower())
            if entry is None:
                raise _deleted_not_found(name)
            return self._deleted_bundle(name, entry)

    def recover_deleted_certificate(self, name: str) -> Json:
        with self.lock:
            entry = self.deleted.pop(name.lower(), None)
            if entry is None:
                raise _deleted_not_found(name)
            self.recovering[name.lower()] = (entry, time.monotonic() + self.recovery_delay)
            body = self._deleted_bundle(name, entry)
            for key in ("recoveryId", "deletedDate", "scheduledPurgeDate"):
                body.pop(key, None)
            return body

    def purge_deleted_certificate(self, name: str) -> Json | None:
        """Purge: 204 without a body."""
        with self.lock:
            if name.lower() not in self.deleted:
                raise _deleted_not_found(name)
            if self.purge_protection:
                raise VaultError(  # GUESS text
                    403,
                    "Forbidden",
                    "Operation 'purge' is not allowed while purge protection is enabled "
                    "on this vault.",
                )
            del self.deleted[name.lower()]
            return None

    # -- secrets -----------------------------------------------------------------------------
    def check_secret_name_free(self, name: str) -> None:
        self.settle_recoveries()
        if name.lower() in self.deleted_secrets:
            raise VaultError(
                409,
                "Conflict",
                f"Secret {name} is currently in a deleted but recoverable state, and its name "
                "cannot be reused; in this state, the secret can only be recovered or purged.",
                inner="ObjectIsDeletedButRecoverable",
            )
        if name.lower() in self.recovering_secrets:
            raise VaultError(  # GUESS text
                409, "Conflict", f"Secret {name} is currently being recovered; retry later."
            )

    def _deleted_secret_bundle(self, secret: SecretObject, deleted: int) -> Json:
        return {
            "id": f"{self.base_url}/secrets/{secret.name}",
            "recoveryId": f"{self.base_url}/deletedsecrets/{secret.name}",
            "deletedDate": deleted,
            "scheduledPurgeDate": deleted + self.retention_days * DAY,
            "attributes": {"enabled": True, "recoveryLevel": "Recoverable+Purgeable"},
        }

    def delete_secret(self, name: str) -> Json:
        with self.lock:
            self.settle_recoveries()
            secret = self.secrets.get(name.lower())
            if secret is None or not secret.versions or secret.managed:
                raise VaultError(404, "SecretNotFound", f"Secret not found: {name}")
            del self.secrets[name.lower()]
            self.deleted_secrets[name.lower()] = (secret, now())
            return self._deleted_secret_bundle(secret, now())

    def get_deleted_secret(self, name: str) -> Json:
        with self.lock:
            found = self.deleted_secrets.get(name.lower())
            if found is None:
                raise VaultError(404, "SecretNotFound", f"Deleted Secret not found: {name}")
            return self._deleted_secret_bundle(*found)

    def recover_deleted_secret(self, name: str) -> Json:
        with self.lock:
            found = self.deleted_secrets.pop(name.lower(), None)
            if found is None:
                raise VaultError(404, "SecretNotFound", f"Deleted Secret not found: {name}")
            secret = found[0]
            self.recovering_secrets[name.lower()] = (secret, time.monotonic() + self.recovery_delay)
            return {"id": f"{self.base_url}/secrets/{secret.name}", "attributes": {"enabled": True}}
