"""dns-persist-01 on the real rig: Pebble 2.10.3 validates, BIND serves the standing records.

`renewer persist` writes each standing record once; renewals then run with
every DNS provider write made to raise, and still succeed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rig import Bind

from renewer.dns.rfc2136 import Rfc2136Provider
from renewer.models import SecretRef
from tests.integration.runner import REPO, CliResult, run_cli
from tests.integration.test_renew_e2e import bind_dns, config

pytestmark = pytest.mark.integration

ISSUER = "pebble.letsencrypt.org"  # Pebble's default caaIdentities

# Runs the real CLI with every DNS provider write replaced by an exception.
NO_WRITES = """
import sys
from renewer.dns.challtestsrv import ChallTestSrvProvider
from renewer.dns.rfc2136 import Rfc2136Provider

def refuse(self, fqdn, value):
    raise RuntimeError(f"DNS write attempted at {fqdn}")

for cls in (Rfc2136Provider, ChallTestSrvProvider):
    cls.present = refuse
    cls.cleanup = refuse
from renewer.cli import main
main(args=sys.argv[1:], prog_name="renewer")
"""


def run_without_dns_writes(*args: str, env: dict[str, str]) -> CliResult:
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **env}
    full_env.pop("GITHUB_ACTIONS", None)
    proc = subprocess.run(
        [sys.executable, "-c", NO_WRITES, *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=240,
        cwd=REPO,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def writer(bind: Bind) -> Rfc2136Provider:
    """Direct access to the zone, standing in for a human with DNS rights."""
    os.environ["TSIG_SECRET"] = bind.secret
    return Rfc2136Provider(bind.dns_address, bind.key_name, SecretRef("TSIG_SECRET"))


def report(path: Path) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in json.loads(path.read_text())["certificates"]}


def account_uri(bind: Bind, record: str) -> str:
    (value,) = bind.txt_values(record)
    return value.split("accounturi=")[1].split(";")[0].strip()


def test_persist_once_then_renewals_need_no_dns_writes(
    tmp_path: Path, bind: Bind, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=bind.dns_address)
    certs = [
        {
            "name": "wild",
            "domains": ["example.test", "*.example.test"],
            "challenge": "dns-persist-01",
        },
        {"name": "www", "domains": ["www.example.test"], "challenge": "dns-persist-01"},
        {"name": "auto-one", "domains": ["auto.example.test"], "challenge": "auto"},
    ]
    cfg = config(tmp_path, pebble, bind_dns(bind), certs)
    env = {"TSIG_SECRET": bind.secret}
    writer(bind).present("_validation-persist.example.test.", "other-ca.example; accounturi=x")

    dry = run_cli("persist", "-c", str(cfg), "--dry-run", env=env)
    assert dry.code == 0, dry.output
    assert "would-add" in dry.stdout
    assert bind.txt_values("_validation-persist.www.example.test.") == []

    first = run_cli("persist", "-c", str(cfg), env=env)
    assert first.code == 0, first.output
    assert first.stdout.count("added") == 3, first.stdout
    values = bind.txt_values("_validation-persist.example.test.")
    ours = [v for v in values if v.startswith(ISSUER)]
    assert len(ours) == 1 and "; policy=wildcard" in ours[0], values
    assert "other-ca.example; accounturi=x" in values  # a foreign value is left alone
    uri = account_uri(bind, "_validation-persist.www.example.test.")
    assert uri.startswith("https://") and "/my-account/" in uri  # Pebble's account path
    assert bind.txt_values("_validation-persist.www.example.test.") == [
        f"{ISSUER}; accounturi={uri}"
    ]

    again = run_cli("persist", "-c", str(cfg), env=env)
    assert again.code == 0 and again.stdout.count("unchanged") == 3, again.output
    assert "added" not in again.stdout

    plan = json.loads(run_cli("plan", "-c", str(cfg), "--format", "json", env=env).stdout)
    states = {s["name"]: s for s in plan["persist"]}
    assert {d["state"] for s in states.values() for d in s["domains"]} == {"valid"}
    assert states["auto-one"]["uses"] == "dns-persist-01"

    for round_ in range(3):
        out = tmp_path / f"r{round_}.json"
        renew = run_without_dns_writes(
            "renew", "-c", str(cfg), "--force", "--report", str(out), env=env
        )
        assert renew.code == 0, renew.output
        assert {c["result"] for c in report(out).values()} == {"succeeded"}
        assert "DNS write attempted" not in renew.output
    assert bind.txt_values("_acme-challenge.example.test.") == []


def test_bad_standing_records_fail_only_their_certificate(
    tmp_path: Path, bind: Bind, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=bind.dns_address)
    persist = {"challenge": "dns-persist-01"}
    certs = [
        {"name": "good", "domains": ["good.example.test"], **persist},
        {"name": "wrong-account", "domains": ["a.example.test"], **persist},
        {"name": "foreign-issuer", "domains": ["b.example.test"], **persist},
        {"name": "expired", "domains": ["c.example.test"], **persist},
        {"name": "wild-no-policy", "domains": ["*.d.example.test"], **persist},
        {"name": "fresh", "domains": ["new.example.test"], **persist},
    ]
    cfg = config(tmp_path, pebble, bind_dns(bind), certs)
    env = {"TSIG_SECRET": bind.secret}
    setup = run_cli("persist", "-c", str(cfg), "--only", "good", env=env)
    assert setup.code == 0, setup.output
    uri = account_uri(bind, "_validation-persist.good.example.test.")
    dns = writer(bind)
    dns.present("_validation-persist.a.example.test.", f"{ISSUER}; accounturi={uri}9")
    dns.present("_validation-persist.b.example.test.", f"ca.example.net; accounturi={uri}")
    past = int(time.time()) - 3600
    dns.present(
        "_validation-persist.c.example.test.", f"{ISSUER}; accounturi={uri}; persistUntil={past}"
    )
    dns.present("_validation-persist.d.example.test.", f"{ISSUER}; accounturi={uri}")

    plan = run_cli("plan", "-c", str(cfg), env=env)
    assert plan.code == 0, plan.output
    assert f'create: _validation-persist.new.example.test. TXT "{ISSUER}; accounturi={uri}"' in (
        plan.stdout
    )
    markdown = run_cli("plan", "-c", str(cfg), "--format", "markdown", env=env).stdout
    assert f'_validation-persist.new.example.test. TXT "{ISSUER}; accounturi={uri}"' in markdown

    out = tmp_path / "r.json"
    renew = run_without_dns_writes("renew", "-c", str(cfg), "--report", str(out), env=env)
    assert renew.code == 1, renew.output
    results = report(out)
    assert results["good"]["result"] == "succeeded"
    errors = {name: r["error"] or "" for name, r in results.items() if name != "good"}
    assert all(results[n]["result"] == "failed" for n in errors)
    assert "is not ours" in errors["wrong-account"]
    assert (
        "no value for pebble.letsencrypt.org (only for ca.example.net)" in errors["foreign-issuer"]
    )
    assert "has passed" in errors["expired"]
    assert "lacks policy=wildcard" in errors["wild-no-policy"]
    assert "no standing record" in errors["fresh"]
    assert "Traceback" not in renew.output and "DNS write attempted" not in renew.output


def test_auto_falls_back_to_dns01_when_the_record_is_missing(
    tmp_path: Path, bind: Bind, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=bind.dns_address)
    cfg = config(
        tmp_path,
        pebble,
        bind_dns(bind),
        [{"name": "auto-cert", "domains": ["auto.example.test"], "challenge": "auto"}],
    )
    env = {"TSIG_SECRET": bind.secret}
    assert run_cli("renew", "-c", str(cfg), env=env).code == 0  # creates the account too
    plan = json.loads(run_cli("plan", "-c", str(cfg), "--format", "json", env=env).stdout)
    (status,) = plan["persist"]
    assert status["uses"] == "dns-01"
    assert "falling back to dns-01" in status["why"]
    assert status["domains"][0]["state"] == "missing"
    out = tmp_path / "r.json"
    again = run_cli("-vv", "renew", "-c", str(cfg), "--force", "--report", str(out), env=env)
    assert again.code == 0, again.output
    assert "using dns-01" in again.stderr
    assert bind.txt_values("_acme-challenge.auto.example.test.") == []  # dns-01 cleaned up
    # Now without DNS rights it fails: auto really used dns-01.
    blocked = run_without_dns_writes("renew", "-c", str(cfg), "--force", env=env)
    assert blocked.code == 1 and "DNS write attempted" in blocked.output
