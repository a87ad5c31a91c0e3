"""dns-persist-01: record format and judgement (pure), the acme challenge types, config keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from acme import challenges, messages

from renewer.acme.persist01 import DNSPersist01, DNSPersist01Response
from renewer.config.loader import load_config
from renewer.dns.persist.record import (
    DomainStatus,
    PersistError,
    Verdict,
    choose,
    format_value,
    judge,
    parse_value,
    record_name,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ACCT = "https://ca.test/acct/1"
ISSUER = "ca.test"


def test_record_name_and_format() -> None:
    assert record_name("*.Example.TEST") == "_validation-persist.example.test."
    until = datetime(2027, 1, 1, tzinfo=UTC)
    assert format_value(ISSUER, ACCT, True, until) == (
        f"{ISSUER}; accounturi={ACCT}; policy=wildcard; persistUntil={int(until.timestamp())}"
    )


def test_parse_is_lenient_where_the_ca_is() -> None:
    value = parse_value(f" {ISSUER} ;AccountURI={ACCT};  Policy=WILDCARD ; other=x")
    assert (value.issuer, value.accounturi, value.policy) == (ISSUER, ACCT, "wildcard")
    assert parse_value(f"{ISSUER}; accounturi={ACCT}; policy=other").policy is None


@pytest.mark.parametrize(
    "raw",
    [
        f"{ISSUER}; accounturi={ACCT};",
        f"{ISSUER}; accounturi={ACCT}; accounturi={ACCT}",
        f"{ISSUER}; accounturi",
        f"{ISSUER}; persistUntil=soon",
        "; accounturi=x",
    ],
)
def test_parse_rejects_malformed(raw: str) -> None:
    with pytest.raises(PersistError):
        parse_value(raw)


@pytest.mark.parametrize(
    ("values", "wildcard", "verdict", "words"),
    [
        ([f"{ISSUER}; accounturi={ACCT}"], False, Verdict.VALID, "valid"),
        ([], False, Verdict.MISSING, "no standing record"),
        ([f"other.ca; accounturi={ACCT}"], False, Verdict.MISSING, "only for other.ca"),
        ([f"{ISSUER}; accounturi={ACCT}2"], False, Verdict.INVALID, "is not ours"),
        ([f"{ISSUER}; accounturi={ACCT}"], True, Verdict.INVALID, "lacks policy=wildcard"),
        ([f"{ISSUER}; accounturi={ACCT}; persistUntil=1"], False, Verdict.INVALID, "has passed"),
        ([f"{ISSUER}; policy=wildcard"], False, Verdict.INVALID, "no accounturi"),
        (
            [f"{ISSUER}; accounturi={ACCT}; persistUntil={int(NOW.timestamp()) + 86400}"],
            False,
            Verdict.EXPIRING,
            "is in 1d",
        ),
        ([f"{ISSUER}; accounturi=x", f"{ISSUER}; accounturi={ACCT}"], False, Verdict.VALID, ""),
    ],
)
def test_judge(values: list[str], wildcard: bool, verdict: Verdict, words: str) -> None:
    found = judge(values, [ISSUER], ACCT, wildcard, NOW)
    assert found.verdict is verdict
    assert words in found.reason


def _domain(verdict: Verdict) -> DomainStatus:
    return DomainStatus("c", "a.test", "_validation-persist.a.test.", False, verdict, "why")


def test_choose_says_which_and_why() -> None:
    assert choose("auto", [_domain(Verdict.VALID)])[0] == "dns-persist-01"
    uses, why = choose("auto", [_domain(Verdict.VALID), _domain(Verdict.MISSING)])
    assert uses == "dns-01" and "falling back" in why
    assert choose("auto", [_domain(Verdict.VALID)], offered=False)[0] == "dns-01"
    uses, why = choose("dns-persist-01", [_domain(Verdict.INVALID)])
    assert uses == "dns-persist-01" and "will fail" in why


def test_challenge_types_register_with_the_acme_library() -> None:
    body = messages.ChallengeBody.from_json(
        {
            "type": "dns-persist-01",
            "url": "https://ca.test/chall/1",
            "status": "pending",
            "issuer-domain-names": [ISSUER, "alt.test"],
            "accounturi": ACCT,
        }
    )
    assert isinstance(body.chall, DNSPersist01)
    assert body.chall.issuer_domain_names == (ISSUER, "alt.test")
    response = body.chall.response()
    assert isinstance(response, challenges.ChallengeResponse)
    assert response.json_dumps() == "{}"
    assert bool(DNSPersist01Response())  # else the library would send a POST-as-GET


def test_config_challenge_and_persist_until(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        """
acme: {directory: https://ca.test/dir}
store: {type: directory, path: certs}
dns: {type: challtestsrv, url: http://127.0.0.1:8055}
defaults: {challenge: auto, persist_until: 365d}
certificates:
  - {name: a, domains: [a.test]}
  - {name: b, domains: [b.test], challenge: dns-persist-01, persist_until: 2027-06-30}
  - {name: c, domains: [c.test], challenge: dns-01}
"""
    )
    a, b, c = load_config(path).certificates
    assert (a.challenge, a.persist_until) == ("auto", timedelta(days=365))
    assert b.challenge == "dns-persist-01"
    assert b.persist_until == datetime(2027, 6, 30, tzinfo=UTC)
    assert c.challenge == "dns-01"
