"""A Key Vault REST stand-in for the real azure-keyvault-certificates / -secrets SDKs.

Why a stand-in: the emulators the design names (azure-keyvault-emulator via
``go install``, lowkey-vault from Maven Central) cannot be installed here, so
the boundary under test is HTTP: renewer's store drives the REAL SDK clients,
which talk HTTPS to this server.  What it serves was taken from the SDK 4.12
sources (routes, ``api-version``, JSON field names, status codes per
operation) and from Key Vault's documented behaviour:

- Challenge auth: a request without ``Authorization`` gets 401 with
  ``WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/<tenant>",
  resource="https://vault.azure.net"``; the SDK then asks its credential for
  ``https://vault.azure.net/.default`` and resends.  Tokens are opaque and only
  those minted by ``credential()`` are accepted (unexpired).
- Certificates: create (issuer ``Unknown``: key + CSR made here, 202 + pending
  operation; ``Self``: self-signed), pending GET/PATCH/DELETE, merge (the
  leaf's public key must match the pending key; 201), import (PFX or PEM with a
  PKCS#8 key), GET latest / by version, PATCH tags, versions, a paged list
  (``maxresults`` <= 25, ``nextLink`` with ``$skiptoken``) whose items carry
  attributes, tags and x5t but no version.
- Secrets: PUT (new version), GET (latest / version; disabled -> 403), PATCH,
  versions; each certificate version links a managed secret of the same name
  and version holding PKCS#12 (base64) or PEM of key and chain, without the key
  when the policy is not exportable.
- Errors: ``{"error": {"code", "message"[, "innererror"]}}``; 403 for names in
  ``forbidden`` (shaped like an RBAC denial); 409 on create while an operation
  is pending.
- Issue 11 (sources in keyvault_lifecycle.py / keyvault_rbac.py): soft delete
  (``DELETE /certificates/{name}``, ``/deletedcertificates/{name}`` get, recover
  after ``recovery_delay``, purge; 409 ``ObjectIsDeletedButRecoverable`` on a
  soft-deleted name), the create-time placeholder version (``placeholder_current``
  switches whether it is the listed current item), import 409 while pending,
  transient 409 faults (``inject(route, n, "409-parallel" | "409-deleting")``) and
  RBAC data actions (``denied_actions``).

GUESSES (no real vault to check against; marked GUESS in keyvault_model.py /
keyvault_ops.py): exact error message texts; a brand-new certificate awaiting
its merge reads as a disabled bundle without ``cer``; the previous version
stays current while a renewal is pending; chain order without
``preserveCertOrder`` (modelled as reversed); HSM keys cannot be exportable
without a release policy; a certificate's linked secret cannot be overwritten
(409); the tag-limit error texts.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
import secrets
import socket
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

from .keyvault_model import Json, VaultError, bad
from .keyvault_ops import Vault
from .keyvault_rbac import data_action
from .threaded import ThreadedServer
from .tls import TlsMaterial

_LOG = logging.getLogger(__name__)
VAULT_RESOURCE = "https://vault.azure.net"
VAULT_SCOPE = f"{VAULT_RESOURCE}/.default"
DEFAULT_TENANT = "72f988bf-0000-4000-8000-00000000cafe"
MAX_PAGE = 25

Handler = Callable[[dict[str, str], dict[str, str], Json], tuple[int, Json | None]]
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


@dataclass(frozen=True)
class Recorded:
    """One authenticated request as the stand-in saw it (body as sent by the client)."""

    method: str
    path: str
    route: str
    name: str | None
    status: int
    body: bytes


class StandInCredential:
    """A TokenCredential whose tokens the stand-in (and only it) accepts."""

    def __init__(self, vault: KeyVaultStandIn) -> None:
        self._vault = vault
        self.issued = 0

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        if scopes != (VAULT_SCOPE,):
            raise ClientAuthenticationError(f"stand-in credential: unexpected scopes {scopes}")
        if tenant_id not in (None, self._vault.tenant_id):
            raise ClientAuthenticationError(f"stand-in credential: unknown tenant {tenant_id}")
        self.issued += 1
        return self._vault.mint_token()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: KeyVaultStandIn

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client killed mid-handshake (crash-safety tests SIGKILL renewer) is expected:
        # no traceback on stderr for it.
        _LOG.debug("keyvault stand-in: connection from %s failed", client_address, exc_info=True)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the
    # client's delayed ACK (~40 ms a response on loopback), which the real service
    # (one TLS record stream from a front end) does not add. Measured in bench/.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        self.server.standin.handle(self, "GET")

    def do_PUT(self) -> None:
        self.server.standin.handle(self, "PUT")

    def do_POST(self) -> None:
        self.server.standin.handle(self, "POST")

    def do_PATCH(self) -> None:
        self.server.standin.handle(self, "PATCH")

    def do_DELETE(self) -> None:
        self.server.standin.handle(self, "DELETE")

    def reply(self, status: int, payload: Json | None, headers: dict[str, str]) -> None:
        data = json.dumps(payload).encode() if payload is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        self.send_header("x-ms-keyvault-service-version", "1.9.0.0-standin")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _forget_challenges() -> None:
    """Drop the Key Vault SDKs' process-wide challenge caches.

    The SDKs remember each vault's 401 challenge (its tenant and resource) by
    host and port for the life of the process (``_shared/http_challenge_cache``).
    A stand-in started on a port an earlier stand-in used would otherwise be
    asked with that one's tenant, which this stand-in's credential refuses: a
    flake that depends only on which free port the OS hands out.
    """
    from azure.keyvault.certificates._shared import http_challenge_cache as certificates
    from azure.keyvault.secrets._shared import http_challenge_cache as secrets_cache

    certificates.clear()
    secrets_cache.clear()


class KeyVaultStandIn(ThreadedServer[_Server]):
    """A threaded HTTPS Key Vault on 127.0.0.1; use as a context manager or start()/stop()."""

    def __init__(
        self,
        tls: TlsMaterial,
        *,
        tenant_id: str = DEFAULT_TENANT,
        page_size: int = MAX_PAGE,
        premium: bool = True,
        forbidden: Iterable[str] = (),
    ) -> None:
        self.tls = tls
        self.tenant_id = tenant_id
        self.page_size = page_size
        self.forbidden = {n.lower() for n in forbidden}
        # RBAC data actions this identity lacks (tests/rig/keyvault_rbac.py maps routes).
        self.denied_actions: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.by_name: Counter[tuple[str, str]] = Counter()
        self.challenges = 0
        self.requests: list[Recorded] = []
        self.vault = Vault("https://unstarted", premium=premium)
        self._tokens: dict[str, float] = {}
        self._stats = threading.Lock()
        self._routes = self._route_table()
        self.faults: list[VaultFault] = []
        self.faulted: list[Served] = []

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Key Vault stand-in is not running")
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    @property
    def ca_bundle(self) -> Path:
        return self.tls.root

    def start(self) -> KeyVaultStandIn:
        server = _Server(("127.0.0.1", 0), _RequestHandler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.tls.cert), str(self.tls.key))
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
        server.standin = self
        self._server = server  # so that self.url works before serving starts
        self.vault.base_url = self.url
        _forget_challenges()
        self._serve(server, "keyvault-standin", poll_interval=0.05)
        return self

    # -- auth --------------------------------------------------------------------------------
    def credential(self) -> StandInCredential:
        return StandInCredential(self)

    def mint_token(self, lifetime: int = 3600) -> AccessToken:
        token = secrets.token_urlsafe(32)
        expires = int(time.time()) + lifetime
        with self._stats:
            self._tokens[token] = expires
        return AccessToken(token, expires)

    def accept(self, token: AccessToken) -> None:
        """Take a token another stand-in minted: one Entra token for ``https://vault.azure.net``
        is good for every vault of the tenant (the audience is the service, not one vault)."""
        with self._stats:
            self._tokens[token.token] = token.expires_on

    def _authorised(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        with self._stats:
            expires = self._tokens.get(token.strip())
        return scheme.lower() == "bearer" and expires is not None and expires > time.time()

    def _challenge(self) -> dict[str, str]:
        return {
            "WWW-Authenticate": f'Bearer authorization="https://login.microsoftonline.com/'
            f'{self.tenant_id}", resource="{VAULT_RESOURCE}"'
        }

    # -- assertions --------------------------------------------------------------------------
    def reset_counts(self) -> None:
        with self._stats:
            self.counts.clear()
            self.by_name.clear()
            self.requests.clear()
            self.challenges = 0

    def count(self, route: str, name: str | None = None) -> int:
        with self._stats:
            return self.counts[route] if name is None else self.by_name[(route, name.lower())]

    def requests_for(self, name: str) -> list[Recorded]:
        with self._stats:
            return [r for r in self.requests if r.name and r.name.lower() == name.lower()]

    # -- fault injection ---------------------------------------------------------------------
    def inject(
        self,
        route: str,
        count: int,
        kind: str,
        *,
        retry_after: str | None = "1",
        name: str | None = None,
    ) -> VaultFault:
        """Fault the next ``count`` authenticated requests on ``route`` (see VaultFault)."""
        if kind not in ("429", "503", "drop", "drop-after", *CONFLICT_KINDS):
            raise ValueError(f"unknown fault kind {kind}")
        fault = VaultFault(route, count, kind, retry_after, name.lower() if name else None)
        with self._stats:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._stats:
            self.faults.clear()

    def faulted_on(self, route: str | None = None) -> list[Served]:
        with self._stats:
            return [f for f in self.faulted if route is None or f.route == route]

    def _route_of(self, method: str, path: str) -> tuple[str, str | None]:
        for verb, pattern, route, _handler in self._routes:
            match = pattern.match(path)
            if verb == method and match is not None:
                return route, match.groupdict().get("name")
        return f"{method} (unknown)", None

    def _take_fault(self, method: str, path: str) -> VaultFault | None:
        route, name = self._route_of(method, path)
        with self._stats:
            for fault in self.faults:
                named = fault.name is None or (name or "").lower() == fault.name
                if fault.count > 0 and fault.route == route and named:
                    fault.count -= 1
                    self.faulted.append(Served(route, name, fault.kind, time.monotonic()))
                    return fault
        return None

    def _serve_fault(self, request: _RequestHandler, fault: VaultFault) -> None:
        if fault.kind.startswith("drop"):
            request.close_connection = True
            request.wfile.flush()
            with contextlib.suppress(OSError):
                request.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault.kind in CONFLICT_KINDS:
            request.close_connection = False
            request.reply(409, self._conflict(fault.kind, request.path), {})
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

    def _conflict(self, kind: str, path: str) -> Json:
        """The body of a transient 409 (no Retry-After on real ones).

        ``409-parallel``: the text reported from live runs in azure-sdk-for-js#24086 and
        #36328 ("There was a conflict while deleting the pending certificate ...
        operations performed in parallel ..."), also retried by azure-sdk-for-go#19568.
        ``409-deleting``: a name whose delete is still in progress (Microsoft Learn,
        soft-delete overview: deletion and purge are asynchronous); text GUESS.
        """
        name = urlsplit(path).path.split("/")[2] if path.count("/") >= 2 else "?"
        ident = f"{self.url}/certificates/{name}"
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

    # -- routing -----------------------------------------------------------------------------
    def _route_table(self) -> list[tuple[str, re.Pattern[str], str, Handler]]:
        v = self.vault
        name = r"(?P<name>[^/]+)"
        version = r"(?P<version>[^/]*)"
        table: list[tuple[str, str, str, Handler]] = [
            ("GET", r"/certificates/?", "GET /certificates", self._list_certificates),
            (
                "GET",
                rf"/certificates/{name}/versions",
                "GET /certificates/{name}/versions",
                lambda g, q, b: self._page(
                    v.certificate_versions(g["name"]), q, f"/certificates/{g['name']}/versions"
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
                lambda g, q, b: self._page(
                    v.secret_versions(g["name"]), q, f"/secrets/{g['name']}/versions"
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

    def _list_certificates(
        self, groups: dict[str, str], query: dict[str, str], body: Json
    ) -> tuple[int, Json]:
        include = query.get("includePending", "false").lower() == "true"
        return self._page(self.vault.list_certificates(include), query, "/certificates")

    def _page(self, items: list[Json], query: dict[str, str], path: str) -> tuple[int, Json]:
        try:
            size = int(query.get("maxresults") or self.page_size)
        except ValueError:
            raise bad("maxresults must be an integer") from None
        if not 1 <= size <= MAX_PAGE:
            raise bad(f"maxresults must be between 1 and {MAX_PAGE}")
        size = min(size, self.page_size)
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
                f"{self.url}{path}?api-version={query['api-version']}"
                f"&$skiptoken={token}&maxresults={size}"
            )
        return 200, {"value": page, "nextLink": next_link}

    def handle(self, request: _RequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        auth = request.headers.get("Authorization")
        if not auth or not self._authorised(auth):
            with self._stats:
                self.challenges += 1
            message = (
                "AKV10000: Request is missing a Bearer or PoP token."
                if not auth
                else "AKV10022: Invalid audience or expired token."
            )
            request.reply(
                401, {"error": {"code": "Unauthorized", "message": message}}, self._challenge()
            )
            return
        fault = self._take_fault(method, parts.path)
        if fault is not None and fault.kind != "drop-after":
            self._serve_fault(request, fault)
            return
        status, payload, route, name = self._dispatch(method, parts.path, query, raw)
        with self._stats:
            self.counts[route] += 1
            if name:
                self.by_name[(route, name.lower())] += 1
            self.requests.append(Recorded(method, parts.path, route, name, status, raw))
        if fault is not None:  # drop-after: done, but the answer is lost
            self._serve_fault(request, fault)
            return
        request.reply(status, payload, {})

    def _dispatch(
        self, method: str, path: str, query: dict[str, str], raw: bytes
    ) -> tuple[int, Json | None, str, str | None]:
        for verb, pattern, route, handler in self._routes:
            match = pattern.match(path)
            if verb != method or match is None:
                continue
            groups = {k: v for k, v in match.groupdict().items() if v is not None}
            name = groups.get("name")
            try:
                if not query.get("api-version"):
                    raise bad("The 'api-version' query parameter is missing.")
                if name and name.lower() in self.forbidden:
                    raise self._forbidden(method, route, name)
                action = data_action(route)
                if action in self.denied_actions:
                    raise self._forbidden(method, route, name or "", action)
                body = json.loads(raw) if raw else {}
                if not isinstance(body, dict):
                    raise bad("The request body must be a JSON object.")
                status, payload = handler(groups, query, body)
                return status, payload, route, name
            except VaultError as error:
                return error.status, error.body(), route, name
            except json.JSONDecodeError:
                return 400, bad("The request body is not valid JSON.").body(), route, name
        unknown = VaultError(404, "NotFound", f"No operation matches {method} {path}.")
        return 404, unknown.body(), f"{method} (unknown)", None

    def _forbidden(
        self, method: str, route: str, name: str, data_action: str | None = None
    ) -> VaultError:
        kind = "secrets" if route.split()[1].startswith("/secrets") else "certificates"
        action = "read" if method == "GET" else "write"
        return VaultError(
            403,
            "Forbidden",
            "Caller is not authorized to perform action on resource.\r\n"
            "If role assignments, deny assignments or role definitions were changed recently, "
            "please observe propagation time.\r\n"
            f"Caller: appid=00000000-0000-0000-0000-000000000000;oid=standin\r\n"
            f"Action: '{data_action or f'Microsoft.KeyVault/vaults/{kind}/{action}'}'\r\n"
            f"Resource: '{self.url}/{kind}/{name}'\r\n"
            "Assignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC'\r\n",
            inner="ForbiddenByRbac",
        )
