"""verify against real TLS listeners: Python ssl servers, a blackhole, closed ports.

Certificates are issued into the real directory store by a two-level test CA
(tests/verify/ca.py); servers serve version folders straight from the store,
the way a consumer that stopped pulling keeps serving an old version.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rig import Blackhole, TlsServer, free_port

from renewer.config.types.store_directory import DirectorySettings
from renewer.core.endpoints import EndpointSpec
from renewer.stores.directory import DirectoryStore
from renewer.stores.registry import StoreRegistry
from renewer.verify.model import Verdict, VerifyReport
from renewer.verify.probe import ProbeSettings
from renewer.verify.run import verify
from tests.verify.ca import ChainCA, issue, spec_for, version_files

NAME = "www-example-test"
DOMAINS = ("example.test", "www.example.test")
FAST = ProbeSettings(concurrency=8, connect_timeout=1.0, handshake_timeout=0.5)


@pytest.fixture
def store(tmp_path: Path) -> DirectoryStore:
    return DirectoryStore(DirectorySettings(tmp_path / "certs"))


@pytest.fixture
def ca() -> ChainCA:
    return ChainCA()


@pytest.fixture
def servers() -> Iterator[list[TlsServer | Blackhole]]:
    started: list[TlsServer | Blackhole] = []
    yield started
    for server in started:
        server.stop()


def serve(
    servers: list[TlsServer | Blackhole], certificate: Path, key: Path, host: str = "127.0.0.1"
) -> TlsServer:
    server = TlsServer(certificate, key, host=host).start()
    servers.append(server)
    return server


def check(
    store: DirectoryStore,
    endpoints: tuple[EndpointSpec, ...],
    now: datetime | None = None,
    grace: timedelta = timedelta(hours=26),
) -> VerifyReport:
    spec = spec_for(store.root, NAME, DOMAINS, endpoints, grace)
    return verify([spec], StoreRegistry(), now=now, settings=FAST)


def at(port: int, host: str = "127.0.0.1", sni: str = "example.test") -> EndpointSpec:
    return EndpointSpec(host, port, sni)


def two_versions(store: DirectoryStore, ca: ChainCA) -> tuple[str, str]:
    spec = spec_for(store.root, NAME, DOMAINS, ())
    old = issue(store, spec, ca)
    new = issue(store, spec, ca)
    assert old.version and new.version and old.serial != new.serial
    return old.version, new.version


def test_current_version_with_its_chain(
    store: DirectoryStore, ca: ChainCA, servers: list[TlsServer | Blackhole]
) -> None:
    _, new = two_versions(store, ca)
    fullchain, _leaf, key = version_files(store, NAME, new)
    server = serve(servers, fullchain, key)
    (finding,) = check(store, (at(server.port),)).findings
    assert finding.verdict is Verdict.CURRENT, finding.message
    assert finding.served is not None and len(finding.served.chain_der) == 2
    assert finding.message == f"current (serial {finding.served.serial})"
    assert finding.matched is not None and finding.matched.version == new


def test_previous_version_is_fine_within_grace_and_stale_after(
    store: DirectoryStore, ca: ChainCA, servers: list[TlsServer | Blackhole]
) -> None:
    old, new = two_versions(store, ca)
    fullchain, _leaf, key = version_files(store, NAME, old)
    server = serve(servers, fullchain, key)
    (soon,) = check(store, (at(server.port),), now=datetime.now(UTC) + timedelta(hours=3)).findings
    assert soon.verdict is Verdict.WITHIN_GRACE
    assert soon.message == "previous version (renewed 3 h ago, within grace of 26h)"
    assert soon.ok
    later = datetime.now(UTC) + timedelta(hours=27)
    (late,) = check(store, (at(server.port),), now=later).findings
    assert late.verdict is Verdict.STALE and not late.ok
    assert late.served is not None and late.current is not None
    since = late.current.created.strftime("%Y-%m-%d %H:%M UTC")
    assert late.message == (
        f"STALE: serves serial {late.served.serial} (expires in 88 days), "
        f"store has serial {late.current.serial} since {since}"
    )
    assert late.matched is not None and late.matched.version == old
    assert late.current.version == new


def test_a_tiny_grace_flags_the_previous_version_at_once(
    store: DirectoryStore, ca: ChainCA, servers: list[TlsServer | Blackhole]
) -> None:
    old, _ = two_versions(store, ca)
    fullchain, _leaf, key = version_files(store, NAME, old)
    server = serve(servers, fullchain, key)
    time.sleep(0.05)
    (finding,) = check(store, (at(server.port),), grace=timedelta(milliseconds=10)).findings
    assert finding.verdict is Verdict.STALE


def test_foreign_certificate_and_name_mismatch(
    store: DirectoryStore, ca: ChainCA, servers: list[TlsServer | Blackhole], tmp_path: Path
) -> None:
    two_versions(store, ca)
    elsewhere = DirectoryStore(DirectorySettings(tmp_path / "elsewhere"))
    other_ca = ChainCA("someone else")
    same_names = issue(elsewhere, spec_for(elsewhere.root, NAME, DOMAINS, ()), other_ca)
    other_names = issue(
        elsewhere, spec_for(elsewhere.root, "other", ("other.example.org",), ()), other_ca
    )
    assert same_names.version and other_names.version
    a = serve(servers, *_chain_and_key(elsewhere, NAME, same_names.version))
    b = serve(servers, *_chain_and_key(elsewhere, "other", other_names.version))
    foreign, mismatch = check(store, (at(a.port), at(b.port))).findings
    assert foreign.verdict is Verdict.FOREIGN
    assert foreign.message.startswith("foreign certificate: serves serial ")
    assert "CN=someone else intermediate" in foreign.message
    assert "not a version in the store; store has serial " in foreign.message
    assert mismatch.verdict is Verdict.NAME_MISMATCH
    assert mismatch.message == (
        "name mismatch: SNI example.test got a certificate for other.example.org"
    )


def _chain_and_key(store: DirectoryStore, name: str, version: str) -> tuple[Path, Path]:
    fullchain, _leaf, key = version_files(store, name, version)
    return fullchain, key


def test_leaf_without_intermediate_is_an_incomplete_chain(
    store: DirectoryStore, ca: ChainCA, servers: list[TlsServer | Blackhole]
) -> None:
    _, new = two_versions(store, ca)
    _fullchain, leaf, key = version_files(store, NAME, new)
    server = serve(servers, leaf, key)
    (finding,) = check(store, (at(server.port),)).findings
    assert finding.verdict is Verdict.CHAIN_INCOMPLETE
    assert finding.message == (
        "chain incomplete: the server does not send the intermediate CN=verify test intermediate"
    )


def test_closed_port_and_blackhole_are_unreachable_within_the_timeout(
    store: DirectoryStore, ca: ChainCA, servers: list[TlsServer | Blackhole]
) -> None:
    two_versions(store, ca)
    hole = Blackhole().start()
    servers.append(hole)
    closed = free_port()  # handed out, never listened on
    started = time.monotonic()
    refused, silent = check(store, (at(closed), at(hole.port))).findings
    elapsed = time.monotonic() - started
    assert refused.verdict is Verdict.UNREACHABLE
    assert refused.message == "unreachable: connection refused"
    assert silent.verdict is Verdict.UNREACHABLE
    assert silent.message == "unreachable: TLS handshake timed out after 0.5 s"
    assert elapsed < 3  # concurrent, and bounded by the handshake timeout


def test_every_address_is_probed_and_the_stale_one_is_named(
    store: DirectoryStore, ca: ChainCA, servers: list[TlsServer | Blackhole]
) -> None:
    old, new = two_versions(store, ca)
    current = serve(servers, *_chain_and_key(store, NAME, new), host="127.0.0.1")
    stale = serve(servers, *_chain_and_key(store, NAME, old), host="127.0.0.2")
    ipv6 = serve(servers, *_chain_and_key(store, NAME, new), host="::1")
    later = datetime.now(UTC) + timedelta(days=2)
    listed = (at(current.port), at(stale.port, "127.0.0.2"), at(ipv6.port, "::1"))
    report = check(store, listed, now=later)
    verdicts = [(f.address, f.verdict) for f in report.findings]
    assert verdicts == [
        ("127.0.0.1", Verdict.CURRENT),
        ("127.0.0.2", Verdict.STALE),
        ("::1", Verdict.CURRENT),
    ]
    assert report.findings[2].endpoint.address == f"[::1]:{ipv6.port}"
    assert [f.address for f in report.failed] == ["127.0.0.2"]


def test_a_name_is_resolved_to_each_of_its_addresses(
    store: DirectoryStore, ca: ChainCA, servers: list[TlsServer | Blackhole]
) -> None:
    old, new = two_versions(store, ca)
    port = free_port()
    serve_at = [("127.0.0.1", new), ("127.0.0.2", old)]
    for host, version in serve_at:
        server = TlsServer(*_chain_and_key(store, NAME, version), host=host, port=port)
        servers.append(server.start())
    spec = spec_for(
        store.root, NAME, DOMAINS, (EndpointSpec("www.example.test", port, "example.test"),)
    )

    def pinned(host: str, wanted: int) -> list[tuple[int, str]]:
        """A resolver answering like a DNS name with two A records (no network)."""
        assert (host, wanted) == ("www.example.test", port)
        import socket

        return [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET, "127.0.0.2")]

    later = datetime.now(UTC) + timedelta(days=2)
    report = verify([spec], StoreRegistry(), now=later, settings=FAST, resolver=pinned)
    assert [(f.address, f.verdict) for f in report.findings] == [
        ("127.0.0.1", Verdict.CURRENT),
        ("127.0.0.2", Verdict.STALE),
    ]


def test_a_name_that_does_not_resolve_is_unreachable(store: DirectoryStore, ca: ChainCA) -> None:
    two_versions(store, ca)
    (finding,) = check(store, (EndpointSpec("nowhere.invalid", 443, "example.test"),)).findings
    assert finding.verdict is Verdict.UNREACHABLE
    assert finding.message.startswith("unreachable: nowhere.invalid does not resolve")


def test_an_unreadable_store_is_reported_for_its_endpoints_only(
    store: DirectoryStore, ca: ChainCA, servers: list[TlsServer | Blackhole], tmp_path: Path
) -> None:
    _, new = two_versions(store, ca)
    server = serve(servers, *_chain_and_key(store, NAME, new))
    broken_root = tmp_path / "broken"
    (broken_root / "b" / "versions" / "v1").mkdir(parents=True)
    (broken_root / "b" / "versions" / "v1" / "metadata.json").write_text("{not json")
    (broken_root / "b" / "current").symlink_to("versions/v1")
    good = spec_for(store.root, NAME, DOMAINS, (at(server.port),))
    bad = spec_for(broken_root, "b", DOMAINS, (at(server.port),))
    report = verify([bad, good], StoreRegistry(), settings=FAST)
    assert [f.verdict for f in report.findings] == [Verdict.STORE_ERROR, Verdict.CURRENT]
    assert "unreadable version" in report.findings[0].message
