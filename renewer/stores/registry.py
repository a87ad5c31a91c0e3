"""Certificate stores and the factory that opens the one a spec names."""

from __future__ import annotations

import threading
from pathlib import Path

from renewer.core.models import StoreSettings
from renewer.stores.contract import CertificateStore, StoreError
from renewer.stores.directory import DirectoryStore


class StoreRegistry:
    """One store instance per distinct store setting, shared by all certificates of a run."""

    def __init__(self) -> None:
        self._stores: dict[str, CertificateStore] = {}
        self._lock = threading.Lock()

    def get(self, settings: StoreSettings) -> CertificateStore:
        key = settings.identity()
        with self._lock:
            if key not in self._stores:
                self._stores[key] = open_store(settings)
            return self._stores[key]


def open_store(settings: StoreSettings) -> CertificateStore:
    """Build a store from validated settings."""
    if settings.type == "directory":
        return DirectoryStore(Path(str(settings.options["path"])))
    if settings.type == "keyvault":
        # Imported here so a directory-only setup never loads the Azure SDK.
        from renewer.azure.signin import azure_credential
        from renewer.core.models import AzureSettings
        from renewer.stores.keyvault.store import KeyVaultStore

        options = settings.options
        azure = options.get("azure") or AzureSettings()
        bundle = options.get("ca_bundle")
        return KeyVaultStore(
            str(options["vault_url"]),
            azure_credential(azure),
            azure,
            key_mode=str(options.get("key_mode", "csr")),
            exportable=bool(options.get("exportable", True)),
            content_type=str(options.get("content_type", "pkcs12")),
            ca_bundle=Path(str(bundle)) if bundle else None,
            on_soft_deleted=str(options.get("on_soft_deleted") or "recover"),
        )
    raise StoreError(f"store type {settings.type!r} is not available in this build")


__all__ = ["CertificateStore", "StoreError", "StoreRegistry", "open_store"]
