"""Key Vault store errors: one line naming vault and object, never a token or a secret."""

from __future__ import annotations

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from renewer.core import redact
from renewer.stores.contract import StoreError
from renewer.stores.keyvault.errors import GRANT, vault_errors

VAULT = "https://contoso-certs.vault.azure.net"


def http_error(status: int | None, message: str = "boom") -> HttpResponseError:
    error = HttpResponseError(message=message)
    error.status_code = status
    error.reason = {403: "Forbidden", 409: "Conflict", 500: "Internal Server Error"}.get(
        status or 0
    )
    return error


def raised(exc: BaseException, subject: str = "certificate www") -> str:
    with pytest.raises(StoreError) as caught, vault_errors(VAULT, subject):
        raise exc
    text = str(caught.value)
    assert "\n" not in text
    return text


def test_forbidden_names_the_vault_the_certificate_and_the_role() -> None:
    assert raised(http_error(403)) == f"no permission on vault {VAULT} for certificate www: {GRANT}"


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ServiceRequestError("Name or service not known"), f"vault {VAULT} unreachable"),
        (ServiceResponseError("connection reset"), f"vault {VAULT} did not answer"),
        (http_error(401), f"vault {VAULT} rejected the Azure token"),
        (http_error(404), f"vault {VAULT}: certificate www not found"),
        (http_error(500, "line one\nline two"), f"vault {VAULT}: certificate www: HTTP 500"),
    ],
)
def test_failures_become_one_line(exc: BaseException, expected: str) -> None:
    assert raised(exc).startswith(expected)


def test_sign_in_failure_keeps_the_first_line_and_masks_secrets() -> None:
    redact.register("super-secret-assertion-value")
    exc = ClientAuthenticationError(
        message="ClientAssertionCredential failed: super-secret-assertion-value\nmore detail"
    )
    text = raised(exc)
    assert text.startswith(f"Azure sign-in for vault {VAULT} failed (certificate www): ")
    assert "super-secret-assertion-value" not in text and "more detail" not in text


def test_store_errors_pass_through_unchanged() -> None:
    assert raised(StoreError("already one line")) == "already one line"
