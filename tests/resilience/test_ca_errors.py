"""Scenario 2: the CA answers rateLimited / serverInternal / permanent problems.

A fault proxy in front of Pebble (tests/rig/faultproxy.py) answers ACME problem
documents for the first N newOrder or finalize requests and forwards the rest.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest
from rig import Challtestsrv, Fault, FaultProxy

from tests.integration.runner import run_cli
from tests.resilience.common import certs, challtestsrv_dns, make_config, versions

pytestmark = [pytest.mark.resilience, pytest.mark.integration]


@pytest.fixture
def proxied(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any, fault_proxy_factory: Any
) -> tuple[FaultProxy, Path]:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    proxy: FaultProxy = fault_proxy_factory(pebble)
    cfg = make_config(
        tmp_path, proxy.directory_url, proxy.ca_bundle, challtestsrv_dns(challtestsrv), certs(3)
    )
    return proxy, cfg


def report(tmp_path: Path) -> dict[str, dict[str, Any]]:
    body = json.loads((tmp_path / "r.json").read_text())
    return {c["name"]: c for c in body["certificates"]}


def test_transient_errors_are_retried_after_the_pause_asked(
    tmp_path: Path, proxied: tuple[FaultProxy, Path]
) -> None:
    proxy, cfg = proxied
    proxy.inject(Fault("newOrder", 2, "rateLimited", 429, retry_after="1"))
    proxy.inject(Fault("finalize", 2, "serverInternal", 500))
    started = time.monotonic()
    result = run_cli("renew", "-c", str(cfg), "--report", str(tmp_path / "r.json"))
    assert result.code == 0, result.output[-3000:]
    assert "3 succeeded, 0 failed" in result.stdout
    orders = proxy.requests_of("newOrder")
    assert [o.faulted for o in orders].count("rateLimited") == 2
    assert len(orders) == 5  # 3 orders + exactly one retry per faulted request: no loop
    assert len(proxy.requests_of("finalize")) == 5
    assert time.monotonic() - started >= 1.0  # Retry-After: 1 was honoured
    for i in range(3):
        assert len(versions(tmp_path / "certs", f"c{i}")) == 1


def test_rate_limit_beyond_the_deadline_fails_that_run_then_the_next_succeeds(
    tmp_path: Path, proxied: tuple[FaultProxy, Path]
) -> None:
    proxy, cfg = proxied
    proxy.inject(Fault("newOrder", 1000, "rateLimited", 429, retry_after="3600"))
    started = time.monotonic()
    args = ("renew", "-c", str(cfg), "--cert-deadline", "20", "--report", str(tmp_path / "r.json"))
    result = run_cli(*args)
    elapsed = time.monotonic() - started
    assert result.code == 1, result.output[-3000:]
    assert "0 succeeded, 3 failed" in result.stdout
    assert elapsed < 15  # a 3600 s Retry-After is not slept through, nor looped on
    assert len(proxy.requests_of("newOrder")) == 3  # one try per certificate
    for entry in report(tmp_path).values():
        assert "rateLimited" in entry["error"] and "next run" in entry["error"]
    proxy.clear()
    again = run_cli(*args)
    assert again.code == 0, again.output[-3000:]
    assert "3 succeeded, 0 failed" in again.stdout


def test_server_errors_past_the_deadline_fail_one_certificate_and_not_the_others(
    tmp_path: Path, proxied: tuple[FaultProxy, Path]
) -> None:
    proxy, cfg = proxied
    # The first certificate's newOrder is retried after 1 s and 2 s; the next pause (4 s)
    # would pass its 4 s deadline, so it fails after 3 tries; the others are unaffected.
    proxy.inject(Fault("newOrder", 3, "serverInternal", 500))
    args = ("renew", "-c", str(cfg), "--cert-deadline", "4", "--concurrency", "1")
    result = run_cli(*args, "--report", str(tmp_path / "r.json"))
    faulted = [o for o in proxy.requests_of("newOrder") if o.faulted]
    gaps = [b.at - a.at for a, b in itertools.pairwise(faulted)]
    assert all(gap >= 0.9 for gap in gaps), gaps  # never a tight loop
    assert result.code == 1, result.output[-3000:]
    assert len(faulted) == 3
    outcomes = sorted(entry["result"] for entry in report(tmp_path).values())
    assert outcomes == ["failed", "succeeded", "succeeded"]
    proxy.clear()
    again = run_cli(*args)
    assert again.code == 0, again.output[-3000:]


@pytest.mark.parametrize("problem", ["rejectedIdentifier", "caa", "unauthorized", "badCSR"])
def test_permanent_errors_are_not_retried_and_are_explained(
    tmp_path: Path, proxied: tuple[FaultProxy, Path], problem: str
) -> None:
    proxy, cfg = proxied
    proxy.inject(Fault("newOrder", 1, problem, 403 if problem != "badCSR" else 400))
    result = run_cli(
        "renew", "-c", str(cfg), "--concurrency", "1", "--report", str(tmp_path / "r.json")
    )
    assert result.code == 1
    assert "2 succeeded, 1 failed" in result.stdout
    (failed,) = [e for e in report(tmp_path).values() if e["result"] == "failed"]
    assert problem in failed["error"] and "not retried:" in failed["error"]
    assert len(proxy.requests_of("newOrder")) == 3  # the refused one was not asked again


def test_new_order_cap_per_run(tmp_path: Path, proxied: tuple[FaultProxy, Path]) -> None:
    proxy, cfg = proxied
    result = run_cli("renew", "-c", str(cfg), "--max-new-orders", "2")
    # Deferred, not failed (issue 12): exit 0 while the certificate is not critical.
    assert result.code == 0, result.output
    assert "2 succeeded, 0 failed, 0 unchanged, 0 planned, 1 deferred." in result.stdout
    deferred = [line for line in result.stdout.splitlines() if line.startswith("deferred")]
    assert (
        len(deferred) == 1
        and "new-order budget of the account at" in deferred[0]
        and "spent: 2 of 2" in deferred[0]
    )
    assert "FAILED" not in result.stdout
    assert len(proxy.requests_of("newOrder")) == 2
    again = run_cli("renew", "-c", str(cfg), "--max-new-orders", "2")
    assert again.code == 0 and "1 succeeded, 0 failed, 2 unchanged" in again.stdout
