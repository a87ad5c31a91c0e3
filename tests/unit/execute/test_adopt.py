"""execute.adopt: ``renewer adopt`` writes renewer's tags under each certificate's lock."""

from __future__ import annotations

from dataclasses import replace

import pytest

from renewer.core.models import CertificateSpec, ForeignIssuer, StoredCertificate
from renewer.core.settings import StoreSettings
from renewer.execute.adopt import Adopted, adopt
from renewer.execute.services import Services
from renewer.stores.contract import CertificateStore, StoreError
from renewer.stores.registry import StoreRegistry
from tests.unit.factories import spec, stored_for
from tests.unit.fakes import MemoryStore

ACMEBOT = ForeignIssuer("acmebot", "v4 tags", endpoint="acme-v02.api.letsencrypt.org")


class AdoptingStore(MemoryStore):
    """A MemoryStore that adopts as Key Vault does: renewer's tags, same certificate."""

    def __init__(self) -> None:
        super().__init__()
        self.adopted: list[str] = []
        self.broken: set[str] = set()

    def adopt(self, spec: CertificateSpec) -> StoredCertificate:
        if spec.name in self.broken:
            raise StoreError(f"vault: PATCH {spec.name} failed (503)")
        assert spec.name in self._held  # the certificate's lock is held, as in a run
        before = self.certificates[spec.name]
        self.adopted.append(spec.name)
        self.certificates[spec.name] = replace(before, managed=True, foreign=None)
        return before


class OneStore(StoreRegistry):
    def __init__(self, store: CertificateStore) -> None:
        super().__init__()
        self.store = store

    def get(self, settings: StoreSettings) -> CertificateStore:
        return self.store


def theirs(name: str) -> StoredCertificate:
    return stored_for(spec(name), managed=False, foreign=ACMEBOT, fingerprint=None)


@pytest.fixture
def store() -> AdoptingStore:
    made = AdoptingStore()
    made.certificates = {
        "web": theirs("web"),
        "ours": stored_for(spec("ours")),
        "broken": theirs("broken"),
    }
    made.broken = {"broken"}
    return made


def test_each_certificate_gets_its_own_outcome_in_order(store: AdoptingStore) -> None:
    names = ["web", "ours", "missing", "broken"]
    done = adopt([spec(n) for n in names], Services(stores=OneStore(store)))
    assert [d.name for d in done] == names
    assert store.adopted == ["web"]  # renewer's own and absent ones are left alone
    assert store.certificates["web"].managed
    lines = [d.line() for d in done]
    assert lines[0].startswith("adopted web: issued by acmebot (v4 tags")
    assert lines[0].endswith("renewer's tags written, the certificate and its secret unchanged")
    assert lines[1] == "skipped ours: already renewer's (nothing written)"
    assert lines[2] == "skipped missing: nothing stored under this name"
    assert lines[3] == "failed  broken: vault: PATCH broken failed (503)"
    assert store._held == set()  # every lock released, the failed one too


def test_a_store_that_cannot_adopt_says_so() -> None:
    plain = MemoryStore()
    plain.certificates["web"] = theirs("web")
    (done,) = adopt([spec("web")], Services(stores=OneStore(plain)))
    assert done == Adopted("web", error="memory memory cannot adopt certificates")
