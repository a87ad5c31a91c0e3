"""Read-only ARM calls the doctor needs, with the run's credential and trust.

Only GETs; each failure is an ``ArmError`` with ARM's status and code, which
the checks turn into one line. Sources: ARM REST specs in
Azure/azure-rest-api-specs (subscriptions, Resources_List, Vaults_Get,
Permissions_ListForResource).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import requests

from renewer.core.errors import RenewerError
from renewer.core.settings import AzureSettings

TIMEOUT = 15
SUBSCRIPTIONS_API = "2022-12-01"
RESOURCES_API = "2021-04-01"
KEYVAULT_API = "2023-07-01"
PERMISSIONS_API = "2022-04-01"


class ArmError(RenewerError):
    def __init__(self, status: int | None, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Permissions:
    """Effective permissions at one scope (union of the caller's role assignments)."""

    entries: tuple[dict[str, Any], ...]

    def allows(self, action: str, *, data: bool) -> bool:
        key, deny = ("dataActions", "notDataActions") if data else ("actions", "notActions")
        for entry in self.entries:
            if _matches(action, entry.get(key) or ()) and not _matches(
                action, entry.get(deny) or ()
            ):
                return True
        return False


def _matches(action: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in patterns)


class ArmReader:
    """GET JSON from Azure Resource Manager as the signed-in identity."""

    def __init__(self, azure: AzureSettings, credential: Any) -> None:
        self.endpoint = azure.resolved_arm_endpoint
        self.verify: str | bool = str(azure.ca_bundle) if azure.ca_bundle else True
        self.credential = credential

    def get(self, path: str, api_version: str, **params: str) -> Any:
        token = self.credential.get_token(self.endpoint + "/.default").token
        try:
            response = requests.get(
                self.endpoint + path,
                params={"api-version": api_version, **params},
                headers={"Authorization": f"Bearer {token}"},
                verify=self.verify,
                timeout=TIMEOUT,
            )
        except requests.RequestException as exc:
            raise ArmError(None, "Unreachable", f"cannot reach {self.endpoint}: {exc}") from None
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {}
        if response.status_code >= 400:
            error = body.get("error") if isinstance(body, dict) else None
            error = error if isinstance(error, dict) else {}
            raise ArmError(
                response.status_code,
                str(error.get("code") or response.reason),
                str(error.get("message") or "").splitlines()[0][:200] if error else "",
            )
        return body

    def permissions(self, scope: str) -> Permissions:
        body = self.get(scope + "/providers/Microsoft.Authorization/permissions", PERMISSIONS_API)
        return Permissions(tuple(e for e in body.get("value") or () if isinstance(e, dict)))

    def find_vault(self, vault_url: str) -> dict[str, Any] | None:
        """The vault resource whose vaultUri is ``vault_url`` in any visible subscription."""
        wanted = vault_url.rstrip("/").lower()
        host = wanted.split("//")[-1].split("/")[0]
        name = host.split(".")[0]
        subs = self.get("/subscriptions", SUBSCRIPTIONS_API).get("value") or []
        for sub in subs:
            listed = self.get(
                f"/subscriptions/{sub['subscriptionId']}/resources",
                RESOURCES_API,
                **{"$filter": "resourceType eq 'Microsoft.KeyVault/vaults'"},
            )
            for item in listed.get("value") or []:
                by_name = str(item.get("name", "")).lower() == name
                if not by_name and not host.replace(".", "").replace(":", "").isdigit():
                    continue  # a vault with a DNS name is found by name; a bare IP by URI
                vault = self.get(str(item["id"]), KEYVAULT_API)
                uri = str((vault.get("properties") or {}).get("vaultUri", "")).rstrip("/")
                if uri.lower() == wanted:
                    return dict(vault)
        return None
