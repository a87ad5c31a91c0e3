"""Scenario 1: Pebble rejects half of all nonces; 20 certificates, zero failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rig import Challtestsrv, Fault, FaultProxy

from tests.integration.runner import run_cli
from tests.resilience.common import assert_complete, certs, challtestsrv_dns, make_config

pytestmark = [pytest.mark.resilience, pytest.mark.integration]


def test_twenty_certificates_through_a_bad_nonce_storm(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address, nonce_reject=50)
    cfg = make_config(
        tmp_path, pebble.directory_url, pebble.ca_bundle, challtestsrv_dns(challtestsrv), certs(20)
    )
    result = run_cli(
        "renew", "-c", str(cfg), "--concurrency", "10", env={"RENEWER_LOG_LEVEL": "DEBUG"}
    )
    assert result.code == 0, result.output[-3000:]
    assert "20 succeeded, 0 failed" in result.stdout
    assert "badNonce" in result.stderr  # the storm really happened
    for i in range(20):
        assert_complete(tmp_path / "certs", f"c{i}")


def test_bad_nonce_is_retried_more_than_once_and_never_without_bound(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any, fault_proxy_factory: Any
) -> None:
    """A proxy answers badNonce to newOrder: 5 in a row are ridden out (the acme library
    tries twice), an endless run of them stops after BAD_NONCE_TRIES POSTs per order,
    and the executor starts no more than ORDER_ATTEMPTS orders."""
    from renewer.acme.protocol import BAD_NONCE_TRIES
    from renewer.execute.executor import ORDER_ATTEMPTS

    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    proxy: FaultProxy = fault_proxy_factory(pebble)
    cfg = make_config(
        tmp_path, proxy.directory_url, proxy.ca_bundle, challtestsrv_dns(challtestsrv), certs(1)
    )
    proxy.inject(Fault("newOrder", 5, "badNonce", 400))
    result = run_cli("renew", "-c", str(cfg))
    assert result.code == 0, result.output[-3000:]
    assert [o.faulted for o in proxy.requests_of("newOrder")] == [*["badNonce"] * 5, None]
    assert_complete(tmp_path / "certs", "c0")

    proxy.inject(Fault("newOrder", 10_000, "badNonce", 400))
    cfg = make_config(
        tmp_path, proxy.directory_url, proxy.ca_bundle, challtestsrv_dns(challtestsrv), certs(2)
    )
    before = len(proxy.requests_of("newOrder"))
    again = run_cli("renew", "-c", str(cfg), "--report", str(tmp_path / "r.json"))
    assert again.code == 1, again.output[-3000:]
    assert "0 succeeded, 1 failed, 1 unchanged" in again.stdout, again.stdout
    assert "badNonce" in (tmp_path / "r.json").read_text()
    assert len(proxy.requests_of("newOrder")) - before == ORDER_ATTEMPTS * BAD_NONCE_TRIES
