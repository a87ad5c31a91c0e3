"""The core issuance suite against both real ACME servers: Pebble and step-ca.

Each test runs once per CA (the ``acme_ca`` fixture): what works on Pebble,
written by the people who run Let's Encrypt, must also work on a production
CA nobody here wrote. step-ca differs where RFC 8555 leaves room (no ARI, no
profiles, 24-hour certificates, failed challenges left pending with an error),
so the assertions are about what renewer promises, not about one CA's habits.
"""

from __future__ import annotations

import itertools
import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from rig import Bind, Resolver, StepCa, free_port

from tests.integration.runner import actions, plan_at, plan_json, run_cli, write_config
from tests.integration.test_renew_e2e import bind_dns, config, leaf, sans

pytestmark = pytest.mark.integration


def _chain_ends_at_root(tmp_path: Path, name: str, ca: Any) -> None:
    chain = x509.load_pem_x509_certificates(
        (tmp_path / "certs" / name / "fullchain.pem").read_bytes()
    )
    for child, parent in itertools.pairwise(chain):
        child.verify_directly_issued_by(parent)
    roots = [x509.load_pem_x509_certificate(p.encode()) for p in ca.roots_pem()]
    root = next((r for r in roots if r.subject == chain[-1].issuer), None)
    assert root is not None, "chain does not end at the CA's root"
    chain[-1].verify_directly_issued_by(root)


def _report(path: Path) -> dict[str, dict[str, Any]]:
    body = json.loads(path.read_text())
    return {c["name"]: c for c in body["certificates"]}


def test_issue_noop_force_revoke_renew_apex_and_wildcard_via_rfc2136(
    tmp_path: Path, bind: Bind, acme_ca: Any
) -> None:
    ca = acme_ca(bind.dns_address)
    cfg = config(
        tmp_path,
        ca,
        bind_dns(bind),
        [{"name": "wild", "domains": ["example.test", "*.example.test"]}],
    )
    env = {"TSIG_SECRET": bind.secret}
    first = run_cli("renew", "-c", str(cfg), env=env)
    assert first.code == 0, first.output
    issued = leaf(tmp_path, "wild")
    assert sans(issued) == {"example.test", "*.example.test"}
    _chain_ends_at_root(tmp_path, "wild", ca)
    assert bind.txt_values("_acme-challenge.example.test.") == []  # both values removed

    assert actions(plan_json(cfg, env=env)) == {"wild": "skip"}
    noop = run_cli("renew", "-c", str(cfg), env=env)
    assert noop.code == 0 and "0 succeeded, 0 failed, 1 unchanged" in noop.stdout

    forced = run_cli("renew", "-c", str(cfg), "--force", env=env)
    assert forced.code == 0, forced.output
    renewed = leaf(tmp_path, "wild")
    assert renewed.serial_number != issued.serial_number

    revoked = run_cli("revoke", "wild", "-c", str(cfg), "--reason", "superseded", env=env)
    assert revoked.code == 0, revoked.output
    plan = plan_json(cfg, env=env)["certificates"][0]
    assert (plan["action"], plan["reason"]) == ("renew", "current certificate was revoked")
    again = run_cli("renew", "-c", str(cfg), env=env)
    assert again.code == 0, again.output
    assert leaf(tmp_path, "wild").serial_number != renewed.serial_number


def test_rsa_and_ec_keys(tmp_path: Path, bind: Bind, acme_ca: Any) -> None:
    ca = acme_ca(bind.dns_address)
    certs = [
        {"name": "rsa", "domains": ["rsa.example.test"], "key": "rsa-2048"},
        {"name": "ec", "domains": ["ec.example.test"], "key": "ec-p384"},
    ]
    cfg = config(tmp_path, ca, bind_dns(bind), certs)
    result = run_cli("renew", "-c", str(cfg), env={"TSIG_SECRET": bind.secret})
    assert result.code == 0, result.output
    rsa_key = leaf(tmp_path, "rsa").public_key()
    ec_key = leaf(tmp_path, "ec").public_key()
    assert isinstance(rsa_key, rsa.RSAPublicKey) and rsa_key.key_size == 2048
    assert isinstance(ec_key, ec.EllipticCurvePublicKey) and ec_key.curve.name == "secp384r1"


def test_cname_delegated_challenge(
    tmp_path: Path, bind: Bind, resolver: Resolver, acme_ca: Any
) -> None:
    # _acme-challenge.alias.example.test is a CNAME into delegated.test (rig zones); the
    # CA resolves through a recursive resolver, as a real CA does.
    ca = acme_ca(resolver.dns_address)
    cfg = config(
        tmp_path, ca, bind_dns(bind), [{"name": "alias", "domains": ["alias.example.test"]}]
    )
    result = run_cli("renew", "-c", str(cfg), env={"TSIG_SECRET": bind.secret})
    assert result.code == 0, result.output
    assert sans(leaf(tmp_path, "alias")) == {"alias.example.test"}
    assert bind.txt_values("_acme-challenge.delegated.test.") == []


def test_failed_validation_ends_at_once_with_the_cas_dns_problem(
    tmp_path: Path, bind: Bind, acme_ca: Any
) -> None:
    # The CA asks a DNS server that is not there, while renewer's own check (BIND) sees
    # the value: Pebble fails the challenge, step-ca leaves it pending with an error.
    # Either way the attempt ends with the CA's problem, long before any deadline.
    ca = acme_ca(f"127.0.0.1:{free_port()}")
    cfg = config(tmp_path, ca, bind_dns(bind), [{"name": "bad", "domains": ["bad.example.test"]}])
    started = time.monotonic()
    result = run_cli(
        "renew",
        "-c",
        str(cfg),
        "--report",
        str(tmp_path / "r.json"),
        env={"TSIG_SECRET": bind.secret},
    )
    elapsed = time.monotonic() - started
    assert result.code == 1, result.output
    assert elapsed < 30, f"a failed validation took {elapsed:.0f}s"
    bad = _report(tmp_path / "r.json")["bad"]
    assert bad["result"] == "failed"
    # The CA's own problem type and detail (Pebble and step-ca word a dead resolver apart).
    if isinstance(ca, StepCa):
        problem = "dns: There was a problem with a DNS query during identifier validation"
    else:
        problem = "unauthorized: Error retrieving TXT records for DNS challenge"
    assert f"dns-01 for bad.example.test failed: {problem}" in bad["error"], bad["error"]
    assert "deadline" not in bad["error"]
    if isinstance(ca, StepCa):  # pending with an error: POSTed again while BIND had the value
        assert bad["error"].endswith("(asked 3 times)"), bad["error"]
    assert bind.txt_values("_acme-challenge.bad.example.test.") == []  # cleaned up


def test_eab_refused_by_step_ca_is_tried_once_more_and_named(
    tmp_path: Path, bind: Bind, stepca_factory: Any
) -> None:
    # step-ca requires EAB here and knows no key (open-source step-ca cannot create EAB
    # keys): it answers the unknown kid with a 500 serverInternal.
    ca = stepca_factory(resolver=bind.dns_address, require_eab=True)
    assert ca.directory()["meta"]["externalAccountRequired"] is True
    hmac = "c2VjcmV0LWhtYWMta2V5LW5vYm9keS1zaG91bGQtc2Vl"
    certs = [{"name": f"e{i}", "domains": [f"e{i}.example.test"]} for i in range(3)]
    cfg = config(
        tmp_path,
        ca,
        bind_dns(bind),
        certs,
        eab={"kid": "env:EAB_KID", "hmac_key": "env:EAB_HMAC"},
    )
    env = {"TSIG_SECRET": bind.secret, "EAB_KID": "rig-unknown-kid", "EAB_HMAC": hmac}
    started = time.monotonic()
    result = run_cli("-v", "renew", "-c", str(cfg), "--report", str(tmp_path / "r.json"), env=env)
    assert result.code == 1, result.output
    assert time.monotonic() - started < 30
    for cert in _report(tmp_path / "r.json").values():
        assert cert["result"] == "failed"
        error = cert["error"]
        assert "external account binding" in error and "'rig-unknown-kid'" in error, error
        assert "an HMAC-signed binding was sent (twice)" in error
        assert "serverInternal: The server experienced an internal error" in error
    assert hmac not in result.output + (tmp_path / "r.json").read_text()
    # Two newAccount requests for the whole run: one retry, and not again per certificate.
    assert ca.log_text().count("path=/acme/acme/new-account") == 2, ca.log_text()[-3000:]


def _plan_at(cfg: Path, moment: datetime, env: dict[str, str]) -> dict[str, Any]:
    """The JSON plan entry of the one certificate, as a run at ``moment`` would plan it."""
    entry: dict[str, Any] = json.loads(plan_at(cfg, moment, "json", env).stdout)["certificates"][0]
    return entry


def test_step_ca_24_hour_certificate_is_renewed_in_the_run_before_it_would_lapse(
    tmp_path: Path, bind: Bind, stepca_factory: Any
) -> None:
    # step-ca's default lifetime and the shipped schedule (05:17 and 17:17, 1 h slack):
    # a third left is 16 h after issuance, after the 17:17 run and before the next one.
    ca = stepca_factory(resolver=bind.dns_address)
    cfg = config(tmp_path, ca, bind_dns(bind), [{"name": "day", "domains": ["day.example.test"]}])
    env = {"TSIG_SECRET": bind.secret}
    assert run_cli("renew", "-c", str(cfg), env=env).code == 0
    cert = leaf(tmp_path, "day")
    issued, expires = cert.not_valid_before_utc, cert.not_valid_after_utc
    assert timedelta(hours=23) < expires - issued <= timedelta(hours=24, minutes=2)

    first = _plan_at(cfg, issued + timedelta(minutes=5), env)  # the run that issued it
    assert first["action"] == "skip", first
    assert "fewer than two runs every 12 hours" in first["reason"]
    assert "set run_every to 4 hours or less" in first["reason"]
    second = _plan_at(cfg, issued + timedelta(hours=12), env)  # the next scheduled run
    assert second["action"] == "renew", second
    assert "before the next run (runs every 12 hours, up to 60 minutes late)" in second["reason"]

    # At the cadence the warning asks for, the run 12 h in is early enough to wait.
    body = yaml.safe_load(cfg.read_text())
    write_config(cfg, {**body, "defaults": {"run_every": "4h"}})
    calm = _plan_at(cfg, issued + timedelta(hours=10), env)
    assert calm["action"] == "skip" and "warning" not in calm["reason"], calm
