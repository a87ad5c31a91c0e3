"""Rate-limit budgets on a plan: account share across shards, registered domains, ARI exemption."""

from __future__ import annotations

from datetime import timedelta

from renewer.core.models import ActionKind, RenewalInfo
from renewer.plan import budget, planner
from renewer.plan.shard import Shard, shard_of
from tests.unit.factories import NOW, spec, stored_for

DAY = timedelta(days=1)


def test_shares_of_all_shards_sum_to_the_account_budget() -> None:
    for limit in (0, 1, 7, 300, 301):
        for count in (1, 2, 3, 7, 256):
            parts = [budget.share(limit, Shard(i, count)) for i in range(1, count + 1)]
            assert sum(parts) == limit
            assert max(parts) - min(parts) <= 1
    assert budget.share(300, None) == 300


def test_registered_domain_follows_the_public_suffix_list() -> None:
    assert budget.registered_domain("new.blog.example.co.uk") == "example.co.uk"
    assert budget.registered_domain("*.www.example.com") == "example.com"
    assert budget.registered_domain("x.user.github.io") == "user.github.io"  # private section
    assert budget.registered_domain("a.b.example.test") == "example.test"


def test_new_certificates_past_the_domain_budget_are_deferred_with_a_reason() -> None:
    specs = [spec(f"n{i}", (f"n{i}.shop.example.com",)) for i in range(5)]
    old = spec("old", ("old.shop.example.com",))
    other = spec("other", ("www.other.example",))
    stored = {
        # issued 2 days ago: counts; 9 days ago: outside the window
        "recent": stored_for(spec("recent", ("r.example.com",)), issued=NOW - 2 * DAY),
        "old": stored_for(old, issued=NOW - 9 * DAY),
    }
    plan = planner.plan([*specs, other], stored, NOW)
    limited = budget.apply(plan, stored, {}, NOW, budget.Limits(per_domain=3))
    assert limited.budgets is not None
    deferred = limited.budgets.deferred
    assert sorted(deferred) == ["n2", "n3", "n4"]  # 1 recent + n0 + n1 = 3
    assert "registered domain example.com has 3 certificates in 7 days" in deferred["n2"]
    by_name = {a.name: a for a in limited.actions}
    assert by_name["n4"].kind is ActionKind.ISSUE and "deferred:" in by_name["n4"].reason
    assert "other" not in deferred
    (shop,) = [d for d in limited.budgets.domains if d.domain == "example.com"]
    assert (shop.issued, shop.planned, shop.deferred) == (1, 2, 3)
    assert "registered domain example.com: 1 issued in 7 days + 2 planned of 3, 3 deferred" in (
        limited.budgets.lines()
    )


def test_ari_renewals_spend_no_budget_and_urgent_renewals_go_first() -> None:
    renewing = [spec(f"r{i}", (f"r{i}.example.com",)) for i in range(3)]
    stored = {s.name: stored_for(s, issued=NOW - (80 - i) * DAY) for i, s in enumerate(renewing)}
    window = RenewalInfo(start=NOW - DAY, end=NOW + DAY)
    info = {"r0": window}  # r0 has ARI inside its window: exempt
    new = spec("fresh", ("fresh.example.com",))
    plan = planner.plan([*renewing, new], stored, NOW, info)
    assert [a.kind for a in plan.actions] == [ActionKind.RENEW] * 3 + [ActionKind.ISSUE]
    limited = budget.apply(plan, stored, info, NOW, budget.Limits(max_new_orders=1))
    assert limited.budgets is not None
    assert limited.budgets.exempt == frozenset({"r0"})
    # By expiry: r0 (exempt), r1, r2; the one order goes to r1, the new one waits.
    assert sorted(limited.budgets.deferred) == ["fresh", "r2"]
    assert "new-order budget of the account" in limited.budgets.deferred["fresh"]
    (account,) = limited.budgets.accounts
    assert (account.planned, account.share, account.exempt) == (1, 1, 1)


def test_shards_together_never_plan_more_than_the_account_budget() -> None:
    specs = [spec(f"c{i}", (f"c{i}.example.com",)) for i in range(40)]
    total = 0
    for index in range(1, 4):
        part = Shard(index, 3)
        mine = [s for s in specs if shard_of(s.name, 3) == index]
        plan = planner.plan(mine, {}, NOW)
        limits = budget.Limits(max_new_orders=10, per_domain=1000, shard=part)
        limited = budget.apply(plan, {}, {}, NOW, limits)
        assert limited.budgets is not None
        (account,) = limited.budgets.accounts
        assert account.planned <= budget.share(10, part)
        assert "this shard's share" in account.words()
        total += account.planned
    assert total == 10
