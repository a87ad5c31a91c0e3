"""Scenario 4: an authoritative server down, silent (slow), answering SERVFAIL, or
never showing the value: that certificate fails cleanly at its propagation
deadline, its TXT value is cleaned up, and the other certificates are issued."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rig import Challtestsrv, free_port

from tests.integration.runner import run_cli
from tests.resilience.common import challtestsrv_dns, journal_entries, make_config, txt_values

pytestmark = [pytest.mark.resilience, pytest.mark.integration]

DEADLINE = 3.0


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A UDP and TCP port that accept queries and never answer (a hung server)."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    port = udp.getsockname()[1]
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", port))
    tcp.listen(16)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        udp.close()
        tcp.close()


def test_dns_faults_fail_one_certificate_each_and_clean_up(
    tmp_path: Path,
    challtestsrv: Challtestsrv,
    pebble_factory: Any,
    silent_server: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    with Challtestsrv(tmp_path_factory.mktemp("elsewhere")) as elsewhere:
        timeout = {"timeout": f"{DEADLINE:g}s"}

        def checked_at(*servers: str) -> dict[str, Any]:
            dns = challtestsrv_dns(challtestsrv, **timeout)
            dns["propagation"]["nameservers"] = list(servers)
            return dns

        certificates = [
            {"name": "ok0", "domains": ["ok0.example.test"]},
            {
                "name": "down",
                "domains": ["down.example.test"],
                "dns": checked_at(challtestsrv.dns_address, f"127.0.0.1:{free_port()}"),
            },
            {"name": "slow", "domains": ["slow.example.test"], "dns": checked_at(silent_server)},
            {
                "name": "servfail",
                "domains": ["servfail.example.test"],
                "dns": challtestsrv_dns(challtestsrv, **timeout),
            },
            {
                "name": "never",
                "domains": ["never.example.test"],
                "dns": checked_at(elsewhere.dns_address),
            },
            {"name": "ok1", "domains": ["ok1.example.test"]},
        ]
        cfg = make_config(
            tmp_path,
            pebble.directory_url,
            pebble.ca_bundle,
            challtestsrv_dns(challtestsrv),
            certificates,
        )
        challtestsrv.set_servfail("_acme-challenge.servfail.example.test")
        started = time.monotonic()
        result = run_cli("renew", "-c", str(cfg), "--report", str(tmp_path / "r.json"))
        elapsed = time.monotonic() - started
    assert result.code == 1, result.output[-3000:]
    body = json.loads((tmp_path / "r.json").read_text())
    outcome = {c["name"]: c for c in body["certificates"]}
    assert {n for n, c in outcome.items() if c["result"] == "succeeded"} == {"ok0", "ok1"}
    for name in ("down", "slow", "servfail", "never"):
        assert outcome[name]["result"] == "failed"
        assert "not visible" in outcome[name]["error"], outcome[name]["error"]
        assert f"after {DEADLINE:g}s" in outcome[name]["error"]
    assert elapsed < DEADLINE + 15  # failures at the deadline, in parallel
    challtestsrv.clear_servfail("_acme-challenge.servfail.example.test")
    for name in outcome:
        assert txt_values(challtestsrv, f"_acme-challenge.{name}.example.test") == []
    assert journal_entries(tmp_path / "certs") == []
