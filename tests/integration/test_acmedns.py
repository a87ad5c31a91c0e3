"""acme-dns provider: /update against the API stand-in, CNAME delegation through a resolver.

The stand-in (tests/rig/acmedns.py) publishes into BIND's delegated.test;
_acme-challenge.example.test is a CNAME to the registration's fulldomain, and
Pebble resolves through a recursive resolver, as a real CA does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.query
import dns.update
import pytest
from rig import Bind, Resolver
from rig.acmedns import AcmeDnsStandIn, Registration

from renewer.config.types.dns_acmedns import AcmeDnsSettings
from renewer.core.settings import SecretRef
from renewer.dns.contract import DnsError
from renewer.dns.providers.acmedns import AcmeDnsProvider, delegations
from tests.integration.runner import plan_json, run_cli, write_config
from tests.integration.test_renew_e2e import assert_chains_to_pebble, leaf, sans

pytestmark = pytest.mark.integration

NAME = "_acme-challenge.example.test."
VALUES = ["a" * 43, "b" * 43, "c" * 43]


@pytest.fixture
def acme_dns(bind: Bind) -> Iterator[AcmeDnsStandIn]:
    with AcmeDnsStandIn(bind) as server:
        yield server


def delegate(bind: Bind, name: str, target: str) -> None:
    update = dns.update.UpdateMessage("example.test.", keyring=bind.keyring())
    update.replace(name, 60, "CNAME", target.rstrip(".") + ".")
    dns.query.tcp(update, bind.address, port=bind.port, timeout=5)


def provider(
    acme_dns: AcmeDnsStandIn, reg: Registration, monkeypatch: pytest.MonkeyPatch
) -> AcmeDnsProvider:
    monkeypatch.setenv("ACMEDNS_USER", reg.username)
    monkeypatch.setenv("ACMEDNS_KEY", reg.password)
    return AcmeDnsProvider(
        AcmeDnsSettings(
            acme_dns.url,
            SecretRef("ACMEDNS_USER"),
            SecretRef("ACMEDNS_KEY"),
            reg.subdomain,
            reg.fulldomain,
        )
    )


def test_two_newest_values_wrong_name_wrong_key_and_retries(
    acme_dns: AcmeDnsStandIn, bind: Bind, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = acme_dns.register()
    dns_provider = provider(acme_dns, reg, monkeypatch)
    target = reg.fulldomain + "."
    dns_provider.present(target, VALUES[0])
    dns_provider.present(target, VALUES[1])  # apex + wildcard: both kept
    assert bind.txt_values(target) == VALUES[:2]
    acme_dns.fail_next = 2  # two 503s, then through
    dns_provider.present(target, VALUES[2])
    assert bind.txt_values(target) == VALUES[1:]  # the oldest rotated out
    assert [s for _, s in acme_dns.log].count(503) == 2
    dns_provider.cleanup(target, VALUES[2])  # acme-dns has no delete: a no-op
    assert bind.txt_values(target) == VALUES[1:]

    with pytest.raises(DnsError, match=rf"add the CNAME: {NAME} CNAME {target}"):
        dns_provider.present(NAME, VALUES[0])  # the CNAME is missing, so no follow
    other = acme_dns.register()
    monkeypatch.setenv("ACMEDNS_KEY", other.password)
    with pytest.raises(DnsError, match=r"refused \(HTTP 401 forbidden\); set dns.username"):
        dns_provider.present(target, VALUES[0])


def test_delegations_share_the_apex_record() -> None:
    assert delegations(
        "x.auth.example.org", ["example.com", "*.example.com", "www.example.com"]
    ) == [
        "_acme-challenge.example.com. CNAME x.auth.example.org.",
        "_acme-challenge.www.example.com. CNAME x.auth.example.org.",
    ]


def test_apex_and_wildcard_certificate_through_pebble_and_plan_shows_the_cname(
    tmp_path: Path, acme_dns: AcmeDnsStandIn, bind: Bind, resolver: Resolver, pebble_factory: Any
) -> None:
    reg = acme_dns.register()
    pebble = pebble_factory(dns_server=resolver.dns_address)
    body = {
        "acme": {"directory": pebble.directory_url, "ca_bundle": str(pebble.ca_bundle)},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": {
            "type": "acme-dns",
            "api_url": acme_dns.url,
            "username": "env:ACMEDNS_USER",
            "password": "env:ACMEDNS_KEY",
            "subdomain": reg.subdomain,
            "fulldomain": reg.fulldomain,
            "propagation": {
                "nameservers": [bind.dns_address],
                "timeout": "20s",
                "interval": "0.1s",
            },
        },
        "certificates": [{"name": "wild", "domains": ["example.test", "*.example.test"]}],
    }
    cfg = write_config(tmp_path / "certificates.yaml", body)
    env = {"ACMEDNS_USER": reg.username, "ACMEDNS_KEY": reg.password}
    planned = run_cli("plan", "-c", str(cfg), env=env)
    assert planned.code == 0, planned.output
    assert f"note: wild: acme-dns needs {NAME} CNAME {reg.fulldomain}." in planned.stderr
    assert plan_json(cfg, env=env)["certificates"][0]["action"] == "issue"

    delegate(bind, NAME, reg.fulldomain)
    result = run_cli("renew", "-c", str(cfg), "--report", str(tmp_path / "r.json"), env=env)
    assert result.code == 0, result.output
    assert sans(leaf(tmp_path, "wild")) == {"example.test", "*.example.test"}
    assert_chains_to_pebble(tmp_path, "wild", pebble)
    assert json.loads((tmp_path / "r.json").read_text())["certificates"][0]["result"] == (
        "succeeded"
    )
    assert len(bind.txt_values(reg.fulldomain + ".")) == 2
    assert reg.password not in result.output
