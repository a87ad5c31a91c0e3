"""config.names: Azure's and GitHub's naming rules for what renewer writes into scripts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from renewer.config import names

SUB = "0d6f1c4e-2a8b-4c8e-9f10-1234567890ab"


@pytest.mark.parametrize(
    ("check", "good", "result"),
    [
        (names.check_resource_group, " rg-certs_(prod).1 ", "rg-certs_(prod).1"),
        (names.check_identity_name, "id-renew_1", "id-renew_1"),
        (names.check_location, " WestEurope ", "westeurope"),
        (names.check_repository, " octo-org/certs.repo ", "octo-org/certs.repo"),
        (names.check_subscription, SUB.upper(), SUB),
        (names.check_resource_name, "www-example-com.pfx", "www-example-com.pfx"),
        (names.check_account, "NT AUTHORITY\\Network Service", "NT AUTHORITY\\Network Service"),
        (names.check_hostname, "*.Example.COM.", "*.example.com"),
    ],
)
def test_valid_names_pass_normalised(check: Callable[[str], str], good: str, result: str) -> None:
    assert check(good) == result


@pytest.mark.parametrize(
    ("check", "bad"),
    [
        (names.check_resource_group, "rg."),  # may not end with a period
        (names.check_resource_group, "rg;rm -rf"),
        (names.check_resource_group, "x" * 91),
        (names.check_identity_name, "-id"),
        (names.check_identity_name, "ab"),
        (names.check_location, "west europe"),
        (names.check_repository, "owner"),
        (names.check_repository, "owner/.."),
        (names.check_repository, "own_er/repo"),
        (names.check_repository, "o/" + "r" * 101),
        (names.check_resource_name, "$(id)"),
        (names.check_account, "a\nb"),
        (names.check_hostname, "*.*.example.com"),
        (names.check_hostname, "example"),
        (names.check_hostname, "ex ample.com"),
    ],
)
def test_names_azure_or_github_would_refuse_never_pass(
    check: Callable[[str], str], bad: str
) -> None:
    with pytest.raises(ValueError):
        check(bad)


def test_patterns_are_matched_whole_so_a_trailing_newline_is_refused() -> None:
    with pytest.raises(ValueError):
        names.check_identity_name("id-renew\n")


def test_a_vault_url_names_one_vault_in_a_known_cloud() -> None:
    assert names.check_vault_url("https://kv-certs.vault.azure.net") == (
        "https://kv-certs.vault.azure.net"
    )
    assert names.vault_name("https://kv-certs.vault.azure.net/") == "kv-certs"
    assert names.vault_name("https://kv.vault.azure.cn") == "kv"
    assert names.vault_name("https://example.com") is None
    assert ".vault.azure.net" in names.VAULT_SUFFIXES


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://example.com", "not a Key Vault URL"),
        ("https://kv--certs.vault.azure.net", "not a Key Vault name"),
        ("https://1kv.vault.azure.net", "not a Key Vault name"),
        ("https://kv-certs.vault.azure.net/secrets", "has no path"),
    ],
)
def test_a_vault_url_that_is_not_one_vault_is_refused(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        names.check_vault_url(url)


def test_a_loopback_emulator_is_accepted_as_a_vault() -> None:
    assert names.check_vault_url("https://127.0.0.1:8443") == "https://127.0.0.1:8443"


def test_a_resource_id_has_eight_segments_each_by_azure_rules() -> None:
    rid = (
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/"
        "Microsoft.Network/applicationGateways/agw-1"
    )
    assert names.check_resource_id(f" {rid} ") == rid
    with pytest.raises(ValueError, match="not an Azure resource id"):
        names.check_resource_id(rid + "/sslCertificates/x")
    with pytest.raises(ValueError, match="no resource type"):
        names.check_resource_id(rid.replace("Microsoft.Network", "Microsoft"))
    with pytest.raises(ValueError):
        names.check_resource_id(rid.replace(SUB, "not-a-guid"))
