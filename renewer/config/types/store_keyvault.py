"""Store type ``keyvault``: Azure Key Vault certificates (key made in the vault, or imported)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from renewer.config.convert import Field, existing_file, plain
from renewer.config.names import check_vault_url
from renewer.config.types.base import BuildContext, SettingsType
from renewer.core.settings import AzureSettings, BackendSettings

KeyMode = Literal["csr", "import"]
ContentType = Literal["pkcs12", "pem"]
SoftDeleted = Literal["recover", "fail"]
KEY_MODES: tuple[KeyMode, ...] = ("csr", "import")
CONTENT_TYPES: tuple[ContentType, ...] = ("pkcs12", "pem")
SOFT_DELETED: tuple[SoftDeleted, ...] = ("recover", "fail")


@dataclass(frozen=True)
class KeyVaultSettings(BackendSettings):
    vault_url: str
    azure: AzureSettings  # the top-level ``azure`` section, with this store's trust
    key_mode: KeyMode = "csr"
    exportable: bool = True
    content_type: ContentType = "pkcs12"
    ca_bundle: Path | None = None
    on_soft_deleted: SoftDeleted = "recover"  # a certificate name in the recycle bin
    state_vault_url: str | None = None  # renewer's own secrets, apart from the consumers' vault


FIELDS = {
    "vault_url": Field(
        convert=plain(check_vault_url),
        required=True,
        description=(
            "Vault URL: https://NAME.vault.azure.net, or .vault.usgovcloudapi.net, "
            ".vault.azure.cn (NAME: 3 to 24 letters, digits and hyphens, Key Vault's rule); "
            "any https:// URL on loopback for emulators."
        ),
        pattern=r"^\s*https://[^\s/?#]+",
    ),
    "state_vault_url": Field(
        convert=plain(check_vault_url),
        description=(
            "A vault only renewer reads, for renewer's own secrets (ACME account keys, "
            "leases). Set it when a consumer (a VM extension) has secret read on the whole "
            "certificate vault; default: vault_url. See docs/azure-setup.md."
        ),
        pattern=r"^\s*https://[^\s/?#]+",
    ),
    "key_mode": Field(
        enum=KEY_MODES,
        default="csr",
        description=(
            "csr (default): the key is created inside Key Vault and never leaves it; "
            "import: a local key, imported as PFX."
        ),
    ),
    "exportable": Field(
        accepts=("bool",),
        default=True,
        description="Whether the private key may be exported from Key Vault (default true).",
    ),
    "content_type": Field(
        enum=CONTENT_TYPES,
        default="pkcs12",
        description="Format of the linked secret: pkcs12 (default) or pem.",
    ),
    "ca_bundle": Field(
        convert=existing_file,
        description=(
            "PEM file with the CA certificates to trust for the vault (emulators). "
            "Relative to this file; must exist."
        ),
    ),
    "on_soft_deleted": Field(
        enum=SOFT_DELETED,
        default="recover",
        description=(
            "When a certificate's name is soft-deleted in the vault: recover (default) "
            "brings it back and renews it (needs the certificates/recover permission), "
            "fail stops that certificate with a message to recover or purge it."
        ),
    ),
}


def build(values: Mapping[str, Any], ctx: BuildContext) -> KeyVaultSettings:
    bundle = values["ca_bundle"]
    azure = replace(ctx.azure, ca_bundle=bundle or ctx.azure.ca_bundle)  # sign-in trusts it too
    return KeyVaultSettings(
        values["vault_url"],
        azure,
        key_mode=values["key_mode"],
        exportable=values["exportable"],
        content_type=values["content_type"],
        ca_bundle=bundle,
        on_soft_deleted=values["on_soft_deleted"],
        state_vault_url=values["state_vault_url"],
    )


TYPE = SettingsType("store", "keyvault", "Azure Key Vault", FIELDS, build)
