"""Doctor's lines for the consumers (renewer/consumers/checks.py): one check per verdict.

Run with the identity renewer signs in as; the vault's ARM id (for the role
check on the certificate's secret) is looked up once per vault, and a vault
ARM cannot find only drops that one check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from renewer.config.types.store_keyvault import KeyVaultSettings
from renewer.consumers.arm import ArmClient
from renewer.consumers.checks import check_consumer
from renewer.core.models import CertificateSpec
from renewer.core.settings import AzureSettings
from renewer.doctor.arm import ArmError, ArmReader
from renewer.doctor.model import Check


def check_consumers(
    specs: Sequence[CertificateSpec], credentials: dict[AzureSettings, Any]
) -> list[Check]:
    checks: list[Check] = []
    clients: dict[AzureSettings, ArmClient] = {}
    vault_ids: dict[str, str | None] = {}
    try:
        for spec in specs:
            backend = spec.store.backend
            if not isinstance(backend, KeyVaultSettings) or backend.azure not in credentials:
                continue
            azure, credential = backend.azure, credentials[backend.azure]
            url = backend.vault_url.rstrip("/")
            if url not in vault_ids and any(c.resource for c in spec.consumers):
                vault_ids[url] = _vault_id(azure, credential, url)
            vault_id = vault_ids.get(url)
            for consumer in spec.consumers:
                if consumer.resource is None:
                    continue
                arm = clients.get(azure) or clients.setdefault(azure, ArmClient(azure, credential))
                scope = f"{vault_id}/secrets/{spec.name}" if vault_id else None
                area = f"consumer {consumer.describe()} ({spec.name})"
                for ok, line, fix in check_consumer(
                    arm, consumer, f"{url}/secrets/{spec.name}", scope
                ):
                    checks.append(Check(ok, area, line, fix))
    finally:
        for client in clients.values():
            client.close()
    return checks


def _vault_id(azure: AzureSettings, credential: Any, url: str) -> str | None:
    try:
        found = ArmReader(azure, credential).find_vault(url)
    except ArmError:
        return None
    return str(found["id"]) if found else None
