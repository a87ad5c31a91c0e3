"""What the CA's directory offers reaches the plan: no renewal windows, a refused profile.

Pure: the plan takes the facts read from the directory (execute.state) as
arguments, so these need no CA.
"""

from __future__ import annotations

from datetime import timedelta

from renewer.core.models import ActionKind, Outcome
from renewer.execute.executor import Executor
from renewer.execute.profiles import not_offered
from renewer.execute.services import Services
from renewer.plan.budget import apply
from renewer.plan.planner import plan
from tests.unit.factories import NOW, spec, stored_for


def test_the_lifetime_rule_says_the_ca_offers_no_renewal_windows() -> None:
    a, b = spec("a"), spec("b")
    stored = {"a": stored_for(a), "b": stored_for(b)}
    made = plan([a, b], stored, NOW, no_windows={"a"})
    reasons = {x.name: x.reason for x in made.actions}
    assert "(the CA offers no renewal windows: renew at 1/3 of lifetime left)" in reasons["a"]
    assert "offers no renewal windows" not in reasons["b"]  # ARI not known to be missing


def test_due_without_windows_says_which_rule_fired() -> None:
    a = spec("a")
    old = stored_for(a, issued=NOW - timedelta(days=70))  # 20 of 90 days left
    action = plan([a], {"a": old}, NOW, no_windows={"a"}).actions[0]
    assert action.kind is ActionKind.RENEW
    assert action.reason == (
        "expires in 20 days (the CA offers no renewal windows: renew at 1/3 of lifetime left)"
    )


def test_a_refused_profile_fails_only_due_certificates_and_spends_no_budget() -> None:
    new, due, calm = spec("new"), spec("due"), spec("calm")
    stored = {
        "due": stored_for(due, issued=NOW - timedelta(days=80)),
        "calm": stored_for(calm),
    }
    why = not_offered("shortlived", ())
    refused = {name: why for name in ("new", "due", "calm")}
    made = plan([new, due, calm], stored, NOW, refused=refused)
    assert dict(made.refused) == {"new": why, "due": why}  # calm is not due: nothing fails
    kinds = {x.name: (x.kind, x.reason) for x in made.actions}
    assert kinds["new"] == (ActionKind.ISSUE, f"new certificate; fails: {why}")
    assert kinds["due"][1].endswith(f"; fails: {why}")
    assert "fails" not in kinds["calm"][1]
    budgeted = apply(made, stored, {}, NOW)
    assert budgeted.refused == made.refused
    assert budgeted.budgets is not None
    assert budgeted.budgets.accounts == ()  # no order planned at that CA


def test_the_refusal_names_what_the_ca_offers_and_keeps_its_text_inert() -> None:
    assert not_offered("x", ()) == "profile 'x' is not offered by the CA (it offers no profiles)"
    assert not_offered("x", {"tlsserver", "classic"}) == (
        "profile 'x' is not offered by the CA (offers: classic, tlsserver)"
    )
    odd = {"classic", "<img src=x>", "**bold**"}
    assert not_offered("x", odd) == (
        "profile 'x' is not offered by the CA (offers: classic and 2 other(s))"
    )
    assert not_offered("x", {"[link](u)"}) == (
        "profile 'x' is not offered by the CA (offers: 1 not shown)"
    )


def test_the_executor_fails_a_refused_certificate_without_an_order_even_in_a_dry_run() -> None:
    # An order would reach this directory (nothing listens there) and fail otherwise.
    a = spec("a", directory="https://127.0.0.1:9/dir", profile="shortlived")
    why = not_offered("shortlived", ())
    made = plan([a], {}, NOW, refused={"a": why})
    for dry_run in (False, True):
        with Services() as services:
            (result,) = Executor(services).execute(made, dry_run=dry_run)
        assert result.outcome is Outcome.FAILED and result.error == why
        assert result.reason == f"new certificate; fails: {why}"
