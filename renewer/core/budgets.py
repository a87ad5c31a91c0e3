"""The CA's rate limits as budgets a plan spends: data only (``renewer.plan.budget`` fills it).

Let's Encrypt (and CAs modelled on it) count two things a run controls: new
orders per account (300 per 3 hours) and certificates per registered domain
(50 per 7 days, whoever ordered them). An ARI renewal that names the
certificate it replaces inside the CA's window is exempt from both. A run
that knows its budgets defers what would exceed them, with a reason, instead
of burning orders the CA refuses (and, for the per-domain limit, blocking the
domain for days).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AccountBudget:
    """New orders this run may send to one CA account (its share across shards)."""

    directory: str
    limit: int  # the account's budget (--max-new-orders)
    share: int  # this run's part of it (limit split over the shards)
    shards: int
    planned: int  # new orders the plan spends
    exempt: int  # ARI renewals with ``replaces`` inside the window: no budget spent

    def words(self) -> str:
        split = (
            f" (this shard's share of {self.limit} over {self.shards})" if self.shards > 1 else ""
        )
        return (
            f"account at {self.directory}: {self.planned} of {self.share} new orders{split}, "
            f"{self.exempt} ARI renewal(s) exempt"
        )


@dataclass(frozen=True)
class DomainBudget:
    """Certificates per registered domain in the CA's 7-day window."""

    domain: str
    limit: int
    issued: int  # stored certificates issued in the last 7 days
    planned: int  # new certificates this plan orders (ARI renewals excluded)
    deferred: int

    def words(self) -> str:
        tail = f", {self.deferred} deferred" if self.deferred else ""
        return (
            f"registered domain {self.domain}: {self.issued} issued in 7 days + "
            f"{self.planned} planned of {self.limit}{tail}"
        )


@dataclass(frozen=True)
class Budgets:
    """What a plan spends and what it defers (certificate name -> why)."""

    accounts: tuple[AccountBudget, ...] = ()
    domains: tuple[DomainBudget, ...] = ()
    deferred: Mapping[str, str] = field(default_factory=dict)
    exempt: frozenset[str] = frozenset()  # ARI renewals: their orders take no budget

    def lines(self) -> list[str]:
        shown = [a.words() for a in self.accounts]
        shown += [d.words() for d in self.domains if d.planned or d.deferred]
        return shown
