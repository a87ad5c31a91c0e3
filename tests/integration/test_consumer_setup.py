"""`renewer azure setup` wires each consumer: the article's chain by hand, through the real az.

The article's chain: the VM's system-assigned identity, Key Vault Secrets User for it, then
`az vm extension set --name KeyVaultForWindows --publisher Microsoft.Azure.KeyVault` with a
settings JSON (polling 3600 s, linkOnRenewal, the versionless /secrets/ URL, store MY in
LocalMachine, Network Service and Local Service). The script runs under bash with `az`
being the recorder of tests/integration/test_azure_setup.py: each command shape goes through
the real Azure CLI's parser (exit 1 "az login" is the only acceptable answer; an argument
error is exit 2), and every branch runs twice (nothing there yet; everything there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rig.github_api import TOKEN, GitHubStandIn

from tests.integration.runner import write_config
from tests.integration.test_azure_setup import RECORDER, run_recorded

pytestmark = pytest.mark.integration

SUB = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups"
VM = f"{SUB}/web/providers/Microsoft.Compute/virtualMachines/iis-01"
VMSS = f"{SUB}/web/providers/Microsoft.Compute/virtualMachineScaleSets/nginx"
AGW = f"{SUB}/net/providers/Microsoft.Network/applicationGateways/agw-01"
SITE = f"{SUB}/web/providers/Microsoft.Web/sites/portal-site"
AFD = f"{SUB}/edge/providers/Microsoft.Cdn/profiles/afd-01"
ENV = f"{SUB}/apps/providers/Microsoft.App/managedEnvironments/env-01"
APIM = f"{SUB}/api/providers/Microsoft.ApiManagement/service/apim-01"
# the recorder again, with a gateway that has no SSL certificate until the second run
CONSUMER_RECORDER = RECORDER + ('if "ssl-cert show" in joined and not existing:\n    sys.exit(1)\n')


def config(tmp_path: Path) -> Path:
    consumers: list[Any] = [
        {
            "kind": "vm-extension",
            "resource": VM,
            "os": "windows",
            "store": {"name": "MY", "location": "LocalMachine"},
            "accounts": ["Network Service", "Local Service"],
            "polling": "1h",
        },
        {"kind": "vm-extension", "resource": VMSS, "os": "linux", "polling": "30m"},
        {"kind": "application-gateway", "resource": AGW, "certificate": "portal-example"},
        {"kind": "app-service", "resource": SITE, "hostname": "portal.example.com"},
        {"kind": "front-door", "resource": AFD, "secret": "portal"},
        {"kind": "container-apps", "resource": ENV, "certificate": "portal"},
        {"kind": "api-management", "resource": APIM, "certificate": "portal"},
    ]
    return write_config(
        tmp_path / "certificates.yaml",
        {
            "acme": {"directory": "letsencrypt"},
            "store": {"type": "keyvault", "vault_url": "https://contoso-certs.vault.azure.net"},
            "dns": {
                "type": "azure",
                "subscription_id": "00000000-0000-0000-0000-000000000000",
                "resource_group": "dns",
            },
            "certificates": [
                {
                    "name": "portal",
                    "domains": ["portal.example.com"],
                    "key": "rsa-2048",
                    "consumers": consumers,
                }
            ],
        },
    )


def setup_script(tmp_path: Path) -> Path:
    out = tmp_path / "setup.sh"
    with GitHubStandIn(repository="contoso/certificates") as github:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "renewer",
                "azure",
                "setup",
                "-c",
                str(config(tmp_path)),
                "--repo",
                "contoso/certificates",
                "-o",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": github.url},
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def run_script(script: Path, tmp_path: Path, existing: bool) -> subprocess.CompletedProcess[str]:
    return run_recorded(script, tmp_path, existing, CONSUMER_RECORDER)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[list[str]]]:
    """The script and every az call of two runs (each command shape parsed once: ~3 s each)."""
    tmp_path = tmp_path_factory.mktemp("consumer-setup")
    script = setup_script(tmp_path)
    for existing in (False, True):
        proc = run_script(script, tmp_path, existing)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    parsed = [json.loads(p.read_text()) for p in (tmp_path / "cache").iterdir()]
    for call in parsed:
        assert call["rc"] == 1 and "az login" in call["stderr"], call  # never exit 2
    calls = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    return script.read_text(), calls


def test_consumer_setup_does_what_the_article_did_by_hand_through_the_real_az_parser(
    ran: tuple[str, list[list[str]]],
) -> None:
    calls = ran[1]

    def find(*words: str) -> list[list[str]]:
        return [c for c in calls if c[: len(words)] == list(words)]

    # 1. the VM's system-assigned identity
    (assign, _) = find("vm", "identity", "assign")  # once per run
    assert assign[assign.index("--ids") + 1] == VM
    # 2. Key Vault Secrets User for it, on the certificate's secret only
    grants = [
        c
        for c in find("role", "assignment", "create")
        if c[c.index("--role") + 1] == "Key Vault Secrets User"
    ]
    scopes = {c[c.index("--scope") + 1] for c in grants}
    assert scopes == {"/subscriptions/x/resourceGroups/y/providers/z/id/secrets/portal"}
    assert len(grants) == 7  # one per consumer, first run only (the second finds them)
    # 3. the extension with the article's settings
    (extension, _) = find("vm", "extension", "set")
    flags = dict(zip(extension[3::2], extension[4::2], strict=False))
    assert extension[extension.index("--name") + 1] == "KeyVaultForWindows"
    assert extension[extension.index("--publisher") + 1] == "Microsoft.Azure.KeyVault"
    assert (flags["--resource-group"], flags["--vm-name"]) == ("web", "iis-01")
    settings = json.loads(extension[extension.index("--settings") + 1])
    assert settings == {
        "secretsManagementSettings": {
            "pollingIntervalInS": "3600",
            "linkOnRenewal": True,
            "observedCertificates": [
                {
                    "url": "https://contoso-certs.vault.azure.net/secrets/portal",
                    "certificateStoreName": "MY",
                    "certificateStoreLocation": "LocalMachine",
                    "accounts": ["Network Service", "Local Service"],
                }
            ],
        }
    }
    # the Linux scale set gets KeyVaultForLinux with its own settings
    (linux, _) = find("vmss", "extension", "set")
    assert linux[linux.index("--name") + 1] == "KeyVaultForLinux"
    linux_settings = json.loads(linux[linux.index("--settings") + 1])
    assert linux_settings["secretsManagementSettings"]["pollingIntervalInS"] == "1800"
    assert "linkOnRenewal" not in linux_settings["secretsManagementSettings"]


def test_consumer_setup_wires_gateway_app_service_and_the_rest_versionless(
    ran: tuple[str, list[list[str]]],
) -> None:
    text, calls = ran
    joined = "\n".join(" ".join(c) for c in calls)
    url = "https://contoso-certs.vault.azure.net/secrets/portal"
    # App Gateway: created on the first run, updated on the second; never a versioned id
    assert "ssl-cert create --resource-group net --gateway-name agw-01" in joined
    assert "ssl-cert update --resource-group net --gateway-name agw-01" in joined
    assert joined.count(f"--key-vault-secret-id {url} ") == 2
    # App Service: import from the vault, then bind the host name with SNI
    assert "webapp config ssl import --resource-group web --name portal-site" in joined
    assert "--key-vault contoso-certs --key-vault-certificate-name portal" in joined
    assert "--ssl-type SNI --hostname portal.example.com" in joined
    # Front Door (Latest), Container Apps and API Management through ARM
    puts = {c[c.index("--url") + 1].split("?")[0]: c for c in calls if c[:1] == ["rest"]}
    door = json.loads(puts[f"{AFD}/secrets/portal"][-3])
    assert door["properties"]["parameters"]["useLatestVersion"] is True
    assert door["properties"]["parameters"]["secretSource"]["id"].endswith("/secrets/portal")
    apps = json.loads(puts[f"{ENV}/certificates/portal"][-3])
    assert apps["properties"]["certificateKeyVaultProperties"]["keyVaultUrl"] == url
    apim = json.loads(puts[f"{APIM}/certificates/portal"][-3])
    assert apim == {"properties": {"keyVault": {"secretIdentifier": url}}}
    # the renew identity: one custom role with only the nudge and doctor actions
    role = next(
        c for c in calls if c[:3] == ["role", "definition", "create"] and "consumers" in c[4]
    )
    definition = json.loads(role[role.index("--role-definition") + 1])
    assert "Microsoft.Network/applicationGateways/write" in definition["Actions"]
    assert not any(a.endswith("/*") or a == "*" for a in definition["Actions"])
    assert len(definition["AssignableScopes"]) == 5  # web, net, edge, apps, api
    assert "--assignee-object-id $PRINCIPAL_ID" not in text  # always quoted
