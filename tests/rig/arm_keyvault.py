"""ARM routes of the stand-in that ``renewer doctor`` reads: subscriptions, vaults, permissions.

Served by ``ArmDns`` (tests/rig/arm.py) next to the DNS record sets, with the
same bearer token. Shapes from the ARM REST specs (Azure/azure-rest-api-specs):

- ``GET /subscriptions?api-version=2022-12-01`` (specification/resources,
  subscriptions.json): ``{"value": [{"id", "subscriptionId", "displayName", "state"}]}``;
- ``GET /subscriptions/{s}/resources?$filter=resourceType eq
  'Microsoft.KeyVault/vaults'&api-version=2021-04-01`` (resources.json,
  Resources_List): generic resources ``{"id", "name", "type", "location"}``;
- ``GET {vault id}?api-version=2023-07-01`` (specification/keyvault/resource-manager,
  keyvault.json, Vaults_Get): ``properties.vaultUri``, ``enableSoftDelete``,
  ``softDeleteRetentionInDays``, ``enableRbacAuthorization``, ``enablePurgeProtection``
  (absent when off: it cannot be turned off once on), ``accessPolicies``;
- ``GET {scope}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01``
  (specification/authorization, Permissions_ListForResource): the caller's
  effective ``actions``/``notActions``/``dataActions``/``notDataActions``.

A vault registered here is backed by a ``KeyVaultStandIn``: removing a role
denies its data actions there too, so what ARM reports is what the vault does.
DNS zones report the actions of "DNS Zone Contributor" unless their
subscription is read-only (``ArmDns.read_only``, a Reader role).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .keyvault import KeyVaultStandIn
from .keyvault_rbac import ROLES

KEYVAULT_API = "2023-07-01"
PERMISSIONS_API = "2022-04-01"
DNS_WRITE = ("Microsoft.Network/dnsZones/TXT/write", "Microsoft.Network/dnsZones/TXT/delete")

SUBSCRIPTIONS = re.compile(r"^/subscriptions/?$", re.IGNORECASE)
RESOURCES = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resources/?$", re.IGNORECASE)
VAULT = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.KeyVault/vaults/(?P<name>[^/]+)"
    r"(?P<perm>/providers/Microsoft\.Authorization/permissions)?/?$",
    re.IGNORECASE,
)
ZONE_PERMISSIONS = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.Network/dnszones/(?P<zone>[^/]+)"
    r"/providers/Microsoft\.Authorization/permissions/?$",
    re.IGNORECASE,
)


@dataclass
class ArmVault:
    """A vault as ARM knows it, backed by a Key Vault stand-in."""

    name: str
    subscription: str
    resource_group: str
    standin: KeyVaultStandIn
    roles: set[str] = field(default_factory=lambda: set(ROLES))
    rbac: bool = True
    location: str = "westeurope"

    @property
    def id(self) -> str:
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.KeyVault/vaults/{self.name}"
        )

    def granted(self) -> set[str]:
        return {action for role in self.roles for action in ROLES[role]}

    def sync(self) -> None:
        """The vault stand-in denies what no remaining role grants."""
        every = {action for actions in ROLES.values() for action in actions}
        self.standin.denied_actions = every - self.granted()

    def resource(self) -> dict[str, Any]:
        vault = self.standin.vault
        properties: dict[str, Any] = {
            "tenantId": self.standin.tenant_id,
            "sku": {"family": "A", "name": "premium" if vault.premium else "standard"},
            "accessPolicies": [],
            "vaultUri": self.standin.url + "/",
            "enableSoftDelete": True,
            "softDeleteRetentionInDays": vault.retention_days,
            "enableRbacAuthorization": self.rbac,
            "provisioningState": "Succeeded",
        }
        if vault.purge_protection:
            properties["enablePurgeProtection"] = True
        return {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.KeyVault/vaults",
            "location": self.location,
            "properties": properties,
        }


class ArmKeyVaults:
    """The subscription, resource and permission routes; ``ArmDns`` dispatches to it."""

    def __init__(self) -> None:
        self.vaults: list[ArmVault] = []

    def register(
        self, standin: KeyVaultStandIn, name: str, subscription: str, resource_group: str
    ) -> ArmVault:
        vault = ArmVault(name, subscription, resource_group, standin)
        self.vaults.append(vault)
        vault.sync()
        return vault

    def remove_role(self, name: str, role: str) -> None:
        vault = next(v for v in self.vaults if v.name == name)
        vault.roles.discard(role)
        vault.sync()

    def handles(self, path: str) -> bool:
        return any(p.match(path) for p in (SUBSCRIPTIONS, RESOURCES, VAULT, ZONE_PERMISSIONS))

    def handle(
        self, path: str, version: str, subscriptions: list[str], read_only: set[str]
    ) -> tuple[int, Any] | None:
        """(status, payload), or None when the path is not one of these routes."""
        if SUBSCRIPTIONS.match(path):
            subs = sorted(set(subscriptions) | {v.subscription for v in self.vaults})
            return 200, {
                "value": [
                    {"id": f"/subscriptions/{s}", "subscriptionId": s, "state": "Enabled"}
                    for s in subs
                ]
            }
        if match := RESOURCES.match(path):
            sub = match["sub"].lower()
            return 200, {
                "value": [
                    {k: v.resource()[k] for k in ("id", "name", "type", "location")}
                    for v in self.vaults
                    if v.subscription.lower() == sub
                ]
            }
        if match := VAULT.match(path):
            found = next((v for v in self.vaults if v.id.lower() == _vault_id(match)), None)
            if found is None:
                return 404, {
                    "error": {
                        "code": "ResourceNotFound",
                        "message": f"The Resource 'Microsoft.KeyVault/vaults/{match['name']}' "
                        "was not found.",
                    }
                }
            if match["perm"]:
                return 200, _permissions(["*/read"], sorted(found.granted()) if found.rbac else [])
            return 200, found.resource()
        if match := ZONE_PERMISSIONS.match(path):
            actions = ["*/read"] if match["sub"].lower() in read_only else ["*/read", *DNS_WRITE]
            return 200, _permissions(actions, [])
        return None


def _vault_id(match: re.Match[str]) -> str:
    return (
        f"/subscriptions/{match['sub']}/resourcegroups/{match['rg']}"
        f"/providers/microsoft.keyvault/vaults/{match['name']}"
    ).lower()


def _permissions(actions: list[str], data_actions: list[str]) -> dict[str, Any]:
    return {
        "value": [
            {
                "actions": actions,
                "notActions": [],
                "dataActions": data_actions,
                "notDataActions": [],
            }
        ]
    }
