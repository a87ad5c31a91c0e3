"""What `renewer azure setup` grants follows from the inventory, and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from renewer.config.loader import load_config
from renewer.scaffold import azure_setup

REPO = Path(__file__).resolve().parents[3]


def _setup(*args: str, **env: str) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "renewer", "azure", "setup", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **env},
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_the_repositorys_inventory_names_two_vaults_and_two_dns_scopes() -> None:
    inv = azure_setup.inventory(load_config(REPO / "certificates.yaml").certificates)
    assert inv.vaults == ("contoso-certs", "fabrikam-certs")
    assert [(d.subscription_id, d.resource_group) for d in inv.dns] == [
        ("00000000-0000-0000-0000-000000000000", "dns"),
        ("11111111-1111-1111-1111-111111111111", "other-dns"),
    ]
    assert inv.dns[0].domains == ("api.contoso.com", "contoso.com", "www.contoso.com")
    assert inv.dns[1].domains == ("fabrikam.net",)  # the wildcard's zone is the apex's


def test_local_stores_and_dns_need_no_azure_setup() -> None:
    code, out = _setup("-c", str(REPO / "examples" / "local.yaml"), "--repo", "a/b")
    assert code == 2
    assert "no Key Vault store and no Azure DNS" in out


def test_repo_is_required_and_checked() -> None:
    code, out = _setup("-c", str(REPO / "certificates.yaml"), GITHUB_REPOSITORY="")
    assert code == 2 and "expected OWNER/REPO" in out


def test_a_state_vault_holds_renewers_secrets_and_consumer_roles_are_stated(
    tmp_path: Path,
) -> None:
    """With store.state_vault_url, Secrets Officer goes to the state vault only; the
    certificate vault keeps Certificates Officer, and the script names each consumer's
    role as Microsoft Learn documents it."""
    cfg = tmp_path / "certificates.yaml"
    cfg.write_text(
        "acme: {directory: letsencrypt}\n"
        "store: {type: keyvault, vault_url: 'https://contoso-certs.vault.azure.net',"
        " state_vault_url: 'https://contoso-renewer.vault.azure.net'}\n"
        "dns: {type: azure, subscription_id: 00000000-0000-0000-0000-000000000000,"
        " resource_group: dns}\n"
        "certificates: [{name: www, domains: [www.contoso.com]}]\n"
    )
    inv = azure_setup.inventory(load_config(cfg).certificates)
    assert inv.vaults == ("contoso-certs",) and inv.secret_vaults == ("contoso-renewer",)
    script = azure_setup.az_script(
        inv,
        "contoso/certificates",
        None,
        subscription="00000000-0000-0000-0000-000000000000",
        resource_group="renewer",
        location="westeurope",
    )
    certs = script.split("# -- vault contoso-certs:")[1].split("# -- ")[0]
    state = script.split("# -- vault contoso-renewer:")[1].split("# -- ")[0]
    assert "Key Vault Certificates Officer" in certs and "Secrets Officer" not in certs
    assert "Key Vault Secrets Officer" in state and "Certificates Officer" not in state
    assert "VM extension: the VM's identity, 'Key Vault Secrets User' at the vault" in certs
    assert "'Key Vault Certificate User'" in certs and "abfa0a7c" in certs
    # Without a state vault, both roles stay on the one vault, as before.
    one = azure_setup.inventory(load_config(REPO / "certificates.yaml").certificates)
    assert one.secret_vaults == one.vaults
