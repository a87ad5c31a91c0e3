"""Azure sign-in set-up: which credential, which variables, and the GitHub token request.

No server here: ``requests.get`` is replaced where the GitHub endpoint would
answer. The real exchange against the HTTPS stand-ins is in
tests/integration/test_oidc_signin.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError
from azure.identity import ClientAssertionCredential, DefaultAzureCredential

from renewer.azure import signin as auth
from renewer.core import redact
from renewer.core.settings import AzureSettings

ENV_VARS = (
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
)
REQUEST_URL = "https://pipelines.example/_apis/idtoken?api-version=2.0"
BEARER = "request-bearer-d41d8cd98f00b204"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    auth.reset_cache()
    yield
    auth.reset_cache()


def in_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", REQUEST_URL)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", BEARER)


class FakeResponse:
    def __init__(self, status: int, body: Any) -> None:
        self.status_code = status
        self._body = body

    def json(self) -> Any:
        if isinstance(self._body, Exception):
            raise self._body
        return self._body


def fake_get(monkeypatch: pytest.MonkeyPatch, response: FakeResponse) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def get(url: str, **kwargs: Any) -> FakeResponse:
        calls.append({"url": url, **kwargs})
        return response

    monkeypatch.setattr(auth.requests, "get", get)
    return calls


# --- which credential -------------------------------------------------------


def test_outside_actions_uses_default_azure_credential() -> None:
    credential = auth.azure_credential(AzureSettings())
    assert isinstance(credential.inner, DefaultAzureCredential)
    assert credential.mode == "default"
    assert credential.describe() == "DefaultAzureCredential at https://login.microsoftonline.com"


def test_outside_actions_with_emulator_authority(tmp_path: Path) -> None:
    bundle = tmp_path / "root.pem"
    bundle.write_text("not parsed until a request is made")
    azure = AzureSettings(authority_host="https://127.0.0.1:8443/", ca_bundle=bundle)
    credential = auth.azure_credential(azure)
    assert isinstance(credential.inner, DefaultAzureCredential)
    assert credential.authority == "https://127.0.0.1:8443"


def test_in_actions_uses_client_assertion(monkeypatch: pytest.MonkeyPatch) -> None:
    in_actions(monkeypatch)
    monkeypatch.setenv("AZURE_TENANT_ID", "tenant-1")
    monkeypatch.setenv("AZURE_CLIENT_ID", "client-1")
    credential = auth.azure_credential(AzureSettings(cloud="usgov"))
    assert isinstance(credential.inner, ClientAssertionCredential)
    assert credential.describe() == (
        "GitHub OIDC as client client-1 in tenant tenant-1 at https://login.microsoftonline.us"
    )


def test_token_file_outside_actions_keeps_the_configured_authority(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # DefaultAzureCredential would ignore ``authority`` for this case.
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(tmp_path / "token"))
    monkeypatch.setenv("AZURE_TENANT_ID", "tenant-1")
    monkeypatch.setenv("AZURE_CLIENT_ID", "client-1")
    credential = auth.azure_credential(AzureSettings(cloud="china"))
    assert isinstance(credential.inner, ClientAssertionCredential)
    assert credential.mode == "workload-identity"
    assert credential.inner._client._authority == "https://login.chinacloudapi.cn"
    with pytest.raises(auth.SignInError, match="cannot read AZURE_FEDERATED_TOKEN_FILE"):
        credential.get_token("https://vault.azure.cn/.default")


def test_client_secret_outside_actions_stays_with_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token")
    monkeypatch.setenv("AZURE_TENANT_ID", "tenant-1")
    monkeypatch.setenv("AZURE_CLIENT_ID", "client-1")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "s3cret-for-environment-credential")
    assert isinstance(auth.azure_credential(AzureSettings()).inner, DefaultAzureCredential)


def test_in_actions_without_client_id_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_actions(monkeypatch)
    monkeypatch.setenv("AZURE_TENANT_ID", "tenant-1")
    with pytest.raises(auth.SignInError) as err:
        auth.azure_credential(AzureSettings())
    assert "AZURE_CLIENT_ID is not set" in str(err.value)
    assert "AZURE_TENANT_ID" not in str(err.value)


def test_in_actions_without_both_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    in_actions(monkeypatch)
    with pytest.raises(auth.SignInError, match="AZURE_TENANT_ID and AZURE_CLIENT_ID are not set"):
        auth.azure_credential(AzureSettings())


def test_http_authority_is_refused() -> None:
    with pytest.raises(auth.SignInError, match="must be an https:// URL"):
        auth.azure_credential(AzureSettings(authority_host="http://127.0.0.1:8080"))


def test_missing_ca_bundle_is_refused_up_front(tmp_path: Path) -> None:
    # azure-core would only fail at the first request, with a bare OSError.
    azure = AzureSettings(authority_host="https://127.0.0.1:1", ca_bundle=tmp_path / "none.pem")
    with pytest.raises(auth.SignInError, match="is not a readable file"):
        auth.azure_credential(azure)


def test_one_credential_per_settings_until_reset() -> None:
    first = auth.azure_credential(AzureSettings())
    assert auth.azure_credential(AzureSettings()) is first
    assert auth.azure_credential(AzureSettings(cloud="china")) is not first
    auth.reset_cache()
    assert auth.azure_credential(AzureSettings()) is not first


@pytest.mark.parametrize(
    ("authority", "loopback"),
    [
        ("https://127.0.0.1:8443", True),
        ("https://127.1.2.3", True),
        ("https://[::1]:443", True),
        ("https://localhost:5000/", True),
        ("localhost", True),
        ("https://login.microsoftonline.com", False),
        ("https://10.0.0.1", False),
    ],
)
def test_loopback_authority(authority: str, loopback: bool) -> None:
    assert auth.is_loopback_authority(authority) is loopback


# --- the GitHub token request ----------------------------------------------


def test_github_token_request_sends_audience_and_bearer(monkeypatch: pytest.MonkeyPatch) -> None:
    in_actions(monkeypatch)
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOngveTpyZWY6cmVmcy9oZWFkcy9tYWluIn0.c2ln"
    calls = fake_get(monkeypatch, FakeResponse(200, {"count": 1, "value": jwt}))
    assert auth.github_oidc_token("api://custom") == jwt
    (call,) = calls
    assert call["url"] == REQUEST_URL
    assert call["params"] == {"audience": "api://custom"}
    assert call["headers"]["Authorization"] == f"Bearer {BEARER}"
    assert call["timeout"] == auth.TIMEOUT
    # Both values are masked in any later log line.
    assert redact.redact(f"a {jwt} b {BEARER}") == f"a {redact.MASK} b {redact.MASK}"


def test_github_token_default_audience_is_token_exchange(monkeypatch: pytest.MonkeyPatch) -> None:
    in_actions(monkeypatch)
    calls = fake_get(monkeypatch, FakeResponse(200, {"value": "x.y.z-long-enough"}))
    auth.github_oidc_token()
    assert calls[0]["params"] == {"audience": "api://AzureADTokenExchange"}


def test_github_token_403_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    in_actions(monkeypatch)
    fake_get(monkeypatch, FakeResponse(403, {"message": "forbidden"}))
    with pytest.raises(auth.SignInError) as err:
        auth.github_oidc_token()
    message = str(err.value)
    assert message == (
        "GitHub OIDC token request answered HTTP 403; "
        "does the job have 'permissions: id-token: write'?"
    )
    assert err.value.__cause__ is None


def test_github_token_without_value_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    in_actions(monkeypatch)
    fake_get(monkeypatch, FakeResponse(200, ValueError("not json")))
    with pytest.raises(auth.SignInError, match="had no 'value'"):
        auth.github_oidc_token()


def test_github_token_outside_actions() -> None:
    with pytest.raises(auth.SignInError, match="id-token: write"):
        auth.github_oidc_token()


# --- describing failures -----------------------------------------------------

ENTRA_700213 = (
    "Microsoft Entra ID error '(invalid_client) AADSTS700213: No matching federated identity "
    "record found for presented assertion subject 'repo:contoso/certs:environment:prod'. Check "
    "your federated identity credential Subject, Audience and Issuer against the presented "
    "assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation "
    "Trace ID: 1 Correlation ID: 2 Timestamp: 2026-01-01 00:00:00Z'"
)


def test_describe_wrong_subject() -> None:
    line = auth.describe_auth_error(
        ClientAuthenticationError(message=ENTRA_700213),
        tenant_id="t-1",
        client_id="c-1",
        assertion_claims={"iss": "https://token.actions.githubusercontent.com"},
    )
    assert line == (
        "Azure sign-in failed for client c-1 in tenant t-1: the federated credential does not "
        "match this workflow (subject repo:contoso/certs:environment:prod, the name form "
        "repo:OWNER/REPO:...); add a federated "
        "credential for issuer https://token.actions.githubusercontent.com, subject "
        "repo:contoso/certs:environment:prod, audience api://AzureADTokenExchange to app c-1 "
        "(AADSTS700213)"
    )


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Microsoft Entra ID error '(invalid_client) AADSTS700211: No matching federated "
            "identity record found for presented assertion issuer 'https://evil.example'.'",
            "no federated credential trusts the token issuer https://evil.example",
        ),
        (
            "Microsoft Entra ID error '(invalid_client) AADSTS700024: Client assertion is not "
            "within its valid time range.'",
            "outside its validity window",
        ),
        (
            "Microsoft Entra ID error '(unauthorized_client) AADSTS700016: Application with "
            "identifier 'c-1' was not found in the directory 't-1'.'",
            "check AZURE_CLIENT_ID and AZURE_TENANT_ID (AADSTS700016)",
        ),
        (
            "Microsoft Entra ID error '(invalid_request) AADSTS9999: Something new happened. "
            "More text. Trace ID: 1'",
            "Something new happened. (AADSTS9999)",
        ),
    ],
)
def test_describe_other_entra_answers(message: str, expected: str) -> None:
    line = auth.describe_auth_error(
        ClientAuthenticationError(message=message), tenant_id="t-1", client_id="c-1"
    )
    assert expected in line
    assert "\n" not in line
    assert "Trace ID" not in line


def test_describe_default_chain_is_one_line() -> None:
    message = (
        "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
        "Attempted credentials:\n\tEnvironmentCredential: EnvironmentCredential authentication "
        "unavailable.\n\tManagedIdentityCredential: no endpoint\n\tAzureCliCredential: Azure "
        "CLI not found on path\nTo mitigate this issue, please refer to ..."
    )
    line = auth.describe_auth_error(ClientAuthenticationError(message=message))
    assert line == (
        "Azure sign-in failed: no Azure credential is available (tried EnvironmentCredential, "
        "ManagedIdentityCredential, AzureCliCredential); run 'az login', or in GitHub Actions "
        "grant 'permissions: id-token: write' and set AZURE_CLIENT_ID and AZURE_TENANT_ID"
    )


def test_describe_untrusted_tls() -> None:
    exc = ServiceRequestError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    assert "set the azure ca_bundle" in auth.describe_auth_error(exc)


def test_describe_masks_registered_secrets() -> None:
    redact.register("sekrit-value-123456")
    line = auth.describe_auth_error(RuntimeError("boom sekrit-value-123456\nsecond line"))
    assert line == f"Azure sign-in failed: RuntimeError: boom {redact.MASK} second line"


def test_describe_sign_in_error_is_passed_through() -> None:
    assert auth.describe_auth_error(auth.SignInError("already\nclear")) == "already clear"


def test_subject_form_tells_the_two_github_formats_apart() -> None:
    from renewer.azure.errors import subject_form, token_audience

    assert subject_form("repo:contoso@1234/certs@5678:ref:refs/heads/main") == "immutable-ID"
    assert subject_form("repo:contoso/certs:ref:refs/heads/main") == "name"
    assert subject_form("repo:contoso/certs@5678:ref:refs/heads/main") == "name"
    assert token_audience("usgov") == "api://AzureADTokenExchangeUSGov"
    assert token_audience("china") == "api://AzureADTokenExchangeChina"
    assert token_audience("public") == "api://AzureADTokenExchange"
    assert token_audience("usgov", "api://ours") == "api://ours"
