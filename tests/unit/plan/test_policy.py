"""The renewal rule: each branch fires for its reason, and only then."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from renewer.core.models import RenewalInfo
from renewer.plan.policy import ari_pick, emergency_window, renewal_due
from tests.unit.factories import NOW, spec, stored_for


def test_fresh_certificate_is_not_due_and_says_when() -> None:
    s = spec()
    decision = renewal_due(stored_for(s), s, None, NOW)
    assert not decision.due
    assert decision.renew_at == stored_for(s).not_after - timedelta(days=30)
    assert "1/3 of lifetime" in decision.reason


def test_third_of_lifetime_left_is_due() -> None:
    s = spec()
    current = stored_for(s, issued=NOW - timedelta(days=61))
    decision = renewal_due(current, s, None, NOW)
    assert decision.due
    assert decision.reason.startswith("expires in 29 days")


def test_renew_before_overrides_lifetime_share() -> None:
    s = spec(renew_before=timedelta(days=12))
    assert not renewal_due(stored_for(s, issued=NOW - timedelta(days=70)), s, None, NOW).due
    decision = renewal_due(stored_for(s, issued=NOW - timedelta(days=79)), s, None, NOW)
    assert decision.due and "renew_before 12 days" in decision.reason


def test_domains_change_lists_added_and_removed_names() -> None:
    old = spec(domains=("example.test", "old.example.test"))
    new = spec(domains=("example.test", "api.example.test"))
    decision = renewal_due(stored_for(old), new, None, NOW)
    assert decision.due
    assert decision.reason == "domains changed: +api.example.test, -old.example.test"


def test_key_profile_and_ca_changes_are_each_named() -> None:
    old = spec()
    assert (
        "key type changed: ec-p256 -> rsa-2048"
        in renewal_due(stored_for(old), spec(key="rsa-2048"), None, NOW).reason
    )
    assert (
        "profile changed: default -> shortlived"
        in renewal_due(stored_for(old), spec(profile="shortlived"), None, NOW).reason
    )
    assert (
        "CA changed"
        in renewal_due(stored_for(old), spec(directory="https://other/dir"), None, NOW).reason
    )


def test_fingerprint_only_store_gets_generic_reason() -> None:
    old = spec()
    current = replace(stored_for(old), domains=None, key=None, directory=None, profile=None)
    decision = renewal_due(current, spec(key="rsa-4096"), None, NOW)
    assert decision.due and decision.reason.startswith("configuration changed")


def test_ari_window_in_future_defers_and_open_window_renews() -> None:
    s = spec()
    current = stored_for(s)
    later = RenewalInfo(NOW + timedelta(days=5), NOW + timedelta(days=7))
    decision = renewal_due(current, s, later, NOW)
    assert not decision.due
    assert decision.renew_at is not None
    assert later.start <= decision.renew_at <= later.end
    opened = RenewalInfo(NOW - timedelta(days=2), NOW - timedelta(hours=1))
    decision = renewal_due(current, s, opened, NOW)
    assert decision.due and "ARI window closed" in decision.reason


def test_a_deferred_window_says_when_the_ca_was_asked() -> None:
    s = spec()
    later = RenewalInfo(NOW + timedelta(days=5), NOW + timedelta(days=7))
    asked = replace(later, checked=NOW - timedelta(hours=3), next_check=NOW + timedelta(hours=3))
    assert "CA asked" not in renewal_due(stored_for(s), s, later, NOW).reason
    reason = renewal_due(stored_for(s), s, asked, NOW).reason
    assert reason.endswith(f"(CA asked {(NOW - timedelta(hours=3)):%Y-%m-%d %H:%M} UTC)"), reason


def test_ari_pick_is_stable_and_spread() -> None:
    window = RenewalInfo(NOW, NOW + timedelta(days=2))
    picks = {ari_pick(window, f"cert-{i}") for i in range(50)}
    assert ari_pick(window, "cert-1") == ari_pick(window, "cert-1")
    assert len(picks) == 50
    assert all(window.start <= p <= window.end for p in picks)


def test_emergency_beats_ari() -> None:
    s = spec()
    current = stored_for(s, issued=NOW - timedelta(days=88))
    later = RenewalInfo(NOW + timedelta(days=5), NOW + timedelta(days=7))
    decision = renewal_due(current, s, later, NOW)
    assert decision.due and decision.reason.startswith("emergency")


def test_emergency_window_sizes() -> None:
    assert emergency_window(timedelta(days=90)) == timedelta(days=4.5)
    assert emergency_window(timedelta(days=47)) == timedelta(days=3)
    assert emergency_window(timedelta(days=6)) == timedelta(days=0.6)


def test_expired_and_revoked_are_due() -> None:
    s = spec()
    assert (
        "expired"
        in renewal_due(stored_for(s, issued=NOW - timedelta(days=100)), s, None, NOW).reason
    )
    revoked = replace(stored_for(s), revoked=True)
    assert renewal_due(revoked, s, None, NOW).reason == "current certificate was revoked"


# -- run cadence: renew in the run before the one that would be too late -------------
HOUR = timedelta(hours=1)


def test_a_renewal_time_before_the_next_run_is_renewed_now() -> None:
    # step-ca's 24-hour certificate, issued at a 05:17 run: due at 16 h (a third left).
    s = spec()
    issued = NOW - 12 * HOUR  # this is the 17:17 run
    current = stored_for(s, issued=issued, lifetime=24 * HOUR)
    decision = renewal_due(current, s, None, NOW)
    assert decision.due, decision.reason
    assert "before the next run (runs every 12 hours, up to 60 minutes late)" in decision.reason
    # At the 05:17 run it was not due: the next run (17:17 + 1 h slack) comes before 21:17.
    earlier = renewal_due(current, s, None, issued)
    assert not earlier.due and earlier.renew_at == issued + 16 * HOUR


def test_the_run_before_is_the_last_that_renews_in_time() -> None:
    s = spec()
    current = stored_for(s, issued=NOW - timedelta(days=50))  # due at day 60
    renew_at = current.not_after - timedelta(days=30)
    assert not renewal_due(current, s, None, renew_at - 14 * HOUR).due
    assert renewal_due(current, s, None, renew_at - 12 * HOUR).due  # 12 h + 1 h slack
    daily = replace(s, run_every=24 * HOUR, run_slack=2 * HOUR)
    assert renewal_due(current, daily, None, renew_at - 25 * HOUR).due


def test_an_ari_pick_before_the_next_run_inside_the_window_is_renewed_now() -> None:
    s = spec()
    current = stored_for(s)
    opened = RenewalInfo(NOW - HOUR, NOW + timedelta(days=2))
    pick_soon = RenewalInfo(NOW - HOUR, NOW + 6 * HOUR)  # the pick is within 6 h
    assert renewal_due(current, s, pick_soon, NOW).due
    decision = renewal_due(current, s, opened, NOW)
    from renewer.plan.policy import ari_pick as pick_of

    assert decision.due == (pick_of(opened, "aki.serial") < NOW + 13 * HOUR)


def test_a_window_that_opens_before_the_next_run_is_left_to_that_run() -> None:
    s = spec()
    later = RenewalInfo(NOW + 2 * HOUR, NOW + timedelta(days=2))
    decision = renewal_due(stored_for(s), s, later, NOW)
    assert not decision.due  # the next run lands inside the window, at the CA's time
    closing = RenewalInfo(NOW + 2 * HOUR, NOW + 10 * HOUR)  # over before the next run
    assert renewal_due(stored_for(s), s, closing, NOW).due


def test_too_short_a_lifetime_for_the_cadence_is_warned_with_the_cadence_it_needs() -> None:
    s = spec()
    current = stored_for(s, issued=NOW - HOUR, lifetime=24 * HOUR)
    decision = renewal_due(current, s, None, NOW)
    assert not decision.due
    assert (
        "warning: 8 hours between the renewal point and expiry hold fewer than two runs "
        "every 12 hours (lifetime 24 hours): set run_every to 4 hours or less"
    ) in decision.reason
    fits = replace(s, run_every=4 * HOUR, run_slack=HOUR)
    assert "warning" not in renewal_due(current, fits, None, NOW).reason
    # Six-day certificates at a 12 h cadence: two days between renewal point and expiry.
    six = stored_for(s, issued=NOW - HOUR, lifetime=timedelta(days=6))
    assert "warning" not in renewal_due(six, s, None, NOW).reason
