"""``renewer doctor``'s checks of each consumer: it exists, it may read the secret, it watches
the versionless URL (a versioned one never sees a renewal).

Read-only ARM calls (REST specs in Azure/azure-rest-api-specs): the resource
GET of its kind; VirtualMachineExtensions_Get (compute 2024-07-01) for the
extension's ``observedCertificates``; the gateway's ``sslCertificates``
(network 2024-05-01); RoleAssignments_ListForScope (authorization 2022-04-01)
with ``principalId eq`` on the certificate's secret, which lists assignments
at, above and below that scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from renewer.consumers.arm import ArmClient, ArmError
from renewer.core.consumers import ConsumerSpec
from renewer.core.retry import Deadline

API = {
    "vm-extension": "2024-07-01",
    "application-gateway": "2024-05-01",
    "app-service": "2023-12-01",
    "front-door": "2024-02-01",
    "container-apps": "2024-03-01",
    "api-management": "2022-08-01",
}
ROLES_API = "2022-04-01"
READ_ROLES = {  # built-in role ids that may read a secret's value (Learn: built-in roles)
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    # "Read entire certificate contents including secret and key portion": App Service's
    # resource provider is given this one (docs/azure-setup.md, the role table).
    "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba": "Key Vault Certificate User",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
}
Verdict = tuple[bool, str, str]  # ok, what was found, what to do


def check_consumer(
    arm: ArmClient, consumer: ConsumerSpec, secret_url: str, secret_scope: str | None
) -> Iterator[Verdict]:
    """One consumer's verdicts; ``secret_scope``: the secret's ARM id when the vault is known."""
    rid = consumer.resource
    assert rid is not None
    deadline = Deadline.after(30)
    try:
        resource = arm.call("GET", str(rid), API[consumer.kind], deadline)
    except ArmError as exc:
        yield False, f"cannot be read: {exc}", "check the resource id and the renew identity's role"
        return
    yield True, "exists", ""
    principal = str((resource.get("identity") or {}).get("principalId") or "")
    if consumer.kind == "vm-extension":
        yield _extension(arm, consumer, secret_url, deadline)
    if consumer.kind == "application-gateway":
        yield _gateway(resource, consumer, secret_url)
        users = (resource.get("identity") or {}).get("userAssignedIdentities") or {}
        principal = next((str(u.get("principalId")) for u in users.values() if u), "")
    if principal and secret_scope:
        yield _role(arm, principal, secret_scope, deadline)


def _extension(arm: ArmClient, c: ConsumerSpec, url: str, deadline: Deadline) -> Verdict:
    name = "KeyVaultForLinux" if c.os == "linux" else "KeyVaultForWindows"
    try:
        ext = arm.call("GET", f"{c.resource}/extensions/{name}", API[c.kind], deadline)
    except ArmError as exc:
        return False, f"{name} is not installed ({exc.code})", "run renewer azure setup's script"
    settings = (ext.get("properties") or {}).get("settings") or {}
    observed = (settings.get("secretsManagementSettings") or {}).get("observedCertificates") or []
    urls = [o.get("url") if isinstance(o, dict) else o for o in observed]
    if any(_same(str(u), url) for u in urls):
        return True, f"{name} observes {url}", ""
    return False, f"{name} does not observe {url}", "add the versionless URL (azure setup)"


def _gateway(resource: dict[str, Any], c: ConsumerSpec, url: str) -> Verdict:
    certs = (resource.get("properties") or {}).get("sslCertificates") or []
    found = next((x for x in certs if x.get("name") == c.certificate), None)
    if found is None:
        return False, f"has no SSL certificate {c.certificate}", "run renewer azure setup"
    secret_id = str((found.get("properties") or {}).get("keyVaultSecretId") or "")
    if _same(secret_id, url):
        return True, f"SSL certificate {c.certificate} uses the versionless id", ""
    return (
        False,
        f"SSL certificate {c.certificate} uses {secret_id or 'no Key Vault secret'}",
        f"set its Key Vault secret id to the versionless {url}",
    )


def _role(arm: ArmClient, principal: str, scope: str, deadline: Deadline) -> Verdict:
    path = f"{scope}/providers/Microsoft.Authorization/roleAssignments"
    try:
        listed = arm.call(
            "GET", f"{path}?$filter=principalId eq '{principal}'", ROLES_API, deadline
        )
    except ArmError as exc:
        return False, f"its roles cannot be read ({exc.code})", "give renewer Reader on the vault"
    for item in listed.get("value") or []:
        role_id = str((item.get("properties") or {}).get("roleDefinitionId") or "")
        if role_id.rsplit("/", 1)[-1] in READ_ROLES:
            return True, f"its identity holds {READ_ROLES[role_id.rsplit('/', 1)[-1]]}", ""
    return False, "its identity holds no role that reads the secret", "run renewer azure setup"


def _same(found: str, versionless: str) -> bool:
    """The versionless secret URL, whatever the port or trailing slash."""
    return found.rstrip("/").replace(":443/", "/").lower() == versionless.rstrip("/").lower()
