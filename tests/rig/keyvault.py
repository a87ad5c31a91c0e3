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

GUESSES (no real vault to check against; marked GUESS in the keyvault_*.py modules,
e.g. keyvault_ops.py): exact error message texts; a brand-new certificate awaiting
its merge reads as a disabled bundle without ``cer``; the previous version
stays current while a renewal is pending; chain order without
``preserveCertOrder`` (modelled as reversed); HSM keys cannot be exportable
without a release policy; a certificate's linked secret cannot be overwritten
(409); the tag-limit error texts.
"""

from __future__ import annotations

import json
import logging
import secrets
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

from .keyvault_faults import CONFLICT_KINDS, Served, VaultFault, serve_fault
from .keyvault_model import Json, VaultError, bad
from .keyvault_ops import Vault
from .keyvault_rbac import data_action, forbidden
from .keyvault_routes import MAX_PAGE, route_table
from .threaded import ThreadedServer
from .tls import TlsMaterial

_LOG = logging.getLogger(__name__)
VAULT_RESOURCE = "https://vault.azure.net"
VAULT_SCOPE = f"{VAULT_RESOURCE}/.default"
DEFAULT_TENANT = "72f988bf-0000-4000-8000-00000000cafe"


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
        self._routes = route_table(self)
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

    # -- routing -----------------------------------------------------------------------------
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
            serve_fault(request, fault, self.url)
            return
        status, payload, route, name = self._dispatch(method, parts.path, query, raw)
        with self._stats:
            self.counts[route] += 1
            if name:
                self.by_name[(route, name.lower())] += 1
            self.requests.append(Recorded(method, parts.path, route, name, status, raw))
        if fault is not None:  # drop-after: done, but the answer is lost
            serve_fault(request, fault, self.url)
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
                    raise forbidden(self.url, method, route, name)
                action = data_action(route)
                if action in self.denied_actions:
                    raise forbidden(self.url, method, route, name or "", action)
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
