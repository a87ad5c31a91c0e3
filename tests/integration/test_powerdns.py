"""PowerDNS provider against a real pdns_server (gsqlite3): API writes, DNS answers, Pebble.

No stand-in: the API the provider writes to is the server Pebble's VA queries.
Rate limits are injected by tests/rig/httpfault.py in front of the real API.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from rig import HttpFault, HttpFaultProxy, PowerDns

from renewer.config.types.dns_powerdns import PowerDnsSettings
from renewer.core.settings import SecretRef
from renewer.dns.contract import DnsError
from renewer.dns.providers.powerdns import PowerDnsProvider
from renewer.dns.providers.txt import quote_txt, unquote_txt
from tests.integration.runner import run_cli, write_config
from tests.integration.test_renew_e2e import assert_chains_to_pebble, leaf, sans

pytestmark = pytest.mark.integration

NAME = "_acme-challenge.example.test."
KEY_ENV = "RENEWER_TEST_PDNS_KEY"


@pytest.fixture
def key(powerdns: PowerDns, monkeypatch: pytest.MonkeyPatch) -> SecretRef:
    monkeypatch.setenv(KEY_ENV, powerdns.api_key)
    return SecretRef(KEY_ENV)


def test_txt_quoting_round_trips() -> None:
    for value in ["plain", 'with "quotes"', "back\\slash", ""]:
        assert unquote_txt(quote_txt(value)) == value
    assert unquote_txt('"abc" "def"') == "abcdef"  # several character-strings join


def test_apex_and_wildcard_share_the_set_and_a_foreign_value_survives(
    powerdns: PowerDns, key: SecretRef
) -> None:
    powerdns.set_txt(NAME, ["foreign-value"])
    dns = PowerDnsProvider(PowerDnsSettings(powerdns.api_url, key))
    assert dns.describe() == f"powerdns {powerdns.api_url}"
    dns.present(NAME, "apex-value")
    dns.present(NAME, "wildcard-value")
    dns.present(NAME, "wildcard-value")  # already there: no second copy
    both = ["apex-value", "foreign-value", "wildcard-value"]
    assert powerdns.api_txt(NAME) == both
    assert powerdns.txt_values(NAME) == both  # what Pebble will see

    dns.cleanup(NAME, "apex-value")
    assert powerdns.txt_values(NAME) == ["foreign-value", "wildcard-value"]
    dns.cleanup(NAME, "wildcard-value")
    dns.cleanup(NAME, "wildcard-value")  # gone already: a no-op
    assert powerdns.api_txt(NAME) == ["foreign-value"]
    assert powerdns.txt_values(NAME) == ["foreign-value"]

    # our own last value removed: the set is deleted, not left empty
    dns.present("_acme-challenge.www.example.test", "only")
    dns.cleanup("_acme-challenge.www.example.test", "only")
    assert powerdns.api_txt("_acme-challenge.www.example.test.") == []


def test_concurrent_writers_in_one_process_all_land(powerdns: PowerDns, key: SecretRef) -> None:
    providers = [PowerDnsProvider(PowerDnsSettings(powerdns.api_url, key)) for _ in range(2)]
    values = [f"value-{i:02d}" for i in range(8)]
    barrier = threading.Barrier(len(values))
    errors: list[BaseException] = []

    def run(op: str) -> None:
        def one(i: int) -> None:
            try:
                barrier.wait(timeout=10)
                getattr(providers[i % 2], op)(NAME, values[i])
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(values))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors

    run("present")
    assert powerdns.txt_values(NAME) == values
    run("cleanup")
    assert powerdns.api_txt(NAME) == []


def test_longest_suffix_zone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with PowerDns(tmp_path / "pdns", zones=("example.test.", "sub.example.test.")) as server:
        monkeypatch.setenv(KEY_ENV, server.api_key)
        dns = PowerDnsProvider(PowerDnsSettings(server.api_url, SecretRef(KEY_ENV)))
        assert dns.locate("_acme-challenge.sub.example.test")[0] == "sub.example.test."
        assert dns.locate("_acme-challenge.example.test")[0] == "example.test."
        dns.present("_acme-challenge.deep.sub.example.test.", "v")
        assert server.txt_values("_acme-challenge.deep.sub.example.test.") == ["v"]
        with pytest.raises(
            DnsError, match=r"no zone on server localhost holds _acme-challenge\.other\.test\."
        ):
            dns.present("_acme-challenge.other.test.", "v")


def test_rate_limit_and_server_errors_are_retried(powerdns: PowerDns, key: SecretRef) -> None:
    with HttpFaultProxy(powerdns.api_url) as proxy:
        proxy.inject(HttpFault(count=1, status=429, method="GET", headers={"Retry-After": "1"}))
        proxy.inject(HttpFault(count=2, status=503, method="PATCH", body=b"busy"))
        dns = PowerDnsProvider(PowerDnsSettings(proxy.url, key))
        dns.present(NAME, "through-the-limit")
        assert powerdns.txt_values(NAME) == ["through-the-limit"]
        faulted = proxy.faulted()
        assert [(s.method, s.status) for s in faulted] == [
            ("GET", 429),
            ("PATCH", 503),
            ("PATCH", 503),
        ]
        after_429 = next(s for s in proxy.log if not s.faulted)
        assert after_429.at - faulted[0].at >= 0.95  # Retry-After: 1 was honoured

        proxy.inject(HttpFault(count=10, status=503, method="PATCH"))
        with pytest.raises(DnsError, match=r"HTTP 503") as failed:
            dns.cleanup(NAME, "through-the-limit")
        assert failed.value.transient
        assert powerdns.txt_values(NAME) == ["through-the-limit"]  # nothing half-written


def test_wrong_key_and_missing_zone_name_the_fix(
    powerdns: PowerDns, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "not-the-key-at-all")
    dns = PowerDnsProvider(PowerDnsSettings(powerdns.api_url, SecretRef(KEY_ENV)))
    with pytest.raises(DnsError, match=r"rejected the key \(HTTP 401\); set dns.api_key") as bad:
        dns.present(NAME, "v")
    assert "not-the-key-at-all" not in str(bad.value)
    monkeypatch.setenv(KEY_ENV, powerdns.api_key)
    pinned = PowerDnsProvider(
        PowerDnsSettings(powerdns.api_url, SecretRef(KEY_ENV), zone="missing.test")
    )
    with pytest.raises(DnsError, match=r"zone missing\.test\. not found on server localhost"):
        pinned.present("_acme-challenge.missing.test.", "v")


def test_apex_and_wildcard_certificate_through_pebble(
    tmp_path: Path, powerdns: PowerDns, pebble_factory: Any
) -> None:
    powerdns.set_txt(NAME, ["foreign-value"])
    pebble = pebble_factory(dns_server=powerdns.dns_address)
    body = {
        "acme": {"directory": pebble.directory_url, "ca_bundle": str(pebble.ca_bundle)},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": {
            "type": "powerdns",
            "api_url": powerdns.api_url,
            "api_key": f"env:{KEY_ENV}",
            "propagation": {
                "nameservers": [powerdns.dns_address],
                "timeout": "20s",
                "interval": "0.1s",
            },
        },
        "certificates": [{"name": "wild", "domains": ["example.test", "*.example.test"]}],
    }
    cfg = write_config(tmp_path / "certificates.yaml", body)
    env = {KEY_ENV: powerdns.api_key, "RENEWER_LOG_LEVEL": "DEBUG"}  # the key stays masked
    checked = run_cli("validate", "-c", str(cfg), env=env)
    assert checked.code == 0, checked.output
    result = run_cli("renew", "-c", str(cfg), "--report", str(tmp_path / "r.json"), env=env)
    assert result.code == 0, result.output
    assert sans(leaf(tmp_path, "wild")) == {"example.test", "*.example.test"}
    assert_chains_to_pebble(tmp_path, "wild", pebble)
    assert json.loads((tmp_path / "r.json").read_text())["certificates"][0]["result"] == (
        "succeeded"
    )
    assert powerdns.txt_values(NAME) == ["foreign-value"]  # ours gone, the foreign one kept
    assert powerdns.api_key not in result.output


def test_validate_reports_a_missing_key_setting(tmp_path: Path) -> None:
    cfg = tmp_path / "certificates.yaml"
    cfg.write_text(
        "acme: {directory: letsencrypt-staging}\n"
        "store: {type: directory}\n"
        "dns:\n"
        "  type: powerdns\n"
        "  api_url: http://127.0.0.1:1\n"
        "certificates: [{name: a, domains: [a.example.com]}]\n"
    )
    result = run_cli("validate", "-c", str(cfg))
    assert result.code != 0
    expected = f"{cfg}:4:3: dns: missing required key 'api_key' for dns type 'powerdns'"
    assert expected in result.output, result.output


def test_a_value_lost_to_another_writer_is_written_again(
    powerdns: PowerDns, key: SecretRef
) -> None:
    # Another process's stale REPLACE lands right after ours (before we see our answer):
    # the verify read notices our value is gone and the change is redone from a fresh read.
    clobbered: list[int] = []

    def other_writer(method: str, path: str, status: int) -> None:
        if method == "PATCH" and status == 204 and not clobbered:
            clobbered.append(status)
            powerdns.set_txt(NAME, ["other-process-value"])

    with HttpFaultProxy(powerdns.api_url, on_forward=other_writer) as proxy:
        PowerDnsProvider(PowerDnsSettings(proxy.url, key)).present(NAME, "our-value")
        patches = [s for s in proxy.log if s.method == "PATCH"]
    assert clobbered and len(patches) == 2
    assert powerdns.txt_values(NAME) == ["other-process-value", "our-value"]
