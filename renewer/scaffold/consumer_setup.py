"""The consumers' part of ``renewer azure setup``: each consumer's role on the vault and its wiring.

Why generated: the last mile from Key Vault to a service is where hand-made
setups break (the KeyVaultForWindows extension could not be deployed from the
portal in the article this chain comes from, and was written by hand). Each
consumer here gets exactly what Microsoft Learn documents for it:

* its identity gets **Key Vault Secrets User** (a certificate's private key is
  read through its secret), assigned on that one secret
  (``<vault id>/secrets/<name>``), the narrowest scope Key Vault RBAC allows
  (Learn, key-vault/general/rbac-guide, "Best Practices for individual keys,
  secrets, and certificates role assignments"). The identity per kind:
  the VM's (or scale set's) system-assigned identity (key-vault-windows,
  key-vault-linux), the gateway's user-assigned identity
  (application-gateway/key-vault-certs), the App Service resource provider
  ``abfa0a7c-a6b6-4736-8310-5855508787cd`` (app-service/configure-ssl-certificate),
  Front Door's ``205478c0-bd83-4e1b-a9d6-db63a3e1e1c8``
  (frontdoor/standard-premium/how-to-configure-https-custom-domain), the
  environment's and the API Management service's system-assigned identity;
* then its configuration, always naming the **versionless** secret URL so a
  renewal is picked up without touching it again;
* the renew identity gets one custom role on each consumer's resource group,
  with only the actions its nudges and doctor's checks call.

Every value written to the script is one shell word (``azure_setup.shell_word``); JSON
settings are built with ``json.dumps`` and quoted whole. Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from renewer.config.types.store_keyvault import KeyVaultSettings
from renewer.core.consumers import ConsumerSpec, ResourceId
from renewer.core.models import CertificateSpec
from renewer.scaffold.azure_setup import shell_word

SECRETS_USER = "Key Vault Secrets User"
APP_SERVICE_APP_ID = "abfa0a7c-a6b6-4736-8310-5855508787cd"
FRONT_DOOR_APP_ID = "205478c0-bd83-4e1b-a9d6-db63a3e1e1c8"
NUDGE_ROLE = "Certificate consumers (renewer)"
NUDGE_ACTIONS = (  # what renewer.consumers calls: nudges after renewal, doctor's reads
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Compute/virtualMachines/extensions/read",
    "Microsoft.Compute/virtualMachineScaleSets/read",
    "Microsoft.Compute/virtualMachineScaleSets/extensions/read",
    "Microsoft.Network/applicationGateways/read",
    "Microsoft.Network/applicationGateways/write",
    "Microsoft.Web/sites/read",
    "Microsoft.Web/certificates/read",
    "Microsoft.Web/certificates/write",
    "Microsoft.Cdn/profiles/secrets/read",
    "Microsoft.Cdn/profiles/secrets/write",
    "Microsoft.App/managedEnvironments/certificates/read",
    "Microsoft.ApiManagement/service/certificates/read",
    "Microsoft.ApiManagement/service/certificates/refreshSecret/action",
)
LINUX_STORE = "/var/lib/waagent/Microsoft.Azure.KeyVault.Store"
EXTENSION_VERSION = "3.0"
FRONT_DOOR_API = "2024-02-01"
CONTAINER_APPS_API = "2024-03-01"
API_MANAGEMENT_API = "2022-08-01"


def _q(value: str) -> str:
    """One bash word that never spans two lines (azure_setup.shell_word's rule)."""
    return shell_word(value)


def vault_name(spec: CertificateSpec) -> str:
    backend = spec.store.backend
    assert isinstance(backend, KeyVaultSettings)  # config: a consumer needs a keyvault store
    return (urlsplit(backend.vault_url).hostname or "").split(".", 1)[0]


def secret_url(spec: CertificateSpec) -> str:
    """The versionless secret URL every consumer watches (a new version is picked up)."""
    backend = spec.store.backend
    assert isinstance(backend, KeyVaultSettings)
    return f"{backend.vault_url.rstrip('/')}/secrets/{spec.name}"


def extension_settings(spec: CertificateSpec, consumer: ConsumerSpec) -> dict[str, object]:
    """KeyVaultForWindows / KeyVaultForLinux 3.0 settings (Learn: key-vault-windows, -linux)."""
    polling = str(int(consumer.polling.total_seconds()))
    if consumer.os == "linux":
        observed: dict[str, object] = {
            "url": secret_url(spec),
            "certificateStoreLocation": LINUX_STORE,
        }
        return {
            "secretsManagementSettings": {
                "pollingIntervalInS": polling,
                "observedCertificates": [observed],
            }
        }
    observed = {
        "url": secret_url(spec),
        "certificateStoreName": consumer.store_name,
        "certificateStoreLocation": consumer.store_location,
    }
    if consumer.accounts:
        observed["accounts"] = list(consumer.accounts)
    return {
        "secretsManagementSettings": {
            "pollingIntervalInS": polling,
            "linkOnRenewal": True,
            "observedCertificates": [observed],
        }
    }


def _assign(
    principal: str = '"$CONSUMER_PRINCIPAL"',
    scope: str = '"$SECRET_SCOPE"',
    role: str = SECRETS_USER,
) -> list[str]:
    """Create the role assignment only if it is not there yet (idempotent).

    ``principal`` and ``scope`` are shell words, already quoted.
    """
    check = (
        f"az role assignment list --assignee {principal} --role {_q(role)} --scope {scope}"
        ' --query "[0].id" --output tsv'
    )
    create = (
        f"az role assignment create --assignee-object-id {principal}"
        f" --assignee-principal-type ServicePrincipal --role {_q(role)} --scope {scope}"
        " --output none"
    )
    return [f'if [ -z "$({check})" ]; then', f"  {create}", "fi"]


def _need(message: str) -> list[str]:
    return [
        'if [ -z "$CONSUMER_PRINCIPAL" ]; then',
        f"  echo {_q(message)} >&2; exit 3",
        "fi",
    ]


def _rest_put(url: str, body: Mapping[str, object]) -> str:
    return f"az rest --method put --url {_q(url)} --body {_q(json.dumps(body))} --output none"


def _vm(spec: CertificateSpec, c: ConsumerSpec, rid: ResourceId) -> list[str]:
    group = "vmss" if rid.provider_type.lower().endswith("scalesets") else "vm"
    name_flag = "--vmss-name" if group == "vmss" else "--vm-name"
    extension = "KeyVaultForLinux" if c.os == "linux" else "KeyVaultForWindows"
    settings = json.dumps(extension_settings(spec, c), indent=None)
    return [
        f"CONSUMER_PRINCIPAL=$(az {group} identity assign --ids {_q(str(rid))}"
        " --query systemAssignedIdentity --output tsv)",
        *_assign(),
        f"az {group} extension set --resource-group {_q(rid.resource_group)} {name_flag}"
        f" {_q(rid.name)} --subscription {_q(rid.subscription)} --name {extension}"
        f" --publisher Microsoft.Azure.KeyVault --version {EXTENSION_VERSION}"
        f" --settings {_q(settings)} --output none",
    ]


def _gateway(spec: CertificateSpec, c: ConsumerSpec, rid: ResourceId) -> list[str]:
    where = (
        f"--resource-group {_q(rid.resource_group)} --gateway-name {_q(rid.name)}"
        f" --subscription {_q(rid.subscription)} --name {_q(c.certificate)}"
    )
    return [
        f"CONSUMER_PRINCIPAL=$(az network application-gateway show --ids {_q(str(rid))}"
        ' --query "values(identity.userAssignedIdentities)[0].principalId" --output tsv)',
        *_need(
            f"application gateway {rid.name} has no user-assigned managed identity to read "
            "Key Vault with: assign one (az network application-gateway identity assign), "
            "then run this again"
        ),
        *_assign(),
        f"if az network application-gateway ssl-cert show {where} --output none 2>/dev/null; then",
        f"  az network application-gateway ssl-cert update {where}"
        f" --key-vault-secret-id {_q(secret_url(spec))} --output none",
        "else",
        f"  az network application-gateway ssl-cert create {where}"
        f" --key-vault-secret-id {_q(secret_url(spec))} --output none",
        "fi",
    ]


def _app_service(spec: CertificateSpec, c: ConsumerSpec, rid: ResourceId) -> list[str]:
    site = f"--resource-group {_q(rid.resource_group)} --name {_q(rid.name)}"
    site += f" --subscription {_q(rid.subscription)}"
    return [
        f"CONSUMER_PRINCIPAL=$(az ad sp show --id {APP_SERVICE_APP_ID} --query id --output tsv)",
        *_assign(),
        f"THUMBPRINT=$(az webapp config ssl import {site} --key-vault {_q(vault_name(spec))}"
        f" --key-vault-certificate-name {_q(spec.name)}"
        f" --certificate-name {_q(c.certificate or spec.name)} --query thumbprint --output tsv)",
        f'az webapp config ssl bind {site} --certificate-thumbprint "$THUMBPRINT"'
        f" --ssl-type SNI --hostname {_q(c.hostname)} --output none",
    ]


def _front_door(spec: CertificateSpec, c: ConsumerSpec, rid: ResourceId) -> list[str]:
    url = f"{rid}/secrets/{c.secret}?api-version={FRONT_DOOR_API}"
    body: dict[str, object] = {
        "properties": {
            "parameters": {
                "type": "CustomerCertificate",
                "secretSource": {"id": "SECRET_SCOPE"},
                "useLatestVersion": not c.pinned,
            }
        }
    }
    put = _rest_put(url, body).replace("SECRET_SCOPE", "'\"$SECRET_SCOPE\"'")
    return [
        f"CONSUMER_PRINCIPAL=$(az ad sp show --id {FRONT_DOOR_APP_ID} --query id --output tsv)",
        *_assign(),
        put,
    ]


def _container_apps(spec: CertificateSpec, c: ConsumerSpec, rid: ResourceId) -> list[str]:
    url = f"{rid}/certificates/{c.certificate}?api-version={CONTAINER_APPS_API}"
    body = {
        "location": "LOCATION_OF_ENV",
        "properties": {
            "certificateKeyVaultProperties": {"identity": "system", "keyVaultUrl": secret_url(spec)}
        },
    }
    put = _rest_put(url, body).replace("LOCATION_OF_ENV", "'\"$ENV_LOCATION\"'")
    return [
        f"ENV_LOCATION=$(az resource show --ids {_q(str(rid))} --query location --output tsv)",
        f"CONSUMER_PRINCIPAL=$(az resource show --ids {_q(str(rid))}"
        " --query identity.principalId --output tsv)",
        *_need(
            f"container apps environment {rid.name} has no system-assigned identity: "
            "enable it, then run this again"
        ),
        *_assign(),
        put,
    ]


def _api_management(spec: CertificateSpec, c: ConsumerSpec, rid: ResourceId) -> list[str]:
    url = f"{rid}/certificates/{c.certificate}?api-version={API_MANAGEMENT_API}"
    body = {"properties": {"keyVault": {"secretIdentifier": secret_url(spec)}}}
    return [
        f"CONSUMER_PRINCIPAL=$(az apim show --resource-group {_q(rid.resource_group)}"
        f" --name {_q(rid.name)} --subscription {_q(rid.subscription)}"
        " --query identity.principalId --output tsv)",
        *_need(
            f"API Management service {rid.name} has no system-assigned identity: enable it "
            "(az apim update --enable-managed-identity true), then run this again"
        ),
        *_assign(),
        _rest_put(url, body),
    ]


WIRING = {
    "vm-extension": _vm,
    "application-gateway": _gateway,
    "app-service": _app_service,
    "front-door": _front_door,
    "container-apps": _container_apps,
    "api-management": _api_management,
}
"""Per kind: the lines that give its identity the role and configure it."""


def az_lines(specs: Iterable[CertificateSpec]) -> list[str]:
    """The consumers' section of the setup script ([] when no consumer names a resource)."""
    pairs = [
        (spec, c)
        for spec in specs
        for c in spec.consumers
        if c.resource is not None and c.kind in WIRING
    ]
    if not pairs:
        return []
    groups = sorted({c.resource.group_id for _, c in pairs if c.resource})
    role = {
        "Name": NUDGE_ROLE,
        "Description": "Read certificate consumers; nudge them to pick up a renewed version.",
        "Actions": list(NUDGE_ACTIONS),
        "AssignableScopes": groups,
    }
    out = [
        "",
        "# == consumers: each one's identity reads its certificate's secret (Key Vault",
        "# Secrets User on that secret only); renewer may nudge them after a renewal.",
        f"CONSUMER_ROLE={_q(json.dumps(role))}",
        f'if [ -z "$(az role definition list --name {_q(NUDGE_ROLE)} --query "[0].id"'
        ' --output tsv)" ]; then',
        '  az role definition create --role-definition "$CONSUMER_ROLE" --output none',
        "else",
        '  az role definition update --role-definition "$CONSUMER_ROLE" --output none',
        "fi",
    ]
    for spec, consumer in pairs:
        rid = consumer.resource
        assert rid is not None
        out += [
            "",
            f"# -- {consumer.kind} {_q(rid.name)}: certificate {_q(spec.name)}",
            f"CONSUMER_VAULT_ID=$(az keyvault show --name {_q(vault_name(spec))}"
            " --query id --output tsv)",
            f'SECRET_SCOPE="$CONSUMER_VAULT_ID/secrets/"{_q(spec.name)}',
            *WIRING[consumer.kind](spec, consumer, rid),
            *_assign('"$PRINCIPAL_ID"', _q(rid.group_id), NUDGE_ROLE),
        ]
    return out
