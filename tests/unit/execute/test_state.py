"""execute.state.read_state on in-memory stores: one listing per store, failures apart."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from renewer.config.types.store_directory import DirectorySettings
from renewer.core.models import CertificateSpec, RenewalInfo
from renewer.core.settings import StoreSettings
from renewer.execute.services import Services
from renewer.execute.state import read_state
from renewer.stores.contract import CertificateStore
from renewer.stores.registry import StoreRegistry
from tests.unit.factories import spec, stored_for
from tests.unit.fakes import MemoryStore

NOW = datetime.now(UTC)


class Stores(StoreRegistry):
    """Each store setting to its in-memory store."""

    def __init__(self, stores: dict[StoreSettings, MemoryStore]) -> None:
        super().__init__()
        self.stores = stores

    def get(self, settings: StoreSettings) -> CertificateStore:
        return self.stores[settings]


def in_store(name: str, folder: str) -> CertificateSpec:
    return replace(
        spec(name=name, domains=(f"{name}.example.test",)),
        store=StoreSettings("directory", DirectorySettings(Path(folder))),
    )


def test_one_listing_per_store_and_a_failed_listing_fails_only_its_certificates() -> None:
    a, b, c = in_store("a", "/one"), in_store("b", "/one"), in_store("c", "/two")
    one, two = MemoryStore("one", page=1), MemoryStore("two")
    for s, store in ((a, one), (b, one), (c, two)):
        store.certificates[s.name] = stored_for(
            s, issued=NOW - timedelta(days=10), ari_cert_id=None
        )
    two.fail_listing = 0
    with Services(Stores({a.store: one, c.store: two})) as services:
        state = read_state([a, b, c], services)
    assert set(state.stored) == {"a", "b"}
    assert one.pages_read == 2  # paged through once, one item a page
    assert set(state.unreadable) == {"c"}
    assert "listing failed" in state.unreadable["c"]
    assert state.renewal_info == {} and state.asked == frozenset()


def test_a_fresh_remembered_window_is_used_without_asking_the_ca() -> None:
    a = in_store("a", "/one")
    window = RenewalInfo(
        start=NOW + timedelta(days=20),
        end=NOW + timedelta(days=22),
        checked=NOW - timedelta(hours=1),
        next_check=NOW + timedelta(hours=5),
    )
    store = MemoryStore()
    store.certificates["a"] = stored_for(a, issued=NOW - timedelta(days=10), renewal_info=window)
    with Services(Stores({a.store: store})) as services:
        state = read_state([a], services)  # a lookup would reach 127.0.0.1:14000 and fail
    assert state.renewal_info == {"a": window}
    assert state.asked == frozenset()  # remembered, not asked: nothing to write back
