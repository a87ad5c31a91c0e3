"""Certificate stores and the factory that opens the one a spec names."""

from __future__ import annotations

from renewer.config.types.store_directory import DirectorySettings
from renewer.config.types.store_keyvault import KeyVaultSettings
from renewer.core.cache import Cache
from renewer.core.settings import StoreSettings
from renewer.stores.contract import CertificateStore, StoreError
from renewer.stores.directory import DirectoryStore


class StoreRegistry:
    """One store instance per distinct store setting, shared by all certificates of a run.

    Distinct means unequal: settings are frozen and hashable, so they are the key.
    """

    def __init__(self) -> None:
        self._stores: Cache[StoreSettings, CertificateStore] = Cache()

    def get(self, settings: StoreSettings) -> CertificateStore:
        return self._stores.get(settings, lambda: open_store(settings))


def open_store(settings: StoreSettings) -> CertificateStore:
    """Build a store from validated settings (one ``case`` per settings class)."""
    match settings.backend:
        case DirectorySettings(path=path):
            return DirectoryStore(path)
        case KeyVaultSettings() as vault:
            # Imported here so a directory-only setup never loads the Azure SDK.
            from renewer.azure.signin import azure_credential
            from renewer.stores.keyvault.store import KeyVaultStore

            return KeyVaultStore(
                vault.vault_url,
                azure_credential(vault.azure),
                vault.azure,
                key_mode=vault.key_mode,
                exportable=vault.exportable,
                content_type=vault.content_type,
                ca_bundle=vault.ca_bundle,
                on_soft_deleted=vault.on_soft_deleted,
                state_vault_url=vault.state_vault_url,
            )
    raise StoreError(f"store type {settings.type!r} is not available in this build")


__all__ = ["CertificateStore", "StoreError", "StoreRegistry", "open_store"]
