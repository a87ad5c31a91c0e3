"""Names and addresses: what a CA would accept, in the one form the rest of renewer sees."""

from __future__ import annotations

import re as _re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renewer.config import domains as _domains
from renewer.config.domains import (
    check_certificate_name,
    check_url,
    normalise_domain,
    normalise_email,
    normalise_uuid,
    normalise_zone,
    parse_host_port,
    split_host_port,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("example.com", "example.com"),
        ("  WWW.Example.COM ", "www.example.com"),
        ("*.example.com", "*.example.com"),
        ("Bücher.example", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("*.bücher.example", "*.xn--bcher-kva.example"),
        ("例え.テスト", "xn--r8jz45g.xn--zckzah"),
        ("bücher。example", "xn--bcher-kva.example"),  # ideographic full stop
        ("a-b.c0.example", "a-b.c0.example"),
        ("a" * 63 + ".com", "a" * 63 + ".com"),
    ],
)
def test_normalise_domain(text: str, expected: str) -> None:
    assert normalise_domain(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "must not be empty"),
        ("example.com.", "must not end with a dot"),
        ("com", "at least two labels"),
        ("*.com", "after '*.' needs at least two labels"),
        ("*", "wildcard"),
        ("a*.example.com", "wildcard"),
        ("*.*.example.com", "wildcard"),
        ("x.*.example.com", "wildcard"),
        ("**.example.com", "wildcard"),
        ("192.0.2.1", "IP address"),
        ("::1", "IP address"),
        ("a..example.com", "empty label"),
        ("-a.example.com", "hyphen"),
        ("a-.example.com", "hyphen"),
        ("a_b.example.com", "letters, digits and hyphens"),
        ("a b.example.com", "letters, digits and hyphens"),
        ("a" * 64 + ".com", "longer than 63"),
        (".".join(["a" * 63] * 4) + ".com", "longer than 253"),
        ("ab--cd.example.com", "reserved"),
        ("xn--zz.example.com", "not a valid A-label"),
        ("example.123", "all digits"),
        ("i\u2764.example", "internationalised"),
    ],
)
def test_normalise_domain_rejects(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=None) as caught:
        normalise_domain(text)
    assert problem in str(caught.value)


@given(st.text(max_size=40))
def test_normalise_domain_raises_only_value_error_and_is_idempotent(text: str) -> None:
    try:
        name = normalise_domain(text)
    except ValueError:
        return
    assert name.isascii() and name == name.lower()
    assert normalise_domain(name) == name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("example.org.", "example.org."),
        ("Example.ORG", "example.org"),
        ("_acme-challenge.example.org", "_acme-challenge.example.org"),
        ("acme-key", "acme-key"),
        ("bücher.example.", "xn--bcher-kva.example."),
    ],
)
def test_normalise_zone(text: str, expected: str) -> None:
    assert normalise_zone(text) == expected


@pytest.mark.parametrize("text", ["", ".", "a..b", "a b", "-a"])
def test_normalise_zone_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        normalise_zone(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", "127.0.0.1:53"),
        ("127.0.0.1:5353", "127.0.0.1:5353"),
        ("ns1.Example.com", "ns1.example.com:53"),
        ("bind:8053", "bind:8053"),
        ("::1", "[::1]:53"),
        ("[::1]:5353", "[::1]:5353"),
        ("[2001:db8:0::1]", "[2001:db8::1]:53"),
    ],
)
def test_parse_host_port(text: str, expected: str) -> None:
    assert parse_host_port(text) == expected


@pytest.mark.parametrize(
    "text", ["", ":53", "host:", "host:0", "host:65536", "host:x", "[nope]:53", "a:b:c", "[::1]x"]
)
def test_parse_host_port_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_host_port(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("NS1.example.com:8053", ("ns1.example.com", 8053)),
        ("::1", ("::1", 53)),
        ("[2001:db8:0::1]:5353", ("2001:db8::1", 5353)),
    ],
)
def test_split_host_port_gives_what_sockets_take(text: str, expected: tuple[str, int]) -> None:
    """The one host:port parser also serves the DNS code, which needs (host, port)."""
    assert split_host_port(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ops@example.com", "mailto:ops@example.com"),
        ("mailto:ops@example.com", "mailto:ops@example.com"),
        (" MAILTO:Ops@Example.COM ", "mailto:Ops@example.com"),
        ("ops@bücher.example", "mailto:ops@xn--bcher-kva.example"),
    ],
)
def test_normalise_email(text: str, expected: str) -> None:
    assert normalise_email(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ops",
        "@example.com",
        "ops@",
        "ops@localhost",
        "a b@example.com",
        "a@b@c.com",
        "ops@*.example.com",
        "a@example.com,b@example.com",
    ],
)
def test_normalise_email_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        normalise_email(text)


def test_check_url() -> None:
    assert check_url("https://x.vault.azure.net/", ("https",)) == "https://x.vault.azure.net"
    assert check_url("http://127.0.0.1:8055", ("http", "https")) == "http://127.0.0.1:8055"
    for bad in [
        "http://x.vault.azure.net",
        "https://",
        "https://u:p@x.net",
        "https://x.net/?a=1",
        "https://x.net:99999",
        "x.vault.azure.net",
    ]:
        with pytest.raises(ValueError):
            check_url(bad, ("https",))


def test_uuid_and_certificate_name() -> None:
    assert normalise_uuid(" ABCDEF00-0000-0000-0000-000000000000 ") == (
        "abcdef00-0000-0000-0000-000000000000"
    )
    for bad in [
        "",
        "0000",
        "{00000000-0000-0000-0000-000000000000}",
        "g" * 8 + "-0000-0000-0000-" + "0" * 12,
    ]:
        with pytest.raises(ValueError):
            normalise_uuid(bad)
    assert check_certificate_name("Www-Example-1") == "Www-Example-1"
    for bad in ["", "a_b", "a.b", "a b", "x" * 128, "ü"]:
        with pytest.raises(ValueError):
            check_certificate_name(bad)


# -- the one-regex fast path (issue 17) decides exactly as the label checks ----------


def _outcome(text: str) -> str:
    try:
        return "ok:" + _domains.normalise_domain(text)
    except ValueError as exc:
        return "error:" + str(exc)


@settings(max_examples=600)
@given(st.text(alphabet="ab0-.*x9Z ", min_size=0, max_size=30))
def test_fast_path_agrees_with_the_label_checks(text: str) -> None:
    fast = _outcome(text)
    saved = _domains._PLAIN_NAME
    _domains._PLAIN_NAME = _re.compile("(?!)")  # never matches: the label-by-label path
    try:
        slow = _outcome(text)
    finally:
        _domains._PLAIN_NAME = saved
    assert fast == slow
