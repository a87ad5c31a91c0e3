"""config.notify: ``notify:`` lists walked into targets; one target per channel, scopes joined."""

from __future__ import annotations

from pathlib import Path

from renewer.config.convert import Context
from renewer.config.nodes import Checker, Source, compose
from renewer.config.notify import NotifySettings, build_targets, combine
from renewer.core.settings import SecretRef

ENV = {"HOOK": "https://hooks.example.test/x", "OTHER": "https://hooks.example.test/y"}


def targets(text: str) -> tuple[tuple[NotifySettings, ...], list[tuple[int, int, str]]]:  # type: ignore[type-arg]
    checker = Checker(Context(Path("/cfg"), ENV))
    root = compose(text)
    assert root is not None
    entries = checker.mapping(root, "")
    assert entries is not None
    return build_targets(checker, Source(entries, root, "").entries.get("notify")), checker.issues


def test_targets_are_built_with_their_types_settings() -> None:
    (hook,), issues = targets("notify:\n  - {type: webhook, url: env:HOOK, on: [all]}\n")
    assert issues == []
    assert hook.type == "webhook" and hook.on == ("all",)
    assert hook.target.url == SecretRef("HOOK")
    assert hook.certificates is None


def test_every_bad_target_is_reported_and_left_out() -> None:
    found, issues = targets(
        "notify:\n"
        "  - {type: pager, url: env:HOOK}\n"
        "  - {url: env:HOOK}\n"
        "  - {type: webhook, url: env:HOOK}\n"
        "  - type: email\n"
        "    to: [ops@example.test]\n"
        "    from: renewer@example.test\n"
        "    smtp: {host: mail.example.test, username: env:HOOK, password: env:HOOK,\n"
        "           starttls: false}\n"
    )
    assert [t.type for t in found] == ["webhook"]
    lines = [line for line, _, _ in issues]
    assert lines[:2] == [2, 3]
    assert "unknown value 'pager'" in issues[0][2]
    assert "missing required key 'type'" in issues[1][2]
    assert issues[-1][2] == (
        "notify[3].smtp: username/password need starttls: true (else they cross the network "
        "in clear)"
    )


def test_not_a_list_is_an_issue_and_no_list_is_no_target() -> None:
    assert targets("notify: {type: webhook}\n")[1][0][2] == "notify: expected a list, got a mapping"
    assert targets("{}\n") == ((), [])


def test_the_same_channel_listed_twice_is_one_target_with_joined_scope() -> None:
    (hook,), _ = targets("notify:\n  - {type: webhook, url: env:HOOK}\n")
    (other,), _ = targets("notify:\n  - {type: webhook, url: env:OTHER}\n")
    only_own = combine([], [("web", hook), ("api", hook), ("db", other)])
    assert [(t.target.url, t.certificates) for t in only_own] == [
        (SecretRef("HOOK"), frozenset({"web", "api"})),
        (SecretRef("OTHER"), frozenset({"db"})),
    ]
    everywhere = combine([hook], [("web", hook)])
    assert [t.certificates for t in everywhere] == [None]  # top level already reaches all
