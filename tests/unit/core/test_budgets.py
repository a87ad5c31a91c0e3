"""core.budgets: the rate-limit budgets a plan spends, said in words in the plan."""

from __future__ import annotations

from renewer.core.budgets import AccountBudget, Budgets, DomainBudget

DIRECTORY = "https://acme.test/dir"


def test_an_account_budget_names_the_shard_share_only_when_sharded() -> None:
    alone = AccountBudget(DIRECTORY, limit=300, share=300, shards=1, planned=12, exempt=3)
    assert alone.words() == (
        f"account at {DIRECTORY}: 12 of 300 new orders, 3 ARI renewal(s) exempt"
    )
    sharded = AccountBudget(DIRECTORY, limit=300, share=100, shards=3, planned=12, exempt=0)
    assert "12 of 100 new orders (this shard's share of 300 over 3)" in sharded.words()


def test_a_domain_budget_mentions_deferrals_only_when_there_are_some() -> None:
    full = DomainBudget("example.test", limit=50, issued=45, planned=5, deferred=2)
    assert full.words() == (
        "registered domain example.test: 45 issued in 7 days + 5 planned of 50, 2 deferred"
    )
    assert "deferred" not in DomainBudget("example.test", 50, 1, 1, 0).words()


def test_the_plan_lists_every_account_but_only_domains_the_run_touches() -> None:
    budgets = Budgets(
        accounts=(AccountBudget(DIRECTORY, 300, 300, 1, 0, 0),),
        domains=(
            DomainBudget("idle.test", 50, 10, 0, 0),
            DomainBudget("busy.test", 50, 10, 2, 0),
            DomainBudget("full.test", 50, 50, 0, 1),
        ),
        deferred={"web": "per-domain limit"},
    )
    lines = budgets.lines()
    assert lines[0].startswith(f"account at {DIRECTORY}")
    assert [line.split()[2] for line in lines[1:]] == ["busy.test:", "full.test:"]
    assert Budgets().lines() == []
