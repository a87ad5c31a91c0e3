"""Azure sign-in failures as one line saying why and what to change; never a token.

``describe_auth_error`` turns whatever a credential raised (Entra's AADSTS
answers, DefaultAzureCredential's chain report, transport and TLS errors)
into that line; ``renewer.azure.signin`` raises it as a ``SignInError``.  That class
and the GitHub issuer/audience named in the hints live here so this module
needs nothing from ``renewer.azure.signin``, which re-exports them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from renewer.core import redact
from renewer.core.errors import RenewerError

GITHUB_AUDIENCE = "api://AzureADTokenExchange"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
TOKEN_EXCHANGE_AUDIENCES = {
    # The audience a federated credential expects, per cloud (Microsoft Learn,
    # "Important considerations and restrictions for federated identity
    # credentials" / Graph federatedIdentityCredential: api://AzureADTokenExchange
    # in the global service, api://AzureADTokenExchangeUSGov in Azure Government,
    # api://AzureADTokenExchangeChina in Azure operated by 21Vianet).
    "public": GITHUB_AUDIENCE,
    "usgov": "api://AzureADTokenExchangeUSGov",
    "china": "api://AzureADTokenExchangeChina",
}
# GitHub's immutable subject claims (GitHub changelog, OIDC "immutable subject
# claims": repositories created or renamed from 2026-07-15 present
# repo:OWNER@OWNER_ID/REPO@REPO_ID:...; older ones keep repo:OWNER/REPO:...).
_IMMUTABLE_SUBJECT = re.compile(r"^repo:[^/:@]+@\d+/[^/:@]+@\d+:")


class SignInError(RenewerError):
    """Azure sign-in failed or cannot be set up; the message is one line saying why.

    ``transient`` only where the identity provider could not be reached or
    failed itself; a refusal or a setup problem fails the same way next time.
    """

    show_class = True  # reported as "SignInError: ..." since before the common base


def token_audience(cloud: str, override: str | None = None) -> str:
    """The audience to request GitHub's OIDC token for: the override, else the cloud's."""
    return override or TOKEN_EXCHANGE_AUDIENCES.get(cloud, GITHUB_AUDIENCE)


def subject_form(subject: str) -> str:
    """Which form a GitHub subject has: "immutable-ID" or "name"."""
    return "immutable-ID" if _IMMUTABLE_SUBJECT.match(subject) else "name"


def _form_note(subject: str) -> str:
    if subject_form(subject) == "immutable-ID":
        return (
            "the immutable-ID form repo:OWNER@OWNER_ID/REPO@REPO_ID:... GitHub uses for "
            "repositories created or renamed from 2026-07-15; a subject written with names "
            "never matches it"
        )
    return "the name form repo:OWNER/REPO:..."


_AADSTS = re.compile(r"AADSTS(\d+)")
_QUOTED_SUBJECT = re.compile(r"subject '([^']*)'")
_QUOTED_ISSUER = re.compile(r"issuer '([^']*)'")
_QUOTED_AUDIENCE = re.compile(r"audience '([^']*)'")
_CHAIN_MEMBER = re.compile(r"^\s*(\w+Credential):", re.MULTILINE)
_TRACE_TAIL = re.compile(r"\s*(Trace ID:|Correlation ID:|Timestamp:).*$", re.DOTALL)
_MAX_DETAIL = 240


def one_line(text: str) -> str:
    """``text`` on one line with registered secrets redacted."""
    return redact.redact(" ".join(text.split()))


def _first_sentence(text: str) -> str:
    text = _TRACE_TAIL.sub("", " ".join(text.split()))
    end = text.find(". ")
    text = text[: end + 1] if end != -1 else text
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."


def _entra_description(exc: BaseException) -> str:
    """Entra's ``error_description`` if the exception carries the response, else its text."""
    response = getattr(exc, "response", None)
    if response is not None:
        try:
            body = json.loads(response.text())
        except Exception:  # no body, not JSON, or an unexpected response type
            body = None
        if isinstance(body, dict) and body.get("error_description"):
            return f"({body.get('error')}) {body['error_description']}"
    return str(getattr(exc, "message", None) or exc)


def describe_auth_error(
    exc: BaseException,
    *,
    tenant_id: str | None = None,
    client_id: str | None = None,
    assertion_claims: dict[str, Any] | None = None,
    expected_audience: str = GITHUB_AUDIENCE,
) -> str:
    """One line saying why Azure sign-in failed and what to change; never a token.

    Accepts whatever a credential's ``get_token`` raised: our ``SignInError``
    (returned as is), azure-identity's ``ClientAuthenticationError`` (Entra's
    AADSTS answers, DefaultAzureCredential's chain report), azure-core
    transport errors, or anything else.  ``assertion_claims`` (iss/sub/aud of
    the GitHub token) lets the hint name the exact federated credential to add.
    """
    if isinstance(exc, SignInError):
        return one_line(str(exc))
    claims = assertion_claims or {}
    if client_id and tenant_id:
        prefix = f"Azure sign-in failed for client {client_id} in tenant {tenant_id}: "
    else:
        prefix = "Azure sign-in failed: "
    text = _entra_description(exc)
    match = _AADSTS.search(text)
    code = match.group(1) if match else None
    issuer = str(claims.get("iss") or GITHUB_ISSUER)
    audience = claims.get("aud") or expected_audience
    audience = ",".join(audience) if isinstance(audience, list) else str(audience)
    app = f"app {client_id}" if client_id else "the app registration"

    if code in ("700213", "7002138", "70021"):
        found = _QUOTED_SUBJECT.search(text)
        subject = found.group(1) if found else str(claims.get("sub") or "?")
        why = (
            "the federated credential subject differs only in letter case"
            if code == "7002138"
            else "the federated credential does not match this workflow"
        )
        form = f", {_form_note(subject)}" if code == "700213" else ""
        detail = (
            f"{why} (subject {subject}{form}); add a federated credential for issuer "
            f"{issuer}, subject {subject}, audience {audience} to {app} (AADSTS{code})"
        )
    elif code == "700211":
        found = _QUOTED_ISSUER.search(text)
        issuer = found.group(1) if found else issuer
        detail = (
            f"no federated credential trusts the token issuer {issuer}; add one for issuer "
            f"{issuer} to {app} (AADSTS{code})"
        )
    elif code == "700212":
        found = _QUOTED_AUDIENCE.search(text)
        audience = found.group(1) if found else audience
        detail = (
            f"no federated credential accepts audience {audience}; the job asked for "
            f"audience {expected_audience} (set azure.cloud, or azure.token_audience to "
            f"what the federated credential says) (AADSTS{code})"
        )
    elif code == "700024":
        detail = (
            "the GitHub OIDC token is outside its validity window (expired, or the "
            f"runner clock is off) (AADSTS{code})"
        )
    elif code == "700016":
        detail = (
            f"no application with client ID {client_id or '?'} in this tenant; check "
            f"AZURE_CLIENT_ID and AZURE_TENANT_ID (AADSTS{code})"
        )
    elif code == "90002":
        detail = (
            f"tenant {tenant_id or '?'} not found in this cloud; check AZURE_TENANT_ID "
            f"and the azure cloud setting (AADSTS{code})"
        )
    elif code == "1002012":
        detail = f"{_first_sentence(text)} (AADSTS{code})"
    elif code is not None:
        detail = _first_sentence(_AADSTS.split(text, maxsplit=1)[-1].lstrip(": ")) or text
        detail = f"{detail} (AADSTS{code})"
    elif type(exc).__name__ == "CredentialUnavailableError" or "Attempted credentials" in text:
        tried = ", ".join(dict.fromkeys(_CHAIN_MEMBER.findall(text))) or "all sources"
        detail = (
            f"no Azure credential is available (tried {tried}); run 'az login', or in "
            "GitHub Actions grant 'permissions: id-token: write' and set AZURE_CLIENT_ID "
            "and AZURE_TENANT_ID"
        )
    elif "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        detail = (
            "the authority's TLS certificate is not trusted; set the azure ca_bundle "
            "to the CA that signed it"
        )
    elif type(exc).__name__ in ("ServiceRequestError", "ServiceRequestTimeoutError"):
        detail = f"cannot reach the Azure authority ({_first_sentence(text)})"
    else:
        detail = f"{type(exc).__name__}: {_first_sentence(text)}"
    return one_line(prefix + detail)
