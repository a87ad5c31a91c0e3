"""Doctor checks for Azure sign-in: the identity, and in GitHub Actions what the job presents.

In Actions, the subject, audience and issuer of this job's OIDC token are
exactly what a federated credential must say; GitHub uses two subject forms
(names, or immutable owner/repository IDs for repositories created or
renamed from 2026-07-15), so the form is named too.
"""

from __future__ import annotations

from typing import Any

from renewer.azure import signin
from renewer.azure.errors import SignInError, subject_form, token_audience
from renewer.core.settings import AzureSettings
from renewer.doctor.model import Check, failed, passed


def vault_scope(azure: AzureSettings) -> str:
    return f"https://{azure.vault_suffix.lstrip('.')}/.default"


def check_github_claims(azure: AzureSettings) -> list[Check]:
    """What this job presents to Entra (only inside GitHub Actions with id-token: write)."""
    if not signin.in_github_oidc():
        return []
    audience = token_audience(azure.cloud, azure.token_audience)
    area = "GitHub OIDC"
    try:
        claims = signin._unverified_claims(signin.github_oidc_token(audience))
    except SignInError as exc:
        return [failed(area, "no OIDC token for this job", str(exc))]
    subject = str(claims.get("sub", "?"))
    line = (
        f"this job presents subject {subject} ({subject_form(subject)} form), audience "
        f"{claims.get('aud')}, issuer {claims.get('iss')}: the federated credential must say "
        "exactly these"
    )
    return [passed(area, line)]


def check_token(azure: AzureSettings, scope: str) -> tuple[Check, Any]:
    """A token for ``scope``; the credential is handed back for the checks that follow."""
    area = "Azure sign-in"
    try:
        credential = signin.azure_credential(azure)
        token = credential.get_token(scope)
    except Exception as exc:  # SignInError, or a foreign credential's own error
        return failed(area, f"no token for {scope}", str(exc)), None
    who = credential.describe() if hasattr(credential, "describe") else "the configured identity"
    del token
    return passed(area, f"{who}: token for {scope}"), credential
