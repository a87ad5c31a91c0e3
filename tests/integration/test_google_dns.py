"""Google Cloud DNS provider: google-auth + REST against the stand-in, records in BIND.

The service-account file points google-auth at the stand-in's token
endpoint, so the real JWT-bearer sign-in runs; changes are the real
compare-and-swap (deletions must match, else 412 conditionNotMet).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rig import Bind
from rig.google_dns import GoogleDnsStandIn

from renewer.config.types.dns_google import GoogleDnsSettings
from renewer.dns.contract import DnsError
from renewer.dns.providers.google import GoogleDnsProvider
from tests.integration.runner import run_cli, write_config
from tests.integration.test_renew_e2e import assert_chains_to_pebble, leaf, sans

pytestmark = pytest.mark.integration

NAME = "_acme-challenge.example.test."


@pytest.fixture
def gdns(bind: Bind) -> Iterator[GoogleDnsStandIn]:
    with GoogleDnsStandIn(bind) as server:
        yield server


def account_file(tmp_path: Path, gdns: GoogleDnsStandIn, reader: bool = False) -> Path:
    path = tmp_path / ("reader.json" if reader else "renewer.json")
    path.write_text(json.dumps(gdns.account_info(reader)))
    return path


def provider(tmp_path: Path, gdns: GoogleDnsStandIn, **kwargs: Any) -> GoogleDnsProvider:
    reader = kwargs.pop("reader", False)
    settings = GoogleDnsSettings(
        gdns.project,
        endpoint=gdns.endpoint,
        credentials_file=str(account_file(tmp_path, gdns, reader)),
        managed_zone=kwargs.pop("managed_zone", None),
    )
    return GoogleDnsProvider(settings, **kwargs)


def test_single_values_by_compare_and_swap_and_a_foreign_value_survives(
    tmp_path: Path, gdns: GoogleDnsStandIn, bind: Bind
) -> None:
    gdns.put_foreign(NAME, ["foreign-value"])
    dns = provider(tmp_path, gdns)
    dns.present(NAME, "apex-value")
    dns.present(NAME, "wildcard-value")
    dns.present(NAME, "wildcard-value")
    both = ["apex-value", "foreign-value", "wildcard-value"]
    assert gdns.txt(NAME) == both
    assert bind.txt_values(NAME) == both
    dns.cleanup(NAME, "apex-value")
    dns.cleanup(NAME, "wildcard-value")
    assert gdns.txt(NAME) == ["foreign-value"]
    assert bind.txt_values(NAME) == ["foreign-value"]
    zone_pages = [p for m, p, _ in gdns.state.log if p.split("?")[0].endswith("/managedZones")]
    assert len(zone_pages) == 2  # two zones, one a page: nextPageToken followed once
    tokens = [p for m, p, _ in gdns.state.log if p == "/token"]
    assert len(tokens) == 1  # signed in once, the token reused


def test_concurrent_writers_resolve_conflicts(
    tmp_path: Path, gdns: GoogleDnsStandIn, bind: Bind
) -> None:
    providers = [provider(tmp_path, gdns), provider(tmp_path, gdns)]  # two "processes"
    values = [f"value-{i:02d}" for i in range(8)]
    barrier = threading.Barrier(len(values))
    errors: list[BaseException] = []

    def one(op: str, i: int) -> None:
        try:
            barrier.wait(timeout=10)
            getattr(providers[i % 2], op)(NAME, values[i])
        except BaseException as exc:
            errors.append(exc)

    for op in ("present", "cleanup"):
        threads = [threading.Thread(target=one, args=(op, i)) for i in range(len(values))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors
        assert bind.txt_values(NAME) == (values if op == "present" else [])
    conflicts = [s for _, _, s in gdns.state.log if s in (409, 412)]
    assert conflicts, "the writers never collided, so the compare-and-swap went untested"


def test_rate_limit_permission_and_missing_zone(tmp_path: Path, gdns: GoogleDnsStandIn) -> None:
    dns = provider(tmp_path, gdns)
    dns.zones()
    gdns.throttle(2)
    dns.present(NAME, "after-429")
    assert gdns.txt(NAME) == ["after-429"]
    assert [s for _, _, s in gdns.state.log].count(429) == 2
    reader = provider(tmp_path, gdns, reader=True)
    with pytest.raises(DnsError, match=r"permission refused \(HTTP 403 forbidden\); grant"):
        reader.present(NAME, "v")
    with pytest.raises(DnsError, match=r"no public managed zone holds _acme-challenge.x.org"):
        dns.present("_acme-challenge.x.org.", "v")
    pinned = provider(tmp_path, gdns, managed_zone="nope")
    with pytest.raises(DnsError, match=r"not found .*check dns.project and dns.managed_zone"):
        pinned.present(NAME, "v")


def test_apex_and_wildcard_certificate_through_pebble(
    tmp_path: Path, gdns: GoogleDnsStandIn, bind: Bind, pebble_factory: Any
) -> None:
    gdns.put_foreign(NAME, ["foreign-value"])
    pebble = pebble_factory(dns_server=bind.dns_address)
    credentials = account_file(tmp_path, gdns)
    body = {
        "acme": {"directory": pebble.directory_url, "ca_bundle": str(pebble.ca_bundle)},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": {
            "type": "google",
            "project": gdns.project,
            "endpoint": gdns.endpoint,
            "propagation": {
                "nameservers": [bind.dns_address],
                "timeout": "20s",
                "interval": "0.1s",
            },
        },
        "certificates": [{"name": "wild", "domains": ["example.test", "*.example.test"]}],
    }
    cfg = write_config(tmp_path / "certificates.yaml", body)
    env = {"GOOGLE_APPLICATION_CREDENTIALS": str(credentials), "NO_GCE_CHECK": "True"}
    result = run_cli("renew", "-c", str(cfg), "--report", str(tmp_path / "r.json"), env=env)
    assert result.code == 0, result.output
    assert sans(leaf(tmp_path, "wild")) == {"example.test", "*.example.test"}
    assert_chains_to_pebble(tmp_path, "wild", pebble)
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["certificates"][0]["result"] == "succeeded"
    assert bind.txt_values(NAME) == ["foreign-value"]
