"""A stand-in for Entra ID's token endpoint, at the HTTP boundary.

Why: see tests/rig/oidc.py (no real Entra emulator is available here). The real
azure-identity client talks to it over TLS exactly as it talks to
login.microsoftonline.com; it validates the client assertion for real (RS256
signature against the issuer's JWKS fetched over HTTPS, audience, issuer, time
window) and matches it against configured federated credentials, answering
with Entra's error shapes (AADSTS700211/700212/700213...) when they do not match.

``EntraTokenService`` serves ``/<tenant>/v2.0/.well-known/openid-configuration``
(what MSAL reads when instance discovery is off), ``/<tenant>/discovery/v2.0/keys``
and ``/<tenant>/oauth2/v2.0/token`` (client credentials with a JWT-bearer
client assertion).

Both bind 127.0.0.1 on a kernel-chosen port, serve TLS with the rig's
per-run certificates, and are stopped by ``stop()`` (fixture teardown).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
import requests

from .entra_model import (
    CLOUD_AUDIENCES,
    FIC_DOCS,
    JWT_BEARER,
    FederatedCredential,
    Rejected,
    TokenRequest,
)
from .https_json import HttpsJsonServer, Reply
from .tls import TlsMaterial

_LOG = logging.getLogger(__name__)


class EntraTokenService(HttpsJsonServer):
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
    ) -> Reply:
        parts = path.strip("/").split("/")
        tenant = parts[0] if parts else ""
        rest = "/".join(parts[1:])
        if method == "GET" and rest == "v2.0/.well-known/openid-configuration":
            if tenant != self.tenant_id:
                return self._error(Rejected(400, "invalid_tenant", 90002, self._no_tenant(tenant)))
            return Reply(200, self._openid_configuration())
        if method == "GET" and rest == "discovery/v2.0/keys":
            return Reply(200, {"keys": []})  # access tokens here are opaque
        if method == "POST" and rest == "oauth2/v2.0/token":
            return self._token(tenant, headers, body)
        return Reply(404, {"error": "not_found", "error_description": f"{method} {path}"})

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

    def _token(self, tenant: str, headers: Mapping[str, str], body: bytes) -> Reply:
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
                raise Rejected(
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
            reply = Reply(
                200,
                {
                    "token_type": "Bearer",
                    "expires_in": self.token_lifetime,
                    "ext_expires_in": self.token_lifetime,
                    "access_token": access_token,
                },
            )
            error = None
        except Rejected as rejected:
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
        """Validate a client-credentials request the way Entra does; raise Rejected."""
        if tenant != self.tenant_id:
            raise Rejected(400, "invalid_request", 90002, self._no_tenant(tenant))
        if form.get("grant_type") != "client_credentials":
            raise Rejected(
                400,
                "unsupported_grant_type",
                70003,
                "AADSTS70003: The app requested an unsupported grant type "
                f"'{form.get('grant_type', '')}'.",
            )
        scope = form.get("scope", "")
        if not scope:
            raise Rejected(
                400,
                "invalid_request",
                900144,
                "AADSTS900144: The request body must contain the following parameter: 'scope'.",
            )
        if len(scope.split()) != 1 or not scope.endswith("/.default"):
            raise Rejected(
                400,
                "invalid_scope",
                1002012,
                f"AADSTS1002012: The provided value for scope {scope} is not valid. "
                "Client credential flows must have a scope value with /.default "
                "suffixed to the resource identifier (application ID URI).",
            )
        client_id = form.get("client_id", "")
        if client_id not in self.federated_credentials:
            raise Rejected(
                400,
                "unauthorized_client",
                700016,
                f"AADSTS700016: Application with identifier '{client_id}' was not "
                f"found in the directory '{tenant}'.",
            )
        if form.get("client_assertion_type") != JWT_BEARER or not form.get("client_assertion"):
            raise Rejected(
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
            raise Rejected(
                401, "invalid_client", 50027, "AADSTS50027: JWT token is invalid or malformed."
            ) from None
        iss, sub = str(claims.get("iss", "")), str(claims.get("sub", ""))
        raw_aud = claims.get("aud", [])
        auds = [raw_aud] if isinstance(raw_aud, str) else [str(a) for a in raw_aud]

        fics = self.federated_credentials[client_id]
        by_issuer = [f for f in fics if f.issuer == iss]
        if not by_issuer:
            raise Rejected(
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
                raise Rejected(
                    401,
                    "invalid_client",
                    7002138,
                    "AADSTS7002138: No matching federated identity record found for "
                    f"presented assertion subject '{sub}'. The subject matches with "
                    "case-insensitive comparison, but not with case-sensitive "
                    "comparison. Check your federated identity credential Subject, "
                    f"Audience and Issuer against the presented assertion. {FIC_DOCS}",
                )
            raise Rejected(
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
            raise Rejected(
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
            raise Rejected(
                401,
                "invalid_client",
                700024,
                "AADSTS700024: Client assertion is not within its valid time range. "
                f"Current time: {now}, expiry time of assertion "
                f"{claims.get('exp')}.",
            ) from None
        except jwt.PyJWTError as exc:
            raise Rejected(
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
            raise Rejected(
                401,
                "invalid_client",
                50166,
                f"AADSTS50166: Request to External OIDC endpoint failed ({type(exc).__name__}).",
            ) from None
        for jwk in jwk_set.keys:
            if jwk.key_id == kid:
                return jwk.key
        raise Rejected(
            401,
            "invalid_client",
            700027,
            f"AADSTS700027: Client assertion failed signature validation "
            f"(no key '{kid}' at the issuer's jwks_uri).",
        )

    def _error(self, rejected: Rejected) -> Reply:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        return Reply(
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
