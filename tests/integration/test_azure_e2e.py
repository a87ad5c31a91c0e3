"""The product path on Azure, end to end through the real CLI.

GitHub OIDC token -> Entra token exchange (federated credential) -> Key Vault
(key and CSR made in the vault, chain merged back) and Azure DNS (TXT record
sets with ETags, published into BIND) -> Pebble validates over real DNS.
Key Vault, Entra and ARM are stand-ins at the HTTP boundary (no installable
emulator exists here); the Azure SDK clients in front of them are the real ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure.keyvault.certificates import CertificateClient
from rig import ArmDns, Bind, EntraTokenService, GithubOidcIssuer, KeyVaultStandIn, TlsMaterial
from rig.arm import SUBSCRIPTION

from tests.integration.runner import run_cli, write_config

pytestmark = pytest.mark.integration


@pytest.fixture
def wired(
    entra: EntraTokenService,
    keyvault: KeyVaultStandIn,
    arm_dns: ArmDns,
) -> EntraTokenService:
    """Entra hands out tokens the vault and ARM stand-ins accept, per scope."""

    def token_for(scope: str) -> str:
        return arm_dns.token if scope.startswith(arm_dns.endpoint) else keyvault.mint_token().token

    entra.token_factory = token_for
    keyvault.tenant_id = entra.tenant_id  # the vault's challenge names the tenant it lives in
    return entra


def _config(
    tmp_path: Path,
    pebble: Any,
    entra: EntraTokenService,
    keyvault: KeyVaultStandIn,
    arm: ArmDns,
    bind: Bind,
    tls_root: TlsMaterial,
    **store: Any,
) -> Path:
    return write_config(
        tmp_path / "certificates.yaml",
        {
            "acme": {"directory": pebble.directory_url, "ca_bundle": str(pebble.ca_bundle)},
            "azure": {
                "authority_host": entra.authority_host,
                "arm_endpoint": arm.endpoint,
                "ca_bundle": str(tls_root.root),
            },
            "store": {"type": "keyvault", "vault_url": keyvault.url, **store},
            "dns": {
                "type": "azure",
                "subscription_id": SUBSCRIPTION,
                "resource_group": "dns",
                "propagation": {
                    "nameservers": [bind.dns_address],
                    "timeout": "20s",
                    "interval": "0.1s",
                },
            },
            "certificates": [
                {"name": "www-example-test", "domains": ["example.test", "*.example.test"]},
            ],
        },
    )


def _actions_env(github_oidc: GithubOidcIssuer, entra: EntraTokenService) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "",
        "ACTIONS_ID_TOKEN_REQUEST_URL": github_oidc.request_url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": github_oidc.request_token,
        "AZURE_TENANT_ID": entra.tenant_id,
        "AZURE_CLIENT_ID": entra.client_id,
        "REQUESTS_CA_BUNDLE": str(github_oidc.ca_bundle),  # the runner's trust for GitHub
    }


def test_scheduled_run_on_azure_issues_then_noops(
    tmp_path: Path,
    bind: Bind,
    pebble_factory: Any,
    github_oidc: GithubOidcIssuer,
    wired: EntraTokenService,
    keyvault: KeyVaultStandIn,
    arm_dns: ArmDns,
    tls_root: TlsMaterial,
) -> None:
    pebble = pebble_factory(dns_server=bind.dns_address)
    cfg = _config(tmp_path, pebble, wired, keyvault, arm_dns, bind, tls_root)
    env = _actions_env(github_oidc, wired)

    first = run_cli("-vv", "renew", "-c", str(cfg), "--report", str(tmp_path / "r.json"), env=env)
    assert first.code == 0, first.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["certificates"][0]["result"] == "succeeded"
    client = CertificateClient(
        keyvault.url,
        keyvault.credential(),
        verify_challenge_resource=False,
        connection_verify=str(keyvault.ca_bundle),
    )
    cert = client.get_certificate("www-example-test")
    assert cert.properties.tags and cert.properties.tags["managed-by"] == "renewer"
    assert arm_dns.txt("example.test", "_acme-challenge") is None  # record set deleted
    assert bind.txt_values("_acme-challenge.example.test.") == []
    scopes = {r.scope for r in wired.token_requests() if r.status == 200}
    assert scopes == {f"{arm_dns.endpoint}/.default", "https://vault.azure.net/.default"}
    assert github_oidc.issued_count >= 2  # a fresh GitHub assertion per exchange
    for secret in [github_oidc.request_token, arm_dns.token]:
        assert secret not in first.output

    keyvault.reset_counts()
    second = run_cli("plan", "-c", str(cfg), "--format", "json", env=env)
    assert second.code == 0, second.output
    assert json.loads(second.stdout)["certificates"][0]["action"] == "skip"
    assert dict(keyvault.counts) == {"GET /certificates": 1}  # one list page, no per-cert GET


def test_wrong_federated_subject_is_one_clear_line(
    tmp_path: Path,
    bind: Bind,
    pebble_factory: Any,
    github_oidc: GithubOidcIssuer,
    wired: EntraTokenService,
    keyvault: KeyVaultStandIn,
    arm_dns: ArmDns,
    tls_root: TlsMaterial,
) -> None:
    pebble = pebble_factory(dns_server=bind.dns_address)
    cfg = _config(tmp_path, pebble, wired, keyvault, arm_dns, bind, tls_root)
    github_oidc.subject = "repo:contoso/certificates:ref:refs/heads/feature"
    result = run_cli("renew", "-c", str(cfg), env=_actions_env(github_oidc, wired))
    assert result.code == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1
    assert "federated credential does not match" in failed[0]
    assert "repo:contoso/certificates:ref:refs/heads/feature" in failed[0]
    assert "Traceback" not in result.output
