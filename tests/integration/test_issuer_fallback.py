"""Issuer fallback against two real Pebbles: the first CA fails, the second issues.

``acme:`` lists two CAs. The first is (a) a closed port, (b) a CA that accepts
connections and never answers (tests/rig/hung.py), (c) a Pebble behind the
fault proxy answering every newOrder ``rateLimited`` with a Retry-After. Every
certificate must then come from the second Pebble (its chain ends at that
Pebble's root, the store records it, the report names it), and the next run
must plan "unchanged" for them and ask that Pebble, not the first, for their
renewal windows. (d) A validation failure of the certificate's own names at
the first CA must not move on: another CA would fail the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from rig import Challtestsrv, Fault, FaultProxy, Pebble, TlsMaterial, free_port
from rig.hung import HungCA

from tests.integration.runner import actions, plan_json, run_cli
from tests.resilience.common import certs, challtestsrv_dns, make_config

pytestmark = pytest.mark.integration

COUNT = 3


@pytest.fixture
def second(
    challtestsrv: Challtestsrv, pebble_factory: Any, fault_proxy_factory: Any
) -> tuple[Pebble, FaultProxy]:
    """The fallback CA, behind a proxy that only counts what it is asked."""
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    return pebble, fault_proxy_factory(pebble)


@pytest.fixture
def hung(tls_root: TlsMaterial) -> Iterator[HungCA]:
    server = HungCA(tls_root).start()
    try:
        yield server
    finally:
        server.stop()


def two_cas(
    tmp_path: Path, first: str, second: FaultProxy, challtestsrv: Challtestsrv, count: int = COUNT
) -> Path:
    cfg = make_config(
        tmp_path, first, second.ca_bundle, challtestsrv_dns(challtestsrv), certs(count)
    )
    body = cfg.read_text()
    one = f"acme:\n  directory: {first}\n  ca_bundle: {second.ca_bundle}\n"
    assert one in body, body
    listed = (
        f"acme:\n  - directory: {first}\n    ca_bundle: {second.ca_bundle}\n"
        f"  - directory: {second.directory_url}\n    ca_bundle: {second.ca_bundle}\n"
    )
    cfg.write_text(body.replace(one, listed))
    return cfg


def renew(tmp_path: Path, cfg: Path, *extra: str) -> tuple[Any, dict[str, dict[str, Any]]]:
    out = tmp_path / "r.json"
    result = run_cli("renew", "-c", str(cfg), "--report", str(out), *extra)
    body = json.loads(out.read_text())
    return result, {c["name"]: c for c in body["certificates"]}


def issued_by(root: Path, name: str, pebble: Pebble) -> bool:
    """Whether the current leaf chains up to one of ``pebble``'s roots."""
    chain = x509.load_pem_x509_certificates((root / name / "fullchain.pem").read_bytes())
    top = chain[-1]
    for pem in pebble.roots_pem():
        root_cert = x509.load_pem_x509_certificate(pem.encode())
        try:
            top.verify_directly_issued_by(root_cert)
            return True
        except (ValueError, TypeError, InvalidSignature):
            continue
    return False


def assert_all_from_second(
    tmp_path: Path,
    result: Any,
    entries: dict[str, dict[str, Any]],
    second: tuple[Pebble, FaultProxy],
) -> None:
    pebble, proxy = second
    assert result.code == 0, result.output[-3000:]
    assert f"{COUNT} succeeded, 0 failed" in result.stdout
    for i in range(COUNT):
        name = f"c{i}"
        assert entries[name]["result"] == "succeeded"
        assert entries[name]["issuer"] == proxy.directory_url  # the report names the CA
        meta = json.loads((tmp_path / "certs" / name / "current" / "metadata.json").read_text())
        assert meta["directory"] == proxy.directory_url  # the store records it
        assert issued_by(tmp_path / "certs", name, pebble)
    assert proxy.directory_url in result.stdout  # the text summary names it too


def assert_next_run_unchanged(cfg: Path, proxy: FaultProxy) -> None:
    """(e) No re-issue loop: planned unchanged; the windows are asked of the second CA."""
    before = len(proxy.requests_of("renewalInfo"))
    plan = plan_json(cfg, "--refresh-renewal-info")
    assert set(actions(plan).values()) == {"skip"}, plan
    assert len(proxy.requests_of("renewalInfo")) == before + COUNT
    for entry in plan["certificates"]:
        assert entry["issuer"] == proxy.directory_url
        assert "ARI window" in entry["reason"]


def test_first_ca_unreachable(
    tmp_path: Path, challtestsrv: Challtestsrv, second: tuple[Pebble, FaultProxy]
) -> None:
    closed = f"https://127.0.0.1:{free_port()}/dir"  # nothing listens there
    cfg = two_cas(tmp_path, closed, second[1], challtestsrv)
    result, entries = renew(tmp_path, cfg)
    assert_all_from_second(tmp_path, result, entries, second)
    assert "trying the next CA" in result.stderr
    assert_next_run_unchanged(cfg, second[1])


def test_first_ca_hung(
    tmp_path: Path, challtestsrv: Challtestsrv, second: tuple[Pebble, FaultProxy], hung: HungCA
) -> None:
    cfg = two_cas(tmp_path, hung.directory_url, second[1], challtestsrv)
    result, entries = renew(tmp_path, cfg)
    assert_all_from_second(tmp_path, result, entries, second)
    assert "not answering" in result.stderr
    asked = hung.connections
    assert_next_run_unchanged(cfg, second[1])
    assert hung.connections == asked  # the hung CA is not asked about the second's certificates


@pytest.mark.parametrize("retry_after", ["3600", "1"])
def test_first_ca_rate_limited(
    tmp_path: Path,
    challtestsrv: Challtestsrv,
    pebble_factory: Any,
    fault_proxy_factory: Any,
    second: tuple[Pebble, FaultProxy],
    retry_after: str,
) -> None:
    first = fault_proxy_factory(pebble_factory(dns_server=challtestsrv.dns_address))
    first.inject(Fault("newOrder", 1000, "rateLimited", 429, retry_after=retry_after))
    cfg = two_cas(tmp_path, first.directory_url, second[1], challtestsrv)
    result, entries = renew(tmp_path, cfg)
    assert_all_from_second(tmp_path, result, entries, second)
    orders = first.requests_of("newOrder")
    assert orders and all(o.faulted == "rateLimited" for o in orders)
    # No new order at the limited CA after its answer: at most the CA's own
    # Retry-After pauses within one request (renewer.acme.protocol), never a loop.
    assert len(orders) <= COUNT * 4, len(orders)
    asked = len(first.requests_of("renewalInfo"))
    assert_next_run_unchanged(cfg, second[1])
    assert len(first.requests_of("renewalInfo")) == asked


def test_validation_failure_does_not_fall_back(
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    challtestsrv: Challtestsrv,
    pebble_factory: Any,
    second: tuple[Pebble, FaultProxy],
) -> None:
    """(d) The first CA looks the TXT records up in a DNS server that has none of them:
    its dns-01 validation fails for the certificate's own names, which no CA can fix."""
    with Challtestsrv(tmp_path_factory.mktemp("empty-dns")) as empty:
        first = pebble_factory(dns_server=empty.dns_address)
        cfg = two_cas(tmp_path, first.directory_url, second[1], challtestsrv, count=1)
        result, entries = renew(tmp_path, cfg, "--cert-deadline", "60")
    assert result.code == 1, result.output[-3000:]
    entry = entries["c0"]
    assert entry["result"] == "failed"
    assert "dns-01 for c0.example.test failed" in entry["error"], entry["error"]
    assert "every CA failed" not in entry["error"]
    assert "trying the next CA" not in result.stderr
    assert second[1].requests_of("newOrder") == []  # the second CA was never asked
    assert not (tmp_path / "certs" / "c0" / "current").exists()
