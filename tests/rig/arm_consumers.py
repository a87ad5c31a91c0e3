"""ARM stand-in for the certificate consumers: the routes renewer's nudges and doctor call.

No emulator exists for these services, so this HTTPS server plays Azure Resource
Manager at the HTTP boundary; renewer's azure-core pipeline (bearer token, TLS,
JSON) talks to it as to Azure. Shapes from Azure/azure-rest-api-specs:

- ``Microsoft.Network/applicationGateways/{name}`` GET and PATCH ``{"tags"}``
  (network/resource-manager/.../applicationGateway.json, ApplicationGateways_Get,
  ApplicationGateways_UpdateTags, api-version 2024-05-01): ``tags``,
  ``properties.sslCertificates[].properties.keyVaultSecretId``,
  ``identity.userAssignedIdentities``; a tag change counts as a Key Vault check
  (Microsoft Learn, application-gateway/key-vault-certs);
- ``Microsoft.Web/sites/{name}`` GET and ``Microsoft.Web/certificates/{name}`` GET and
  PUT (web/.../Certificates.json, Certificates_CreateOrUpdate, 2023-12-01): a PUT
  with ``keyVaultId`` + ``keyVaultSecretName`` re-reads the vault (new thumbprint);
- ``Microsoft.ApiManagement/service/{s}/certificates/{c}/refreshSecret`` POST
  (apimanagement/.../apimcertificates.json, Certificate_RefreshSecret, 2022-08-01);
- ``Microsoft.Cdn/profiles/{p}/secrets/{s}`` GET and PUT (cdn/.../afdx.json,
  Secrets_Create, 2024-02-01): a long-running operation, 201 with
  ``Azure-AsyncOperation`` whose status is ``InProgress`` once, then ``Succeeded``;
- ``Microsoft.Compute/virtualMachines/{vm}`` GET and ``.../extensions/{name}`` GET
  (compute/.../virtualMachine.json, 2024-07-01): ``identity.principalId``,
  ``properties.settings`` of the extension;
- ``Microsoft.App/managedEnvironments/{e}/certificates/{c}`` GET (app/.../
  ManagedEnvironments.json, 2024-03-01).

Errors as ARM sends them: 401 without the bearer token, 400 for an unknown
``api-version``, 404 ``ResourceNotFound``, and faults a test queues per route:
429 with ``Retry-After``, 409 ``AnotherOperationInProgress`` (Learn,
azure-resource-manager/troubleshooting/error-reserved-resource-name and
common-deployment-errors), 5xx.
"""

from __future__ import annotations

import json
import re
import secrets
import ssl
import threading
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from .arm_tls import TlsServer
from .threaded import ThreadedServer
from .tls import TlsMaterial

API = {
    "applicationGateways": "2024-05-01",
    "sites": "2023-12-01",
    "certificates": "2023-12-01",
    "refreshSecret": "2022-08-01",
    "secrets": "2024-02-01",
    "operations": "2024-02-01",
    "virtualMachines": "2024-07-01",
    "extensions": "2024-07-01",
    "envCertificates": "2024-03-01",
}
_RG = r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
ROUTES = {
    "applicationGateways": _RG + r"Microsoft\.Network/applicationGateways/(?P<name>[^/]+)$",
    "sites": _RG + r"Microsoft\.Web/sites/(?P<name>[^/]+)$",
    "certificates": _RG + r"Microsoft\.Web/certificates/(?P<name>[^/]+)$",
    "refreshSecret": _RG + r"Microsoft\.ApiManagement/service/(?P<svc>[^/]+)/certificates/"
    r"(?P<name>[^/]+)/refreshSecret$",
    "secrets": _RG + r"Microsoft\.Cdn/profiles/(?P<profile>[^/]+)/secrets/(?P<name>[^/]+)$",
    "operations": r"^/operations/(?P<name>[^/]+)$",
    "virtualMachines": _RG + r"Microsoft\.Compute/virtualMachines/(?P<name>[^/]+)$",
    "extensions": _RG + r"Microsoft\.Compute/virtualMachines/(?P<vm>[^/]+)/extensions/"
    r"(?P<name>[^/]+)$",
    "envCertificates": _RG + r"Microsoft\.App/managedEnvironments/(?P<env>[^/]+)/certificates/"
    r"(?P<name>[^/]+)$",
}
PATTERNS = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in ROUTES.items()}


@dataclass
class Fault:
    """One queued error answer for a (method, route)."""

    status: int
    code: str
    retry_after: str | None = None


@dataclass
class ArmConsumers(ThreadedServer[TlsServer]):
    """Threaded HTTPS stand-in on 127.0.0.1; ``resources`` maps a lower-cased id to its JSON."""

    tls: TlsMaterial
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: dict[tuple[str, str], deque[Fault]] = field(default_factory=dict)
    requests: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    operations: dict[str, int] = field(default_factory=dict)  # polls left before Succeeded

    def __post_init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("ArmConsumers is not running")
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.tls.cert, self.tls.key)
        self._serve(TlsServer(("127.0.0.1", 0), _handler_for(self), context), "arm-consumers", 0.1)
        return self

    # -- what a test sets up and reads ---------------------------------------------------
    def add(self, resource_id: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {"id": resource_id, "name": resource_id.rsplit("/", 1)[1], **body}
        self.resources[resource_id.lower()] = body
        return body

    def get(self, resource_id: str) -> dict[str, Any] | None:
        return self.resources.get(resource_id.lower())

    def fail(self, method: str, route: str, *faults: Fault) -> None:
        self.faults.setdefault((method, route), deque()).extend(faults)

    def count(self, method: str, route: str, status: int | None = None) -> int:
        return sum(
            n
            for (m, r, s), n in self.requests.items()
            if m == method and r == route and (status is None or s == status)
        )

    # -- request handling ----------------------------------------------------------------
    def handle(
        self, method: str, raw: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(raw)
        route = next((n for n, p in PATTERNS.items() if p.match(parts.path)), "unknown")
        try:
            answer = self._dispatch(method, route, parts.path, parse_qs(parts.query), headers, body)
        except _Error as err:
            answer = (err.status, err.headers, {"error": {"code": err.code, "message": err.text}})
        with self._lock:
            self.requests[(method, route, answer[0])] += 1
        return answer

    def _dispatch(
        self,
        method: str,
        route: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, str], Any]:
        if headers.get("authorization") != f"Bearer {self.token}":
            raise _Error(401, "InvalidAuthenticationToken", "The access token is invalid.")
        if route == "unknown":
            raise _Error(404, "RouteNotImplemented", f"the stand-in has no route {path}")
        version = (query.get("api-version") or [""])[0]
        if version != API[route]:
            raise _Error(400, "InvalidApiVersionParameter", f"api-version '{version}' is invalid")
        with self._lock:
            queued = self.faults.get((method, route))
            fault = queued.popleft() if queued else None
        if fault is not None:
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            raise _Error(fault.status, fault.code, f"fault injected ({fault.code})", extra)
        if route == "operations":
            return self._operation(path.rsplit("/", 1)[1])
        resource_id = path[: -len("/refreshSecret")] if route == "refreshSecret" else path
        with self._lock:
            found = self.resources.get(resource_id.lower())
        if found is None:
            type_name = resource_id.split("/providers/", 1)[1].rsplit("/", 1)[0]
            raise _Error(404, "ResourceNotFound", f"The Resource '{type_name}' was not found.")
        data = json.loads(body) if body else {}
        return self._act(method, route, found, data)

    def _act(
        self, method: str, route: str, found: dict[str, Any], data: dict[str, Any]
    ) -> tuple[int, dict[str, str], Any]:
        if method == "GET":
            return 200, {}, found
        if method == "PATCH" and route == "applicationGateways":
            with self._lock:
                found["tags"] = dict(data.get("tags") or {})  # UpdateTags replaces them
            return 200, {}, found
        if method == "PUT" and route == "certificates":
            props = data.get("properties") or {}
            if not props.get("keyVaultId") or not props.get("keyVaultSecretName"):
                raise _Error(400, "BadRequest", "keyVaultId and keyVaultSecretName are required")
            with self._lock:
                found["properties"] = {**props, "thumbprint": secrets.token_hex(20).upper()}
                found["imports"] = int(found.get("imports", 0)) + 1
            return 200, {}, found
        if method == "POST" and route == "refreshSecret":
            with self._lock:
                found["refreshed"] = int(found.get("refreshed", 0)) + 1
            return 200, {}, found
        if method == "PUT" and route == "secrets":
            with self._lock:
                found["properties"] = {
                    **(data.get("properties") or {}),
                    "provisioningState": "Updating",
                }
                operation = uuid.uuid4().hex
                self.operations[operation] = 1
            url = f"{self.endpoint}/operations/{operation}?api-version={API['operations']}"
            return 201, {"Azure-AsyncOperation": url, "Retry-After": "0"}, found
        raise _Error(405, "MethodNotAllowed", f"{method} is not supported here")

    def _operation(self, name: str) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            if name not in self.operations:
                raise _Error(404, "NotFound", "no such operation")
            left = self.operations[name]
            self.operations[name] = max(0, left - 1)
        status = "InProgress" if left else "Succeeded"
        return 200, {"Retry-After": "0"}, {"name": name, "status": status}


class _Error(Exception):
    def __init__(
        self, status: int, code: str, text: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(text)
        self.status, self.code, self.text, self.headers = status, code, text, headers or {}


def _handler_for(arm: ArmConsumers) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, payload = arm.handle(self.command, self.path, headers, body)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-ms-request-id", str(uuid.uuid4()))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return _Handler
