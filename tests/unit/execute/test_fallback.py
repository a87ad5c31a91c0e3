"""Issuer fallback: the decision table, the walk over the issuers, and ``replaces``."""

from __future__ import annotations

import dataclasses

import pytest

from renewer.acme.failures import AcmeFailure, CaDown
from renewer.core.errors import RenewerError
from renewer.core.retry import Cancelled
from renewer.core.settings import AcmeSettings
from renewer.execute.fallback import (
    IssuersFailed,
    another_ca_may_help,
    first_to_issue,
    replaces_for,
    retry_here,
    same_as_wanted,
)
from tests.unit.factories import spec, stored_for

A = AcmeSettings("https://a.example/dir")
B = AcmeSettings("https://b.example/dir")
C = AcmeSettings("https://c.example/dir")


@pytest.mark.parametrize(
    ("error", "moves_on"),
    [
        (CaDown("CA https://a.example/dir not answering"), True),
        (AcmeFailure("new order refused: rateLimited: too many", "rateLimited"), True),
        (AcmeFailure("rateLimited", "rateLimited", retry_after=3600.0), True),
        (AcmeFailure("CA error: serverInternal: oops", "serverInternal"), True),
        (AcmeFailure("CA answered HTTP 503 without a problem document", transient=True), True),
        # the certificate's own names: any CA would refuse them the same way
        (AcmeFailure("new order refused: rejectedIdentifier: no", "rejectedIdentifier"), False),
        (AcmeFailure("new order refused: caa: forbidden", "caa"), False),
        (AcmeFailure("CA error: unauthorized: no", "unauthorized"), False),
        (AcmeFailure("CA error: dns: SERVFAIL", "dns"), False),
        (AcmeFailure("CA error: badCSR: weak key", "badCSR"), False),
        (AcmeFailure("dns-01 for a.example failed: unauthorized: no TXT record"), False),
        (AcmeFailure("order became invalid: serverInternal: x"), False),
        (AcmeFailure("timed out waiting for validation of a.example"), False),
        (AcmeFailure("CA directory https://a.example/dir unreachable: SSL: bad cert"), False),
        (RenewerError("DNS provider refused the write"), False),
        (Cancelled("run cancelled"), False),
        (ValueError("a bug"), False),
    ],
)
def test_the_decision_table(error: BaseException, moves_on: bool) -> None:
    assert another_ca_may_help(error) is moves_on


def test_a_rate_limit_moves_on_at_once_unless_it_is_the_last_ca() -> None:
    limited = AcmeFailure("rateLimited", "rateLimited", retry_after=1.0)
    internal = AcmeFailure("serverInternal", "serverInternal")
    assert retry_here(limited, last=False) is False  # no more orders at the limited CA
    assert retry_here(limited, last=True) is True  # only CA: as before, its pause is kept
    assert retry_here(internal, last=False) is True  # serverInternal: after the retries
    assert retry_here(AcmeFailure("rateLimited", "rateLimited"), last=True) is False
    assert retry_here(AcmeFailure("unauthorized", "unauthorized"), last=True) is False


def walk(outcomes: dict[str, BaseException | str]) -> tuple[list[str], str | BaseException]:
    """first_to_issue over A, B, C where each CA fails or answers as given."""
    asked: list[str] = []

    def attempt(issuer: AcmeSettings, last: bool) -> str:
        asked.append(issuer.directory)
        assert last == (issuer == C)
        outcome = outcomes[issuer.directory]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    try:
        return asked, first_to_issue("x", (A, B, C), attempt)
    except Exception as exc:
        return asked, exc


def test_fixable_failures_move_on_until_one_issues() -> None:
    asked, got = walk(
        {
            A.directory: CaDown("a down"),
            B.directory: AcmeFailure("limited", "rateLimited"),
            C.directory: "chain",
        }
    )
    assert asked == [A.directory, B.directory, C.directory] and got == "chain"


def test_a_validation_failure_ends_the_walk_with_that_ca_s_words() -> None:
    refused = AcmeFailure("dns-01 for x failed: unauthorized: no TXT")
    asked, got = walk({A.directory: refused, B.directory: "chain", C.directory: "chain"})
    assert asked == [A.directory] and got is refused


def test_a_validation_failure_at_a_fallback_ca_also_ends_it() -> None:
    refused = AcmeFailure("caa", "caa")
    asked, got = walk({A.directory: CaDown("a"), B.directory: refused, C.directory: "chain"})
    assert asked == [A.directory, B.directory] and got is refused


def test_every_ca_failing_names_each_and_keeps_the_last_advice() -> None:
    asked, got = walk(
        {
            A.directory: CaDown("a not answering"),
            B.directory: AcmeFailure("b internal", "serverInternal"),
            C.directory: AcmeFailure("c limited", "rateLimited", retry_after=60.0),
        }
    )
    assert isinstance(got, IssuersFailed) and len(asked) == 3
    assert str(got) == (
        "every CA failed (https://a.example/dir: a not answering; "
        "https://b.example/dir: b internal; https://c.example/dir: c limited)"
    )
    assert got.code == "rateLimited" and got.retry_after == 60.0 and not got.transient


def test_one_issuer_fails_exactly_as_before() -> None:
    down = CaDown("a down")

    def attempt(_issuer: AcmeSettings, last: bool) -> str:
        assert last
        raise down

    with pytest.raises(CaDown) as caught:
        first_to_issue("x", (A,), attempt)
    assert caught.value is down


def test_replaces_goes_only_to_the_ca_that_issued_the_current_certificate() -> None:
    wanted = dataclasses.replace(spec(directory=A.directory), fallbacks=(B,))
    from_b = stored_for(wanted.with_issuer(B))
    assert replaces_for(wanted, from_b, B) == "aki.serial"
    assert replaces_for(wanted, from_b, A) is None  # A never saw B's certificate
    from_a = stored_for(wanted)
    assert replaces_for(wanted, from_a, A) == "aki.serial"
    assert replaces_for(wanted, from_a, B) is None
    # the config moved to new CAs: the first may know it (it refuses otherwise)
    elsewhere = stored_for(wanted, directory="https://old.example/dir", fingerprint="f")
    assert replaces_for(wanted, elsewhere, A) == "aki.serial"
    assert replaces_for(wanted, elsewhere, B) is None
    assert replaces_for(wanted, None, A) is None


def test_a_certificate_from_any_listed_ca_is_what_the_config_wants() -> None:
    wanted = dataclasses.replace(spec(directory=A.directory), fallbacks=(B,))
    assert same_as_wanted(wanted, stored_for(wanted.with_issuer(B)))
    assert same_as_wanted(wanted, stored_for(wanted))
    # a Key Vault tag too short for the URL: the fingerprint tells the issuer
    assert same_as_wanted(wanted, stored_for(wanted.with_issuer(B), directory=None))
    assert not same_as_wanted(wanted, stored_for(wanted.with_issuer(C)))
    assert not same_as_wanted(wanted, stored_for(wanted, key="rsa-2048", fingerprint="other"))
