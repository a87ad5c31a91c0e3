"""Store type ``keyvault``: Azure Key Vault certificates (key made in the vault, or imported)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, get_args

from renewer.config.convert import existing_file, plain
from renewer.config.names import check_vault_url
from renewer.config.types.base import BuildContext, SettingsType, build, setting, settings
from renewer.core.settings import AzureSettings, BackendSettings

KeyMode = Literal["csr", "import"]
ContentType = Literal["pkcs12", "pem"]
SoftDeleted = Literal["recover", "fail"]
KEY_MODES: tuple[KeyMode, ...] = get_args(KeyMode)
CONTENT_TYPES: tuple[ContentType, ...] = get_args(ContentType)
SOFT_DELETED: tuple[SoftDeleted, ...] = get_args(SoftDeleted)


def _build(values: Mapping[str, Any], ctx: BuildContext) -> KeyVaultSettings:
    """The store's own ``ca_bundle`` is trusted by the sign-in to its cloud too."""
    bundle = values["ca_bundle"]
    return build(
        KeyVaultSettings,
        values,
        replace(ctx, azure=replace(ctx.azure, ca_bundle=bundle or ctx.azure.ca_bundle)),
    )


@settings
class KeyVaultSettings(BackendSettings):
    vault_url: str = setting(
        convert=plain(check_vault_url),
        description=(
            "Vault URL: https://NAME.vault.azure.net, or .vault.usgovcloudapi.net, "
            ".vault.azure.cn (NAME: 3 to 24 letters, digits and hyphens, Key Vault's rule); "
            "any https:// URL on loopback for emulators."
        ),
        pattern=r"^\s*https://[^\s/?#]+",
    )
    azure: AzureSettings  # the top-level ``azure`` section, with this store's trust
    key_mode: KeyMode = setting(
        default="csr",
        enum=KEY_MODES,
        description=(
            "csr (default): the key is created inside Key Vault and never leaves it; "
            "import: a local key, imported as PFX."
        ),
    )
    exportable: bool = setting(
        default=True,
        accepts=("bool",),
        description="Whether the private key may be exported from Key Vault (default true).",
    )
    content_type: ContentType = setting(
        default="pkcs12",
        enum=CONTENT_TYPES,
        description="Format of the linked secret: pkcs12 (default) or pem.",
    )
    ca_bundle: Path | None = setting(
        default=None,
        convert=existing_file,
        description=(
            "PEM file with the CA certificates to trust for the vault (emulators). "
            "Relative to this file; must exist."
        ),
    )
    on_soft_deleted: SoftDeleted = setting(  # a certificate name in the recycle bin
        default="recover",
        enum=SOFT_DELETED,
        description=(
            "When a certificate's name is soft-deleted in the vault: recover (default) "
            "brings it back and renews it (needs the certificates/recover permission), "
            "fail stops that certificate with a message to recover or purge it."
        ),
    )
    state_vault_url: str | None = setting(  # renewer's own secrets, apart from the consumers' vault
        default=None,
        convert=plain(check_vault_url),
        description=(
            "A vault only renewer reads, for renewer's own secrets (ACME account keys, "
            "leases). Set it when a consumer (a VM extension) has secret read on the whole "
            "certificate vault; default: vault_url. See docs/azure-setup.md."
        ),
        pattern=r"^\s*https://[^\s/?#]+",
    )


TYPE = SettingsType(
    "store",
    "keyvault",
    "Azure Key Vault",
    KeyVaultSettings,
    "renewer.stores.keyvault.store:KeyVaultStore",
    custom_build=_build,
)
