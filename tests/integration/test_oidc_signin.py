"""GitHub OIDC -> Entra sign-in with the real azure-identity client over HTTPS.

Why: the renewer's only Azure secret is the workflow's OIDC token, exchanged
by azure-identity for Key Vault and ARM tokens. These tests run that exchange
for real against tests/rig/oidc.py and entra.py: a GitHub-shaped issuer (signed RS256 JWTs,
JWKS over HTTPS) and an Entra-shaped token service that verifies each
assertion against the issuer's keys and its federated credentials. They
check that each scope gets its own fresh assertion, that a federated
credential mismatch is one clear line, and that no token leaks into logs or
error text even at DEBUG.

Trust is split on purpose: REQUESTS_CA_BUNDLE trusts only the GitHub issuer
(as the runner's system store trusts GitHub), while the Entra stand-in is
signed by a different root given as ``AzureSettings.ca_bundle``. A success
therefore proves the renewer passed ``ca_bundle`` to azure-identity.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import jwt
import msal
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from rig import EntraTokenService, FederatedCredential, GithubOidcIssuer

from renewer.azure import signin as auth
from renewer.core import redact
from renewer.core.settings import AzureSettings

pytestmark = pytest.mark.integration

KEY_VAULT = "https://vault.azure.net/.default"
ARM = "https://management.azure.com/.default"

ENV_VARS = (
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)


@pytest.fixture
def azure(
    monkeypatch: pytest.MonkeyPatch, github_oidc: GithubOidcIssuer, entra: EntraTokenService
) -> Iterator[AzureSettings]:
    """A GitHub Actions job environment pointing at the stand-ins; the settings to use."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", github_oidc.request_url)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", github_oidc.request_token)
    monkeypatch.setenv("AZURE_TENANT_ID", entra.tenant_id)
    monkeypatch.setenv("AZURE_CLIENT_ID", entra.client_id)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(github_oidc.ca_bundle))
    auth.reset_cache()
    yield AzureSettings(authority_host=entra.authority_host, ca_bundle=entra.ca_bundle)
    auth.reset_cache()


def secrets_seen(github_oidc: GithubOidcIssuer, entra: EntraTokenService) -> list[str]:
    """Every assertion, the request bearer and every access token handed out."""
    values = [t.value for t in github_oidc.issued] + [github_oidc.request_token]
    values += [r.access_token for r in entra.token_requests() if r.access_token]
    return values


def test_key_vault_and_arm_each_get_a_fresh_assertion(
    azure: AzureSettings, github_oidc: GithubOidcIssuer, entra: EntraTokenService
) -> None:
    credential = auth.azure_credential(azure)
    vault = credential.get_token(KEY_VAULT)
    arm = credential.get_token_info(ARM)
    again = credential.get_token(KEY_VAULT)  # served from the credential's cache

    requests_seen = entra.token_requests()
    assert [(r.scope, r.status, r.error) for r in requests_seen] == [
        (KEY_VAULT, 200, None),
        (ARM, 200, None),
    ]
    assert all(
        r.client_id == entra.client_id and r.tenant == entra.tenant_id for r in requests_seen
    )
    assert all(r.grant_type == "client_credentials" for r in requests_seen)
    # One GitHub token per exchange, each used once, none reused across scopes.
    assert github_oidc.issued_count == 2
    assert [r.assertion_jti for r in requests_seen] == [t.jti for t in github_oidc.issued]
    assert len({t.jti for t in github_oidc.issued}) == 2
    assert {t.audience for t in github_oidc.issued} == {"api://AzureADTokenExchange"}
    # The tokens returned are the ones the service issued, and they last an hour.
    assert [vault.token, arm.token] == [r.access_token for r in requests_seen]
    assert again.token == vault.token
    assert 3500 < arm.expires_on - time.time() <= 3600


def test_wrong_subject_is_one_clear_line(
    azure: AzureSettings, github_oidc: GithubOidcIssuer, entra: EntraTokenService
) -> None:
    entra.add_app(
        entra.client_id,
        FederatedCredential(github_oidc.issuer, "repo:contoso/certs:environment:production"),
    )
    with pytest.raises(auth.SignInError) as err:
        auth.azure_credential(azure).get_token(KEY_VAULT)
    expected = (
        f"Azure sign-in failed for client {entra.client_id} in tenant {entra.tenant_id}: "
        "the federated credential does not match this workflow "
        "(subject repo:contoso/certs:ref:refs/heads/main, the name form repo:OWNER/REPO:...); "
        "add a federated credential for "
        f"issuer {github_oidc.issuer}, subject repo:contoso/certs:ref:refs/heads/main, "
        f"audience api://AzureADTokenExchange to app {entra.client_id} (AADSTS700213)"
    )
    assert str(err.value) == expected
    assert auth.describe_auth_error(err.value) == expected
    assert err.value.__cause__ is None and err.value.__suppress_context__
    (request,) = entra.token_requests()
    assert (request.status, request.error) == (401, "invalid_client AADSTS700213")


def test_subject_differing_in_case_is_named(
    azure: AzureSettings, github_oidc: GithubOidcIssuer, entra: EntraTokenService
) -> None:
    entra.add_app(
        entra.client_id,
        FederatedCredential(github_oidc.issuer, "repo:Contoso/certs:ref:refs/heads/main"),
    )
    with pytest.raises(auth.SignInError, match=r"differs only in letter case .*AADSTS7002138"):
        auth.azure_credential(azure).get_token(ARM)


def test_expired_assertion_is_rejected_by_the_service(
    azure: AzureSettings, github_oidc: GithubOidcIssuer, entra: EntraTokenService
) -> None:
    github_oidc.lifetime = -30  # the issuer hands out already-expired tokens
    with pytest.raises(auth.SignInError, match=r"outside its validity window .*AADSTS700024"):
        auth.azure_credential(azure).get_token(KEY_VAULT)


def test_github_refusal_stops_before_entra(
    azure: AzureSettings, github_oidc: GithubOidcIssuer, entra: EntraTokenService
) -> None:
    github_oidc.deny_status = 403
    with pytest.raises(auth.SignInError) as err:
        auth.azure_credential(azure).get_token(KEY_VAULT)
    assert str(err.value) == (
        "GitHub OIDC token request answered HTTP 403; "
        "does the job have 'permissions: id-token: write'?"
    )
    assert entra.token_requests() == []


def test_without_ca_bundle_the_authority_is_not_trusted(
    azure: AzureSettings, entra: EntraTokenService
) -> None:
    untrusted = AzureSettings(authority_host=azure.authority_host)
    with pytest.raises(auth.SignInError, match="TLS certificate is not trusted; set the azure"):
        auth.azure_credential(untrusted).get_token(KEY_VAULT)
    assert entra.token_requests() == []


def test_no_token_in_logs_or_errors_at_debug(
    azure: AzureSettings,
    github_oidc: GithubOidcIssuer,
    entra: EntraTokenService,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    # The SDKs' own loggers too, whatever an earlier in-process CLI run left on them
    # (renewer's setup_logging quiets azure and azure.identity below -vv).
    for name in ("azure", "azure.identity", "azure.core", "urllib3", "msal"):
        caplog.set_level(logging.DEBUG, logger=name)
    credential = auth.azure_credential(azure)
    credential.get_token(KEY_VAULT)
    credential.get_token(ARM)
    entra.add_app(entra.client_id, FederatedCredential(github_oidc.issuer, "repo:other/repo:ref:x"))
    with pytest.raises(auth.SignInError) as err:
        credential.get_token("https://storage.azure.com/.default")

    secrets = secrets_seen(github_oidc, entra)
    assert len(secrets) == 3 + 1 + 2  # three assertions, the bearer, two access tokens
    error_text = "".join(traceback.format_exception(err.value)) + repr(err.value)
    loggers = {r.name for r in caplog.records}
    # The scan covers the SDK's own DEBUG/INFO output, not just ours.
    assert "azure.identity._internal.get_token_mixin" in loggers
    assert "azure.core.pipeline.policies.http_logging_policy" in loggers
    assert "urllib3.connectionpool" in loggers
    for value in secrets:
        assert value not in caplog.text
        assert value not in error_text
        # ...and each is registered, so the RedactingFilter masks it anywhere.
        assert redact.redact(f"<{value}>") == f"<{redact.MASK}>"


def test_workload_identity_file_outside_actions_uses_the_configured_authority(
    azure: AzureSettings,
    monkeypatch: pytest.MonkeyPatch,
    github_oidc: GithubOidcIssuer,
    entra: EntraTokenService,
    tmp_path: Path,
) -> None:
    # DefaultAzureCredential would send this exchange to login.microsoftonline.com
    # (it does not pass its authority to WorkloadIdentityCredential).
    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_URL")
    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text(github_oidc.mint("api://AzureADTokenExchange"))
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))

    credential = auth.azure_credential(azure)
    assert credential.mode == "workload-identity"
    token = credential.get_token(ARM)
    (request,) = entra.token_requests()
    assert (request.status, request.access_token) == (200, token.token)
    assert redact.redact(token_file.read_text()) == redact.MASK


# --- the stand-in itself -------------------------------------------------------


def test_entra_stand_in_rejects_a_forged_assertion(
    github_oidc: GithubOidcIssuer, entra: EntraTokenService
) -> None:
    """Same claims and kid, wrong key: only a real signature check catches this."""
    forged = github_oidc.mint(
        "api://AzureADTokenExchange",
        key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )
    answer = requests.post(
        f"{entra.url}/{entra.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": entra.client_id,
            "scope": KEY_VAULT,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": forged,
        },
        verify=str(entra.ca_bundle),
        timeout=10,
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert answer.json()["error_description"].startswith("AADSTS700027:")


def test_entra_stand_in_serves_what_msal_reads(
    github_oidc: GithubOidcIssuer, entra: EntraTokenService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MSAL (used by DefaultAzureCredential's secret/certificate credentials) works too,
    with instance discovery off: it reads the tenant's openid-configuration, then posts."""
    # MSAL sets ``verify`` on its requests.Session, which REQUESTS_CA_BUNDLE overrides.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    app = msal.ConfidentialClientApplication(
        entra.client_id,
        client_credential={
            "client_assertion": lambda: github_oidc.mint("api://AzureADTokenExchange")
        },
        authority=f"{entra.authority_host}/{entra.tenant_id}",
        instance_discovery=False,
        verify=str(entra.ca_bundle),
    )
    result = app.acquire_token_for_client([KEY_VAULT])
    assert result.get("token_type") == "Bearer", result.get("error_description")
    assert [r.status for r in entra.token_requests()] == [200]
    unverified = jwt.decode(github_oidc.issued[-1].value, options={"verify_signature": False})
    assert unverified["iss"] == github_oidc.issuer
    assert unverified["sub"] == "repo:contoso/certs:ref:refs/heads/main"
    assert unverified["repository"] == "contoso/certs"
    assert unverified["exp"] - unverified["iat"] == 300


# -- issue 11: sovereign clouds and GitHub's immutable subject claims -------------------------
@pytest.mark.parametrize(
    ("cloud", "audience"),
    [
        ("public", "api://AzureADTokenExchange"),
        ("usgov", "api://AzureADTokenExchangeUSGov"),
        ("china", "api://AzureADTokenExchangeChina"),
    ],
)
def test_each_cloud_exchanges_with_its_own_audience(
    azure: AzureSettings,
    github_oidc: GithubOidcIssuer,
    entra: EntraTokenService,
    cloud: str,
    audience: str,
) -> None:
    entra.cloud = cloud  # the federated credential has that cloud's default audience
    settings = replace(azure, cloud=cloud)
    assert auth.azure_credential(settings).get_token(KEY_VAULT).token
    assert [t.audience for t in github_oidc.issued] == [audience]
    assert [r.status for r in entra.token_requests()] == [200]


def test_public_audience_in_a_sovereign_cloud_is_rejected_and_explained(
    azure: AzureSettings, github_oidc: GithubOidcIssuer, entra: EntraTokenService
) -> None:
    entra.cloud = "usgov"
    with pytest.raises(auth.SignInError) as err:
        auth.azure_credential(azure).get_token(KEY_VAULT)  # cloud left at public
    line = str(err.value)
    assert "no federated credential accepts audience api://AzureADTokenExchange;" in line
    assert "set azure.cloud, or azure.token_audience" in line and "AADSTS700212" in line
    assert [r.error for r in entra.token_requests()] == ["invalid_client AADSTS700212"]


def test_token_audience_override_matches_a_custom_federated_credential(
    azure: AzureSettings, github_oidc: GithubOidcIssuer, entra: EntraTokenService
) -> None:
    entra.add_app(
        entra.client_id,
        FederatedCredential(github_oidc.issuer, github_oidc.subject, audience="api://ours"),
    )
    settings = replace(azure, token_audience="api://ours")
    assert auth.azure_credential(settings).get_token(ARM).token
    assert [t.audience for t in github_oidc.issued] == ["api://ours"]


def test_immutable_subject_against_a_name_form_credential_says_which_form(
    azure: AzureSettings,
    github_oidc: GithubOidcIssuer,
    entra: EntraTokenService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A repository created (or renamed) from 2026-07-15 presents owner and repository
    IDs; the documented name-form subject never matches (AADSTS700213)."""
    named = github_oidc.subject_in(immutable=False)
    entra.add_app(entra.client_id, FederatedCredential(github_oidc.issuer, named))
    github_oidc.immutable_subject = True
    immutable = github_oidc.subject
    assert immutable == "repo:contoso@1234567/certs@890123456:ref:refs/heads/main"
    with pytest.raises(auth.SignInError) as err:
        auth.azure_credential(azure).get_token(KEY_VAULT)
    assert str(err.value) == (
        f"Azure sign-in failed for client {entra.client_id} in tenant {entra.tenant_id}: "
        f"the federated credential does not match this workflow (subject {immutable}, the "
        "immutable-ID form repo:OWNER@OWNER_ID/REPO@REPO_ID:... GitHub uses for "
        "repositories created or renamed from 2026-07-15; a subject written with names "
        f"never matches it); add a federated credential for issuer {github_oidc.issuer}, "
        f"subject {immutable}, audience api://AzureADTokenExchange to app {entra.client_id} "
        "(AADSTS700213)"
    )
    entra.add_app(entra.client_id, FederatedCredential(github_oidc.issuer, immutable))
    auth.reset_cache()  # as a new process: it reads the job's request variables again
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", github_oidc.request_url)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", github_oidc.request_token)
    assert auth.azure_credential(azure).get_token(KEY_VAULT).token
    issued = [t.subject for t in github_oidc.issued]
    assert issued == [immutable, immutable]  # the issuer speaks the new form only
