"""One CA session per account per run: shared connections and nonces.

A counting proxy in front of Pebble (tests/rig/faultproxy.py) sees every TLS
connection and every HEAD newNonce. Before, each order opened its own
connection and asked its own newNonce; now the orders of one account share a
kept-alive pool and a nonce pool, so both counts are bounded by how many
requests are in flight at once, not by how many orders there are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rig import Challtestsrv, FaultProxy

from tests.integration.runner import run_cli
from tests.resilience.common import assert_complete, certs, challtestsrv_dns, make_config

pytestmark = [pytest.mark.resilience, pytest.mark.integration]


def _run(
    tmp_path: Path,
    challtestsrv: Challtestsrv,
    pebble_factory: Any,
    fault_proxy_factory: Any,
    concurrency: int,
    nonce_reject: int = 0,
) -> tuple[FaultProxy, Any]:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address, nonce_reject=nonce_reject)
    proxy: FaultProxy = fault_proxy_factory(pebble)
    cfg = make_config(
        tmp_path, proxy.directory_url, proxy.ca_bundle, challtestsrv_dns(challtestsrv), certs(10)
    )
    result = run_cli(
        "renew",
        "-c",
        str(cfg),
        "--concurrency",
        str(concurrency),
        env={"RENEWER_LOG_LEVEL": "DEBUG"},
    )
    assert result.code == 0, result.output[-3000:]
    assert "10 succeeded, 0 failed" in result.stdout
    for i in range(10):
        assert_complete(tmp_path / "certs", f"c{i}")
    return proxy, result


def test_ten_orders_of_one_account_share_connections_and_nonces(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any, fault_proxy_factory: Any
) -> None:
    proxy, result = _run(tmp_path, challtestsrv, pebble_factory, fault_proxy_factory, 2)
    posts = [r for r in proxy.requests_of("other") if r.method == "POST"]
    assert len(posts) >= 10 * 5  # the orders really went through the proxy
    # Two orders in flight: at most a connection each, plus the directory's.
    assert proxy.connections <= 3, proxy.connections
    # The directory's nonce and every answer's feed the next request.
    assert len(proxy.requests_of("newNonce")) <= 2
    # Pebble rejects a nonce used twice; none was.
    assert "badNonce" not in result.stderr


def test_concurrent_orders_never_reuse_a_nonce(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any, fault_proxy_factory: Any
) -> None:
    proxy, result = _run(tmp_path, challtestsrv, pebble_factory, fault_proxy_factory, 10)
    assert "badNonce" not in result.stderr  # Pebble answers badNonce to a reused nonce
    assert proxy.connections <= 11, proxy.connections
    assert len(proxy.requests_of("newNonce")) <= 10


def test_rejected_nonces_are_replaced_from_the_error_answers(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any, fault_proxy_factory: Any
) -> None:
    proxy, result = _run(
        tmp_path, challtestsrv, pebble_factory, fault_proxy_factory, 10, nonce_reject=30
    )
    assert "badNonce" in result.stderr  # the CA really rejected some
    # A badNonce answer carries the next nonce: no HEAD per rejection.
    assert len(proxy.requests_of("newNonce")) <= 10


def test_the_pinned_tls_context_still_verifies_and_checks_no_files_per_request(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from rig import make_tls_material

    from renewer.acme.failures import AcmeFailure, CaDown
    from renewer.acme.session import CaSession
    from renewer.acme.transport import CaHealth, send
    from renewer.core.retry import Deadline

    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    url = pebble.directory_url
    trusted = CaSession(url, pebble.ca_bundle)
    assert trusted.request("GET", url, (5, 10)).status_code == 200
    checks: list[str] = []
    for name in ("exists", "isdir", "isfile"):
        real = getattr(os.path, name)
        monkeypatch.setattr(
            os.path, name, lambda p, _real=real, _n=name: checks.append(_n) or _real(p)
        )
    for _ in range(5):
        assert trusted.request("GET", url, (5, 10)).status_code == 200
    assert checks == []  # no CA-bundle path checks per request
    monkeypatch.undo()
    other = make_tls_material(tmp_path / "other")
    stranger = CaSession(url, other.root)
    health = CaHealth()
    with pytest.raises(AcmeFailure) as refused:
        send(health, url, Deadline.after(10), None, lambda t: stranger.request("GET", url, t))
    assert not isinstance(refused.value, CaDown) and not health.down(url)  # configuration
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value), refused.value
