"""The Key Vault stand-in's routes: each REST operation the SDKs call, and its handler.

Paths and route names are those of the SDK 4.12 sources (see tests/rig/keyvault.py);
a route's name ("POST /certificates/{name}/create") is what ``counts``,
``inject`` and the RBAC map (tests/rig/keyvault_rbac.py) key on. Handlers call
the vault's operations (tests/rig/keyvault_ops.py); lists are paged here as
Key Vault pages them (``maxresults`` <= 25, ``nextLink`` with ``$skiptoken``).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from .keyvault_model import Json, bad

if TYPE_CHECKING:
    from .keyvault import KeyVaultStandIn

MAX_PAGE = 25
Handler = Callable[[dict[str, str], dict[str, str], Json], tuple[int, Json | None]]
Route = tuple[str, re.Pattern[str], str, Handler]


def route_table(standin: KeyVaultStandIn) -> list[Route]:
    v = standin.vault
    name = r"(?P<name>[^/]+)"
    version = r"(?P<version>[^/]*)"
    table: list[tuple[str, str, str, Handler]] = [
        (
            "GET",
            r"/certificates/?",
            "GET /certificates",
            lambda g, q, b: list_certificates(standin, q),
        ),
        (
            "GET",
            rf"/certificates/{name}/versions",
            "GET /certificates/{name}/versions",
            lambda g, q, b: page(
                standin, v.certificate_versions(g["name"]), q, f"/certificates/{g['name']}/versions"
            ),
        ),
        (
            "POST",
            rf"/certificates/{name}/create",
            "POST /certificates/{name}/create",
            lambda g, q, b: (202, v.create(g["name"], b)),
        ),
        (
            "POST",
            rf"/certificates/{name}/import",
            "POST /certificates/{name}/import",
            lambda g, q, b: (200, v.import_certificate(g["name"], b)),
        ),
        (
            "GET",
            rf"/certificates/{name}/policy",
            "GET /certificates/{name}/policy",
            lambda g, q, b: (200, v.get_policy(g["name"])),
        ),
        (
            "GET",
            rf"/certificates/{name}/pending",
            "GET /certificates/{name}/pending",
            lambda g, q, b: (200, v.get_operation(g["name"])),
        ),
        (
            "PATCH",
            rf"/certificates/{name}/pending",
            "PATCH /certificates/{name}/pending",
            lambda g, q, b: (200, v.update_operation(g["name"], b)),
        ),
        (
            "DELETE",
            rf"/certificates/{name}/pending",
            "DELETE /certificates/{name}/pending",
            lambda g, q, b: (200, v.delete_operation(g["name"])),
        ),
        (
            "POST",
            rf"/certificates/{name}/pending/merge",
            "POST /certificates/{name}/pending/merge",
            lambda g, q, b: (201, v.merge(g["name"], b)),
        ),
        (
            "GET",
            rf"/certificates/{name}(?:/{version})?",
            "GET /certificates/{name}",
            lambda g, q, b: (200, v.get_certificate(g["name"], g.get("version") or "")),
        ),
        (
            "PATCH",
            rf"/certificates/{name}/{version}",
            "PATCH /certificates/{name}",
            lambda g, q, b: (200, v.update_certificate(g["name"], g["version"], b)),
        ),
        (
            "DELETE",
            rf"/certificates/{name}",
            "DELETE /certificates/{name}",
            lambda g, q, b: (200, v.delete_certificate(g["name"])),
        ),
        (
            "GET",
            rf"/deletedcertificates/{name}",
            "GET /deletedcertificates/{name}",
            lambda g, q, b: (200, v.get_deleted_certificate(g["name"])),
        ),
        (
            "POST",
            rf"/deletedcertificates/{name}/recover",
            "POST /deletedcertificates/{name}/recover",
            lambda g, q, b: (200, v.recover_deleted_certificate(g["name"])),
        ),
        (
            "DELETE",
            rf"/deletedcertificates/{name}",
            "DELETE /deletedcertificates/{name}",
            lambda g, q, b: (204, v.purge_deleted_certificate(g["name"])),
        ),
        (
            "DELETE",
            rf"/secrets/{name}",
            "DELETE /secrets/{name}",
            lambda g, q, b: (200, v.delete_secret(g["name"])),
        ),
        (
            "GET",
            rf"/deletedsecrets/{name}",
            "GET /deletedsecrets/{name}",
            lambda g, q, b: (200, v.get_deleted_secret(g["name"])),
        ),
        (
            "POST",
            rf"/deletedsecrets/{name}/recover",
            "POST /deletedsecrets/{name}/recover",
            lambda g, q, b: (200, v.recover_deleted_secret(g["name"])),
        ),
        (
            "GET",
            rf"/secrets/{name}/versions",
            "GET /secrets/{name}/versions",
            lambda g, q, b: page(
                standin, v.secret_versions(g["name"]), q, f"/secrets/{g['name']}/versions"
            ),
        ),
        (
            "GET",
            rf"/secrets/{name}(?:/{version})?",
            "GET /secrets/{name}",
            lambda g, q, b: (200, v.get_secret(g["name"], g.get("version") or "")),
        ),
        (
            "PUT",
            rf"/secrets/{name}/?",
            "PUT /secrets/{name}",
            lambda g, q, b: (200, v.set_secret(g["name"], b)),
        ),
        (
            "PATCH",
            rf"/secrets/{name}/{version}",
            "PATCH /secrets/{name}",
            lambda g, q, b: (200, v.update_secret(g["name"], g["version"], b)),
        ),
    ]
    return [(m, re.compile(f"^{p}$"), key, h) for m, p, key, h in table]


def list_certificates(standin: KeyVaultStandIn, query: dict[str, str]) -> tuple[int, Json]:
    include = query.get("includePending", "false").lower() == "true"
    return page(standin, standin.vault.list_certificates(include), query, "/certificates")


def page(
    standin: KeyVaultStandIn, items: list[Json], query: dict[str, str], path: str
) -> tuple[int, Json]:
    try:
        size = int(query.get("maxresults") or standin.page_size)
    except ValueError:
        raise bad("maxresults must be an integer") from None
    if not 1 <= size <= MAX_PAGE:
        raise bad(f"maxresults must be between 1 and {MAX_PAGE}")
    size = min(size, standin.page_size)
    offset = 0
    if query.get("$skiptoken"):
        padded = query["$skiptoken"] + "=" * (-len(query["$skiptoken"]) % 4)
        offset = int(json.loads(base64.urlsafe_b64decode(padded))["NextMarker"])
    page = items[offset : offset + size]
    next_link = None
    if offset + size < len(items):
        token = (
            base64.urlsafe_b64encode(
                json.dumps({"NextMarker": offset + size, "TargetLocation": 0}).encode()
            )
            .decode()
            .rstrip("=")
        )
        next_link = (
            f"{standin.url}{path}?api-version={query['api-version']}"
            f"&$skiptoken={token}&maxresults={size}"
        )
    return 200, {"value": page, "nextLink": next_link}
