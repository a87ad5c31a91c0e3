"""Azure sign-in without a stored secret.

Inside GitHub Actions the workflow's OIDC token is exchanged for an Entra
token (workload identity federation). The GitHub token lives about five
minutes and Key Vault and ARM are separate token scopes, so the assertion is
fetched afresh on every exchange rather than once per run. Elsewhere
DefaultAzureCredential covers ``az login`` on a laptop and managed identity
on a VM.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import requests

from renewer import redact
from renewer.models import AzureSettings

GITHUB_AUDIENCE = "api://AzureADTokenExchange"
TIMEOUT = 15


class SignInError(Exception):
    """Azure sign-in could not be set up; the message says what is missing."""


def in_github_oidc() -> bool:
    """True when the job may request an OIDC token (permissions: id-token: write)."""
    return bool(
        os.environ.get("ACTIONS_ID_TOKEN_REQUEST_URL")
        and os.environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    )


def github_oidc_token(audience: str = GITHUB_AUDIENCE) -> str:
    """A fresh GitHub Actions OIDC token for ``audience`` (registered for redaction)."""
    url = os.environ["ACTIONS_ID_TOKEN_REQUEST_URL"]
    bearer = os.environ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
    redact.register(bearer)
    try:
        response = requests.get(
            url,
            params={"audience": audience},
            headers={"Authorization": f"Bearer {bearer}", "Accept": "application/json"},
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise SignInError(f"GitHub OIDC token request failed: {exc.__class__.__name__}") from None
    if response.status_code != 200:
        raise SignInError(
            f"GitHub OIDC token request answered HTTP {response.status_code}; "
            "does the job have 'permissions: id-token: write'?"
        )
    token = str(response.json().get("value", ""))
    if not token:
        raise SignInError("GitHub OIDC token response had no value")
    redact.register(token)
    return token


_cache: dict[AzureSettings, Any] = {}
_lock = threading.Lock()


def azure_credential(azure: AzureSettings) -> Any:
    """One credential per cloud setting for the whole run (tokens are cached inside)."""
    with _lock:
        if azure not in _cache:
            _cache[azure] = _build(azure)
        return _cache[azure]


def _build(azure: AzureSettings) -> Any:
    from azure.identity import ClientAssertionCredential, DefaultAzureCredential

    options: dict[str, Any] = {"authority": azure.resolved_authority_host}
    if azure.ca_bundle is not None:
        options["connection_verify"] = str(azure.ca_bundle)
    if in_github_oidc():
        tenant = os.environ.get("AZURE_TENANT_ID")
        client = os.environ.get("AZURE_CLIENT_ID")
        if not tenant or not client:
            raise SignInError(
                "GitHub OIDC is available but AZURE_TENANT_ID / AZURE_CLIENT_ID are not set"
            )
        return ClientAssertionCredential(tenant, client, lambda: github_oidc_token(), **options)
    return DefaultAzureCredential(**options)
