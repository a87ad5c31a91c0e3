"""What the Entra stand-in (tests/rig/entra.py) knows and answers, apart from its server.

Federated identity credentials as an app registration holds them, each token
request as the service saw it, the audiences Entra assumes per cloud, and the
rejection a request gets (HTTP status, OAuth error, AADSTS code, description).
"""

from __future__ import annotations

from dataclasses import dataclass

TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
CLOUD_AUDIENCES = {
    # Microsoft Learn, "Important considerations and restrictions for federated identity
    # credentials" (and the Graph federatedIdentityCredential resource): the audience a
    # federated credential is created with by default, per cloud.
    "public": TOKEN_EXCHANGE_AUDIENCE,
    "usgov": "api://AzureADTokenExchangeUSGov",
    "china": "api://AzureADTokenExchangeChina",
}
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
FIC_DOCS = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation"


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


class Rejected(Exception):
    """A token request Entra refuses: HTTP status, OAuth error, AADSTS code, description."""

    def __init__(self, status: int, error: str, code: int, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.code, self.description = status, error, code, description
