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

import jsonschema
import pytest
from rig import SUBSCRIPTION, ArmDns, Bind, EntraTokenService, GithubOidcIssuer, TlsMaterial

from renewer.config.types.dns_azure import AzureDnsSettings
from renewer.config.types.dns_rfc2136 import Rfc2136Settings, TsigSettings
from renewer.config.types.store_directory import DirectorySettings
from renewer.core.settings import AzureSettings, SecretRef
from renewer.dns.providers.azure import AzureDnsProvider
from renewer.dns.providers.rfc2136 import Rfc2136Provider
from renewer.stores.directory import DirectoryStore
from tests.integration.runner import REPO, CliResult, run_cli, write_config
from tests.integration.test_azure_dns import StaticToken
from tests.integration.test_renew_e2e import PROPAGATION, bind_dns, config

pytestmark = pytest.mark.integration

ISSUER = "pebble.letsencrypt.org"  # Pebble's default caaIdentities

# Runs the real CLI with every DNS provider write replaced by an exception.
NO_WRITES = """
import sys
from renewer.dns.providers.azure import AzureDnsProvider
from renewer.dns.providers.challtestsrv import ChallTestSrvProvider
from renewer.dns.providers.rfc2136 import Rfc2136Provider

def refuse(self, fqdn, value):
    raise RuntimeError(f"DNS write attempted at {fqdn}")

for cls in (Rfc2136Provider, ChallTestSrvProvider, AzureDnsProvider):
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
    return Rfc2136Provider(
        Rfc2136Settings(bind.dns_address, TsigSettings(bind.key_name, SecretRef("TSIG_SECRET")))
    )


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


def test_prune_removes_only_our_stale_values(
    tmp_path: Path, bind: Bind, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=bind.dns_address)
    cfg = config(
        tmp_path,
        pebble,
        bind_dns(bind),
        [{"name": "www", "domains": ["www.example.test"], "challenge": "dns-persist-01"}],
    )
    env = {"TSIG_SECRET": bind.secret}
    name = "_validation-persist.www.example.test."
    assert run_cli("persist", "-c", str(cfg), env=env).code == 0
    uri = account_uri(bind, name)
    current = f"{ISSUER}; accounturi={uri}"
    old_account = f"{ISSUER}; accounturi={uri.rsplit('/', 1)[0]}/999999"
    superseded = f"{ISSUER}; accounturi={uri}; persistUntil={int(time.time()) + 86400 * 400}"
    foreign = f"ca.example.net; accounturi={uri}"  # another CA's value, even with our URL
    dns = writer(bind)
    for value in (old_account, superseded, foreign):
        dns.present(name, value)
    everything = sorted([current, old_account, superseded, foreign])
    assert bind.txt_values(name) == everything

    listed = run_cli("persist", "-c", str(cfg), env=env)
    assert listed.code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert f'unchanged    www: {name} "{current}"' in lines, listed.stdout
    for value in (old_account, superseded):
        assert f'stale        www: {name} "{value}" (kept; --prune removes it)' in lines
    assert foreign not in listed.stdout  # never ours to report, let alone remove
    assert "removed" not in listed.stdout
    assert bind.txt_values(name) == everything

    dry = run_cli("persist", "-c", str(cfg), "--prune", "--dry-run", env=env)
    assert dry.code == 0, dry.output
    assert dry.stdout.count("would-remove") == 2 and foreign not in dry.stdout, dry.stdout
    assert bind.txt_values(name) == everything

    pruned = run_cli("persist", "-c", str(cfg), "--prune", env=env)
    assert pruned.code == 0, pruned.output
    lines = pruned.stdout.splitlines()
    for value in (old_account, superseded):
        assert f'removed      www: {name} "{value}"' in lines, pruned.stdout
    assert len(lines) == 3, pruned.stdout  # unchanged + two removals, nothing else
    assert bind.txt_values(name) == sorted([current, foreign])

    again = run_cli("persist", "-c", str(cfg), "--prune", env=env)
    assert again.code == 0 and again.stdout.splitlines() == [
        f'unchanged    www: {name} "{current}"'
    ], again.output
    assert bind.txt_values(name) == sorted([current, foreign])


def test_persist_through_azure_dns_then_renew_without_writes(
    tmp_path: Path,
    bind: Bind,
    pebble_factory: Any,
    arm_dns: ArmDns,
    github_oidc: GithubOidcIssuer,
    entra: EntraTokenService,
    tls_root: TlsMaterial,
) -> None:
    # The real CLI signs in as in Actions: GitHub OIDC -> Entra -> ARM token.
    entra.token_factory = lambda scope: arm_dns.token
    pebble = pebble_factory(dns_server=bind.dns_address)
    cfg = write_config(
        tmp_path / "certificates.yaml",
        {
            "acme": {"directory": pebble.directory_url, "ca_bundle": str(pebble.ca_bundle)},
            "azure": {
                "authority_host": entra.authority_host,
                "arm_endpoint": arm_dns.endpoint,
                "ca_bundle": str(tls_root.root),
            },
            "store": {"type": "directory", "path": str(tmp_path / "certs")},
            "dns": {
                "type": "azure",
                "subscription_id": SUBSCRIPTION,
                "resource_group": "dns",
                "propagation": {"nameservers": [bind.dns_address], **PROPAGATION},
            },
            "certificates": [
                {
                    "name": "wild",
                    "domains": ["example.test", "*.example.test"],
                    "challenge": "dns-persist-01",
                }
            ],
        },
    )
    env = {
        "GITHUB_ACTIONS": "",
        "ACTIONS_ID_TOKEN_REQUEST_URL": github_oidc.request_url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": github_oidc.request_token,
        "AZURE_TENANT_ID": entra.tenant_id,
        "AZURE_CLIENT_ID": entra.client_id,
        "REQUESTS_CA_BUNDLE": str(github_oidc.ca_bundle),
    }
    # Values already in the record set: another CA's, and a note of a colleague.
    other = ["other-ca.example; accounturi=https://ca.example/acct/7", "keep me"]
    before = run_cli("persist", "-c", str(cfg), "--dry-run", env=env)
    assert before.code == 0 and "would-add" in before.stdout, before.output
    assert arm_dns.count("PUT") == 0  # a dry run writes nothing
    colleague = AzureDnsProvider(  # a colleague with DNS rights, same provider
        AzureDnsSettings(
            SUBSCRIPTION,
            "dns",
            AzureSettings(arm_endpoint=arm_dns.endpoint, ca_bundle=Path(arm_dns.ca_bundle)),
        ),
        StaticToken(arm_dns.token),
    )
    for value in other:
        colleague.present("_validation-persist.example.test.", value)
    puts_before = arm_dns.count("PUT", "recordset")

    first = run_cli("persist", "-c", str(cfg), env=env)
    assert first.code == 0, first.output
    assert first.stdout.count("added") == 1, first.stdout
    assert arm_dns.count("PUT", "recordset") == puts_before + 1  # one append, with If-Match
    stored = arm_dns.txt("example.test", "_validation-persist")
    assert stored is not None
    ours = [v for v in stored if v.startswith(ISSUER)]
    assert len(ours) == 1 and ours[0].endswith("; policy=wildcard"), stored
    assert sorted(v for v in stored if v not in ours) == sorted(other)  # untouched
    assert bind.txt_values("_validation-persist.example.test.") == stored  # published
    assert "/my-account/" in ours[0]
    for secret in (arm_dns.token, github_oidc.request_token):
        assert secret not in first.output

    again = run_cli("persist", "-c", str(cfg), env=env)
    assert again.code == 0 and "unchanged" in again.stdout and "added" not in again.stdout
    assert arm_dns.count("PUT", "recordset") == puts_before + 1

    writes = arm_dns.count("PUT") + arm_dns.count("DELETE")
    out = tmp_path / "r.json"
    renew = run_without_dns_writes("renew", "-c", str(cfg), "--report", str(out), env=env)
    assert renew.code == 0, renew.output
    assert report(out)["wild"]["result"] == "succeeded"
    assert "DNS write attempted" not in renew.output
    assert arm_dns.count("PUT") + arm_dns.count("DELETE") == writes
    assert arm_dns.txt("example.test", "_acme-challenge") is None
    assert arm_dns.txt("example.test", "_validation-persist") == stored
    assert arm_dns.unauthorized == 0


def test_plan_json_names_the_exact_record_to_create(
    tmp_path: Path, bind: Bind, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=bind.dns_address)
    certs = [
        {"name": "seed", "domains": ["seed.example.test"]},  # dns-01: creates the account
        {
            "name": "wild",
            "domains": ["*.new.example.test", "new.example.test"],
            "challenge": "dns-persist-01",
            "persist_until": "2099-06-30",
        },
    ]
    cfg = config(tmp_path, pebble, bind_dns(bind), certs)
    env = {"TSIG_SECRET": bind.secret}
    schema = json.loads((REPO / "docs" / "report.schema.json").read_text())
    name = "_validation-persist.new.example.test."

    fresh = run_cli("plan", "-c", str(cfg), "--format", "json", env=env)
    assert fresh.code == 0, fresh.output
    jsonschema.validate(json.loads(fresh.stdout), schema)
    (status,) = json.loads(fresh.stdout)["persist"]
    assert "run `renewer persist` once" in status["domains"][0]["expected"]  # no account yet

    renew = run_cli("renew", "-c", str(cfg), "--only", "seed", env=env)
    assert renew.code == 0, renew.output
    stored = DirectoryStore(DirectorySettings(tmp_path / "certs")).load_account(
        pebble.directory_url
    )
    assert stored is not None and stored.uri
    uri = stored.uri

    plan = run_cli("plan", "-c", str(cfg), "--format", "json", env=env)
    assert plan.code == 0, plan.output
    body = json.loads(plan.stdout)
    jsonschema.validate(body, schema)
    (status,) = body["persist"]
    assert (status["name"], status["challenge"], status["uses"]) == (
        "wild",
        "dns-persist-01",
        "dns-persist-01",
    )
    assert status["why"].startswith("will fail until the standing record is fixed")
    (domain,) = status["domains"]  # apex and wildcard share one record
    until = 4086460800  # 2099-06-30T00:00:00Z
    assert domain["record"] == name and domain["wildcard"] is True
    assert domain["state"] == "missing" and domain["reason"] == "no standing record"
    assert domain["persist_until"] == "2099-06-30T00:00:00Z"
    assert domain["servers"] == [{"server": bind.dns_address, "values": [], "error": None}]
    expected = domain["expected"]
    assert expected == f"{ISSUER}; accounturi={uri}; policy=wildcard; persistUntil={until}"

    # The value is exactly right: created by hand, it lets the CA issue with no DNS write.
    writer(bind).present(name, expected)
    out = tmp_path / "r.json"
    issued = run_without_dns_writes(
        "renew", "-c", str(cfg), "--only", "wild", "--report", str(out), env=env
    )
    assert issued.code == 0, issued.output
    assert report(out)["wild"]["result"] == "succeeded"
    after = json.loads(run_cli("plan", "-c", str(cfg), "--format", "json", env=env).stdout)
    assert after["persist"][0]["domains"][0]["state"] == "valid"


def test_persist_after_dns01_issuance_with_authorization_reuse(
    tmp_path: Path, bind: Bind, pebble_factory: Any
) -> None:
    # Let's Encrypt reuses valid authorizations; a reused one lists only the challenge
    # that validated it (dns-01 here), so the probe order cannot see dns-persist-01.
    pebble = pebble_factory(dns_server=bind.dns_address, authz_reuse=100)
    cfg = config(
        tmp_path,
        pebble,
        bind_dns(bind),
        [{"name": "auto-cert", "domains": ["auto.example.test"], "challenge": "auto"}],
    )
    env = {"TSIG_SECRET": bind.secret}
    assert run_cli("renew", "-c", str(cfg), env=env).code == 0  # dns-01: no record yet
    name = "_validation-persist.auto.example.test."

    setup = run_cli("persist", "-c", str(cfg), env=env)
    assert setup.code == 0, setup.output
    stored = DirectoryStore(DirectorySettings(tmp_path / "certs")).load_account(
        pebble.directory_url
    )
    assert stored is not None and stored.uri
    assert setup.stdout.splitlines() == [
        f'added        auto-cert: {name} "{ISSUER}; accounturi={stored.uri}"'
    ]
    assert bind.txt_values(name) == [f"{ISSUER}; accounturi={stored.uri}"]
    plan = json.loads(run_cli("plan", "-c", str(cfg), "--format", "json", env=env).stdout)
    (status,) = plan["persist"]
    assert status["uses"] == "dns-persist-01" and status["domains"][0]["state"] == "valid"
