"""scaffold.consumer_setup: each consumer's role and wiring in ``azure setup``'s script."""

from __future__ import annotations

import json
import shlex
from dataclasses import replace
from datetime import timedelta

from renewer.config.types.store_keyvault import KeyVaultSettings
from renewer.core.consumers import ConsumerSpec, parse_resource_id
from renewer.core.models import CertificateSpec
from renewer.core.settings import AzureSettings, StoreSettings
from renewer.scaffold.consumer_setup import (
    NUDGE_ROLE,
    SECRETS_USER,
    az_lines,
    extension_settings,
    secret_url,
    vault_name,
)
from tests.unit.factories import spec

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups"
VM = parse_resource_id(f"{SUB}/web/providers/Microsoft.Compute/virtualMachines/iis-01")
AGW = parse_resource_id(f"{SUB}/net/providers/Microsoft.Network/applicationGateways/agw-01")
VAULT = StoreSettings(
    "keyvault",
    KeyVaultSettings(vault_url="https://contoso-certs.vault.azure.net/", azure=AzureSettings()),
)


def vault_spec(*consumers: ConsumerSpec, name: str = "portal") -> CertificateSpec:
    return replace(spec(name), store=VAULT, consumers=consumers)


def test_consumers_watch_the_versionless_secret_url() -> None:
    s = vault_spec()
    assert secret_url(s) == "https://contoso-certs.vault.azure.net/secrets/portal"
    assert vault_name(s) == "contoso-certs"


def test_vm_extension_settings_follow_the_documented_shape() -> None:
    windows = ConsumerSpec(
        "vm-extension", resource=VM, polling=timedelta(minutes=30), accounts=("Network Service",)
    )
    settings = extension_settings(vault_spec(), windows)["secretsManagementSettings"]
    assert settings == {
        "pollingIntervalInS": "1800",
        "linkOnRenewal": True,
        "observedCertificates": [
            {
                "url": "https://contoso-certs.vault.azure.net/secrets/portal",
                "certificateStoreName": "MY",
                "certificateStoreLocation": "LocalMachine",
                "accounts": ["Network Service"],
            }
        ],
    }
    linux = extension_settings(vault_spec(), replace(windows, os="linux"))
    observed = linux["secretsManagementSettings"]["observedCertificates"][0]  # type: ignore[index]
    assert observed["certificateStoreLocation"] == "/var/lib/waagent/Microsoft.Azure.KeyVault.Store"


def test_no_consumer_with_a_resource_writes_nothing() -> None:
    assert az_lines([vault_spec(ConsumerSpec("front-door"), ConsumerSpec("other"))]) == []


def test_each_consumer_gets_the_secret_role_and_the_renew_identity_the_nudge_role() -> None:
    lines = az_lines(
        [
            vault_spec(ConsumerSpec("vm-extension", resource=VM)),
            vault_spec(
                ConsumerSpec("application-gateway", resource=AGW, certificate="www"), name="www"
            ),
        ]
    )
    script = "\n".join(lines)
    role = json.loads(shlex.split(next(x for x in lines if x.startswith("CONSUMER_ROLE=")))[0][14:])
    assert role["Name"] == NUDGE_ROLE
    assert role["AssignableScopes"] == [AGW.group_id, VM.group_id]  # sorted, one per group
    assert script.count(f"--role '{SECRETS_USER}'") == 4  # check + create, per consumer
    assert "# -- vm-extension iis-01: certificate portal" in script
    assert "KeyVaultForWindows" in script and "--vm-name iis-01" in script
    assert 'SECRET_SCOPE="$CONSUMER_VAULT_ID/secrets/"www' in script
