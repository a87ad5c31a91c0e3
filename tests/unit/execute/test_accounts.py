"""execute.accounts: no new ACME account while the store holds that CA's certificates."""

from __future__ import annotations

import logging

import pytest

from renewer.core.settings import AcmeSettings
from renewer.execute.accounts import AccountGuard, NewAccountRefused, each_account, issued_by
from tests.unit.factories import DIRECTORY, spec, stored_for
from tests.unit.fakes import MemoryStore

OTHER = "https://other-ca.test/dir"


def holding(*directories: str) -> MemoryStore:
    store = MemoryStore()
    for n, directory in enumerate(directories):
        store.certificates[f"c{n}"] = stored_for(spec(f"c{n}"), directory=directory)
    return store


def test_issued_by_counts_the_cas_current_certificates() -> None:
    store = holding(DIRECTORY, DIRECTORY, OTHER)
    assert issued_by(store, DIRECTORY) == 2
    assert issued_by(store, "https://unused.test/dir") == 0


def test_a_store_without_that_cas_certificates_may_register(
    caplog: pytest.LogCaptureFixture,
) -> None:
    guard = AccountGuard(AcmeSettings(directory=DIRECTORY), holding(OTHER))
    with caplog.at_level(logging.WARNING, logger="renewer.execute.accounts"):
        guard("no account secret yet")
    assert "registering a new ACME account" in caplog.text


def test_certificates_under_a_lost_account_refuse_a_new_one_every_time() -> None:
    store = holding(DIRECTORY, DIRECTORY)
    guard = AccountGuard(AcmeSettings(directory=DIRECTORY), store)
    with pytest.raises(NewAccountRefused) as caught:
        guard("account secret missing")
    assert "memory memory holds 2 certificate(s) issued by" in str(caught.value)
    assert "renew --new-account" in str(caught.value)
    pages = store.pages_read
    with pytest.raises(NewAccountRefused):
        guard("again")  # the verdict is kept: the store is not listed twice
    assert store.pages_read == pages


def test_new_account_allows_it_anyway() -> None:
    guard = AccountGuard(AcmeSettings(directory=DIRECTORY), holding(DIRECTORY), allow_new=True)
    guard("account secret missing")  # no exception


def test_a_store_that_cannot_be_listed_refuses_to_be_safe() -> None:
    store = holding(DIRECTORY)
    store.fail_listing = 0
    with pytest.raises(NewAccountRefused, match="could not be listed"):
        AccountGuard(AcmeSettings(directory=DIRECTORY), store)("lost")


def test_each_account_is_one_per_ca_and_store_in_first_seen_order() -> None:
    a, b = MemoryStore("a"), MemoryStore("b")
    ca1, ca2 = AcmeSettings(directory=DIRECTORY), AcmeSettings(directory=OTHER)
    pairs = [(ca1, a), (ca2, a), (ca1, a), (ca1, b)]
    assert [(s.directory, st.name) for s, st in each_account(iter(pairs))] == [
        (DIRECTORY, "a"),
        (OTHER, "a"),
        (DIRECTORY, "b"),
    ]
