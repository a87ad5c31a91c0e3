"""What renew does, per kind, so a consumer picks a renewed certificate up now, not in hours.

Only calls Microsoft documents as a way to pick up a new version (the
``ConsumerKind.nudge`` of each kind, sources in renewer/core/consumers.py);
kinds with none (the VM extension polls, Container Apps refreshes by itself)
are left to ``verify``. REST shapes from Azure/azure-rest-api-specs:

* Application Gateway: ``PATCH .../applicationGateways/{name}`` with ``tags``
  (ApplicationGateways_UpdateTags, network 2024-05-01). UpdateTags replaces
  the tags, so the current ones are read first and kept.
* App Service: ``PUT .../Microsoft.Web/certificates/{name}`` with the same
  ``keyVaultId`` and ``keyVaultSecretName`` (Certificates_CreateOrUpdate,
  web 2023-12-01): importing the Key Vault certificate again syncs it.
* API Management: ``POST .../service/{name}/certificates/{id}/refreshSecret``
  (Certificate_RefreshSecret, apimanagement 2022-08-01).
* Front Door with a pinned version: ``PUT .../profiles/{name}/secrets/{secret}``
  with ``secretVersion`` set to the new version (Secrets_Create, cdn
  2024-02-01, long-running).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from renewer.consumers.arm import ArmClient
from renewer.core.consumers import ConsumerSpec, ResourceId
from renewer.core.retry import Deadline

NETWORK_API = "2024-05-01"
WEB_API = "2023-12-01"
APIM_API = "2022-08-01"
CDN_API = "2024-02-01"
NUDGE_TAG = "renewer-certificate-version"


@dataclass(frozen=True)
class Target:
    """One nudge to make: the consumer, its certificate's name and the new version."""

    certificate: str
    consumer: ConsumerSpec
    version: str

    @property
    def resource(self) -> ResourceId:
        assert self.consumer.resource is not None  # only consumers with a resource are nudged
        return self.consumer.resource


def nudge_gateway(arm: ArmClient, target: Target, deadline: Deadline) -> str:
    path = str(target.resource)
    gateway = arm.call("GET", path, NETWORK_API, deadline)
    tags = dict(gateway.get("tags") or {})
    tags[NUDGE_TAG] = f"{target.certificate}/{target.version}"
    arm.call("PATCH", path, NETWORK_API, deadline, {"tags": tags})
    return f"tag {NUDGE_TAG} set: the gateway checks Key Vault now"


def nudge_app_service(arm: ArmClient, target: Target, deadline: Deadline) -> str:
    rid = target.resource
    name = target.consumer.certificate or target.certificate
    path = f"{rid.group_id}/providers/Microsoft.Web/certificates/{name}"
    current = arm.call("GET", path, WEB_API, deadline)
    props = current.get("properties") or {}
    keep = ("keyVaultId", "keyVaultSecretName", "serverFarmId", "password", "hostNames")
    body = {
        "location": current.get("location"),
        "properties": {k: props[k] for k in keep if props.get(k) is not None},
    }
    done = arm.call("PUT", path, WEB_API, deadline, body)
    thumbprint = (done.get("properties") or {}).get("thumbprint")
    return f"imported again from Key Vault (thumbprint {thumbprint})" if thumbprint else "imported"


def nudge_api_management(arm: ArmClient, target: Target, deadline: Deadline) -> str:
    path = f"{target.resource}/certificates/{target.consumer.certificate}/refreshSecret"
    arm.call("POST", path, APIM_API, deadline)
    return "refreshSecret: the service fetched the new version"


def nudge_front_door(arm: ArmClient, target: Target, deadline: Deadline) -> str | None:
    if not target.consumer.pinned:
        return None  # "Latest": Front Door deploys it by itself
    path = f"{target.resource}/secrets/{target.consumer.secret}"
    secret = arm.call("GET", path, CDN_API, deadline)
    parameters = dict((secret.get("properties") or {}).get("parameters") or {})
    parameters["secretVersion"] = target.version
    parameters["useLatestVersion"] = False
    arm.call("PUT", path, CDN_API, deadline, {"properties": {"parameters": parameters}})
    return f"secret pointed at version {target.version}"


Nudge = Callable[[ArmClient, Target, Deadline], Any]
NUDGES: dict[str, Nudge] = {
    "application-gateway": nudge_gateway,
    "app-service": nudge_app_service,
    "api-management": nudge_api_management,
    "front-door": nudge_front_door,
}
"""Per kind, the call that makes it pick up now; a kind not here waits for its own poll."""
