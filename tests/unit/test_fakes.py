"""The in-memory fakes keep the contracts they stand for (else unit tests prove little)."""

from __future__ import annotations

import pytest

from renewer.dns.contract import DnsError
from renewer.stores.contract import LockBusy
from tests.unit.factories import spec
from tests.unit.fakes import MemoryDns, MemoryStore
from tests.unit.local_ca import LocalCA


def test_memory_dns_cleanup_removes_only_its_own_value() -> None:
    dns = MemoryDns()
    dns.present("_acme-challenge.example.test.", "apex")
    dns.present("_acme-challenge.example.test.", "wildcard")  # same name: both stay
    dns.cleanup("_acme-challenge.example.test.", "apex")
    assert dns.values["_acme-challenge.example.test."] == ["wildcard"]
    dns.fail["x.example.test."] = True
    with pytest.raises(DnsError) as raised:
        dns.present("x.example.test.", "v")
    assert raised.value.transient


def test_memory_store_owns_the_key_lists_what_it_issued_and_locks() -> None:
    store = MemoryStore(page=1)
    s = spec()
    issued = store.issue(s, LocalCA().finalize)
    assert store.list_current() == {s.name: issued}  # derived from the paged iter_current
    assert set(issued.domains or ()) == set(s.domains)
    assert store.certificate_pem(s.name) is not None
    with store.lock(s.name), pytest.raises(LockBusy), store.lock(s.name):
        pass
    store.mark_revoked(s.name)
    revoked = store.current(s.name)
    assert revoked is not None and revoked.revoked
