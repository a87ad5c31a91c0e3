"""Doctor checks for one Key Vault: reachable, list allowed, the data actions the config needs.

Which data actions renewer uses (Microsoft Learn, "Azure permissions for
Security - Microsoft.KeyVault"; what each is for is renewer's own use):
certificates/read (plan, re-read), create/action and update/action (csr
mode: key and CSR in the vault, merge, tags), import/action (import mode),
delete (a stale pending operation), recover/action (``on_soft_deleted:
recover``), and secrets getSecret/setSecret/update (the ACME account key,
the leases, dns-persist-01 records): Key Vault Certificates Officer plus Key
Vault Secrets Officer, at the vault.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from renewer.config.types.store_keyvault import KeyVaultSettings
from renewer.core.models import CertificateSpec
from renewer.core.settings import AzureSettings
from renewer.doctor.arm import ArmError, ArmReader
from renewer.doctor.model import Check, failed, passed

PREFIX = "Microsoft.KeyVault/vaults/"
CERTIFICATES_OFFICER = "Key Vault Certificates Officer"
SECRETS_OFFICER = "Key Vault Secrets Officer"


def needed_actions(specs: Sequence[CertificateSpec]) -> dict[str, str]:
    """Data action -> why renewer needs it, for the certificates stored in one vault."""
    needs = {
        PREFIX + "certificates/read": "plan and re-read certificates",
        PREFIX + "certificates/update/action": "merge issued chains and write tags",
        PREFIX + "secrets/getSecret/action": "read the ACME account key and leases",
        PREFIX + "secrets/setSecret/action": "keep the ACME account key and leases",
        PREFIX + "secrets/update/action": "extend and release leases",
    }
    backends = [s.store.backend for s in specs if isinstance(s.store.backend, KeyVaultSettings)]
    modes = {b.key_mode for b in backends}
    if "csr" in modes:
        needs[PREFIX + "certificates/create/action"] = "make the key and CSR in the vault"
        needs[PREFIX + "certificates/delete"] = "delete a stale pending operation"
    if "import" in modes:
        needs[PREFIX + "certificates/import/action"] = "import issued certificates"
    if any(b.on_soft_deleted == "recover" for b in backends):
        needs[PREFIX + "certificates/recover/action"] = "recover soft-deleted names"
        needs[PREFIX + "secrets/recover/action"] = "recover a deleted lease or account secret"
    return needs


def role_for(action: str) -> str:
    return SECRETS_OFFICER if "/secrets/" in action else CERTIFICATES_OFFICER


def check_listing(vault_url: str, store: Any) -> Check:
    """The vault answers and lets this identity list certificates (one page is enough)."""
    area = f"vault {vault_url}"
    try:
        count = 0
        for _stored in store.iter_current():
            count += 1
            if count >= 25:
                break
    except Exception as exc:  # StoreError / SignInError: already one line
        return failed(area, "listing certificates failed", str(exc))
    return passed(area, f"reachable, list allowed ({count}{'+' if count >= 25 else ''} listed)")


def check_vault_arm(
    vault_url: str, azure: AzureSettings, credential: Any, specs: Sequence[CertificateSpec]
) -> list[Check]:
    """Soft delete, purge protection, permission model and effective data actions (ARM)."""
    area = f"vault {vault_url}"
    reader = ArmReader(azure, credential)
    try:
        vault = reader.find_vault(vault_url)
    except ArmError as exc:
        return [
            failed(
                area,
                f"ARM lookup failed (HTTP {exc.status} {exc.code})",
                "give the identity Reader on the vault (or its resource group) so its "
                "settings and permissions can be checked",
            )
        ]
    if vault is None:
        return [
            failed(
                area,
                "not found in any subscription this identity can read",
                "check vault_url, and give the identity Reader on the vault",
            )
        ]
    props = vault.get("properties") or {}
    days = props.get("softDeleteRetentionInDays", 90)
    protect = "on" if props.get("enablePurgeProtection") else "off"
    checks = [
        passed(
            area,
            f"soft delete on ({days} days), purge protection {protect}: a deleted "
            f"certificate's name stays taken for {days} days unless recovered"
            + (" (purge refused)" if protect == "on" else " or purged"),
        )
    ]
    if not props.get("enableRbacAuthorization"):
        checks.append(
            failed(
                area,
                "permission model is vault access policies, not Azure RBAC",
                "set enableRbacAuthorization (az keyvault update --enable-rbac-authorization "
                "true) and grant the roles below, or give the identity certificate get, "
                "list, create, update, import, delete, recover and secret get, set "
                "permissions in an access policy",
            )
        )
        return checks
    checks.append(passed(area, "permission model: Azure RBAC"))
    try:
        granted = reader.permissions(str(vault["id"]))
    except ArmError as exc:
        return [*checks, failed(area, f"permissions unreadable (HTTP {exc.status})", exc.code)]
    for action, why in needed_actions(specs).items():
        if granted.allows(action, data=True):
            checks.append(passed(area, f"may {action} ({why})"))
        else:
            checks.append(
                failed(
                    area,
                    f"missing data action {action} (needed to {why})",
                    f"assign '{role_for(action)}' on the vault to this identity",
                )
            )
    return checks
