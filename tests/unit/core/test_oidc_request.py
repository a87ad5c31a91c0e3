"""core.oidc_request: the job's OIDC request variables leave the environment at start."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from renewer.core import oidc_request, redact
from renewer.core.oidc_request import REQUEST_TOKEN_ENV, REQUEST_URL_ENV, OidcRequest

BEARER = "bearer-that-mints-tokens-1234567890"
URL = "https://token.actions.test/request?api-version=2.0"


@pytest.fixture(autouse=True)
def _nothing_taken() -> Iterator[None]:
    oidc_request.forget()
    yield
    oidc_request.forget()


def test_the_variables_are_moved_out_and_the_bearer_is_masked() -> None:
    env = {REQUEST_URL_ENV: URL, REQUEST_TOKEN_ENV: BEARER, "PATH": "/bin"}
    taken = oidc_request.take(env)
    assert taken == OidcRequest(URL, BEARER)
    assert env == {"PATH": "/bin"}  # a child process started later finds them gone
    assert BEARER not in redact.redact(f"Authorization: Bearer {BEARER}")
    assert BEARER not in repr(taken) and URL in repr(taken)


def test_a_second_take_keeps_what_the_first_took() -> None:
    oidc_request.take({REQUEST_URL_ENV: URL, REQUEST_TOKEN_ENV: BEARER})
    assert oidc_request.take({}) == OidcRequest(URL, BEARER)  # idempotent: env already empty


def test_half_a_pair_is_taken_out_but_not_used() -> None:
    env = {REQUEST_URL_ENV: URL}
    assert oidc_request.take(env) is None
    assert env == {}


def test_forget_drops_what_was_taken() -> None:
    oidc_request.take({REQUEST_URL_ENV: URL, REQUEST_TOKEN_ENV: BEARER})
    oidc_request.forget()
    assert oidc_request.take({}) is None
