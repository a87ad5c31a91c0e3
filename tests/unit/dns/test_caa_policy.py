"""CAA evaluation (RFC 8659 section 4, RFC 8657) on record sets built in the test."""

from __future__ import annotations

from renewer.dns.caa import CaaRecord, CaaSet, climb
from renewer.dns.caa_policy import evaluate, parse_issue, recommended

CA = ("letsencrypt.org",)
ACCOUNT = "https://acme.example/acct/1"


def caa(*records: tuple[int, str, str], owner: str = "example.com.") -> CaaSet:
    return CaaSet("www.example.com.", owner, tuple(CaaRecord(*r) for r in records))


def test_no_record_allows_any_ca() -> None:
    verdict = evaluate(CaaSet("www.example.com.", None), CA, ACCOUNT)
    assert verdict.allowed is True


def test_issuer_match_is_case_insensitive_and_parameters_are_checked() -> None:
    assert evaluate(caa((0, "issue", "LetsEncrypt.org")), CA, ACCOUNT).allowed is True
    pinned = caa((0, "issue", f"letsencrypt.org; accounturi={ACCOUNT}; validationmethods=dns-01"))
    assert evaluate(pinned, CA, ACCOUNT).allowed is True
    other = evaluate(pinned, CA, "https://acme.example/acct/2")
    assert other.allowed is False
    assert "accounturi=https://acme.example/acct/1 is not this account" in other.reason
    http_only = caa((0, "issue", "letsencrypt.org; validationmethods=http-01,tls-alpn-01"))
    verdict = evaluate(http_only, CA, ACCOUNT)
    assert verdict.allowed is False
    assert "validationmethods=http-01,tls-alpn-01 excludes dns-01" in verdict.reason
    assert evaluate(http_only, CA, ACCOUNT, ("dns-01", "dns-persist-01")).allowed is False


def test_another_ca_only_is_refused_and_the_record_is_quoted() -> None:
    verdict = evaluate(
        caa((0, "issue", "pki.goog"), (0, "iodef", "mailto:x@example.com")), CA, None
    )
    assert verdict.allowed is False
    assert verdict.reason == (
        'CAA at example.com does not allow letsencrypt.org to issue issue: 0 issue "pki.goog"'
    )


def test_one_record_allowing_is_enough() -> None:
    found = caa((0, "issue", "pki.goog"), (0, "issue", "letsencrypt.org"))
    assert evaluate(found, CA, ACCOUNT).allowed is True


def test_empty_issuer_forbids_everybody() -> None:
    assert evaluate(caa((0, "issue", ";")), CA, ACCOUNT).allowed is False


def test_wildcard_uses_issuewild_when_present_else_issue() -> None:
    found = caa((0, "issue", "letsencrypt.org"), (0, "issuewild", ";"))
    assert evaluate(found, CA, ACCOUNT).allowed is True
    assert evaluate(found, CA, ACCOUNT, wildcard=True).allowed is False
    only_issue = caa((0, "issue", "pki.goog"))
    assert evaluate(only_issue, CA, ACCOUNT, wildcard=True).allowed is False
    wild_ok = caa((0, "issue", ";"), (0, "issuewild", "letsencrypt.org"))
    assert evaluate(wild_ok, CA, ACCOUNT, wildcard=True).allowed is True
    assert evaluate(wild_ok, CA, ACCOUNT).allowed is False


def test_only_iodef_restricts_nobody() -> None:
    assert evaluate(caa((0, "iodef", "mailto:x@example.com")), CA, ACCOUNT).allowed is True


def test_critical_unknown_tag_forbids() -> None:
    verdict = evaluate(caa((128, "tbs", "x"), (0, "issue", "letsencrypt.org")), CA, ACCOUNT)
    assert verdict.allowed is False and "critical" in verdict.reason
    assert evaluate(caa((128, "issue", "letsencrypt.org")), CA, ACCOUNT).allowed is True


def test_unknown_when_it_cannot_be_told() -> None:
    no_identities = evaluate(caa((0, "issue", "letsencrypt.org")), (), ACCOUNT)
    assert no_identities.allowed is None and "caaIdentities" in no_identities.reason
    pinned = caa((0, "issue", f"letsencrypt.org; accounturi={ACCOUNT}"))
    assert evaluate(pinned, CA, None).allowed is None


def test_parse_issue_and_recommended_record() -> None:
    assert parse_issue(" ca.example ; accounturi = https://a/1 ;validationmethods=dns-01") == (
        "ca.example",
        {"accounturi": "https://a/1", "validationmethods": "dns-01"},
    )
    assert parse_issue(";") == ("", {})
    record = recommended("letsencrypt.org", ACCOUNT)
    assert record.text() == (
        f'0 issue "letsencrypt.org; accounturi={ACCOUNT}; validationmethods=dns-01"'
    )
    assert evaluate(caa((0, "issue", record.value)), CA, ACCOUNT).allowed is True


def test_climb_stops_before_the_root() -> None:
    assert climb("a.b.example.com") == [
        "a.b.example.com.",
        "b.example.com.",
        "example.com.",
        "com.",
    ]
