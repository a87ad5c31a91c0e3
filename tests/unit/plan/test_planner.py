"""Planning is pure: actions, reasons, --only, --force and unmanaged listing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from renewer.core.models import ActionKind
from renewer.plan.planner import UnknownCertificate, plan, select
from tests.unit.factories import NOW, spec, stored_for


def test_one_action_per_spec_in_config_order() -> None:
    a, b, c = spec("a"), spec("b"), spec("c", domains=("c.test",))
    stored = {
        "b": stored_for(b),
        "c": stored_for(spec("c", domains=("c.test", "d.test"))),
        "legacy-cert": stored_for(spec("legacy-cert")),
    }
    result = plan([a, b, c], stored, NOW)
    assert [(x.name, x.kind) for x in result.actions] == [
        ("a", ActionKind.ISSUE),
        ("b", ActionKind.SKIP),
        ("c", ActionKind.RENEW),
    ]
    assert result.actions[0].reason == "new certificate"
    assert result.actions[2].reason == "domains changed: -d.test"
    assert result.unmanaged == ("legacy-cert",)
    assert [x.name for x in result.due()] == ["a", "c"]


def test_force_renews_everything_stored() -> None:
    a = spec("a")
    result = plan([a], {"a": stored_for(a)}, NOW, force=True)
    assert result.actions[0].kind is ActionKind.RENEW
    assert "--force" in result.actions[0].reason


def test_select_only_and_unknown_names() -> None:
    specs = [spec("a"), spec("b")]
    assert [s.name for s in select(specs, ["B"])] == ["b"]
    assert select(specs, []) == tuple(specs)
    with pytest.raises(UnknownCertificate, match="nope"):
        select(specs, ["a", "nope"])


def test_managed_names_keep_unselected_certificates_out_of_unmanaged() -> None:
    a, b = spec("a"), spec("b")
    stored = {"a": stored_for(a), "b": stored_for(b)}
    result = plan([a], stored, NOW, managed=["a", "b"])
    assert result.unmanaged == ()
    assert len(result.actions) == 1


def test_skip_carries_due_date() -> None:
    a = spec("a")
    action = plan([a], {"a": stored_for(a)}, NOW).actions[0]
    assert action.kind is ActionKind.SKIP
    assert action.renew_at == stored_for(a).not_after - timedelta(days=30)


def test_existing_certificate_not_made_by_renewer_is_blocked_never_replaced() -> None:
    """Another tool's same-name certificate is blocked (never "unchanged"), even forced;
    the reason says why and how (adopt), and never suggests deleting it."""
    from dataclasses import replace

    a = spec("a")
    foreign = replace(stored_for(a, issued=NOW - timedelta(days=89)), managed=False)
    for force in (False, True):
        action = plan([a], {"a": foreign}, NOW, force=force).actions[0]
        assert action.kind is ActionKind.BLOCKED and not action.changes
        assert "renewer did not create it" in action.reason
        assert "adopt: true" in action.reason and "renewer adopt a" in action.reason
        assert action.renew_at is None  # due now: one day left
    early = replace(stored_for(a, issued=NOW - timedelta(days=10)), managed=False)
    action = plan([a], {"a": early}, NOW).actions[0]
    assert action.kind is ActionKind.BLOCKED and action.renew_at == early.not_after - timedelta(
        days=30
    )


def test_renewers_certificates_that_left_the_config_are_orphaned() -> None:
    """issue 11: a certificate renewer issued (managed-by tag) that is no longer in the
    config is orphaned: still listed as never touched, and its expiry is kept for warnings;
    a certificate someone else made is only unmanaged."""
    a = spec("a")
    gone = stored_for(spec("gone"), lifetime=timedelta(days=20))
    foreign = stored_for(spec("theirs"), managed=False)
    result = plan([a], {"gone": gone, "theirs": foreign}, NOW)
    assert result.unmanaged == ("gone", "theirs")
    assert [(o.name, o.not_after) for o in result.orphaned] == [("gone", gone.not_after)]
    assert [x.name for x in result.actions] == ["a"]  # nothing is planned for either
    only = plan([a], {"gone": gone}, NOW, managed=["a", "gone"])  # --only elsewhere
    assert only.orphaned == ()


def test_retired_certificates_are_skipped_even_when_due_or_forced() -> None:
    from dataclasses import replace

    old = spec("old")
    retired = replace(old, retired=True)
    due = stored_for(old, issued=NOW - timedelta(days=89))  # one day left
    result = plan([retired, replace(spec("never"), retired=True)], {"old": due}, NOW, force=True)
    first, second = result.actions
    assert (first.kind, second.kind) == (ActionKind.SKIP, ActionKind.SKIP)
    assert first.reason == (
        f"retired: renewals stopped on purpose (retired: true); it expires {due.not_after:%Y-%m-%d}"
    )
    assert second.reason == "retired: renewals stopped on purpose (retired: true)"
    assert result.due() == () and result.orphaned == ()


def test_a_rename_says_so_and_the_old_certificate_is_not_orphaned() -> None:
    from dataclasses import replace

    old = stored_for(spec("www-old"))
    new = replace(spec("www-new"), previous_name="www-old")
    result = plan([new], {"www-old": old}, NOW)
    (action,) = result.actions
    assert action.kind is ActionKind.ISSUE
    assert action.reason == (
        "renamed from www-old: issued under the new name (www-old is kept, no longer "
        f"renewed, expires {old.not_after:%Y-%m-%d})"
    )
    assert result.unmanaged == () and result.orphaned == ()
    again = plan([new], {"www-old": old, "www-new": stored_for(new)}, NOW)
    assert again.actions[0].kind is ActionKind.SKIP  # after the first run: an ordinary skip
