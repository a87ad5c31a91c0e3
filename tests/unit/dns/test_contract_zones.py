"""The one longest-suffix rule every zone-finding provider uses."""

from __future__ import annotations

from renewer.dns.contract import holding_zone


def test_the_longest_zone_holding_the_name_wins() -> None:
    zones = ["example.test.", "sub.example.test.", "other.test."]
    assert holding_zone("_acme-challenge.a.sub.example.test.", zones) == "sub.example.test."
    assert holding_zone("_acme-challenge.example.test.", zones) == "example.test."
    assert holding_zone("sub.example.test.", zones) == "sub.example.test."  # the apex itself


def test_a_suffix_that_is_not_a_label_boundary_does_not_hold() -> None:
    assert holding_zone("_acme-challenge.badexample.test.", ["example.test."]) is None
    assert holding_zone("x.example.org", ["example.test"]) is None
    assert holding_zone("x.example.test", []) is None
