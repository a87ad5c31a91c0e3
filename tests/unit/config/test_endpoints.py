"""config.endpoints: a certificate's ``endpoints:`` (strings or mappings) and its ``grace``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from renewer.config.convert import Context
from renewer.config.endpoints import verify_fields
from renewer.config.nodes import INVALID, Checker, Source, compose
from renewer.core.endpoints import DEFAULT_GRACE, EndpointSpec

DOMAINS = ("example.test", "*.example.test")


def walk(
    text: str, domains: Any = DOMAINS, defaults: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[tuple[int, int, str]]]:
    checker = Checker(Context(Path("/cfg"), {}))
    root = compose(text)
    assert root is not None
    entries = checker.mapping(root, "certificates[0]")
    assert entries is not None
    found = verify_fields(
        checker, Source(entries, root, "certificates[0]"), domains, defaults or {}
    )
    return found, checker.issues


def test_strings_and_mappings_become_endpoints_with_the_first_plain_domain_as_sni() -> None:
    found, issues = walk(
        "endpoints:\n"
        "  - web.example.test\n"
        "  - '[::1]:8443'\n"
        "  - {address: 10.0.0.5, sni: api.example.test}\n"
    )
    assert issues == []
    assert found["endpoints"] == (
        EndpointSpec("web.example.test", 443, "example.test"),
        EndpointSpec("::1", 8443, "example.test"),
        EndpointSpec("10.0.0.5", 443, "api.example.test"),  # covered by the wildcard
    )
    assert found["grace"] == DEFAULT_GRACE


def test_grace_comes_from_the_certificate_then_defaults_then_26_hours() -> None:
    own, _ = walk("grace: 2h\n", defaults={"grace": timedelta(hours=5)})
    assert own["grace"] == timedelta(hours=2)
    from_defaults, _ = walk("{}\n", defaults={"grace": timedelta(hours=5)})
    assert from_defaults["grace"] == timedelta(hours=5)
    assert walk("{}\n")[0] == {"endpoints": (), "grace": DEFAULT_GRACE}


def test_each_bad_endpoint_is_reported_at_its_line() -> None:
    found, issues = walk(
        "endpoints:\n"
        "  - 42\n"
        "  - {sni: example.test}\n"
        "  - {address: a.test, sni: '*.example.test'}\n"
        "  - {address: a.test, sni: other.test}\n"
        "  - a.test\n"
        "  - a.test:443\n"
    )
    assert found["endpoints"] == (EndpointSpec("a.test", 443, "example.test"),)
    messages = [(line, text) for line, _, text in issues]
    assert messages == [
        (2, 'certificates[0].endpoints[0]: expected a "host[:port]" string, got an integer'),
        (3, "certificates[0].endpoints[1]: missing required key 'address'"),
        (4, "certificates[0].endpoints[2].sni: a client sends a host name, not a wildcard"),
        (
            5,
            "certificates[0].endpoints[3].sni: 'other.test' is not one of this certificate's "
            "domains (example.test, *.example.test)",
        ),
        (
            7,
            "certificates[0].endpoints[5]: duplicate endpoint a.test:443 (SNI example.test) "
            "(listed at line 6)",
        ),
    ]


def test_only_wildcards_means_the_sni_must_be_given() -> None:
    _, issues = walk("endpoints: [a.test]\n", domains=("*.example.test",))
    assert issues[0][2].endswith("every domain is a wildcard; give the name to send as sni:")


def test_endpoints_that_are_not_a_list_are_invalid() -> None:
    found, issues = walk("endpoints: a.test\n")
    assert found["endpoints"] is INVALID
    assert "expected a list" in issues[0][2]
