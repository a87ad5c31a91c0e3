"""The plan for a same-name certificate another tool (acmebot) issued: blocked or adopted."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from renewer.core.models import ActionKind, ForeignIssuer, StoredCertificate
from renewer.plan.foreign import foreign_action, way_out
from renewer.plan.planner import plan
from tests.unit.factories import NOW, spec, stored_for

ACMEBOT_V4 = ForeignIssuer(
    "acmebot", "v4 tags", endpoint="127.0.0.1", dns_provider="AzureDns", selected_by=("Issuer",)
)


def acmebot(days_left: float, **overrides: object) -> StoredCertificate:
    """acmebot's certificate as read with its leaf: names and key type known, no renewer tags."""
    s = spec("web")
    fields: dict[str, object] = {
        "fingerprint": None,
        "directory": None,
        "profile": None,
        "managed": False,
        "foreign": ACMEBOT_V4,
    }
    fields.update(overrides)
    issued = NOW - timedelta(days=90 - days_left)
    return stored_for(s, issued=issued, **fields)


def test_adopt_when_not_due_writes_tags_only_and_says_who_issued_it() -> None:
    web = replace(spec("web"), adopt=True)
    action = plan([web], {"web": acmebot(60)}, NOW).actions[0]
    assert action.kind is ActionKind.ADOPT and action.changes
    assert action.reason.startswith(
        "adopt (issued by acmebot (v4 tags, ACME endpoint 127.0.0.1, DNS provider AzureDns), "
        "expires 2027-01-27)"
    )
    assert "nothing else changes" in action.reason
    assert action.renew_at == NOW + timedelta(days=30)


def test_adopt_when_due_renews_under_the_same_name() -> None:
    web = replace(spec("web"), adopt=True)
    action = plan([web], {"web": acmebot(2)}, NOW).actions[0]
    assert action.kind is ActionKind.RENEW
    assert action.reason.startswith("adopt (issued by acmebot")
    assert "new version of the same name" in action.reason and "emergency" in action.reason


def test_adopt_renews_at_once_when_names_key_or_ca_differ_and_says_what_changes() -> None:
    web = replace(spec("web", domains=("example.test", "www.example.test", "api.example.test")))
    web = replace(web, adopt=True)
    theirs = acmebot(
        60,
        key="rsa-2048",
        foreign=replace(ACMEBOT_V4, endpoint="acme-v02.api.letsencrypt.org"),
    )
    action = plan([web], {"web": theirs}, NOW).actions[0]
    assert action.kind is ActionKind.RENEW
    assert "domains changed: +api.example.test" in action.reason
    assert "key type changed: rsa-2048 -> ec-p256 (set key: rsa-2048 to keep it)" in action.reason
    assert "CA changed: acme-v02.api.letsencrypt.org -> https://127.0.0.1:14000/dir" in (
        action.reason
    )


def test_adopt_with_force_renews() -> None:
    web = replace(spec("web"), adopt=True)
    action = plan([web], {"web": acmebot(60)}, NOW, force=True).actions[0]
    assert action.kind is ActionKind.RENEW and "forced" in action.reason


def test_adopt_of_a_certificate_renewer_already_manages_is_an_ordinary_plan() -> None:
    web = replace(spec("web"), adopt=True)
    ours = stored_for(spec("web"))
    action = plan([web], {"web": ours}, NOW).actions[0]
    assert action.kind is ActionKind.SKIP and "adopt" not in action.reason


def test_blocked_names_the_tool_and_is_due_inside_the_renewal_window() -> None:
    web = spec("web")
    action = plan([web], {"web": acmebot(20)}, NOW).actions[0]
    assert action.kind is ActionKind.BLOCKED and action.renew_at is None
    assert "issued by acmebot (v4 tags" in action.reason and "due now" in action.reason
    assert "404" in action.reason  # why deleting is no way out


# The module itself (renewer/plan/foreign.py), without the planner around it.


def test_the_way_out_says_who_issued_it_and_both_ways_to_take_it_over() -> None:
    s = spec("web")
    assert way_out(s, acmebot(60)) == (
        "renewer did not create it (issued by acmebot (v4 tags, ACME endpoint 127.0.0.1, DNS "
        "provider AzureDns)); `adopt: true` or `renewer adopt web` takes it over under the same "
        "name (docs/migrate-from-acmebot.md)"
    )
    assert "(issued by another tool)" in way_out(s, None)
    unknown = acmebot(60, foreign=None)
    assert "issued by another tool (no tags renewer knows)" in way_out(s, unknown)


def test_a_block_is_never_unchanged_and_warns_against_deleting() -> None:
    far = foreign_action(spec("web"), acmebot(60), None, NOW, force=False)
    assert far.kind is ActionKind.BLOCKED
    assert far.renew_at == NOW + timedelta(days=30)
    assert "do not delete it (its secret URL would answer 404)" in far.reason
    near = foreign_action(spec("web"), acmebot(2), None, NOW, force=False)
    assert near.kind is ActionKind.BLOCKED and near.renew_at is None
    assert "due now" in near.reason


def test_force_renews_an_adopted_certificate_whatever_its_state() -> None:
    web = replace(spec("web"), adopt=True)
    action = foreign_action(web, acmebot(80), None, NOW, force=True)
    assert action.kind is ActionKind.RENEW
    assert action.reason.endswith("; forced renewal (--force)")
