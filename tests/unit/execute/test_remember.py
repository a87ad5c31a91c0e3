"""execute.remember: windows asked on a run that renewed nothing are written back, never fatal."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest

from renewer.core.models import Action, ActionKind, Plan, RenewalInfo, StoredCertificate
from renewer.core.settings import StoreSettings
from renewer.execute.remember import Remembered, remember_windows
from renewer.execute.services import Services
from renewer.stores.contract import CertificateStore, StoreError
from renewer.stores.registry import StoreRegistry
from tests.unit.factories import NOW, spec, stored_for
from tests.unit.fakes import MemoryStore

INFO = RenewalInfo(
    start=NOW + timedelta(days=50),
    end=NOW + timedelta(days=52),
    checked=NOW,
    next_check=NOW + timedelta(hours=6),
)


class WindowStore(MemoryStore):
    """A MemoryStore that keeps windows: ``full`` names have no room, ``broken`` ones fail."""

    def __init__(self) -> None:
        super().__init__()
        self.windows: dict[str, RenewalInfo] = {}
        self.full: set[str] = set()
        self.broken: set[str] = set()

    def remember_renewal_info(self, stored: StoredCertificate, info: RenewalInfo) -> bool:
        if stored.name in self.broken:
            raise StoreError(f"vault: PATCH {stored.name} failed (503)")
        if stored.name in self.full:
            return False
        self.windows[stored.name] = info
        return True


class OneStore(StoreRegistry):
    def __init__(self, store: CertificateStore) -> None:
        super().__init__()
        self.store = store

    def get(self, settings: StoreSettings) -> CertificateStore:
        return self.store


def skip(name: str, remembered: RenewalInfo | None = None) -> Action:
    s = spec(name)
    return Action(name, ActionKind.SKIP, "not due", s, stored_for(s, renewal_info=remembered))


def run(store: CertificateStore, *actions: Action, asked: dict[str, RenewalInfo]) -> Remembered:
    return remember_windows(Plan(NOW, actions), asked, Services(stores=OneStore(store)))


def test_asked_windows_of_skipped_certificates_are_kept() -> None:
    store = WindowStore()
    renewed = Action("new", ActionKind.RENEW, "due", spec("new"), stored_for(spec("new")))
    done = run(store, skip("a"), skip("b"), renewed, asked={"a": INFO, "new": INFO})
    assert done == Remembered(kept=1)
    assert store.windows == {"a": INFO}  # b was not asked; a renewal carries its own window


def test_the_same_window_is_rewritten_only_when_runs_come_faster_than_its_retry_after() -> None:
    day_old = replace(INFO, checked=NOW - timedelta(hours=24), next_check=NOW - timedelta(hours=18))
    hour_old = replace(INFO, checked=NOW - timedelta(hours=1), next_check=NOW + timedelta(hours=5))
    store = WindowStore()
    done = run(
        store,
        skip("daily", day_old),
        skip("hourly", hour_old),
        asked={"daily": INFO, "hourly": INFO},
    )
    assert done == Remembered(kept=1)
    assert list(store.windows) == ["hourly"]  # daily runs would ask the CA again anyway


def test_no_room_and_failures_are_counted_and_warned_never_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = WindowStore()
    store.full = {"full"}
    store.broken = {"broken"}
    with caplog.at_level(logging.INFO, logger="renewer.execute.remember"):
        done = run(
            store,
            skip("ok"),
            skip("full"),
            skip("broken"),
            asked={"ok": INFO, "full": INFO, "broken": INFO},
        )
    assert done == Remembered(kept=1, no_room=1, failed=1)
    assert "1 renewal windows not remembered (first: broken: vault: PATCH broken failed (503))" in (
        caplog.text
    )
    assert "1 certificates have no room left" in caplog.text


def test_a_store_that_keeps_no_windows_is_left_alone() -> None:
    store = MemoryStore()
    assert run(store, skip("a"), asked={"a": INFO}) == Remembered()
