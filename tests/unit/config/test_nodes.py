"""config.nodes: YAML nodes walked against field tables, every issue with its line and column."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from renewer.config.convert import Context, Field, plain, text
from renewer.config.nodes import (
    INVALID,
    Checker,
    Source,
    compose,
    is_null,
    kind_of,
    scalar_of,
)

CTX = Context(base_dir=Path("/cfg"), environ={})
TABLE = {
    "name": Field(required=True, convert=plain(text)),
    "mode": Field(enum=("fast", "slow"), default="slow"),
    "enabled": Field(accepts=("bool",), default=False),
    "domains": Field(shape="list", min_items=1, max_items=3, unique=True),
    "tags": Field(shape="map", max_items=2),
}


def node(text_: str) -> yaml.Node:
    found = compose(text_)
    assert found is not None
    return found


def source(text_: str) -> tuple[Checker, Source]:
    checker = Checker(CTX)
    root = node(text_)
    entries = checker.mapping(root, "")
    assert entries is not None
    return checker, Source(entries, root, "")


@pytest.mark.parametrize(
    ("text_", "kind", "value"),
    [
        ("yes", "bool", True),
        ("Off", "bool", False),
        ("42", "int", 42),
        ("0x10", "int", 16),
        ("1.5", "float", 1.5),
        ("'42'", "str", "42"),
        ("~", "null", "~"),
        ("2026-01-01", "timestamp", "2026-01-01"),
        ("!custom x", "other", "x"),
    ],
)
def test_a_scalar_reads_as_its_kind_and_value(text_: str, kind: str, value: object) -> None:
    assert scalar_of(node(text_)) == (kind, value)


def test_kinds_read_like_a_person_says_them() -> None:
    assert kind_of(node("[1]")) == "a list"
    assert kind_of(node("{a: 1}")) == "a mapping"
    assert kind_of(node("3")) == "an integer"
    assert kind_of(node("!custom x")) == "a value tagged !custom"
    assert is_null(node("null")) and not is_null(node("'null'"))


def test_a_syntax_error_is_reported_by_the_pure_loader_with_its_position() -> None:
    with pytest.raises(yaml.YAMLError) as caught:
        compose("a: [1, 2\nb: 3\n")
    assert caught.value.problem_mark is not None  # type: ignore[attr-defined]


def test_duplicate_keys_are_reported_at_the_second_with_the_first_line() -> None:
    checker = Checker(CTX)
    entries = checker.mapping(node("name: a\nmode: fast\nname: b\n"), "")
    assert entries is not None and entries["name"].value.value == "a"
    assert checker.issues == [(3, 1, "top level: duplicate key 'name' (first defined at line 1)")]


def test_merge_keys_apply_and_explicit_keys_win() -> None:
    checker, src = source("base: &b {name: x, mode: fast}\nitem:\n  <<: *b\n  name: y\n")
    item = checker.mapping(src.entries["item"].value, "item")
    assert item is not None
    assert {k: e.value.value for k, e in item.items()} == {"name": "y", "mode": "fast"}
    assert item["name"].path == "item.name"
    assert checker.issues == []


def test_a_section_converts_and_defaults_every_field() -> None:
    checker, src = source("name: ' web '\ndomains: [a.test, b.test]\ntags: {team: ops}\n")
    values = checker.section(src, TABLE)
    assert values is not None
    assert values["name"] == "web"
    assert values["mode"] == "slow" and values["enabled"] is False
    assert values["domains"] == ("a.test", "b.test")
    assert dict(values["tags"]) == {"team": "ops"}


def test_every_issue_of_a_section_is_collected_with_its_position() -> None:
    checker, src = source(
        "mod: fast\n"  # unknown key, close to "mode"
        "enabled: 'yes'\n"  # a string where a boolean is wanted
        "domains: [a.test, a.test]\n"  # duplicate item
        "tags: {a: 1, b: 2, c: 3}\n"  # too many tags
    )
    assert checker.section(src, TABLE) is None
    assert checker.issues == [
        (1, 1, "top level: unknown key 'mod'; did you mean 'mode'?"),
        (1, 1, "top level: missing required key 'name'"),
        (2, 10, "enabled: expected a boolean (true or false), got a string"),
        (3, 19, "domains[1]: duplicate 'a.test' (already listed at line 3)"),
        (4, 7, "tags: has 3 tags; at most 2 allowed"),
    ]


def test_a_number_where_a_string_is_wanted_suggests_quotes() -> None:
    checker, src = source("name: 1.10\n")
    assert checker.get(src, TABLE, "name") is INVALID
    assert checker.issues[0][2].endswith("got a number (put it in quotes to make it a string)")


def test_an_unknown_enum_value_names_the_allowed_ones_and_the_closest() -> None:
    checker, src = source("name: x\nmode: fats\n")
    assert checker.get(src, TABLE, "mode") is INVALID
    assert checker.issues == [
        (2, 7, "mode: unknown value 'fats'; did you mean 'fast'? (allowed: fast, slow)")
    ]


def test_list_bounds_are_checked() -> None:
    checker, src = source("name: x\ndomains: []\n")
    assert checker.get(src, TABLE, "domains") is INVALID
    checker2, src2 = source("name: x\ndomains: [a, b, c, d]\n")
    assert checker2.get(src2, TABLE, "domains") is INVALID
    assert checker.issues[0][2] == "domains: must not be empty"
    assert checker2.issues[0][2] == "domains: has 4 entries; at most 3 allowed"


def test_a_key_of_another_provider_type_says_which_type_owns_it() -> None:
    checker, src = source("hosted_zone_id: Z123\n")
    checker.check_keys(src, {"zone": Field()}, typed="dns type 'azure'")
    assert checker.issues == [
        (
            1,
            1,
            "top level: key 'hosted_zone_id' belongs to dns type 'route53', not to "
            "dns type 'azure'",
        )
    ]


def test_a_secret_section_never_echoes_the_unknown_key() -> None:
    checker, src = source("passw0rd-hunter2: x\n")
    checker.check_keys(src, {"password": Field()}, secret=True)
    assert "hunter2" not in checker.issues[0][2]


def test_a_converter_error_becomes_a_located_issue() -> None:
    checker, src = source("name: '   '\n")
    assert checker.get(src, TABLE, "name") is INVALID
    assert checker.issues == [(1, 7, "name: must not be empty")]


def test_not_a_mapping_is_reported() -> None:
    checker = Checker(CTX)
    assert checker.mapping(node("- a\n"), "defaults") is None
    assert checker.issues == [(1, 1, "defaults: expected a mapping, got a list")]
