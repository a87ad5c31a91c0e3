"""A CA whose renewal-info endpoint is slow: advice never costs an order (issue 17).

Right after issuance renewer asks the CA for the new certificate's window
(RFC 9773 4.3) with a short deadline. Here a proxy in front of Pebble holds
every renewalInfo GET for 5 s: each question gives up after 3 s, the
certificates are issued and stored without a remembered window, and the CA is
not marked down, so the run's later orders (one at a time here) still go
through. The next plan, with its longer deadline for renewal info, gets the
answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rig import Challtestsrv, FaultProxy

from tests.integration.runner import run_cli
from tests.resilience.common import assert_complete, certs, challtestsrv_dns, make_config

pytestmark = [pytest.mark.resilience, pytest.mark.integration]


def test_a_slow_renewal_info_answer_fails_only_the_advice(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any, fault_proxy_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    proxy: FaultProxy = fault_proxy_factory(pebble)
    proxy.delay("renewalInfo", 5.0)
    cfg = make_config(
        tmp_path, proxy.directory_url, proxy.ca_bundle, challtestsrv_dns(challtestsrv), certs(3)
    )
    result = run_cli("-v", "renew", "-c", str(cfg), "--concurrency", "1")
    assert result.code == 0, result.output[-3000:]
    assert "3 succeeded, 0 failed" in result.stdout
    assert "not answering" not in result.output
    assert result.stderr.count("renewal info not fetched after issuance") == 3
    assert len(proxy.requests_of("renewalInfo")) == 3
    for i in range(3):
        assert_complete(tmp_path / "certs", f"c{i}")
        meta = json.loads((tmp_path / "certs" / f"c{i}" / "current" / "metadata.json").read_text())
        assert "renewal_info" not in meta  # nothing remembered: the next run asks

    plan = run_cli("plan", "-c", str(cfg), "--format", "json")
    assert plan.code == 0, plan.output[-3000:]
    assert all("ARI window" in c["reason"] for c in json.loads(plan.stdout)["certificates"])
    assert len(proxy.requests_of("renewalInfo")) == 6
