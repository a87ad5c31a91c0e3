"""Faults the Key Vault stand-in can answer with, for retry and crash-safety tests.

``429`` and ``503`` (with ``Retry-After``) as Key Vault throttles and fails over;
``drop`` and ``drop-after`` close the connection before or after the request is
carried out; the transient 409s real vaults answer around pending operations.
Injected with ``KeyVaultStandIn.inject`` (tests/rig/keyvault.py).
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from .keyvault_model import Json

CONFLICT_KINDS = ("409-parallel", "409-deleting")
"""Transient 409s seen on real vaults around pending operations (see ``_conflict``)."""


@dataclass
class VaultFault:
    """Answer the next ``count`` requests on ``route`` (optionally for one ``name``) badly.

    kind: ``429`` (with ``Retry-After``), ``503`` (with ``Retry-After`` unless None),
    ``drop`` (close the connection without a response; nothing was done) or
    ``drop-after`` (the request is carried out, then the connection is closed: the
    client never learns it succeeded).
    """

    route: str  # e.g. "POST /certificates/{name}/pending/merge", as in ``counts``
    count: int
    kind: str
    retry_after: str | None = "1"
    name: str | None = None


@dataclass(frozen=True)
class Served:
    """A request answered by an injected fault."""

    route: str
    name: str | None
    kind: str
    at: float


class FaultReply(Protocol):
    """What of a request handler a fault needs: its connection and a way to answer."""

    close_connection: bool
    path: str
    wfile: Any
    connection: Any

    def reply(self, status: int, payload: Json | None, headers: dict[str, str]) -> None: ...


def serve_fault(request: FaultReply, fault: VaultFault, url: str) -> None:
    """Answer ``request`` as ``fault`` says (dropped, 409, 429 or 503)."""
    if fault.kind.startswith("drop"):
        request.close_connection = True
        request.wfile.flush()
        with contextlib.suppress(OSError):
            request.connection.shutdown(socket.SHUT_RDWR)
        return
    if fault.kind in CONFLICT_KINDS:
        request.close_connection = False
        request.reply(409, conflict(fault.kind, request.path, url), {})
        return
    status = int(fault.kind)
    code = "Throttled" if status == 429 else "ServiceUnavailable"
    message = (
        "Operations per second is over the vault's limit"
        if status == 429
        else "The service is temporarily unavailable"
    )
    headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
    request.close_connection = False
    request.reply(status, {"error": {"code": code, "message": message}}, headers)


def conflict(kind: str, path: str, url: str) -> Json:
    """The body of a transient 409 (no Retry-After on real ones).

    ``409-parallel``: the text reported from live runs in azure-sdk-for-js#24086 and
    #36328 ("There was a conflict while deleting the pending certificate ...
    operations performed in parallel ..."), also retried by azure-sdk-for-go#19568.
    ``409-deleting``: a name whose delete is still in progress (Microsoft Learn,
    soft-delete overview: deletion and purge are asynchronous); text GUESS.
    """
    name = urlsplit(path).path.split("/")[2] if path.count("/") >= 2 else "?"
    ident = f"{url}/certificates/{name}"
    if kind == "409-parallel":
        message = (
            f"There was a conflict while deleting the pending certificate '{ident}'. This "
            "can happen when multiple operations are performed in parallel against the "
            "pending certificate. To avoid this error, perform operations against the "
            "pending certificate in a sequential manner."
        )
        return {"error": {"code": "Conflict", "message": message}}
    message = f"Certificate {name} is currently being deleted and cannot be used; retry later."
    return {
        "error": {
            "code": "Conflict",
            "message": message,
            "innererror": {"code": "ObjectIsBeingDeleted"},
        }
    }
