"""A certificate name that is soft-deleted: recover it, or say plainly what to do.

Every vault has soft delete (Microsoft Learn, "Azure Key Vault soft-delete
overview"); a create or import on a soft-deleted name answers 409 with inner
error ``ObjectIsDeletedButRecoverable`` until the object is recovered or
purged (purge protection keeps it 7-90 days). ``store.on_soft_deleted``:

- ``recover`` (default): recover it (``POST /deletedcertificates/{name}/recover``,
  data action ``Microsoft.KeyVault/vaults/certificates/recover/action``) and
  wait until it reads back (recovery is asynchronous: the SDK's recover
  poller polls ``GET /certificates/{name}`` until it stops answering 404),
  then issue a new version on top of its history;
- ``fail``: one line "soft-deleted since <date>; recover or purge it".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.keyvault.certificates import CertificateClient
from azure.keyvault.secrets import SecretClient

from renewer.stores.contract import StoreError
from renewer.stores.keyvault.conflicts import Conflict, budget, classify, retry_transient
from renewer.stores.keyvault.errors import vault_errors

log = logging.getLogger(__name__)

RECOVER_ACTION = "Microsoft.KeyVault/vaults/certificates/recover/action"
T = TypeVar("T")
POLL_INTERVAL = 1.0  # seconds between reads while a recovery settles (the SDK's default is 2)


def _since(certs: CertificateClient, vault: str, name: str) -> str:
    with vault_errors(vault, f"deleted certificate {name}"):
        try:
            deleted = certs.get_deleted_certificate(name)
        except ResourceNotFoundError:
            return "a moment ago"
    when = deleted.deleted_on
    return when.strftime("%Y-%m-%d %H:%M UTC") if when is not None else "an unknown date"


def soft_deleted(certs: CertificateClient, vault: str, name: str, mode: str) -> None:
    """Recover ``name`` (mode ``recover``) or raise the one line saying what to do."""
    vault_name = vault.split("//")[-1].split(".")[0]
    fix = (
        f"az keyvault certificate recover --vault-name {vault_name} --name {name}, "
        "or purge it to start afresh"
    )
    if mode == "fail":
        since = _since(certs, vault, name)
        raise StoreError(
            f"vault {vault}: certificate {name} is soft-deleted since {since}; "
            f"recover or purge it ({fix})"
        )
    try:
        poller = certs.begin_recover_deleted_certificate(name, _polling_interval=POLL_INTERVAL)
        poller.wait(timeout=max(1.0, budget().remaining()))
    except HttpResponseError as exc:
        if exc.status_code == 403:
            raise StoreError(
                f"vault {vault}: certificate {name} is soft-deleted and this identity may not "
                f"recover it: grant {RECOVER_ACTION} (Key Vault Certificates Officer), "
                f"or recover or purge it yourself ({fix})"
            ) from None
        with vault_errors(vault, f"recovery of soft-deleted certificate {name}"):
            raise
    if not poller.done():
        raise StoreError(
            f"vault {vault}: certificate {name} was soft-deleted; its recovery is still "
            "running, the next run continues"
        )
    log.info("%s: recovered the soft-deleted certificate in vault %s", name, vault)


SECRET_RECOVER_ACTION = "Microsoft.KeyVault/vaults/secrets/recover/action"  # noqa: S105


def write_secret(
    secrets: SecretClient, vault: str, name: str, mode: str, write: Callable[[], T]
) -> T:
    """``write()`` (a set_secret); a soft-deleted name is recovered first (or reported).

    renewer's own secrets (leases, the ACME account) are never deleted by
    renewer, but a person may delete one; with soft delete its name is then
    blocked for every later run until recovered or purged.
    """
    try:
        return write()
    except ResourceExistsError as exc:
        if classify(exc) is not Conflict.SOFT_DELETED:
            raise
    if mode == "fail":
        raise StoreError(
            f"vault {vault}: secret {name} is soft-deleted; recover or purge it "
            f"(az keyvault secret recover --vault-name {vault.split('//')[-1].split('.')[0]} "
            f"--name {name})"
        )
    try:
        poller = secrets.begin_recover_deleted_secret(name, _polling_interval=POLL_INTERVAL)
        poller.wait(timeout=max(1.0, budget().remaining()))
    except HttpResponseError as exc:
        if exc.status_code == 403:
            raise StoreError(
                f"vault {vault}: secret {name} is soft-deleted and this identity may not "
                f"recover it: grant {SECRET_RECOVER_ACTION} (Key Vault Secrets Officer), or "
                "recover or purge it yourself"
            ) from None
        raise
    log.info("recovered the soft-deleted secret %s in vault %s", name, vault)
    return retry_transient(write, name)
