"""End to end on the real rig: Pebble issues, BIND / challtestsrv serve DNS-01.

Each test runs the real CLI against real servers started for it.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from rig import Bind, Challtestsrv, Pebble

from tests.integration.runner import actions, plan_json, run_cli, write_config

pytestmark = pytest.mark.integration

EAB_HMAC = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"
PROPAGATION = {"timeout": "20s", "interval": "0.1s"}


def challtestsrv_dns(server: Challtestsrv) -> dict[str, Any]:
    return {
        "type": "challtestsrv",
        "url": server.management_url,
        "propagation": {"nameservers": [server.dns_address], **PROPAGATION},
    }


def bind_dns(server: Bind) -> dict[str, Any]:
    return {
        "type": "rfc2136",
        "nameserver": server.dns_address,
        "tsig": {"name": server.key_name, "secret": "env:TSIG_SECRET", "algorithm": "hmac-sha256"},
        "propagation": {"nameservers": [server.dns_address], **PROPAGATION},
    }


def config(
    tmp_path: Path,
    pebble: Pebble,
    dns: dict[str, Any],
    certs: list[dict[str, Any]],
    **acme: Any,
) -> Path:
    body = {
        "acme": {"directory": pebble.directory_url, "ca_bundle": str(pebble.ca_bundle), **acme},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": dns,
        "certificates": certs,
    }
    return write_config(tmp_path / "certificates.yaml", body)


def leaf(tmp_path: Path, name: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((tmp_path / "certs" / name / "cert.pem").read_bytes())


def sans(cert: x509.Certificate) -> set[str]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return set(ext.value.get_values_for_type(x509.DNSName))


def assert_chains_to_pebble(tmp_path: Path, name: str, pebble: Pebble) -> None:
    chain = x509.load_pem_x509_certificates(
        (tmp_path / "certs" / name / "fullchain.pem").read_bytes()
    )
    roots = [x509.load_pem_x509_certificate(p.encode()) for p in pebble.roots_pem()]
    for child, parent in itertools.pairwise(chain):
        child.verify_directly_issued_by(parent)
    root = next((r for r in roots if r.subject == chain[-1].issuer), None)
    assert root is not None, "chain does not end at a Pebble root"
    chain[-1].verify_directly_issued_by(root)


def test_apex_and_wildcard_through_bind_then_noop(
    tmp_path: Path, bind: Bind, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=bind.dns_address)
    cfg = config(
        tmp_path,
        pebble,
        bind_dns(bind),
        [
            {"name": "wild-example-test", "domains": ["example.test", "*.example.test"]},
        ],
    )
    env = {"TSIG_SECRET": bind.secret}
    first = run_cli("renew", "-c", str(cfg), "--report", str(tmp_path / "r.json"), env=env)
    assert first.code == 0, first.output
    assert sans(leaf(tmp_path, "wild-example-test")) == {"example.test", "*.example.test"}
    assert_chains_to_pebble(tmp_path, "wild-example-test", pebble)
    assert bind.txt_values("_acme-challenge.example.test.") == []  # both values cleaned up
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["certificates"][0]["result"] == "succeeded"
    assert bind.secret not in first.output

    second = plan_json(cfg, env=env)
    assert actions(second) == {"wild-example-test": "skip"}
    again = run_cli("renew", "-c", str(cfg), env=env)
    assert again.code == 0 and "0 succeeded, 0 failed, 1 unchanged" in again.stdout


def test_many_certificates_concurrently_sharing_names(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    certs = [
        {"name": f"c{i}", "domains": [f"c{i}.example.test", "shared.example.test"]}
        for i in range(8)
    ]
    cfg = config(tmp_path, pebble, challtestsrv_dns(challtestsrv), certs)
    result = run_cli("renew", "-c", str(cfg), "--concurrency", "8")
    assert result.code == 0, result.output
    assert "8 succeeded, 0 failed" in result.stdout
    serials = {leaf(tmp_path, f"c{i}").serial_number for i in range(8)}
    assert len(serials) == 8
    accounts = list((tmp_path / "certs" / "_accounts").iterdir())
    assert len(accounts) == 1  # one account for the CA, reused by every order


def test_wrong_txt_fails_only_that_certificate(
    tmp_path: Path, challtestsrv: Challtestsrv, bind: Bind, pebble_factory: Any
) -> None:
    # Pebble resolves through challtestsrv, which serves a stale value for bad.test;
    # the bad certificate writes (and sees) its value in BIND, so the CA finds the wrong one.
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    challtestsrv.set_txt("_acme-challenge.example.test.", "stale-value")
    cfg = config(
        tmp_path,
        pebble,
        challtestsrv_dns(challtestsrv),
        [
            {"name": "good-one", "domains": ["good1.test"]},
            {"name": "bad-one", "domains": ["example.test"], "dns": bind_dns(bind)},
            {"name": "good-two", "domains": ["good2.test"]},
        ],
    )
    result = run_cli(
        "renew",
        "-c",
        str(cfg),
        "--report",
        str(tmp_path / "r.json"),
        env={"TSIG_SECRET": bind.secret},
    )
    assert result.code == 1, result.output
    report = {c["name"]: c for c in json.loads((tmp_path / "r.json").read_text())["certificates"]}
    assert report["good-one"]["result"] == report["good-two"]["result"] == "succeeded"
    assert report["bad-one"]["result"] == "failed"
    assert "dns-01 for example.test failed" in report["bad-one"]["error"]
    assert "Traceback" not in result.output
    assert bind.txt_values("_acme-challenge.example.test.") == []  # cleaned up on failure


def test_config_change_reissues_with_reason(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    dns = challtestsrv_dns(challtestsrv)
    cfg = config(tmp_path, pebble, dns, [{"name": "site", "domains": ["a.test"]}])
    assert run_cli("renew", "-c", str(cfg)).code == 0
    first_serial = leaf(tmp_path, "site").serial_number
    cfg = config(tmp_path, pebble, dns, [{"name": "site", "domains": ["a.test", "api.a.test"]}])
    plan = plan_json(cfg)
    assert plan["certificates"][0]["action"] == "renew"
    assert plan["certificates"][0]["reason"] == "domains changed: +api.a.test"
    assert run_cli("renew", "-c", str(cfg)).code == 0
    assert sans(leaf(tmp_path, "site")) == {"a.test", "api.a.test"}
    assert leaf(tmp_path, "site").serial_number != first_serial
    versions = list((tmp_path / "certs" / "site" / "versions").iterdir())
    assert len(versions) == 2
    assert actions(plan_json(cfg)) == {"site": "skip"}


def test_ari_window_is_honoured_and_renewal_replaces(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    cfg = config(
        tmp_path, pebble, challtestsrv_dns(challtestsrv), [{"name": "ari", "domains": ["ari.test"]}]
    )
    assert run_cli("renew", "-c", str(cfg)).code == 0
    pem = (tmp_path / "certs" / "ari" / "cert.pem").read_text()

    pebble.set_renewal_info(
        pem,
        json.dumps(
            {"suggestedWindow": {"start": "2099-01-01T00:00:00Z", "end": "2099-01-02T00:00:00Z"}}
        ),
    )
    # The window asked right after issuance is remembered for Pebble's Retry-After (6 h):
    # a changed window is seen once that passes, or at once when asked to refresh.
    remembered = plan_json(cfg)["certificates"][0]["reason"]
    assert "ARI window 2099-01-01" not in remembered
    plan = plan_json(cfg, "--refresh-renewal-info")
    assert plan["certificates"][0]["action"] == "skip"
    assert "ARI window 2099-01-01" in plan["certificates"][0]["reason"]

    pebble.set_renewal_info(
        pem,
        json.dumps(
            {"suggestedWindow": {"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"}}
        ),
    )
    plan = plan_json(cfg, "--refresh-renewal-info")
    assert plan["certificates"][0]["action"] == "renew"
    assert "ARI window closed" in plan["certificates"][0]["reason"]
    result = run_cli("-vv", "renew", "--refresh-renewal-info", "-c", str(cfg))
    assert result.code == 0, result.output
    ari_id = json.loads(
        (tmp_path / "certs" / "ari" / "versions")
        .joinpath(
            sorted(p.name for p in (tmp_path / "certs" / "ari" / "versions").iterdir())[0],
            "metadata.json",
        )
        .read_text()
    )["ari_cert_id"]
    assert f"replaces={ari_id}" in result.stderr
    assert "CA refused replaces" not in result.stderr
    assert (
        leaf(tmp_path, "ari").serial_number
        != x509.load_pem_x509_certificate(pem.encode()).serial_number
    )


def test_short_lived_certificate_is_planned_for_renewal_inside_its_lifetime(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address, validity_period=3600)
    cfg = config(
        tmp_path,
        pebble,
        challtestsrv_dns(challtestsrv),
        [{"name": "short", "domains": ["short.test"]}],
    )
    assert run_cli("renew", "-c", str(cfg)).code == 0
    cert = leaf(tmp_path, "short")
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifetime.total_seconds() <= 3601
    # With the shipped 12 h cadence a one-hour certificate is due at once (its renewal
    # time comes before the next run); runs every 5 minutes leave it for later.
    assert plan_json(cfg)["certificates"][0]["action"] == "renew"
    body = yaml.safe_load(cfg.read_text())
    write_config(cfg, {**body, "defaults": {"run_every": "5m"}})
    # Pebble's ARI for a fresh one-hour certificate points into its lifetime; the actual
    # renewal of a short-lived certificate is tests/resilience/test_expiry_pressure.py.
    plan = plan_json(cfg)
    assert plan["certificates"][0]["action"] == "skip"
    renew_at = datetime.fromisoformat(plan["certificates"][0]["renew_at"].replace("Z", "+00:00"))
    assert cert.not_valid_before_utc < renew_at < cert.not_valid_after_utc


def test_eab_only_ca(tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any) -> None:
    pebble = pebble_factory(
        dns_server=challtestsrv.dns_address,
        eab_keys={"kid-1": EAB_HMAC},
    )
    certs = [{"name": "eab", "domains": ["eab.test"]}]
    dns = challtestsrv_dns(challtestsrv)
    without = config(tmp_path, pebble, dns, certs)
    refused = run_cli("renew", "-c", str(without))
    assert refused.code == 1
    assert "external account binding" in refused.stdout
    cfg = config(
        tmp_path, pebble, dns, certs, eab={"kid": "env:EAB_KID", "hmac_key": "env:EAB_HMAC"}
    )
    env = {
        "EAB_KID": "kid-1",
        "EAB_HMAC": EAB_HMAC,
    }
    result = run_cli("-vv", "renew", "-c", str(cfg), env=env)
    assert result.code == 0, result.output
    assert env["EAB_HMAC"] not in result.output


def test_unreachable_ca_is_one_line_per_certificate(tmp_path: Path) -> None:
    body = {
        "acme": {"directory": "https://127.0.0.1:9/dir"},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": {"type": "challtestsrv", "url": "http://127.0.0.1:9"},
        "certificates": [
            {"name": "a", "domains": ["a.test"]},
            {"name": "b", "domains": ["b.test"]},
        ],
    }
    cfg = write_config(tmp_path / "c.yaml", body)
    result = run_cli("renew", "-c", str(cfg))
    assert result.code == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert len(lines) == 2
    assert all("CA directory https://127.0.0.1:9/dir unreachable" in line for line in lines)
    assert "Traceback" not in result.output


def test_revoke_then_next_run_renews(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    cfg = config(
        tmp_path, pebble, challtestsrv_dns(challtestsrv), [{"name": "rev", "domains": ["rev.test"]}]
    )
    assert run_cli("renew", "-c", str(cfg)).code == 0
    result = run_cli("revoke", "rev", "-c", str(cfg), "--reason", "superseded")
    assert result.code == 0, result.output
    plan = plan_json(cfg)
    assert plan["certificates"][0]["action"] == "renew"
    assert plan["certificates"][0]["reason"] == "current certificate was revoked"


def test_refused_replaces_is_retried_without_it(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    cfg = config(
        tmp_path, pebble, challtestsrv_dns(challtestsrv), [{"name": "rep", "domains": ["rep.test"]}]
    )
    assert run_cli("renew", "-c", str(cfg)).code == 0
    meta_path = (tmp_path / "certs" / "rep" / "current").resolve() / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["ari_cert_id"] = "AAAA.AAAA"  # an id this CA never issued
    meta_path.write_text(json.dumps(meta))
    result = run_cli("-vv", "renew", "-c", str(cfg), "--force")
    assert result.code == 0, result.output
    assert "CA refused replaces=AAAA.AAAA" in result.stderr
    assert "1 succeeded" in result.stdout


def test_bad_nonce_rejections_are_retried(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    # Pebble rejects half of all nonces; the acme library alone retries a badNonce only once.
    pebble = pebble_factory(dns_server=challtestsrv.dns_address, nonce_reject=50)
    certs = [{"name": f"n{i}", "domains": [f"n{i}.test"]} for i in range(6)]
    cfg = config(tmp_path, pebble, challtestsrv_dns(challtestsrv), certs)
    result = run_cli("-vv", "renew", "-c", str(cfg))
    assert result.code == 0, result.output
    assert "6 succeeded, 0 failed" in result.stdout
    assert "badNonce" in result.stderr  # rejections really happened and were absorbed
