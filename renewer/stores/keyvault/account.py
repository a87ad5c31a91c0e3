"""The ACME account key, kept as a secret in the vault that holds the certificates.

One secret per CA directory (``renewer-acme-account-<sha256(directory)[:16]>``),
JSON with the directory, the account URL and the private JWK; every run on
any runner reuses it. The key's private part is registered for redaction
before anyone can log it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json

from azure.core.exceptions import ResourceNotFoundError
from azure.keyvault.secrets import SecretClient

from renewer.config.domains import ACCOUNT_PREFIX
from renewer.core import redact
from renewer.stores.contract import AccountRecord, StoreError
from renewer.stores.keyvault.errors import vault_errors
from renewer.stores.keyvault.policy import MANAGED_BY, MANAGED_VALUE, TAG_DIRECTORY, directory_tag
from renewer.stores.keyvault.recovery import write_secret


def account_secret_name(directory: str) -> str:
    return ACCOUNT_PREFIX + hashlib.sha256(directory.encode()).hexdigest()[:16]


def _register_account_key(key_json: str) -> None:
    """Mask the account key's private part in logs, whatever prints it."""
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        private = json.loads(key_json).get("d")
        if isinstance(private, str):
            redact.register(private)


class AccountSecret:
    """Load and save ACME account records in one vault."""

    def __init__(
        self, client: SecretClient, vault_url: str, on_soft_deleted: str = "recover"
    ) -> None:
        self.client = client
        self.vault_url = vault_url
        self.on_soft_deleted = on_soft_deleted

    def load(self, directory: str) -> AccountRecord | None:
        name = account_secret_name(directory)
        with vault_errors(self.vault_url, f"ACME account secret {name}"):
            try:
                secret = self.client.get_secret(name)
            except ResourceNotFoundError:
                return None
        try:
            body = json.loads(secret.value or "")
            record = AccountRecord(
                directory=str(body["directory"]), key_json=str(body["key"]), uri=body.get("uri")
            )
        except (ValueError, KeyError, TypeError):
            raise StoreError(
                f"vault {self.vault_url}: ACME account secret {name} is not renewer's JSON"
            ) from None
        _register_account_key(record.key_json)
        return record

    def save(self, record: AccountRecord) -> None:
        name = account_secret_name(record.directory)
        _register_account_key(record.key_json)
        body = {"directory": record.directory, "uri": record.uri, "key": record.key_json}
        with vault_errors(self.vault_url, f"ACME account secret {name}"):
            write_secret(
                self.client,
                self.vault_url,
                name,
                self.on_soft_deleted,
                lambda: self.client.set_secret(
                    name,
                    json.dumps(body),
                    content_type="application/json",
                    tags={
                        MANAGED_BY: MANAGED_VALUE,
                        TAG_DIRECTORY: directory_tag(record.directory),
                    },
                ),
            )
