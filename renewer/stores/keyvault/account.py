"""The ACME account key, kept as a secret in the vault that holds the certificates.

One secret per CA directory (``renewer-acme-account-<sha256(directory)[:16]>``),
JSON with the directory, the account URL and the private JWK; every run on
any runner reuses it. The key's private part is registered for redaction
before anyone can log it.

The account URL is also a tag of the secret (``renewer-account-uri``). A plan, run
for every pull request with an identity that every same-repository pull request can
present, needs only that URL (dns-persist-01 records name it); tags are metadata,
readable with *Key Vault Reader* (``secrets/readMetadata/action``), so the plan
identity needs no role that can read the private key. Vaults written before the tag
existed get it the next time a renew loads the account; until then a plan says the
account URL is unknown.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging

from azure.core.exceptions import ResourceNotFoundError
from azure.keyvault.secrets import SecretClient

from renewer.config.domains import ACCOUNT_PREFIX
from renewer.core import redact
from renewer.stores.contract import AccountRecord, StoreError
from renewer.stores.keyvault.errors import vault_errors
from renewer.stores.keyvault.policy import MANAGED_BY, MANAGED_VALUE, TAG_DIRECTORY, directory_tag
from renewer.stores.keyvault.recovery import write_secret

TAG_ACCOUNT_URI = "renewer-account-uri"
MAX_TAG_VALUE = 256

log = logging.getLogger(__name__)


def account_secret_name(directory: str) -> str:
    return ACCOUNT_PREFIX + hashlib.sha256(directory.encode()).hexdigest()[:16]


def _register_account_key(key_json: str | None) -> None:
    """Mask the account key's private part in logs, whatever prints it."""
    if not key_json:
        return
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        private = json.loads(key_json).get("d")
        if isinstance(private, str):
            redact.register(private)


class AccountSecret:
    """Load and save ACME account records in one vault."""

    def __init__(self, client: SecretClient, vault_url: str, on_soft_deleted: str) -> None:
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
            record = AccountRecord.from_body(json.loads(secret.value or ""))
        except (ValueError, KeyError, TypeError):
            raise StoreError(
                f"vault {self.vault_url}: ACME account secret {name} is not renewer's JSON"
            ) from None
        _register_account_key(record.key_json)
        _register_account_key(record.pending_key_json)
        tags = dict(secret.properties.tags or {})
        if record.uri and tags.get(TAG_ACCOUNT_URI) != record.uri:
            self._tag_uri(name, secret.properties.version, tags, record.uri)
        return record

    def uri(self, directory: str) -> str | None:
        """The account URL from the secret's tags, without reading its value (see above).

        None when there is no account yet, or its secret has no tag (written before
        the tag existed). Reads the current version's properties: the list of versions
        is metadata, a GET of the secret would be its value.
        """
        name = account_secret_name(directory)
        with vault_errors(self.vault_url, f"ACME account secret {name} (its tags)"):
            try:
                versions = [
                    v
                    for v in self.client.list_properties_of_secret_versions(name)
                    if v.enabled is not False
                ]
            except ResourceNotFoundError:
                return None
        if not versions:
            return None
        current = max(versions, key=lambda v: (v.created_on is not None, v.created_on))
        return (current.tags or {}).get(TAG_ACCOUNT_URI) or None

    def _tag_uri(self, name: str, version: str | None, tags: dict[str, str], uri: str) -> None:
        """Add the URL tag to an account secret written before it existed (best effort)."""
        if len(uri) > MAX_TAG_VALUE:
            return
        try:
            with vault_errors(self.vault_url, f"ACME account secret {name} (tagging)"):
                self.client.update_secret_properties(
                    name, version, tags={**tags, TAG_ACCOUNT_URI: uri}
                )
        except StoreError as error:  # the plan then says the URL is unknown: not a failure
            log.warning("could not tag the account URL on %s: %s", name, error)

    def save(self, record: AccountRecord) -> None:
        name = account_secret_name(record.directory)
        _register_account_key(record.key_json)
        _register_account_key(record.pending_key_json)
        with vault_errors(self.vault_url, f"ACME account secret {name}"):
            write_secret(
                self.client,
                self.vault_url,
                name,
                self.on_soft_deleted,
                lambda: self.client.set_secret(
                    name,
                    json.dumps(record.body()),
                    content_type="application/json",
                    tags={
                        MANAGED_BY: MANAGED_VALUE,
                        TAG_DIRECTORY: directory_tag(record.directory),
                        **(
                            {TAG_ACCOUNT_URI: record.uri}
                            if record.uri and len(record.uri) <= MAX_TAG_VALUE
                            else {}
                        ),
                    },
                ),
            )
