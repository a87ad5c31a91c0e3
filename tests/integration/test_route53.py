"""Route 53 provider: boto3 against moto's server mode, records served by a real BIND.

moto is the AWS emulator; tests/rig/route53.py puts a proxy in front that
publishes every accepted change into BIND (what Pebble queries) and injects
Route 53's 400 Throttling answer on demand.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rig import Bind, Zone
from rig.route53 import CREDENTIALS, MotoRoute53, throttling

from renewer.config.types.dns_route53 import Route53Settings
from renewer.dns.contract import DnsError
from renewer.dns.providers.route53 import Route53Provider
from tests.integration.runner import run_cli, write_config
from tests.integration.test_renew_e2e import assert_chains_to_pebble, leaf, sans

pytestmark = pytest.mark.integration

NAME = "_acme-challenge.example.test."
# No shared config/credentials files, no instance metadata service: nothing leaves 127.0.0.1.
ISOLATED = {
    "AWS_CONFIG_FILE": "/nonexistent/renewer-test",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/renewer-test",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {**ISOLATED, **CREDENTIALS}
    for name in ("AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def moto(bind: Bind, aws_env: dict[str, str]) -> Iterator[MotoRoute53]:
    with MotoRoute53(bind, zones=("example.test.", "delegated.test.")) as server:
        yield server


def provider(
    moto: MotoRoute53, hosted_zone_id: str | None = None, **kwargs: Any
) -> Route53Provider:
    settings = Route53Settings(hosted_zone_id, endpoint_url=moto.url, insync_timeout=5)
    return Route53Provider(settings, **kwargs)


def test_apex_and_wildcard_share_the_set_and_a_foreign_value_survives(
    moto: MotoRoute53, bind: Bind
) -> None:
    moto.set_txt(NAME, ["foreign-value"])
    dns = provider(moto)
    dns.present(NAME, "apex-value")
    dns.present(NAME, "wildcard-value")
    dns.present(NAME, "wildcard-value")  # already there: no write
    both = ["apex-value", "foreign-value", "wildcard-value"]
    assert moto.txt(NAME) == both
    assert bind.txt_values(NAME) == both
    assert moto.proxy is not None
    writes = [s for s in moto.proxy.log if s.method == "POST" and "/rrset" in s.path]
    assert len(writes) == 2  # one UPSERT per new value

    dns.cleanup(NAME, "apex-value")
    dns.cleanup(NAME, "wildcard-value")
    dns.cleanup(NAME, "wildcard-value")  # gone already: a no-op
    assert moto.txt(NAME) == ["foreign-value"]
    assert bind.txt_values(NAME) == ["foreign-value"]

    dns.present("_acme-challenge.www.example.test", "only")
    assert bind.txt_values("_acme-challenge.www.example.test.") == ["only"]
    dns.cleanup("_acme-challenge.www.example.test", "only")  # last value: DELETE of the set
    assert moto.txt("_acme-challenge.www.example.test.") == []
    assert bind.txt_values("_acme-challenge.www.example.test.") == []


def test_concurrent_writers_in_one_process_all_land(moto: MotoRoute53, bind: Bind) -> None:
    providers = [provider(moto), provider(moto)]
    values = [f"value-{i:02d}" for i in range(6)]
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
    assert moto.txt(NAME) == values
    assert bind.txt_values(NAME) == values
    run("cleanup")
    assert moto.txt(NAME) == []


def test_zone_by_longest_suffix_and_missing_zone(tmp_path: Path, aws_env: dict[str, str]) -> None:
    zones = (Zone("example.test."), Zone("sub.example.test."))
    with (
        Bind(tmp_path / "bind", zones=zones) as bind,
        MotoRoute53(bind, zones=("example.test.", "sub.example.test.", "other.test.")) as moto,
    ):
        dns = provider(moto, page_size=1)
        zone, zone_id = dns.locate("_acme-challenge.deep.sub.example.test.")
        assert (zone, zone_id) == ("sub.example.test.", moto.zone_ids["sub.example.test."])
        assert dns.locate(NAME)[0] == "example.test."
        assert moto.proxy is not None
        listings = [s for s in moto.proxy.log if s.path.startswith("/2013-04-01/hostedzone?")]
        assert len(listings) == 3  # three zones, one a page: NextMarker followed twice
        dns.present("_acme-challenge.deep.sub.example.test.", "v")
        assert bind.txt_values("_acme-challenge.deep.sub.example.test.") == ["v"]
        with pytest.raises(DnsError, match=r"no public hosted zone holds _acme-challenge\.x\.org"):
            dns.present("_acme-challenge.x.org.", "v")
        pinned = provider(moto, hosted_zone_id="ZNOSUCHZONE")
        with pytest.raises(DnsError, match=r"hosted zone ZNOSUCHZONE not found; fix dns."):
            pinned.present(NAME, "v")


def test_throttling_is_retried(moto: MotoRoute53, bind: Bind) -> None:
    assert moto.proxy is not None
    moto.proxy.inject(throttling(count=2))
    dns = provider(moto)
    dns.present(NAME, "after-throttling")
    assert bind.txt_values(NAME) == ["after-throttling"]
    faulted = moto.proxy.faulted()
    assert [(s.method, s.status) for s in faulted] == [("POST", 400), ("POST", 400)]
    accepted = [s for s in moto.proxy.log if s.method == "POST" and not s.faulted]
    assert len(accepted) == 1 and accepted[0].at > faulted[-1].at

    moto.proxy.inject(throttling(count=50))  # more than botocore's attempts
    impatient = provider(moto, max_attempts=3)
    with pytest.raises(DnsError, match=r"Throttling: Rate exceeded") as failed:
        impatient.cleanup(NAME, "after-throttling")
    assert failed.value.transient
    assert len(moto.proxy.faulted()) == 2 + 3  # three attempts, then the error
    assert bind.txt_values(NAME) == ["after-throttling"]


def test_missing_credentials_name_the_fix(
    moto: MotoRoute53, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(DnsError, match=r"no AWS credentials found; in GitHub Actions set"):
        provider(moto).present(NAME, "v")


def test_apex_and_wildcard_certificate_through_pebble(
    tmp_path: Path, moto: MotoRoute53, bind: Bind, pebble_factory: Any, aws_env: dict[str, str]
) -> None:
    moto.set_txt(NAME, ["foreign-value"])
    pebble = pebble_factory(dns_server=bind.dns_address)
    body = {
        "acme": {"directory": pebble.directory_url, "ca_bundle": str(pebble.ca_bundle)},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": {
            "type": "route53",
            "endpoint_url": moto.url,
            "insync_timeout": "10s",
            "propagation": {
                "nameservers": [bind.dns_address],
                "timeout": "20s",
                "interval": "0.1s",
            },
        },
        "certificates": [{"name": "wild", "domains": ["example.test", "*.example.test"]}],
    }
    cfg = write_config(tmp_path / "certificates.yaml", body)
    result = run_cli("renew", "-c", str(cfg), "--report", str(tmp_path / "r.json"), env=aws_env)
    assert result.code == 0, result.output
    assert sans(leaf(tmp_path, "wild")) == {"example.test", "*.example.test"}
    assert_chains_to_pebble(tmp_path, "wild", pebble)
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["certificates"][0]["result"] == "succeeded"
    assert moto.txt(NAME) == ["foreign-value"]
    assert bind.txt_values(NAME) == ["foreign-value"]


def test_a_value_lost_to_another_writer_is_written_again(moto: MotoRoute53, bind: Bind) -> None:
    # Another process's stale UPSERT lands right after ours: the verify read notices.
    assert moto.proxy is not None and moto.proxy.on_forward is not None
    publish = moto.proxy.on_forward
    clobbered: list[str] = []

    def other_writer(method: str, path: str, status: int) -> None:
        if method == "POST" and "/rrset" in path and status == 200 and not clobbered:
            clobbered.append(path)
            moto.set_txt(NAME, ["other-process-value"])
        publish(method, path, status)

    moto.proxy.on_forward = other_writer
    provider(moto).present(NAME, "our-value")
    writes = [s for s in moto.proxy.log if s.method == "POST" and "/rrset" in s.path]
    assert clobbered and len(writes) == 2
    assert moto.txt(NAME) == ["other-process-value", "our-value"]
    assert bind.txt_values(NAME) == ["other-process-value", "our-value"]
