"""Stand-ins for GitHub's OIDC issuer and Entra ID's token endpoint, at the HTTP boundary.

Why: the renewer signs in to Azure by exchanging the workflow's GitHub OIDC
token for an Entra token (workload identity federation). The plan was the
real ``entra-emulator``, but the Go module proxy refuses that module here, so
nothing real stands in for Entra. These two in-process HTTPS servers are the
smallest honest substitute: the real azure-identity client talks to them over
TLS exactly as it talks to login.microsoftonline.com, and the token service
validates the assertion for real (RS256 signature against the issuer's JWKS
fetched over HTTPS, audience, issuer, time window) and matches it against
configured federated credentials, answering with Entra's error shapes
(AADSTS700211/700212/700213...) when they do not match.

What they do not model: Entra's access-token contents (tokens are opaque
random strings), Conditional Access, token revocation, and instance discovery
on login.microsoftonline.com (clients must be told the authority is trusted).

``GithubOidcIssuer`` serves ``/.well-known/openid-configuration``,
``/.well-known/jwks`` and the Actions token request endpoint
(``ACTIONS_ID_TOKEN_REQUEST_URL`` + ``&audience=...`` with
``Authorization: Bearer <ACTIONS_ID_TOKEN_REQUEST_TOKEN>``).

``EntraTokenService`` serves ``/<tenant>/v2.0/.well-known/openid-configuration``
(what MSAL reads when instance discovery is off), ``/<tenant>/discovery/v2.0/keys``
and ``/<tenant>/oauth2/v2.0/token`` (client credentials with a JWT-bearer
client assertion).

Both bind 127.0.0.1 on a kernel-chosen port, serve TLS with the rig's
per-run certificates, and are stopped by ``stop()`` (fixture teardown).
"""

from __future__ import annotations

import json
import logging
import secrets
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple, Self
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from .threaded import ThreadedServer
from .tls import TlsMaterial

_LOG = logging.getLogger(__name__)

TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
CLOUD_AUDIENCES = {
    # Microsoft Learn, "Important considerations and restrictions for federated identity
    # credentials" (and the Graph federatedIdentityCredential resource): the audience a
    # federated credential is created with by default, per cloud.
    "public": TOKEN_EXCHANGE_AUDIENCE,
    "usgov": "api://AzureADTokenExchangeUSGov",
    "china": "api://AzureADTokenExchangeChina",
}
OWNER_ID = "1234567"
REPOSITORY_ID = "890123456"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEFAULT_SUBJECT = "repo:contoso/certs:ref:refs/heads/main"
FIC_DOCS = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation"


class _Reply(NamedTuple):
    status: int
    body: Mapping[str, Any]


class _HttpsJsonServer(ThreadedServer[ThreadingHTTPServer]):
    """A threaded HTTPS server answering JSON; subclasses implement ``handle``."""

    kind = "https server"

    def __init__(self, tls: TlsMaterial) -> None:
        self.tls = tls
        self.port = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """``https://127.0.0.1:<port>`` (the certificate has IP SAN 127.0.0.1)."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_bundle(self) -> Path:
        """The root certificate clients must trust to talk to this server."""
        return self.tls.root

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> _Reply:
        raise NotImplementedError

    def start(self) -> Self:
        """Bind 127.0.0.1:0 (no port race), wrap in TLS and serve in a daemon thread."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.tls.cert), str(self.tls.key))
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._dispatch("GET")

            def do_POST(self) -> None:
                self._dispatch("POST")

            def _dispatch(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = parse_qs(parts.query, keep_blank_values=True)
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    reply = owner.handle(method, parts.path, query, headers, body)
                except Exception as exc:  # a rig bug must show up as a 500, not a hang
                    _LOG.exception("%s failed on %s %s", owner.kind, method, parts.path)
                    reply = _Reply(500, {"error": "server_error", "error_description": repr(exc)})
                data = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")  # no keep-alive threads at stop()
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                # Request lines carry paths only, never tokens (those are in
                # headers and bodies); keep them out of stderr.
                _LOG.debug("%s: " + format, owner.kind, *args)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                # e.g. a client that does not trust our certificate aborts the
                # handshake: expected in negative tests, so no stderr traceback.
                _LOG.debug(
                    "%s: connection from %s failed", owner.kind, client_address, exc_info=True
                )

        server = Server(("127.0.0.1", 0), Handler)
        # Handshake lazily in the per-connection thread, so one slow client
        # cannot stall the accept loop.
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
        self.port = int(server.server_address[1])
        self._serve(server, f"{self.kind}:{self.port}", poll_interval=0.05)
        return self


# --------------------------------------------------------------------------- GitHub


@dataclass(frozen=True)
class IssuedToken:
    """One GitHub OIDC token handed out (``value`` is a secret: tests search logs for it)."""

    jti: str
    audience: str
    subject: str
    value: str


class GithubOidcIssuer(_HttpsJsonServer):
    """GitHub Actions' OIDC provider: discovery, JWKS and the job's token request endpoint.

    Tokens are RS256 JWTs with GitHub's claim set; the signing key is generated
    per instance.  ``deny_status`` makes the token endpoint refuse (e.g. 403),
    ``subject`` may be changed between requests.
    """

    kind = "GitHub OIDC issuer"
    REQUEST_PATH = "/_apis/distributedtask/hubs/Actions/plans/rig-plan/jobs/rig-job/idtoken"

    def __init__(
        self,
        tls: TlsMaterial,
        *,
        subject: str | None = None,
        repository: str = "contoso/certs",
        ref: str = "refs/heads/main",
        lifetime: int = 300,
        immutable_subject: bool = False,
    ) -> None:
        super().__init__(tls)
        self.repository_id = REPOSITORY_ID
        self.owner_id = OWNER_ID
        self.immutable_subject = immutable_subject
        self._subject = subject
        self.repository = repository
        self.ref = ref
        self.lifetime = lifetime
        self.request_token = secrets.token_urlsafe(32)  # ACTIONS_ID_TOKEN_REQUEST_TOKEN
        self.deny_status: int | None = None
        self.issued: list[IssuedToken] = []
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(20).upper()

    @property
    def subject(self) -> str:
        """The ``sub`` claim: set explicitly, else built from the repository and ref.

        GitHub's two forms (GitHub docs, "About security hardening with OpenID
        Connect", example subject claims; changelog "immutable subject claims"):
        ``repo:OWNER/REPO:ref:REF`` and, for repositories created or renamed from
        2026-07-15, ``repo:OWNER@OWNER_ID/REPO@REPO_ID:ref:REF``.
        """
        if self._subject is not None:
            return self._subject
        return self.subject_in(immutable=self.immutable_subject)

    @subject.setter
    def subject(self, value: str) -> None:
        self._subject = value

    def subject_in(self, *, immutable: bool) -> str:
        owner, repo = self.repository.split("/", 1)
        if immutable:
            return f"repo:{owner}@{self.owner_id}/{repo}@{self.repository_id}:ref:{self.ref}"
        return f"repo:{owner}/{repo}:ref:{self.ref}"

    @property
    def issuer(self) -> str:
        """The ``iss`` claim (GitHub: https://token.actions.githubusercontent.com)."""
        return self.url

    @property
    def request_url(self) -> str:
        """Value for ACTIONS_ID_TOKEN_REQUEST_URL (already has a query, like GitHub's)."""
        return f"{self.url}{self.REQUEST_PATH}?api-version=2.0"

    @property
    def issued_count(self) -> int:
        with self._lock:
            return len(self.issued)

    def jwks(self) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def mint(
        self,
        audience: str,
        *,
        subject: str | None = None,
        issued_at: int | None = None,
        lifetime: int | None = None,
        key: rsa.RSAPrivateKey | None = None,
    ) -> str:
        """Sign a GitHub-shaped token (tests may call this directly, e.g. for expired ones)."""
        now = int(time.time()) if issued_at is None else issued_at
        owner = self.repository.split("/")[0]
        jti = str(uuid.uuid4())
        sub = self.subject if subject is None else subject
        claims = {
            "jti": jti,
            "sub": sub,
            "aud": audience,
            "ref": self.ref,
            "sha": "0" * 40,
            "repository": self.repository,
            "repository_owner": owner,
            "repository_id": self.repository_id,
            "repository_owner_id": self.owner_id,
            "repository_visibility": "private",
            "run_id": "1",
            "run_number": "1",
            "run_attempt": "1",
            "actor": "renewer-bot",
            "workflow": "renew",
            "event_name": "schedule",
            "ref_type": "branch",
            "job_workflow_ref": f"{self.repository}/.github/workflows/renew.yml@{self.ref}",
            "runner_environment": "github-hosted",
            "iss": self.issuer,
            "nbf": now,
            "iat": now,
            "exp": now + (self.lifetime if lifetime is None else lifetime),
        }
        value = jwt.encode(
            claims, key or self._key, algorithm="RS256", headers={"kid": self.kid, "x5t": self.kid}
        )
        with self._lock:
            self.issued.append(IssuedToken(jti, audience, sub, value))
        return value

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> _Reply:
        if method == "GET" and path == "/.well-known/openid-configuration":
            return _Reply(
                200,
                {
                    "issuer": self.issuer,
                    "jwks_uri": f"{self.url}/.well-known/jwks",
                    "subject_types_supported": ["public", "pairwise"],
                    "response_types_supported": ["id_token"],
                    "claims_supported": [
                        "sub",
                        "aud",
                        "exp",
                        "iat",
                        "iss",
                        "jti",
                        "nbf",
                        "ref",
                        "repository",
                        "repository_owner",
                        "job_workflow_ref",
                    ],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "scopes_supported": ["openid"],
                },
            )
        if method == "GET" and path == "/.well-known/jwks":
            return _Reply(200, self.jwks())
        if method == "GET" and path == self.REQUEST_PATH:
            if headers.get("authorization") != f"Bearer {self.request_token}":
                return _Reply(401, {"message": "Unauthorized: invalid or missing bearer token"})
            if self.deny_status is not None:
                return _Reply(self.deny_status, {"message": "Forbidden: id-token permission"})
            owner = self.repository.split("/")[0]
            audience = query.get("audience", [f"https://github.com/{owner}"])[-1]
            return _Reply(200, {"count": 1, "value": self.mint(audience)})
        return _Reply(404, {"message": f"no route for {method} {path}"})


# --------------------------------------------------------------------------- Entra


@dataclass(frozen=True)
class FederatedCredential:
    """A federated identity credential on an app registration (Entra matches all three)."""

    issuer: str
    subject: str
    audience: str | None = None  # None: the cloud's default (CLOUD_AUDIENCES)
    name: str = "github-actions"


@dataclass(frozen=True)
class TokenRequest:
    """One call to the token endpoint, as the service saw it."""

    tenant: str
    client_id: str
    scope: str
    grant_type: str
    assertion_jti: str | None
    assertion_subject: str | None
    status: int
    error: str | None  # "invalid_client AADSTS700213" etc., None on success
    access_token: str | None  # a secret: tests search logs for it


class _Rejected(Exception):
    def __init__(self, status: int, error: str, code: int, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.code, self.description = status, error, code, description


class EntraTokenService(_HttpsJsonServer):
    """Entra ID's v2.0 token endpoint for one tenant, client credentials with assertions only.

    Configure apps with ``federated_credentials = {client_id: [FederatedCredential, ...]}``
    or ``add_app`` (may be changed between requests); ``client_id`` is a
    convenience ID for the app most tests use (registered only by ``add_app``).
    ``trust`` is the CA bundle used to fetch the assertion issuer's discovery
    document and JWKS over HTTPS.
    """

    kind = "Entra token service"

    def __init__(
        self,
        tls: TlsMaterial,
        *,
        trust: Path,
        tenant_id: str | None = None,
        client_id: str | None = None,
        federated_credentials: Mapping[str, Iterable[FederatedCredential]] | None = None,
        token_lifetime: int = 3600,
        token_factory: Callable[[str], str] | None = None,
        cloud: str = "public",
    ) -> None:
        super().__init__(tls)
        self.cloud = cloud  # decides the default audience of federated credentials
        self.trust = trust
        # Lets a test hand out tokens another stand-in accepts (scope -> access token).
        self.token_factory = token_factory
        self.tenant_id = tenant_id or str(uuid.uuid4())
        self.client_id = client_id or str(uuid.uuid4())  # the app most tests sign in as
        self.federated_credentials: dict[str, list[FederatedCredential]] = {
            cid: list(fics) for cid, fics in (federated_credentials or {}).items()
        }
        self.token_lifetime = token_lifetime
        self.requests: list[TokenRequest] = []

    @property
    def authority_host(self) -> str:
        """What the renewer's ``AzureSettings.authority_host`` points at."""
        return self.url

    def token_requests(self) -> list[TokenRequest]:
        with self._lock:
            return list(self.requests)

    def add_app(self, client_id: str, *fics: FederatedCredential) -> None:
        self.federated_credentials[client_id] = list(fics)

    # -- HTTP

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> _Reply:
        parts = path.strip("/").split("/")
        tenant = parts[0] if parts else ""
        rest = "/".join(parts[1:])
        if method == "GET" and rest == "v2.0/.well-known/openid-configuration":
            if tenant != self.tenant_id:
                return self._error(_Rejected(400, "invalid_tenant", 90002, self._no_tenant(tenant)))
            return _Reply(200, self._openid_configuration())
        if method == "GET" and rest == "discovery/v2.0/keys":
            return _Reply(200, {"keys": []})  # access tokens here are opaque
        if method == "POST" and rest == "oauth2/v2.0/token":
            return self._token(tenant, headers, body)
        return _Reply(404, {"error": "not_found", "error_description": f"{method} {path}"})

    def _openid_configuration(self) -> dict[str, Any]:
        base = f"{self.url}/{self.tenant_id}"
        return {
            "issuer": f"{base}/v2.0",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "tenant_region_scope": "WW",
        }

    def _token(self, tenant: str, headers: Mapping[str, str], body: bytes) -> _Reply:
        form = {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        client_id = form.get("client_id", "")
        scope = form.get("scope", "")
        assertion = form.get("client_assertion", "")
        jti = sub = None
        if assertion:
            try:
                unverified = jwt.decode(assertion, options={"verify_signature": False})
                jti, sub = unverified.get("jti"), unverified.get("sub")
            except jwt.PyJWTError:
                pass
        access_token: str | None = None
        try:
            if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                raise _Rejected(
                    400,
                    "invalid_request",
                    900144,
                    "AADSTS900144: The request body must contain the following "
                    "parameter: 'grant_type'.",
                )
            self._check(tenant, form)
            access_token = (
                self.token_factory(scope)
                if self.token_factory
                else "rig-at-" + secrets.token_urlsafe(48)
            )
            reply = _Reply(
                200,
                {
                    "token_type": "Bearer",
                    "expires_in": self.token_lifetime,
                    "ext_expires_in": self.token_lifetime,
                    "access_token": access_token,
                },
            )
            error = None
        except _Rejected as rejected:
            reply, error = self._error(rejected), f"{rejected.error} AADSTS{rejected.code}"
        with self._lock:
            self.requests.append(
                TokenRequest(
                    tenant=tenant,
                    client_id=client_id,
                    scope=scope,
                    grant_type=form.get("grant_type", ""),
                    assertion_jti=jti,
                    assertion_subject=sub,
                    status=reply.status,
                    error=error,
                    access_token=access_token,
                )
            )
        return reply

    def _no_tenant(self, tenant: str) -> str:
        return (
            f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the "
            "correct tenant ID and are signing into the correct cloud."
        )

    def _check(self, tenant: str, form: Mapping[str, str]) -> None:
        """Validate a client-credentials request the way Entra does; raise _Rejected."""
        if tenant != self.tenant_id:
            raise _Rejected(400, "invalid_request", 90002, self._no_tenant(tenant))
        if form.get("grant_type") != "client_credentials":
            raise _Rejected(
                400,
                "unsupported_grant_type",
                70003,
                "AADSTS70003: The app requested an unsupported grant type "
                f"'{form.get('grant_type', '')}'.",
            )
        scope = form.get("scope", "")
        if not scope:
            raise _Rejected(
                400,
                "invalid_request",
                900144,
                "AADSTS900144: The request body must contain the following parameter: 'scope'.",
            )
        if len(scope.split()) != 1 or not scope.endswith("/.default"):
            raise _Rejected(
                400,
                "invalid_scope",
                1002012,
                f"AADSTS1002012: The provided value for scope {scope} is not valid. "
                "Client credential flows must have a scope value with /.default "
                "suffixed to the resource identifier (application ID URI).",
            )
        client_id = form.get("client_id", "")
        if client_id not in self.federated_credentials:
            raise _Rejected(
                400,
                "unauthorized_client",
                700016,
                f"AADSTS700016: Application with identifier '{client_id}' was not "
                f"found in the directory '{tenant}'.",
            )
        if form.get("client_assertion_type") != JWT_BEARER or not form.get("client_assertion"):
            raise _Rejected(
                401,
                "invalid_client",
                7000218,
                "AADSTS7000218: The request body must contain the following "
                "parameter: 'client_assertion' or 'client_secret'.",
            )
        assertion = form["client_assertion"]
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise _Rejected(
                401, "invalid_client", 50027, "AADSTS50027: JWT token is invalid or malformed."
            ) from None
        iss, sub = str(claims.get("iss", "")), str(claims.get("sub", ""))
        raw_aud = claims.get("aud", [])
        auds = [raw_aud] if isinstance(raw_aud, str) else [str(a) for a in raw_aud]

        fics = self.federated_credentials[client_id]
        by_issuer = [f for f in fics if f.issuer == iss]
        if not by_issuer:
            raise _Rejected(
                401,
                "invalid_client",
                700211,
                "AADSTS700211: No matching federated identity record found for "
                f"presented assertion issuer '{iss}'. Please note that the matching "
                f"is done using a case-sensitive comparison. See {FIC_DOCS}.",
            )
        by_subject = [f for f in by_issuer if f.subject == sub]
        if not by_subject:
            if any(f.subject.lower() == sub.lower() for f in by_issuer):
                raise _Rejected(
                    401,
                    "invalid_client",
                    7002138,
                    "AADSTS7002138: No matching federated identity record found for "
                    f"presented assertion subject '{sub}'. The subject matches with "
                    "case-insensitive comparison, but not with case-sensitive "
                    "comparison. Check your federated identity credential Subject, "
                    f"Audience and Issuer against the presented assertion. {FIC_DOCS}",
                )
            raise _Rejected(
                401,
                "invalid_client",
                700213,
                "AADSTS700213: No matching federated identity record found for "
                f"presented assertion subject '{sub}'. Check your federated "
                "identity credential Subject, Audience and Issuer against the "
                f"presented assertion. {FIC_DOCS}",
            )
        matches = [f for f in by_subject if self.audience_of(f) in auds]
        if not matches:
            raise _Rejected(
                401,
                "invalid_client",
                700212,
                "AADSTS700212: No matching federated identity record found for "
                f"presented assertion audience '{','.join(auds)}'. {FIC_DOCS}",
            )
        fic = matches[0]

        key = self._issuer_key(iss, str(header.get("kid", "")))
        try:
            jwt.decode(
                assertion,
                key=key,
                algorithms=["RS256"],
                audience=self.audience_of(fic),
                issuer=fic.issuer,
                options={"require": ["iss", "sub", "aud", "exp", "iat", "nbf"]},
            )
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError):
            now = datetime.now(UTC).strftime("%m/%d/%Y %H:%M:%S")
            raise _Rejected(
                401,
                "invalid_client",
                700024,
                "AADSTS700024: Client assertion is not within its valid time range. "
                f"Current time: {now}, expiry time of assertion "
                f"{claims.get('exp')}.",
            ) from None
        except jwt.PyJWTError as exc:
            raise _Rejected(
                401,
                "invalid_client",
                700027,
                "AADSTS700027: Client assertion failed signature validation "
                f"({type(exc).__name__}).",
            ) from None

    def audience_of(self, fic: FederatedCredential) -> str:
        return fic.audience or CLOUD_AUDIENCES[self.cloud]

    def _issuer_key(self, issuer: str, kid: str) -> Any:
        """The issuer's signing key, read like Entra does: discovery, then jwks_uri, over TLS."""
        try:
            config = requests.get(
                f"{issuer}/.well-known/openid-configuration", verify=str(self.trust), timeout=10
            )
            config.raise_for_status()
            keys = requests.get(str(config.json()["jwks_uri"]), verify=str(self.trust), timeout=10)
            keys.raise_for_status()
            jwk_set = jwt.PyJWKSet.from_dict(keys.json())
        except (requests.RequestException, ValueError, KeyError, jwt.PyJWTError) as exc:
            raise _Rejected(
                401,
                "invalid_client",
                50166,
                f"AADSTS50166: Request to External OIDC endpoint failed ({type(exc).__name__}).",
            ) from None
        for jwk in jwk_set.keys:
            if jwk.key_id == kid:
                return jwk.key
        raise _Rejected(
            401,
            "invalid_client",
            700027,
            f"AADSTS700027: Client assertion failed signature validation "
            f"(no key '{kid}' at the issuer's jwks_uri).",
        )

    def _error(self, rejected: _Rejected) -> _Reply:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        return _Reply(
            rejected.status,
            {
                "error": rejected.error,
                "error_description": (
                    f"{rejected.description} Trace ID: {trace} "
                    f"Correlation ID: {correlation} Timestamp: {stamp}"
                ),
                "error_codes": [rejected.code],
                "timestamp": stamp,
                "trace_id": trace,
                "correlation_id": correlation,
                "error_uri": f"{self.url}/error?code={rejected.code}",
            },
        )
