"""A struggling CA is visible: transient problems that were retried reach the report.

A fault proxy in front of Pebble answers 500 ``serverInternal`` (what step-ca
answers under concurrent orders: "Transaction Conflict") to the first newOrder
and finalize posts. renewer retries them and the certificate succeeds; the
JSON report, the Markdown summary and a warning line say the CA struggled, for
the certificate it struggled with only. Counted through the ACME client's
hook, so the counts match what the proxy faulted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from rig import Challtestsrv, Fault, FaultProxy

from tests.integration.runner import REPO, run_cli
from tests.resilience.common import certs, challtestsrv_dns, make_config

pytestmark = [pytest.mark.resilience, pytest.mark.integration]

SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text())
SAID = "the CA answered serverInternal 3 times; retried"


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


def _report(path: Path) -> dict[str, dict[str, Any]]:
    body = json.loads(path.read_text())
    jsonschema.validate(body, SCHEMA)
    return {c["name"]: c for c in body["certificates"]}


def test_retried_server_errors_are_reported_for_the_certificate_that_met_them(
    tmp_path: Path, proxied: tuple[FaultProxy, Path]
) -> None:
    proxy, cfg = proxied
    proxy.inject(Fault("newOrder", 2, "serverInternal", 500))
    proxy.inject(Fault("finalize", 1, "serverInternal", 500))
    report, summary = tmp_path / "r.json", tmp_path / "s.md"
    result = run_cli(
        "renew", "-c", str(cfg), "--concurrency", "1",
        "--report", str(report), "--summary", str(summary),
    )  # fmt: skip
    assert result.code == 0, result.output[-3000:]
    assert "3 succeeded, 0 failed" in result.stdout
    faulted = [r for k in ("newOrder", "finalize") for r in proxy.requests_of(k) if r.faulted]
    assert len(faulted) == 3

    # One at a time, in config order: the first certificate met all three.
    entries = _report(report)
    assert entries["c0"]["result"] == "succeeded"
    assert entries["c0"]["ca_retried"] == {"serverInternal": 3}
    assert "ca_retried" not in entries["c1"] and "ca_retried" not in entries["c2"]

    assert f"warning: c0: {SAID}" in result.stderr
    assert "c1: the CA answered" not in result.stderr

    markdown = summary.read_text()
    # The CA's codes and the names pass through the one escape function (code spans).
    said = "answered `serverInternal` 3 times; retried"
    assert f"⚠️ **The CA struggled:** it {said} (for 1 certificate: `c0`)" in markdown
    (row,) = [line for line in markdown.splitlines() if line.startswith("| `c0` |")]
    assert "✅ serial" in row and f"⚠️ the CA {said}" in row
    others = [line for line in markdown.splitlines() if line.startswith(("| `c1`", "| `c2`"))]
    assert len(others) == 2 and "answered" not in "".join(others)


def test_a_certificate_that_failed_still_says_how_often_the_ca_was_retried(
    tmp_path: Path, proxied: tuple[FaultProxy, Path]
) -> None:
    proxy, cfg = proxied
    # Tried at once, after 1 s and after 2 s; a 4 s pause would pass the 4 s deadline:
    # the third answer ends the attempt, the first two were retried.
    proxy.inject(Fault("newOrder", 3, "serverInternal", 500))
    report = tmp_path / "r.json"
    result = run_cli(
        "renew", "-c", str(cfg), "--cert-deadline", "4", "--concurrency", "1",
        "--report", str(report),
    )  # fmt: skip
    assert result.code == 1, result.output[-3000:]
    entries = _report(report)
    (failed,) = [e for e in entries.values() if e["result"] == "failed"]
    assert "serverInternal" in failed["error"]
    assert failed["ca_retried"] == {"serverInternal": 2}
    assert f"warning: {failed['name']}: the CA answered serverInternal 2 times" in result.stderr
    assert sum("ca_retried" in e for e in entries.values()) == 1
