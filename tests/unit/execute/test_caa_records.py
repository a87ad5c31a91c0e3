"""execute.caa_records: the CAA records to publish, one per zone and CA account."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from renewer.core.models import CertificateSpec
from renewer.dns.caa import CaaRecord
from renewer.execute.caa_records import ZoneRecords, recommend
from renewer.stores.contract import AccountRecord, CertificateStore
from tests.unit.factories import DIRECTORY, spec
from tests.unit.fakes import MemoryStore

ACCOUNT = "https://127.0.0.1:14000/my-account/1"


def with_ca(s: CertificateSpec, *identities: str) -> CertificateSpec:
    return replace(s, acme=replace(s.acme, caa_identities=identities))


def no_account(s: CertificateSpec, store: CertificateStore) -> Any:
    return object()  # configured identities: the CA's directory is never asked


def test_one_record_per_zone_and_account_naming_it_and_dns_01() -> None:
    store = MemoryStore()
    store.save_account(AccountRecord(DIRECTORY, "{}", ACCOUNT))
    specs = [
        with_ca(spec("web", domains=("example.test", "www.example.test")), "ca.test"),
        with_ca(spec("api", domains=("api.example.test", "shop.example.org")), "ca.test"),
    ]
    found = recommend(specs, lambda s: store, no_account)
    value = f"ca.test; accounturi={ACCOUNT}; validationmethods=dns-01"
    assert found == [
        ZoneRecords("example.test.", DIRECTORY, ACCOUNT, (CaaRecord(0, "issue", value),)),
        ZoneRecords("example.org.", DIRECTORY, ACCOUNT, (CaaRecord(0, "issue", value),)),
    ]


def test_without_an_account_yet_the_record_omits_it_and_says_so() -> None:
    (zone,) = recommend(
        [with_ca(spec(), "ca.test", "alt.test")], lambda s: MemoryStore(), no_account
    )
    assert zone.account_url is None
    assert [r.value for r in zone.records] == [
        "ca.test; validationmethods=dns-01",
        "alt.test; validationmethods=dns-01",
    ]
    assert zone.note == "no account yet: run renew once, then add accounturi"


def test_a_ca_without_identities_gets_a_note_and_no_record() -> None:
    class Bare:
        def directory(self, deadline: object, cancel: object = None) -> object:
            return type("Directory", (), {"meta": None})()

    (zone,) = recommend([spec()], lambda s: MemoryStore(), lambda s, st: Bare())  # type: ignore[arg-type,return-value]
    assert zone.records == ()
    assert zone.note == "the CA publishes no caaIdentities: set acme.caa_identities"
