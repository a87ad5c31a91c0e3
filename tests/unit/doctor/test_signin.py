"""doctor.signin: the Key Vault scope per cloud, and what this job presents to Entra.

The job's OIDC token comes from the rig's GitHub issuer stand-in (tests/rig/oidc.py),
through the request variables GitHub Actions sets.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rig.oidc import GithubOidcIssuer

from renewer.core import oidc_request
from renewer.core.settings import AzureSettings
from renewer.doctor.signin import check_github_claims, vault_scope


@pytest.fixture(autouse=True)
def _nothing_taken() -> Iterator[None]:
    oidc_request.forget()
    yield
    oidc_request.forget()


def test_the_vault_scope_follows_the_cloud() -> None:
    assert vault_scope(AzureSettings()) == "https://vault.azure.net/.default"
    assert vault_scope(AzureSettings(cloud="china")) == "https://vault.azure.cn/.default"
    assert vault_scope(AzureSettings(cloud="usgov")) == "https://vault.usgovcloudapi.net/.default"


def test_outside_github_actions_there_is_nothing_to_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_URL", raising=False)
    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", raising=False)
    assert check_github_claims(AzureSettings()) == []


def test_the_job_shows_the_subject_audience_and_issuer_it_presents(
    github_oidc: GithubOidcIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(github_oidc.ca_bundle))
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", github_oidc.request_url)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", github_oidc.request_token)
    (check,) = check_github_claims(AzureSettings())
    assert check.ok and check.area == "GitHub OIDC"
    assert check.line == (
        f"this job presents subject {github_oidc.subject} (name form), audience "
        f"api://AzureADTokenExchange, issuer {github_oidc.issuer}: the federated credential "
        "must say exactly these"
    )


def test_a_refused_token_request_is_a_failed_check(
    github_oidc: GithubOidcIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    github_oidc.deny_status = 403
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(github_oidc.ca_bundle))
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", github_oidc.request_url)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", github_oidc.request_token)
    (check,) = check_github_claims(AzureSettings())
    assert not check.ok and check.line == "no OIDC token for this job"
    assert "403" in check.fix
