"""Certificate stores and the factory that opens the one a spec names.

Each type declares the dotted path of its store beside its settings
(``renewer/config/types/store_<name>.py``); the store takes those settings,
and its module is imported only when a certificate uses it (a directory-only
setup never loads the Azure SDK).
"""

from __future__ import annotations

from renewer.config.types.registry import STORE_TYPES
from renewer.core import dotted
from renewer.core.cache import Cache
from renewer.core.settings import StoreSettings
from renewer.stores.contract import CertificateStore, StoreError


class StoreRegistry:
    """One store instance per distinct store setting, shared by all certificates of a run.

    Distinct means unequal: settings are frozen and hashable, so they are the key.
    """

    def __init__(self) -> None:
        self._stores: Cache[StoreSettings, CertificateStore] = Cache()

    def get(self, settings: StoreSettings) -> CertificateStore:
        return self._stores.get(settings, lambda: open_store(settings))


def open_store(settings: StoreSettings) -> CertificateStore:
    """Build a store from validated settings, by the factory its type names."""
    declared = STORE_TYPES.get(settings.type)
    if declared is None or not isinstance(settings.backend, declared.settings):
        raise StoreError(f"store type {settings.type!r} is not available in this build")
    made: CertificateStore = dotted.load(declared.factory)(settings.backend)
    return made


__all__ = ["CertificateStore", "StoreError", "StoreRegistry", "open_store"]
