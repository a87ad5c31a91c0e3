"""The pure verdict: served facts + stored versions + now, no sockets."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from renewer.core.certs import make_csr
from renewer.core.endpoints import EndpointSpec
from renewer.stores.contract import StoredVersion
from renewer.verify.judge import covered, judge
from renewer.verify.model import Probe, StoreView, Verdict
from renewer.verify.probe import served_from_chain
from tests.verify.ca import ChainCA

DER = serialization.Encoding.DER
ENDPOINT = EndpointSpec("127.0.0.1", 443, "www.example.test")
GRACE = timedelta(hours=26)


def chain(ca: ChainCA, *names: str) -> list[bytes]:
    issued = ca.finalize(make_csr(ec.generate_private_key(ec.SECP256R1()), names))
    certs = x509.load_pem_x509_certificates(issued.fullchain_pem.encode())
    return [c.public_bytes(DER) for c in certs]


def version(
    der: list[bytes], created: datetime, current: bool, keep_chain: bool = True
) -> StoredVersion:
    leaf = x509.load_der_x509_certificate(der[0])
    return StoredVersion(
        version=f"v-{created:%H%M%S%f}",
        sha1=hashlib.sha1(der[0]).hexdigest(),  # noqa: S324
        not_after=leaf.not_valid_after_utc,
        created=created,
        current=current,
        serial=format(leaf.serial_number, "x"),
        not_before=leaf.not_valid_before_utc,
        chain_der=tuple(der[1:]) if keep_chain else None,
    )


@pytest.fixture
def ca() -> ChainCA:
    return ChainCA()


def test_an_expired_previous_version_is_stale_even_within_grace(ca: ChainCA) -> None:
    ca.lifetime = timedelta(hours=1)
    old = chain(ca, "www.example.test")
    ca.lifetime = timedelta(days=90)
    new = chain(ca, "www.example.test")
    now = datetime.now(UTC) + timedelta(hours=2)
    store = StoreView((version(new, now - timedelta(hours=1), True), version(old, now, False)))
    finding = judge("www", Probe(ENDPOINT, "127.0.0.1", served_from_chain(old)), store, GRACE, now)
    assert finding.verdict is Verdict.STALE
    assert "(EXPIRED 60 minutes ago)" in finding.message


def test_without_a_stored_chain_a_lone_leaf_is_incomplete(ca: ChainCA) -> None:
    der = chain(ca, "www.example.test")
    now = datetime.now(UTC)
    store = StoreView((version(der, now, True, keep_chain=False),))
    alone = judge("www", Probe(ENDPOINT, "h", served_from_chain(der[:1])), store, GRACE, now)
    full = judge("www", Probe(ENDPOINT, "h", served_from_chain(der)), store, GRACE, now)
    assert alone.verdict is Verdict.CHAIN_INCOMPLETE
    assert alone.message == "chain incomplete: only the leaf is served, no intermediate"
    assert full.verdict is Verdict.CURRENT and full.ok


def test_a_chain_in_the_wrong_certificates_does_not_count(ca: ChainCA) -> None:
    der = chain(ca, "www.example.test")
    stranger = chain(ChainCA("stranger"), "x.example.test")
    now = datetime.now(UTC)
    store = StoreView((version(der, now, True),))
    served = served_from_chain([der[0], stranger[1]])  # someone else's intermediate
    finding = judge("www", Probe(ENDPOINT, "h", served), store, GRACE, now)
    assert finding.verdict is Verdict.CHAIN_INCOMPLETE


def test_unreachable_and_store_errors_come_first(ca: ChainCA) -> None:
    now = datetime.now(UTC)
    down = judge("www", Probe(ENDPOINT, "h", error="connection refused"), StoreView(), GRACE, now)
    assert (down.verdict, down.message) == (Verdict.UNREACHABLE, "unreachable: connection refused")
    served = served_from_chain(chain(ca, "www.example.test"))
    broken = judge("www", Probe(ENDPOINT, "h", served), StoreView(error="403"), GRACE, now)
    assert (broken.verdict, broken.message) == (Verdict.STORE_ERROR, "store unreadable: 403")
    empty = judge("www", Probe(ENDPOINT, "h", served), StoreView(), GRACE, now)
    assert empty.verdict is Verdict.FOREIGN and "store has" not in empty.message


@pytest.mark.parametrize(
    ("name", "names", "expected"),
    [
        ("www.example.test", ("www.example.test",), True),
        ("WWW.example.test.", ("www.example.test",), True),
        ("www.example.test", ("*.example.test",), True),
        ("a.b.example.test", ("*.example.test",), False),  # one label only
        ("example.test", ("*.example.test",), False),
        ("other.test", ("www.example.test",), False),
    ],
)
def test_name_coverage(name: str, names: tuple[str, ...], expected: bool) -> None:
    assert covered(name, names) is expected


def test_only_current_and_within_grace_are_ok() -> None:
    assert {v for v in Verdict if v.ok} == {Verdict.CURRENT, Verdict.WITHIN_GRACE}


def test_resolve_keeps_each_address_once_with_its_family() -> None:
    import socket

    from renewer.verify.probe import resolve

    assert resolve("127.0.0.1", 443) == [(socket.AF_INET, "127.0.0.1")]
    assert resolve("::1", 443) == [(socket.AF_INET6, "::1")]
