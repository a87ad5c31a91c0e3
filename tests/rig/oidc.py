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

The Entra side is tests/rig/entra.py; both are built on tests/rig/https_json.py
and stopped by ``stop()`` (fixture teardown).
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from .https_json import HttpsJsonServer, Reply
from .tls import TlsMaterial

OWNER_ID = "1234567"
REPOSITORY_ID = "890123456"
DEFAULT_SUBJECT = "repo:contoso/certs:ref:refs/heads/main"


@dataclass(frozen=True)
class IssuedToken:
    """One GitHub OIDC token handed out (``value`` is a secret: tests search logs for it)."""

    jti: str
    audience: str
    subject: str
    value: str


class GithubOidcIssuer(HttpsJsonServer):
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
    ) -> Reply:
        if method == "GET" and path == "/.well-known/openid-configuration":
            return Reply(
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
            return Reply(200, self.jwks())
        if method == "GET" and path == self.REQUEST_PATH:
            if headers.get("authorization") != f"Bearer {self.request_token}":
                return Reply(401, {"message": "Unauthorized: invalid or missing bearer token"})
            if self.deny_status is not None:
                return Reply(self.deny_status, {"message": "Forbidden: id-token permission"})
            owner = self.repository.split("/")[0]
            audience = query.get("audience", [f"https://github.com/{owner}"])[-1]
            return Reply(200, {"count": 1, "value": self.mint(audience)})
        return Reply(404, {"message": f"no route for {method} {path}"})
