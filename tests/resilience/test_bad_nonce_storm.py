"""Scenario 1: Pebble rejects half of all nonces; 20 certificates, zero failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rig import Challtestsrv

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
