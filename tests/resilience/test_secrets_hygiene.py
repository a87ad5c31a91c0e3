"""Scenario: no secret leaves the process, at DEBUG, on either product path.

Two full ``renew`` flows through the real CLI at DEBUG (``-vv`` and
``RENEWER_LOG_LEVEL=DEBUG``), as a GitHub Actions job (``GITHUB_ACTIONS=true``, a
``GITHUB_STEP_SUMMARY`` file), with ``--report`` and ``--summary``:

(a) RFC 2136 with TSIG into BIND, a Pebble that requires EAB, the directory store;
(b) Azure: GitHub OIDC -> Entra -> Key Vault (csr mode) and Azure DNS into BIND.

stdout, stderr and every file under the test's working directory (the process runs
there; config, report, summaries, journal, store) are searched for each secret the
flow handled. The only exempt files are the directory store's own key storage
(``privkey.pem`` and the ACME account file under ``_accounts/``), whose mode must be 0600.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rig import ArmDns, Bind, EntraTokenService, GithubOidcIssuer, KeyVaultStandIn, TlsMaterial
from rig.arm import SUBSCRIPTION

from tests.integration.runner import REPO, CliResult, write_config

pytestmark = [pytest.mark.resilience, pytest.mark.integration]

EAB_KID = "kid-hygiene"
EAB_HMAC = "q3Vx0m3pD1kO9yZ8rWbT4cNfE6hJ2sLaUeGiYoPvXwQzRtKjMnBdCfAhSgTuVy7x"
PROPAGATION = {"timeout": "20s", "interval": "0.1s"}
ALWAYS = ["PRIVATE KEY", '"d":']  # PEM keys of any kind; a private JWK member


def renew_as_actions(tmp_path: Path, cfg: Path, env: dict[str, str]) -> CliResult:
    """``renewer -vv renew`` at DEBUG as an Actions job, run inside ``tmp_path``."""
    full = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "RENEWER_LOG_LEVEL": "DEBUG",
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md"),
        **env,
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "renewer",
            "-vv",
            "renew",
            "-c",
            str(cfg),
            "--report",
            str(tmp_path / "report.json"),
            "--summary",
            str(tmp_path / "summary.md"),
        ],
        cwd=tmp_path,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def forms(secret: str) -> list[str]:
    """The value itself, and what it would look like decoded (hex) or re-encoded."""
    found = [secret]
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            raw = decode(secret + "=" * (-len(secret) % 4))
        except (binascii.Error, ValueError):
            continue
        if len(raw) >= 16:
            found += [raw.hex(), base64.b64encode(raw).decode().rstrip("=")]
    return sorted(set(found))


def jwt_forms(token: str) -> list[str]:
    """A JWT, and its signature alone (a log that cut the token would still leak it)."""
    return [token, token.rsplit(".", 1)[-1]]


def scanned_files(tmp_path: Path, exempt: set[Path]) -> dict[Path, str]:
    files: dict[Path, str] = {}
    for path in sorted(tmp_path.rglob("*")):
        if path.is_file() and path.resolve() not in exempt:
            files[path] = path.read_bytes().decode("utf-8", "replace")
    return files


def assert_no_leak(
    result: CliResult, files: dict[Path, str], secrets: dict[str, list[str]]
) -> None:
    places = {"stdout": result.stdout, "stderr": result.stderr}
    places |= {str(path): text for path, text in files.items()}
    leaks = [
        f"{what} in {place}"
        for what, values in secrets.items()
        for value in values
        for place, text in places.items()
        if value in text
    ]
    assert leaks == [], leaks


def assert_actions_outputs(tmp_path: Path, result: CliResult, names: list[str]) -> None:
    """The run succeeded and wrote every output the scan is about: it really ran at DEBUG."""
    assert result.code == 0, result.output[-4000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert {c["name"]: c["result"] for c in report["certificates"]} == {
        n: "succeeded" for n in names
    }
    assert (tmp_path / "summary.md").read_text().strip()
    assert (tmp_path / "step-summary.md").read_text().strip()
    debug = [line for line in result.stderr.splitlines() if " DEBUG " in line]
    assert len(debug) >= 3, result.stderr[-2000:]  # renewer's own DEBUG lines, at least


def test_rfc2136_tsig_eab_directory_store_leak_nothing_at_debug(
    tmp_path: Path, bind: Bind, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=bind.dns_address, eab_keys={EAB_KID: EAB_HMAC})
    store = tmp_path / "certs"
    names = ["tsig-apex", "tsig-www"]
    cfg = write_config(
        tmp_path / "certificates.yaml",
        {
            "acme": {
                "directory": pebble.directory_url,
                "ca_bundle": str(pebble.ca_bundle),
                "eab": {"kid": "env:EAB_KID", "hmac_key": "env:EAB_HMAC"},
            },
            "store": {"type": "directory", "path": str(store)},
            "dns": {
                "type": "rfc2136",
                "nameserver": bind.dns_address,
                "tsig": {
                    "name": bind.key_name,
                    "secret": "env:TSIG_SECRET",
                    "algorithm": "hmac-sha256",
                },
                "propagation": {"nameservers": [bind.dns_address], **PROPAGATION},
            },
            "certificates": [
                {"name": names[0], "domains": ["example.test", "*.example.test"]},
                {"name": names[1], "domains": ["www.example.test"]},
            ],
        },
    )
    env = {"EAB_KID": EAB_KID, "EAB_HMAC": EAB_HMAC, "TSIG_SECRET": bind.secret}
    result = renew_as_actions(tmp_path, cfg, env)
    assert_actions_outputs(tmp_path, result, names)
    assert "DEBUG renewer" in result.stderr

    # The product's own key storage: each private key file and the account file, 0600.
    keys = {p.resolve() for p in store.rglob("privkey.pem")}
    accounts = {p.resolve() for p in (store / "_accounts").rglob("*") if p.is_file()}
    assert len(accounts) == 1 and len(keys) == len(names)
    for path in keys | accounts:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert "PRIVATE KEY" in next(iter(keys)).read_text()  # the exemption is what it says

    files = scanned_files(tmp_path, keys | accounts)
    assert tmp_path / "report.json" in files and tmp_path / "step-summary.md" in files
    assert any(p.name == "cert.pem" for p in files)  # the store itself was scanned
    assert_no_leak(
        result,
        files,
        {
            "a PEM private key / private JWK": ALWAYS,
            "the EAB HMAC key": forms(EAB_HMAC),
            "the TSIG secret": forms(bind.secret),
        },
    )


def test_azure_oidc_entra_keyvault_azure_dns_leak_nothing_at_debug(
    tmp_path: Path,
    bind: Bind,
    pebble_factory: Any,
    github_oidc: GithubOidcIssuer,
    entra: EntraTokenService,
    keyvault: KeyVaultStandIn,
    arm_dns: ArmDns,
    tls_root: TlsMaterial,
) -> None:
    def token_for(scope: str) -> str:  # as the ``wired`` fixture of test_azure_e2e.py
        return arm_dns.token if scope.startswith(arm_dns.endpoint) else keyvault.mint_token().token

    entra.token_factory = token_for
    keyvault.tenant_id = entra.tenant_id
    pebble = pebble_factory(dns_server=bind.dns_address)
    names = ["azure-apex", "azure-www"]
    cfg = write_config(
        tmp_path / "certificates.yaml",
        {
            "acme": {"directory": pebble.directory_url, "ca_bundle": str(pebble.ca_bundle)},
            "azure": {
                "authority_host": entra.authority_host,
                "arm_endpoint": arm_dns.endpoint,
                "ca_bundle": str(tls_root.root),
            },
            "store": {"type": "keyvault", "vault_url": keyvault.url, "key_mode": "csr"},
            "dns": {
                "type": "azure",
                "subscription_id": SUBSCRIPTION,
                "resource_group": "dns",
                "propagation": {"nameservers": [bind.dns_address], **PROPAGATION},
            },
            "certificates": [
                {"name": names[0], "domains": ["example.test", "*.example.test"]},
                {"name": names[1], "domains": ["www.example.test"]},
            ],
        },
    )
    env = {
        "ACTIONS_ID_TOKEN_REQUEST_URL": github_oidc.request_url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": github_oidc.request_token,
        "AZURE_TENANT_ID": entra.tenant_id,
        "AZURE_CLIENT_ID": entra.client_id,
        "REQUESTS_CA_BUNDLE": str(github_oidc.ca_bundle),
    }
    result = renew_as_actions(tmp_path, cfg, env)
    assert_actions_outputs(tmp_path, result, names)
    assert " DEBUG azure." in result.stderr or " DEBUG renewer" in result.stderr

    assertions = [t.value for t in github_oidc.issued]
    access = [r.access_token for r in entra.token_requests() if r.access_token]
    assert assertions and access  # the flow really signed in through both stand-ins
    scopes = {r.scope for r in entra.token_requests() if r.status == 200}
    assert scopes == {f"{arm_dns.endpoint}/.default", "https://vault.azure.net/.default"}

    files = scanned_files(tmp_path, set())  # nothing is exempt: the keys stay in the vault
    assert tmp_path / "report.json" in files and tmp_path / "step-summary.md" in files
    assert_no_leak(
        result,
        files,
        {
            "a PEM private key / private JWK": ALWAYS,
            "the GitHub token request bearer": [github_oidc.request_token],
            "a GitHub OIDC assertion": [f for t in assertions for f in jwt_forms(t)],
            "an Entra access token": access,
        },
    )
