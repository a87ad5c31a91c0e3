"""``renewer doctor`` against the stand-ins: GitHub OIDC -> Entra sign-in, Key Vault, ARM, DNS, CA.

The whole chain is real clients over HTTPS: the doctor asks the GitHub OIDC
issuer stand-in for the job's token, exchanges it at the Entra stand-in
(azure-identity), lists the Key Vault stand-in with the real SDK, reads the
vault's settings and the identity's effective permissions from the ARM
stand-in (tests/rig/arm_keyvault.py, backed by the same vault so that a
removed role really denies), finds the zone in Azure DNS (published to a real
BIND) and reads a real Pebble directory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rig import (
    SUBSCRIPTION,
    ArmDns,
    Bind,
    Challtestsrv,
    EntraTokenService,
    GithubOidcIssuer,
    TlsMaterial,
)
from rig.keyvault import KeyVaultStandIn

from renewer.azure import signin
from renewer.cli import main
from tests.integration.runner import write_config
from tests.resilience.common import challtestsrv_dns, txt_values

pytestmark = pytest.mark.integration

SECRETS = ("getSecret/action", "setSecret/action", "update/action", "recover/action")


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    """The CLI sets logger levels process-wide (setup_logging); later tests need them back."""
    names = ["", "azure", "azure.identity", "acme", "urllib3"]
    saved = {n: logging.getLogger(n).level for n in names}
    handlers = list(logging.getLogger().handlers)
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger().handlers[:] = handlers


@pytest.fixture
def wired(
    monkeypatch: pytest.MonkeyPatch,
    github_oidc: GithubOidcIssuer,
    entra: EntraTokenService,
    keyvault: KeyVaultStandIn,
    arm_dns: ArmDns,
) -> Iterator[None]:
    """A GitHub Actions job whose Entra tokens the vault and ARM stand-ins accept."""
    entra.token_factory = lambda scope: (
        keyvault.mint_token().token if "vault" in scope else arm_dns.token
    )
    keyvault.tenant_id = entra.tenant_id
    arm_dns.keyvaults.register(keyvault, "contoso-certs", SUBSCRIPTION, "certs")
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "AZURE_FEDERATED_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", github_oidc.request_url)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", github_oidc.request_token)
    monkeypatch.setenv("AZURE_TENANT_ID", entra.tenant_id)
    monkeypatch.setenv("AZURE_CLIENT_ID", entra.client_id)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(github_oidc.ca_bundle))
    signin.reset_cache()
    yield
    signin.reset_cache()


def config(
    tmp_path: Path,
    pebble_factory: object,
    bind: Bind,
    entra: EntraTokenService,
    keyvault: KeyVaultStandIn,
    arm: ArmDns,
    tls_root: TlsMaterial,
) -> Path:
    pebble = pebble_factory(dns_server=bind.dns_address)  # type: ignore[operator]
    return write_config(
        tmp_path / "certificates.yaml",
        {
            "acme": {"directory": pebble.directory_url, "ca_bundle": str(pebble.ca_bundle)},
            "azure": {
                "authority_host": entra.authority_host,
                "arm_endpoint": arm.endpoint,
                "ca_bundle": str(tls_root.root),
            },
            "store": {"type": "keyvault", "vault_url": keyvault.url},
            "dns": {"type": "azure", "subscription_id": SUBSCRIPTION, "resource_group": "dns"},
            "certificates": [
                {"name": "web", "domains": ["web.example.test", "*.web.example.test"]},
                {"name": "api", "domains": ["api.example.test"]},
            ],
        },
    )


def doctor(cfg: Path, *extra: str) -> Result:
    return CliRunner().invoke(main, ["doctor", "-c", str(cfg), *extra], catch_exceptions=False)


@pytest.fixture
def cfg(
    wired: None,
    tmp_path: Path,
    pebble_factory: object,
    bind: Bind,
    entra: EntraTokenService,
    keyvault: KeyVaultStandIn,
    arm_dns: ArmDns,
    tls_root: TlsMaterial,
) -> Path:
    return config(tmp_path, pebble_factory, bind, entra, keyvault, arm_dns, tls_root)


def test_doctor_passes_on_a_good_setup_and_says_what_the_job_presents(
    cfg: Path, keyvault: KeyVaultStandIn, arm_dns: ArmDns, github_oidc: GithubOidcIssuer
) -> None:
    result = doctor(cfg, "--write-test")
    lines = result.output.splitlines()
    assert result.exit_code == 0, result.output
    assert all(line.startswith("✓ ") for line in lines[:-1]), result.output
    assert lines[-1] == f"{len(lines) - 1} passed, 0 failed"
    out = result.output
    assert (
        "✓ GitHub OIDC: this job presents subject repo:contoso/certs:ref:refs/heads/main "
        "(name form), audience api://AzureADTokenExchange, issuer " + github_oidc.issuer
    ) in out
    assert "✓ Azure sign-in: GitHub OIDC as client" in out
    vault = f"vault {keyvault.url}"
    assert f"✓ {vault}: reachable, list allowed (0 listed)" in out
    assert f"✓ {vault}: soft delete on (90 days), purge protection off" in out
    assert f"✓ {vault}: permission model: Azure RBAC" in out
    needed = ["certificates/create/action", "certificates/recover/action"]
    for action in [*needed, *(f"secrets/{a}" for a in SECRETS)]:
        assert f"✓ {vault}: may Microsoft.KeyVault/vaults/{action} (" in out, action
    zone = f"azure dns {SUBSCRIPTION}/dns zone example.test"
    assert f"✓ {zone}: found" in out and f"✓ {zone}: TXT write/delete allowed" in out
    assert f"✓ {zone}: wrote and removed one TXT value at _renewer-doctor.example.test." in out
    assert arm_dns.txt("example.test", "_renewer-doctor") is None  # removed again
    assert arm_dns.count("PUT", "recordset") == 1 and arm_dns.count("DELETE", "recordset") == 1
    assert "directory reachable" in out and "EAB not required" in out
    assert out.count(f"✓ {zone}: found") == 1  # one zone, checked once for three names


def test_removing_a_role_names_each_broken_permission(
    cfg: Path, arm_dns: ArmDns, keyvault: KeyVaultStandIn
) -> None:
    arm_dns.keyvaults.remove_role("contoso-certs", "Key Vault Secrets Officer")
    result = doctor(cfg)
    assert result.exit_code == 1, result.output
    broken = [line for line in result.output.splitlines() if line.startswith("✗ ")]
    assert len(broken) == len(SECRETS), result.output
    for line, action in zip(broken, SECRETS, strict=True):
        assert line.startswith(
            f"✗ vault {keyvault.url}: missing data action Microsoft.KeyVault/vaults/secrets/"
            f"{action} (needed to "
        ), line
        assert line.endswith("assign 'Key Vault Secrets Officer' on the vault to this identity")
    assert "✓ vault" in result.output  # listing certificates still works

    arm_dns.keyvaults.remove_role("contoso-certs", "Key Vault Certificates Officer")
    result = doctor(cfg)
    assert result.exit_code == 1
    assert f"✗ vault {keyvault.url}: listing certificates failed: no permission" in result.output
    for action in ("read", "create/action", "update/action", "delete", "recover/action"):
        assert f"missing data action Microsoft.KeyVault/vaults/certificates/{action} " in (
            result.output
        ), action


def test_access_policy_vault_and_a_read_only_dns_subscription_fail_with_the_fix(
    cfg: Path, arm_dns: ArmDns, keyvault: KeyVaultStandIn
) -> None:
    arm_dns.keyvaults.vaults[0].rbac = False
    arm_dns.read_only.add(SUBSCRIPTION.lower())
    keyvault.vault.purge_protection = True
    result = doctor(cfg, "--format", "markdown")
    assert result.exit_code == 1
    out = result.output
    assert out.startswith("## renewer doctor: 2 of ")
    assert "| ✗ | vault " + keyvault.url + " | `permission model is vault access policies" in out
    assert "| ✗ | azure dns " in out and "TXT write/delete not allowed (missing " in out
    assert "Microsoft.Network/dnsZones/TXT/write, Microsoft.Network/dnsZones/TXT/delete)" in out
    assert "purge protection on" in out


def test_immutable_subject_is_named_as_such(cfg: Path, github_oidc: GithubOidcIssuer) -> None:
    github_oidc.immutable_subject = True  # the federated credential still has the name form
    result = doctor(cfg)
    assert result.exit_code == 1
    assert (
        "✓ GitHub OIDC: this job presents subject "
        "repo:contoso@1234567/certs@890123456:ref:refs/heads/main (immutable-ID form)"
    ) in result.output
    assert "✗ Azure sign-in: no token for https://vault.azure.net/.default: " in result.output
    assert "AADSTS700213" in result.output


def test_a_broken_config_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "certificates.yaml"
    bad.write_text("acme: {directory: letsencrypt}\n")
    result = CliRunner().invoke(main, ["doctor", "-c", str(bad)])
    assert result.exit_code == 2


def test_without_azure_only_dns_and_ca_are_checked(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: object
) -> None:
    """A directory store and challtestsrv: no sign-in line; --write-test proves the TXT write
    through the provider itself (challtestsrv has no permission API)."""
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)  # type: ignore[operator]
    cfg = write_config(
        tmp_path / "certificates.yaml",
        {
            "acme": {
                "directory": pebble.directory_url,
                "ca_bundle": str(pebble.ca_bundle),
                "profile": "no-such-profile",
            },
            "store": {"type": "directory", "path": str(tmp_path / "certs")},
            "dns": challtestsrv_dns(challtestsrv),
            "certificates": [{"name": "local", "domains": ["local.example.test"]}],
        },
    )
    result = doctor(cfg)
    assert result.exit_code == 1  # the profile is not offered
    out = result.output
    assert "Azure" not in out and "vault" not in out
    assert "TXT write not tried (use --write-test to prove it)" in out
    assert "✗ CA " + pebble.directory_url + ": profile no-such-profile not offered" in out
    written = doctor(cfg, "--write-test").output
    assert "wrote and removed one TXT value at _renewer-doctor.local.example.test." in written
    assert txt_values(challtestsrv, "_renewer-doctor.local.example.test") == []
