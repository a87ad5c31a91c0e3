"""Which Key Vault RBAC data action each stand-in route needs, and the built-in roles.

Sources: Microsoft Learn, "Azure permissions for Security - Microsoft.KeyVault"
(learn.microsoft.com/azure/role-based-access-control/permissions/security#microsoftkeyvault)
lists the data actions (``Microsoft.KeyVault/vaults/certificates/read``,
``.../certificates/create/action``, ``.../import/action``, ``.../update/action``,
``.../delete``, ``.../recover/action``, ``.../purge/action``,
``.../secrets/getSecret/action``, ``.../secrets/readMetadata/action``,
``.../secrets/setSecret/action``, ``.../secrets/update/action``); "Azure built-in
roles for Security" gives Key Vault Certificates Officer as
``Microsoft.KeyVault/vaults/certificates/*`` (+ certificatecas/*,
certificatecontacts/write) and Key Vault Secrets Officer as
``Microsoft.KeyVault/vaults/secrets/*``.

GUESS: which action the pending-operation routes need (the operations page
does not say; modelled as update for GET/PATCH/merge and delete for DELETE).
"""

from __future__ import annotations

from .keyvault_model import VaultError

PREFIX = "Microsoft.KeyVault/vaults/"
CERT_READ = PREFIX + "certificates/read"
CERT_CREATE = PREFIX + "certificates/create/action"
CERT_IMPORT = PREFIX + "certificates/import/action"
CERT_UPDATE = PREFIX + "certificates/update/action"
CERT_DELETE = PREFIX + "certificates/delete"
CERT_RECOVER = PREFIX + "certificates/recover/action"
CERT_PURGE = PREFIX + "certificates/purge/action"
SECRET_GET = PREFIX + "secrets/getSecret/action"
SECRET_META = PREFIX + "secrets/readMetadata/action"
SECRET_SET = PREFIX + "secrets/setSecret/action"
SECRET_UPDATE = PREFIX + "secrets/update/action"

ROUTE_ACTIONS = {
    "GET /certificates": CERT_READ,
    "GET /certificates/{name}": CERT_READ,
    "GET /certificates/{name}/versions": CERT_READ,
    "GET /certificates/{name}/policy": CERT_READ,
    "POST /certificates/{name}/create": CERT_CREATE,
    "POST /certificates/{name}/import": CERT_IMPORT,
    "PATCH /certificates/{name}": CERT_UPDATE,
    "GET /certificates/{name}/pending": CERT_READ,
    "PATCH /certificates/{name}/pending": CERT_UPDATE,
    "POST /certificates/{name}/pending/merge": CERT_UPDATE,
    "DELETE /certificates/{name}/pending": CERT_DELETE,
    "DELETE /certificates/{name}": CERT_DELETE,
    "GET /deletedcertificates/{name}": CERT_READ,
    "POST /deletedcertificates/{name}/recover": CERT_RECOVER,
    "DELETE /deletedcertificates/{name}": CERT_PURGE,
    "GET /secrets/{name}": SECRET_GET,
    "GET /secrets/{name}/versions": SECRET_META,
    "PUT /secrets/{name}": SECRET_SET,
    "PATCH /secrets/{name}": SECRET_UPDATE,
    "DELETE /secrets/{name}": PREFIX + "secrets/delete",
    "GET /deletedsecrets/{name}": SECRET_META,
    "POST /deletedsecrets/{name}/recover": PREFIX + "secrets/recover/action",
}

CERTIFICATES_OFFICER = frozenset(a for a in ROUTE_ACTIONS.values() if "/certificates/" in a)
SECRETS_OFFICER = frozenset(a for a in ROUTE_ACTIONS.values() if "/secrets/" in a)
# Key Vault Reader ("Azure built-in roles for Security"): data actions
# Microsoft.KeyVault/vaults/*/read and .../secrets/readMetadata/action: properties and
# tags of everything, never a secret's value (getSecret) nor a key.
READER = frozenset(a for a in ROUTE_ACTIONS.values() if a.endswith("/read")) | {SECRET_META}
ROLES = {
    "Key Vault Certificates Officer": CERTIFICATES_OFFICER,
    "Key Vault Secrets Officer": SECRETS_OFFICER,
}
"""The roles renewer's renew identity holds (arm_keyvault.py grants and revokes them)."""


def reader_denied() -> set[str]:
    """What an identity holding only Key Vault Reader is denied (``denied_actions``)."""
    return set(ROUTE_ACTIONS.values()) - READER


def data_action(route: str) -> str | None:
    """The data action a route (as in ``KeyVaultStandIn.counts``) needs; None if unknown."""
    return ROUTE_ACTIONS.get(route)


def forbidden(
    url: str, method: str, route: str, name: str, action: str | None = None
) -> VaultError:
    """The 403 of an RBAC denial (Key Vault's "ForbiddenByRbac" shape) for ``route``."""
    kind = "secrets" if route.split()[1].startswith("/secrets") else "certificates"
    denied = action or f"Microsoft.KeyVault/vaults/{kind}/{'read' if method == 'GET' else 'write'}"
    return VaultError(
        403,
        "Forbidden",
        "Caller is not authorized to perform action on resource.\r\n"
        "If role assignments, deny assignments or role definitions were changed recently, "
        "please observe propagation time.\r\n"
        f"Caller: appid=00000000-0000-0000-0000-000000000000;oid=standin\r\n"
        f"Action: '{denied}'\r\n"
        f"Resource: '{url}/{kind}/{name}'\r\n"
        "Assignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC'\r\n",
        inner="ForbiddenByRbac",
    )
