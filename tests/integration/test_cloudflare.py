"""Cloudflare provider: the official SDK against the API stand-in, records served by BIND.

tests/rig/cloudflare.py models the v4 API (envelope, pagination, 81058,
10000, 429 + Retry-After) from Cloudflare's API reference; the SDK in front
is the real one, and Pebble validates against the BIND the stand-in publishes to.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rig import Bind
from rig.cloudflare import CloudflareStandIn

from renewer.config.types.dns_cloudflare import CloudflareSettings
from renewer.core.settings import SecretRef
from renewer.dns.contract import DnsError
from renewer.dns.providers.cloudflare import CloudflareProvider
from tests.integration.runner import run_cli, write_config
from tests.integration.test_renew_e2e import assert_chains_to_pebble, leaf, sans

pytestmark = pytest.mark.integration

NAME = "_acme-challenge.example.test."
TOKEN_ENV = "RENEWER_TEST_CF_TOKEN"


@pytest.fixture
def cf(bind: Bind) -> Iterator[CloudflareStandIn]:
    zones = ("example.test", "delegated.test", *(f"z{i:02d}.test" for i in range(60)))
    with CloudflareStandIn(bind, zones=zones) as server:  # 62 zones: two pages of 50
        yield server


def provider(cf: CloudflareStandIn, monkeypatch: pytest.MonkeyPatch, token: str = "") -> Any:
    monkeypatch.setenv(TOKEN_ENV, token or cf.token)
    return CloudflareProvider(
        CloudflareSettings(SecretRef(TOKEN_ENV), base_url=cf.base_url), max_retries=3
    )


def test_single_values_and_a_foreign_value_survives(
    cf: CloudflareStandIn, bind: Bind, monkeypatch: pytest.MonkeyPatch
) -> None:
    cf.add_foreign(NAME, "foreign-value")
    dns = provider(cf, monkeypatch)
    dns.present(NAME, "apex-value")
    dns.present(NAME, "wildcard-value")
    dns.present(NAME, "wildcard-value")  # identical record (81058): done already
    both = ["apex-value", "foreign-value", "wildcard-value"]
    assert cf.txt(NAME) == both
    assert bind.txt_values(NAME) == both
    assert cf.count("POST", 400) == 1  # the 81058 answer
    dns.cleanup(NAME, "apex-value")
    dns.cleanup(NAME, "wildcard-value")
    dns.cleanup(NAME, "wildcard-value")
    assert cf.txt(NAME) == ["foreign-value"]
    assert bind.txt_values(NAME) == ["foreign-value"]
    zone_pages = [
        p for m, p, _ in cf.state.log if m == "GET" and p.split("?")[0].endswith("/zones")
    ]
    # 62 zones at 50 a page, listed once; the SDK stops at the first empty page
    assert len(zone_pages) == 3 and zone_pages[1].endswith("page=2")


def test_concurrent_writers_all_land(
    cf: CloudflareStandIn, bind: Bind, monkeypatch: pytest.MonkeyPatch
) -> None:
    dns = provider(cf, monkeypatch)
    values = [f"value-{i:02d}" for i in range(8)]
    barrier = threading.Barrier(len(values))
    errors: list[BaseException] = []

    def one(op: str, value: str) -> None:
        try:
            barrier.wait(timeout=10)
            getattr(dns, op)(NAME, value)
        except BaseException as exc:
            errors.append(exc)

    for op in ("present", "cleanup"):
        threads = [threading.Thread(target=one, args=(op, v)) for v in values]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors
        assert bind.txt_values(NAME) == (values if op == "present" else [])


def test_rate_limit_is_retried_after_retry_after(
    cf: CloudflareStandIn, bind: Bind, monkeypatch: pytest.MonkeyPatch
) -> None:
    dns = provider(cf, monkeypatch)
    dns.zones()
    cf.throttle(2, retry_after="1")
    dns.present(NAME, "after-429")
    assert bind.txt_values(NAME) == ["after-429"]
    statuses = [s for _, _, s in cf.state.log]
    first = statuses.index(429)
    assert statuses[first : first + 3] == [429, 429, 200]
    gaps = [cf.state.times[first + i + 1] - cf.state.times[first + i] for i in range(2)]
    assert min(gaps) >= 0.9, gaps  # Retry-After: 1 honoured before each retry
    cf.throttle(20)
    with pytest.raises(DnsError, match=r"HTTP 429") as failed:
        dns.cleanup(NAME, "after-429")
    assert failed.value.transient
    assert bind.txt_values(NAME) == ["after-429"]


def test_wrong_token_read_only_token_and_missing_zone(
    cf: CloudflareStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = provider(cf, monkeypatch, token="not-a-real-token-value")
    with pytest.raises(
        DnsError, match=r"refused \(HTTP 403, codes \[10000\]\); check dns.api_token"
    ):
        bad.present(NAME, "v")
    read_only = provider(cf, monkeypatch, token=cf.read_token)
    with pytest.raises(DnsError, match=r"refused zone example.test .*DNS:Edit") as refused:
        read_only.present(NAME, "v")
    assert cf.read_token not in str(refused.value)
    with pytest.raises(DnsError, match=r"sees no a zone holding _acme-challenge.other.org"):
        provider(cf, monkeypatch).present("_acme-challenge.other.org.", "v")


def test_apex_and_wildcard_certificate_through_pebble(
    tmp_path: Path, cf: CloudflareStandIn, bind: Bind, pebble_factory: Any
) -> None:
    cf.add_foreign(NAME, "foreign-value")
    pebble = pebble_factory(dns_server=bind.dns_address)
    body = {
        "acme": {"directory": pebble.directory_url, "ca_bundle": str(pebble.ca_bundle)},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": {
            "type": "cloudflare",
            "api_token": f"env:{TOKEN_ENV}",
            "base_url": cf.base_url,
            "propagation": {
                "nameservers": [bind.dns_address],
                "timeout": "20s",
                "interval": "0.1s",
            },
        },
        "certificates": [{"name": "wild", "domains": ["example.test", "*.example.test"]}],
    }
    cfg = write_config(tmp_path / "certificates.yaml", body)
    env = {TOKEN_ENV: cf.token, "RENEWER_LOG_LEVEL": "DEBUG"}  # the token stays masked
    result = run_cli("renew", "-c", str(cfg), "--report", str(tmp_path / "r.json"), env=env)
    assert result.code == 0, result.output
    assert sans(leaf(tmp_path, "wild")) == {"example.test", "*.example.test"}
    assert_chains_to_pebble(tmp_path, "wild", pebble)
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["certificates"][0]["result"] == "succeeded"
    assert bind.txt_values(NAME) == ["foreign-value"]
    assert cf.token not in result.output
